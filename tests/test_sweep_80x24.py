"""The fire alarm at 80×24: the number to dial and the fire department's summary
stay on screen through the sweep and after it; call steps show the number."""

import re

import pytest
from textual import events
from textual.geometry import Region

from conftest import ROOT, shown
from shift import runs, sweep, timeline
from shift.procedures import load_procedures
from tui.app import SoloShiftApp
from tui.ask import Confirm
from tui.emergency import EmergencyScreen
from tui.sweep import SweepScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")
SIZE = (80, 24)
REFUSED = "Carrel 212 [A-1]; appears to be a student in a grey hoodie"
REFUGE = "Stairwell B landing, 3rd floor: one wheelchair user"
# Four people inside, as a marshal types them: the fire department's summary at its longest.
FOUR_PEOPLE = (
    ("main-floor", "refused",
     "Carrel 212 [A-1], by the east windows; appears to be a student in a grey hoodie, headphones on"),
    ("second", "assistance",
     "Stairwell B landing, 2nd floor: one wheelchair user, and a friend who is staying with them"),
    ("washrooms-main", "refused",
     "Accessible washroom, door locked; appears to be an adult man, answers but will not come out"),
    ("study-rooms", "assistance",
     "Stairwell A landing, 3rd floor: a person on crutches who cannot manage the stairs, with staff"),
)


def screen_lines(app) -> list[str]:
    """The text the terminal shows, row by row (what is drawn, not what is in the DOM)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def drawn(app) -> str:
    """The screen's words in reading order, with borders and scrollbars left out (wrapped lines rejoined)."""
    frame = re.compile(r"[\u2500-\u259f]")
    return " ".join(" ".join(frame.sub(" ", line).split()) for line in screen_lines(app))


def fully_visible(app, widget) -> bool:
    """Every cell of the widget is on screen and drawn by the widget itself (nothing covers or clips it)."""
    region = widget.region
    if region.area == 0 or not Region(0, 0, *app.size).contains_region(region):
        return False
    if app.screen.find_widget(widget).visible_region != region:
        return False
    return all(app.screen.get_widget_at(x, y)[0] is widget
               for y in range(region.y, region.bottom) for x in (region.x, region.right - 1))


async def walk_to(app, pilot, clock, title: str) -> None:
    """Answer each fire-alarm step (yes/no: no; text: 20; number: 2) until the step with this title."""
    for _ in range(30):
        if shown(app, "#step-title") == title:
            return
        step = app.screen.step()
        clock.advance(seconds=20)
        if step.kind == "yesno":
            await pilot.press("2")
        elif step.kind == "text":
            await pilot.press(*"20")
        elif step.kind == "number":
            await pilot.press("2")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen), f"a dialog opened at {step.title}"
    raise AssertionError(f"never reached {title}")


async def sweep_with_people_inside(app, pilot, clock) -> None:
    """At the sweep: first zone clear, second refused, third assistance, fourth reported not checked
    (each mark stays on its zone: ↓ moves on)."""
    await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, SweepScreen)
    await pilot.press("c", "down", "r")
    await pilot.pause()
    await pilot.press(*REFUSED, "enter")
    await pilot.pause()
    await pilot.press("down", "a")
    await pilot.pause()
    await pilot.press(*REFUGE, "enter")
    await pilot.pause()
    await pilot.press("down", "u")
    await pilot.pause()


async def test_the_dial_line_and_the_whole_summary_stay_on_screen_during_the_sweep(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await sweep_with_people_inside(app, pilot, clock)
        await pilot.pause()
        lines = screen_lines(app)
        assert lines[0].strip() == "DIAL 9-911   ·   Campus Security (24 h): 705-555-0100"
        assert fully_visible(app, app.screen.query_one("#sweep-dial"))
        summary = app.screen.query_one("#sweep-summary")
        assert fully_visible(app, summary)
        text = shown(app, "#sweep-summary")
        whole = summary.get_content_height(summary.region.size, app.size, summary.region.width)
        assert summary.region.height == whole >= 6  # every wrapped line of it, none cut
        assert text.startswith("For the fire department:")
        on_screen = drawn(app)
        for part in ("For the fire department:", "NEEDS ASSISTANCE: Second floor", "REFUSED TO LEAVE:",
                     "NOT CHECKED: Third floor", "Stairwells A and B", "Clear: Lower level"):
            assert part in on_screen, part
        # The zone list scrolls instead: the cursor's zone is on screen, and the last zone can be reached.
        for _ in range(len(site.zones) - 1 - app.screen.cursor):
            await pilot.press("down")
        await pilot.pause()
        last = app.screen.query_one(f"#sweep-zone-{len(site.zones) - 1}")
        assert fully_visible(app, last) and "▶ Stairwells A and B" in drawn(app)
        assert fully_visible(app, summary)


async def test_zones_not_yet_checked_read_apart_and_finishing_early_asks_first(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await sweep_with_people_inside(app, pilot, clock)
        # Reported as not checked, and not reported at all, never read alike.
        third, fourth = shown(app, "#sweep-zone-3"), shown(app, "#sweep-zone-4")
        assert third.startswith("▶ Third floor (silent study, group rooms)") and " COULD NOT CHECK " in third
        assert third.endswith("19:31") and "not yet reported" not in third
        assert "not yet reported" in fourth and "COULD NOT CHECK" not in fourth
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        pending = len(site.zones) - 4
        assert shown(app, ".title").startswith(f"{pending} zones are not yet reported: Main floor washrooms")
        await pilot.press("enter")  # a second Enter by reflex does not answer yes
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")  # back to the checklist: nothing recorded for the step
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        assert store.rows("SELECT COUNT(*) AS n FROM step_outcomes WHERE step_id = 'sweep'")[0]["n"] == 0
        for _ in range(len(site.zones) - 4):
            await pilot.press("down", "c")
            await pilot.pause()
        await pilot.press("enter")  # every zone reported: no question
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen)
    assert store.rows("SELECT COUNT(*) AS n FROM step_outcomes WHERE step_id = 'sweep'")[0]["n"] == 1


async def test_every_step_after_the_sweep_shows_the_summary_and_the_call_shows_the_number(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        assert not app.screen.query_one("#step-sweep").display  # before the sweep: nothing to tell yet
        # The step says the number as the site dials it, as the DIAL line above it does.
        await walk_to(app, pilot, clock, "Call 9-911")
        assert screen_lines(app)[0].strip().startswith("DIAL 9-911")
        assert shown(app, "#step-call") == ("CALL Police, fire, ambulance: 9-911\n"
                                            "Dial 9 for an outside line first. Then call Campus Security.")
        await sweep_with_people_inside(app, pilot, clock)
        await pilot.press("enter", "y")
        await pilot.pause()
        seen = []
        while shown(app, "#run-progress") != "All steps done":
            step = app.screen.step()
            box = app.screen.query_one("#step-sweep")
            assert box.display, step.id
            text = shown(app, "#step-sweep")
            assert f"NEEDS ASSISTANCE: Second floor (quiet study, stacks) — {REFUGE}" in text, step.id
            assert f"REFUSED TO LEAVE: Main floor (desk, computers, printers) — {REFUSED}" in text
            if step.id == "meet-fire-department":  # people first: on screen below the step at 80×24
                assert f"NEEDS ASSISTANCE: Second floor (quiet study, stacks) — {REFUGE}" in drawn(app)
                assert f"REFUSED TO LEAVE: Main floor (desk, computers, printers) — {REFUSED}" in drawn(app)
            if step.id == "call-manager":
                assert shown(app, "#step-call") == "CALL Manager, Library Services (on call): 705-555-0103"
                assert fully_visible(app, app.screen.query_one("#step-call"))
            seen.append(step.id)
            clock.advance(seconds=20)
            if step.kind == "yesno":
                await pilot.press("2")
            elif step.kind == "text":
                await pilot.press(*"20")
            elif step.kind == "number":
                await pilot.press("2")
            await pilot.press("enter")
            await pilot.pause()
        assert "meet-fire-department" in seen and "call-manager" in seen
        assert "NEEDS ASSISTANCE" in shown(app, "#summary")  # and on the run's summary


def test_every_call_step_names_a_contact_the_site_has(site):
    """The runner shows the number from site.contacts: every bundled call step must find one."""
    protocols = [p for p in PROCEDURES if p.kind == "emergency"]
    assert len(protocols) == 16
    calls = {(p.id, s.id): s.call for p in protocols for s in p.steps if s.call}
    assert len(calls) >= 30
    missing = {where: call for where, call in calls.items() if call not in site.contacts}
    assert missing == {}


async def test_a_call_to_a_contact_missing_from_the_site_says_so(store, site, shift, clock):
    app = SoloShiftApp(store, site._replace(contacts={k: v for k, v in site.contacts.items()
                                                      if k != "security"}), procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await walk_to(app, pilot, clock, "Call Campus Security")
        assert shown(app, "#step-call").startswith("CALL: no 'security' contact in site.toml")


def test_the_draft_incident_report_carries_the_sweep_summary(store, site, shift):
    fire = next(p for p in PROCEDURES if p.id == "fire-alarm")
    run = runs.start_run(store, shift, fire)
    sweep.record(store, run.id, "lower", "clear")
    sweep.record(store, run.id, "second", "assistance", REFUGE)
    sweep.record(store, run.id, "third", "not_checked")
    fields = timeline.incident_draft_fields(store, run, site, "Sam")
    after = fields["actions"].split("Sweep summary for the fire department:\n", 1)[1].splitlines()
    assert after == ["  " + line for line in sweep.run_summary(store, run.id, site.zones)]
    assert after[0] == f"  NEEDS ASSISTANCE: Second floor (quiet study, stacks) — {REFUGE}"
    assert after[1].startswith("  NOT CHECKED: Main floor (desk, computers, printers); Third floor")


def test_a_protocol_without_a_sweep_adds_no_sweep_summary(store, site, shift):
    medical = next(p for p in PROCEDURES if p.id == "medical")
    run = runs.start_run(store, shift, medical)
    assert "Sweep summary" not in timeline.incident_draft_fields(store, run, site, "Sam")["actions"]


async def open_sweep_with_four_people_inside(app, pilot, clock) -> None:
    """The sweep screen with two people refusing to leave, two waiting at areas of refuge,
    two zones clear and two not yet checked (the third floor and the upper washrooms)."""
    await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
    run_id = app.screen.run.id
    for zone, status, detail in (("lower", "clear", ""), *FOUR_PEOPLE, ("stairwells", "clear", "")):
        sweep.record(app.store, run_id, zone, status, detail)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, SweepScreen)


async def test_with_four_people_inside_the_whole_summary_and_a_few_zones_fit_the_sweep_screen(
        store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await open_sweep_with_four_people_inside(app, pilot, clock)
        await pilot.pause()
        assert screen_lines(app)[0].strip() == "DIAL 9-911   ·   Campus Security (24 h): 705-555-0100"
        summary = app.screen.query_one("#sweep-summary")
        assert fully_visible(app, summary)
        whole = summary.get_content_height(summary.region.size, app.size, summary.region.width)
        assert summary.region.height == whole  # every line of it: nothing to scroll
        on_screen = drawn(app)
        for _zone, status, detail in FOUR_PEOPLE:  # people first, each with where and who
            label = "REFUSED TO LEAVE" if status == "refused" else "NEEDS ASSISTANCE"
            assert label in on_screen and detail in on_screen, detail
        assert on_screen.index("NEEDS ASSISTANCE") < on_screen.index("NOT CHECKED")
        unchecked = on_screen[on_screen.index("NOT CHECKED: "):]
        assert "Third floor" in unchecked and "Second and third floor washrooms" in unchecked
        assert "Clear: " in unchecked
        # The zone list keeps a few rows, each zone on one line (its details are in the summary).
        zones = app.screen.query_one("#sweep-zones")
        assert zones.region.height >= 4
        visible = [line for line in app.screen.query(".sweep-zone") if fully_visible(app, line)]
        assert len(visible) >= 3 and all(line.region.height == 1 for line in visible)


async def test_every_step_after_the_sweep_keeps_its_title_instructions_and_answer_on_screen(
        store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await open_sweep_with_four_people_inside(app, pilot, clock)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # the two zones not reached: reported as not checked
        await pilot.pause()
        seen = []
        while shown(app, "#run-progress") != "All steps done":
            await pilot.pause()
            step = app.screen.step()
            assert fully_visible(app, app.screen.query_one("#step-title")), step.id
            if step.instructions:
                assert fully_visible(app, app.screen.query_one("#step-instructions")), step.id
            if step.call:
                assert fully_visible(app, app.screen.query_one("#step-call")), step.id
            if step.places:  # "Where: ..." (the assembly point) is part of the step: never pushed off
                assert fully_visible(app, app.screen.query_one("#step-where")), step.id
                assert "Where: Assembly point:" in drawn(app), step.id
            # The summary is below the step, in a box of its own that starts on screen.
            box = app.screen.query_one("#run-sweep")
            assert box.region.height >= 2 and Region(0, 0, *app.size).contains_region(box.region), step.id
            assert "For the fire department (from the sweep):" in drawn(app), step.id
            if step.id == "meet-fire-department":  # ↓ scrolls the rest of the summary into view
                assert box.max_scroll_y > 0
                await pilot.press("down", "down")
                await pilot.pause()
                assert box.scroll_y == 2 and fully_visible(app, app.screen.query_one("#step-title"))
            clock.advance(seconds=20)
            if step.kind == "yesno":
                assert fully_visible(app, app.screen.query_one("#step-options")), step.id
                assert "1 yes" in drawn(app) and "2 no" in drawn(app)
                await pilot.press("2")
            elif step.kind == "text":
                assert fully_visible(app, app.screen.query_one("#step-value")), step.id
                await pilot.press(*"Captain Reyes 20:05")
                await pilot.pause()
                assert "Captain Reyes 20:05" in drawn(app), step.id  # what is typed is seen
            elif step.kind == "number":
                assert fully_visible(app, app.screen.query_one("#step-value")), step.id
                await pilot.press("2")
            seen.append(step.id)
            await pilot.press("enter")
            await pilot.pause()
        assert {"needs-assistance", "building-clear", "assembly-point", "head-count", "meet-fire-department",
                "fire-department-arrived", "all-clear", "call-manager", "cause"} <= set(seen)


async def test_with_room_the_whole_summary_stays_in_view_below_every_step(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await open_sweep_with_four_people_inside(app, pilot, clock)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        while shown(app, "#run-progress") != "All steps done":
            await pilot.pause()
            step = app.screen.step()
            summary = app.screen.query_one("#step-sweep")
            assert fully_visible(app, summary), step.id
            assert summary.region.y > app.screen.query_one("#step-title").region.bottom
            if step.kind == "yesno":
                assert fully_visible(app, app.screen.query_one("#step-options")), step.id
                await pilot.press("2")
            elif step.kind == "text":
                assert fully_visible(app, app.screen.query_one("#step-value")), step.id
                await pilot.press(*"20")
            elif step.kind == "number":
                assert fully_visible(app, app.screen.query_one("#step-value")), step.id
                await pilot.press("2")
            await pilot.press("enter")
            await pilot.pause()


async def test_a_mark_stays_on_its_zone_and_only_the_arrows_move(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
        run_id = app.screen.run.id
        await pilot.press("enter")
        await pilot.pause()
        assert "a mark stays on its zone" in drawn(app)
        await pilot.press("c")
        await pilot.pause()
        # In columns: the zone, its result, the time it was reported.
        assert app.screen.cursor == 0 and re.search(r"▶ Lower level \(stacks, microfilm room\) clear 19:\d\d ",
                                                    drawn(app))
        await pilot.press("down", "r")  # the habit the hint teaches: move, then mark
        await pilot.pause()
        await pilot.press(*REFUSED, "enter")
        await pilot.pause()
        assert app.screen.cursor == 1
        await pilot.press("down", "a")
        await pilot.pause()
        await pilot.press(*REFUGE, "enter")
        await pilot.pause()
        assert app.screen.cursor == 2
        statuses = {r.zone.id: (r.status, r.detail) for r in sweep.results(store, run_id, site.zones) if r.recorded}
        assert statuses == {"lower": ("clear", ""), "main-floor": ("refused", REFUSED),
                            "second": ("assistance", REFUGE)}


async def test_a_fast_burst_of_down_c_down_c_marks_the_two_zones_it_passes(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
        run_id = app.screen.run.id
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "c", "down", "c", "down", "down", "u")  # no pause between keys
        await pilot.pause()
        statuses = {r.zone.id: r.status for r in sweep.results(store, run_id, site.zones) if r.recorded}
        assert statuses == {"main-floor": "clear", "second": "clear", "washrooms-main": "not_checked"}
        assert app.screen.cursor == 4


def burst(app, *keys: str) -> None:
    """Keys as a keyboard wedge or a paste sends them: all queued at once, none handled in between
    (pilot.press waits for the app to be idle after each key, which hides this)."""
    for key in keys:
        char = key if len(key) == 1 else None
        name = {" ": "space", ";": "semicolon", "[": "left_square_bracket", "]": "right_square_bracket",
                "-": "minus"}.get(key, key)
        event = events.Key(name, char)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_keys_typed_behind_the_enter_that_saves_a_description_never_reach_it(store, site, shift, clock):
    """A burst (a keyboard wedge, a paste: "Enter ↓ a" with no gap): the description is saved exactly,
    the keys behind its Enter are not typed into it, and nothing else is marked."""
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
        run_id = app.screen.run.id
        await pilot.press("enter")
        await pilot.pause()
        sweep_screen = app.screen
        await pilot.press("down", "r")
        await pilot.pause()
        await pilot.press(*REFUSED)
        burst(app, "enter", "down", "a", "u", "c", "c", "c", "c")
        for _ in range(5):
            await pilot.pause()
        found = [r for r in sweep.results(store, run_id, site.zones) if r.recorded]
        assert [(r.zone.id, r.status, r.detail) for r in found] == [("main-floor", "refused", REFUSED)]
        assert store.rows("SELECT COUNT(*) AS n FROM sweep_results")[0]["n"] == 1
        # Whatever of the burst reached the sweep, the person is still told to the fire department.
        while app.screen is not sweep_screen:
            await pilot.press("escape")
            await pilot.pause()
        assert "REFUSED TO LEAVE: Main floor" in shown(app, "#sweep-summary")


async def test_marking_a_zone_with_a_person_again_asks_first_and_y_alone_replaces(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
        run_id = app.screen.run.id
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await pilot.press(*REFUSED, "enter")
        await pilot.pause()
        for key in ("a", "c", "u", "r"):  # each asks; Enter, n and Esc keep the person
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, Confirm), key
            assert "already has a person recorded" in drawn(app)
            await pilot.press("enter", "c", "u")
            await pilot.pause()
            assert isinstance(app.screen, Confirm), "only y replaces a person"
            await pilot.press("n" if key != "r" else "escape")
            await pilot.pause()
            assert isinstance(app.screen, SweepScreen)
        found = {r.zone.id: (r.status, r.detail) for r in sweep.results(store, run_id, site.zones) if r.recorded}
        assert found == {"lower": ("refused", REFUSED)}
        assert "REFUSED TO LEAVE: Lower level" in shown(app, "#sweep-summary")
        # y on a person mark: the description starts from the one recorded, to add to it.
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.screen.query_one("#answer").value == REFUSED
        await pilot.press(*"; and one wheelchair user", "enter")
        await pilot.pause()
        found = {r.zone.id: (r.status, r.detail) for r in sweep.results(store, run_id, site.zones) if r.recorded}
        assert found == {"lower": ("assistance", REFUSED + "; and one wheelchair user")}
        # y on clear: the person has left.
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        found = {r.zone.id: r.status for r in sweep.results(store, run_id, site.zones) if r.recorded}
        assert found == {"lower": "clear"}


async def test_the_sweep_title_says_how_many_entries_wait_for_storage(store, site, shift, clock, monkeypatch):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
        await pilot.press("enter")
        await pilot.pause()
        assert "waiting for storage" not in drawn(app)
        monkeypatch.setattr(app.core, "waiting", lambda: 3)
        app.screen.tick()
        await pilot.pause()
        assert " · waiting for storage" in screen_lines(app)[1]


@pytest.mark.parametrize("answer, injury", [("yes", "critical"), ("no", None)])
def test_a_critical_injury_said_in_the_walkthrough_makes_the_draft_one(store, site, shift, answer, injury):
    """Its legal duties follow: the form asks who was hurt, and saving creates the follow-ups."""
    medical = next(p for p in PROCEDURES if p.id == "medical")
    run = runs.start_run(store, shift, medical)
    run = runs.record_answer(store, run, medical.step("critical-injury"), answer)
    fields = timeline.incident_draft_fields(store, run, site, "Sam")
    assert fields.get("injury") == injury and fields.get("severity") == ("high" if injury else None)

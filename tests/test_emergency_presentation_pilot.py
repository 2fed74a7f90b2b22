"""The emergency at a glance, at 80×24: found by name in the palette, never left by one stray
Esc, shown on the desk while it is open, a drill that cannot pass for a real event, the
likeliest protocols first, steps that say the number as the DIAL line does, and a sweep whose
results read apart in their colours."""

from __future__ import annotations

from pathlib import Path

from textual.color import Color
from textual.geometry import Region

from conftest import ROOT, local, shown
from shift import runs, sweep
from shift.procedures import LIKELIEST_FIRST, Step, dialled_title, emergency_protocols, load_procedures, parse_procedure
from test_colour_pilot import colour_of, var
from test_sweep_80x24 import REFUGE, REFUSED, drawn, screen_lines, sweep_with_people_inside, walk_to
from tui.app import SoloShiftApp
from tui.ask import Confirm
from tui.desk import DeskScreen
from tui.emergency import EmergencyPicker, EmergencyScreen
from tui.runner import RunnerScreen
from tui.sweep import SweepScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")
DIAL = "DIAL 9-911   ·   Campus Security (24 h): 705-555-0100"


def background_of(widget) -> str:
    """The colour behind the widget's first drawn character, as #rrggbb."""
    line = widget.render_lines(Region(0, 0, widget.size.width, 1))[0]
    first = next(iter(line))
    return Color.from_rich_color(first.style.bgcolor).hex


def palette_titles(app) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


# -- the command palette ------------------------------------------------------------


async def test_the_palette_names_each_emergency_and_never_offers_the_plain_runner_for_one(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        titles = palette_titles(app)
        emergencies = [p for p in PROCEDURES if p.kind == "emergency"]
        for protocol in emergencies:
            assert f"emergency: {protocol.short_title.lower()}" in titles, protocol.id
            assert f"procedure: run {protocol.title.lower()}" not in titles, protocol.id
        assert "emergency: fire alarm" in titles and "emergency: medical emergency or injury" in titles
        assert any(t.startswith("procedure: run ") for t in titles)  # routine procedures are still there


async def test_ctrl_p_fire_enter_opens_the_fire_alarm_with_the_number_to_dial(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", *"fire")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, EmergencyScreen)  # not the plain runner, which has no DIAL line
        assert app.screen.run.procedure.id == "fire-alarm" and not app.screen.run.drill
        assert screen_lines(app)[0].strip() == DIAL
        assert shown(app, "#emergency-clock").startswith("Started 19:30:00")
        # The palette over the walkthrough starts no second emergency on top of it (as F8 there does not).
        await pilot.press("ctrl+p", *"medical")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, EmergencyScreen) and app.screen.run.procedure.id == "fire-alarm"
    assert [r.procedure.id for r in runs.open_runs(store, shift)] == ["fire-alarm"]


# -- leaving a walkthrough, and the desk while it is open -------------------------------


async def test_esc_asks_before_leaving_and_the_desk_then_shows_the_emergency_in_red(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f", "enter")  # the alarm is sounding: step 1 done
        await pilot.pause()
        assert shown(app, "#run-progress").startswith("Step 2 of ")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert "Leave the Fire alarm walkthrough?" in shown(app, ".title")
        await pilot.press("enter")  # Enter is not yes
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen) and shown(app, "#run-progress").startswith("Step 2 of ")
        await pilot.press("escape", "y")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        [run] = runs.open_runs(store, shift)
        total = len(run.visible_steps())
        line = app.screen.query_one("#emergency-line")
        assert line.display
        assert str(line.content) == f"EMERGENCY IN PROGRESS: Fire alarm, step 2 of {total} — F8, then f"
        assert screen_lines(app)[3].strip().startswith("EMERGENCY IN PROGRESS: Fire alarm, step 2 of")
        assert background_of(line) == var(app, "error")
        assert not app.screen.query_one("#drill-line").display
        assert "In progress: Fire alarm" not in drawn(app)  # said once, as the emergency it is
        await pilot.press("f8", "f")  # and it resumes where it was left
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen) and shown(app, "#run-progress").startswith("Step 2 of ")
        assert not app.screen.run.drill


def test_the_desk_lists_real_emergencies_first_then_drills_then_procedures(store, site, shift, clock):
    fire, medical = (next(p for p in PROCEDURES if p.id == pid) for pid in ("fire-alarm", "medical"))
    closing = next(p for p in PROCEDURES if p.kind == "closing")
    runs.start_run(store, shift, closing)
    clock.advance(minutes=1)
    runs.start_run(store, shift, medical, drill=True)
    clock.advance(minutes=1)
    run = runs.start_run(store, shift, fire)
    runs.record_answer(store, run, fire.steps[0])
    found = runs.in_progress(store, shift)
    assert [(i.procedure_id, i.level) for i in found] == [("fire-alarm", "error"), ("medical", "drill"),
                                                         (closing.id, "normal")]
    assert found[0].line("F8", "F2").startswith("EMERGENCY IN PROGRESS: Fire alarm, step 2 of ")
    assert found[1].line("F8", "F2").startswith("DRILL IN PROGRESS: Medical emergency or injury, step 1 of ")
    assert found[2].line("F8", "F2") == f"In progress: {closing.title} ({found[2].where}) — F2 to resume"
    assert found[2].where.startswith("step 1 of ")


# -- a drill ----------------------------------------------------------------------------


async def test_a_drill_says_do_not_dial_in_its_own_colour_on_every_screen(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f")  # a real event first: its red, for comparison
        await pilot.pause()
        red = background_of(app.screen.query_one("#emergency-dial"))
        assert red == var(app, "error")
        await pilot.press("escape", "y")
        await pilot.pause()
        await pilot.press("f8", "tab", "m")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen) and app.screen.run.drill
        assert screen_lines(app)[0].strip() == "DRILL — do not dial 9-911   ·   Campus Security (24 h): 705-555-0100"
        drill = background_of(app.screen.query_one("#emergency-dial"))
        assert drill != red and drill == var(app, "secondary")
        assert shown(app, "#step-title") == "Call 9-911"
        assert shown(app, "#step-call").startswith("DRILL — do not dial.")
        await pilot.press("escape", "y")
        await pilot.pause()
        desk = app.screen
        assert str(desk.query_one("#drill-line").content).startswith("DRILL IN PROGRESS: Medical emergency or injury")
        assert background_of(desk.query_one("#drill-line")) == drill
        assert background_of(desk.query_one("#emergency-line")) == red  # the real one stays red
        # A fire drill's sweep says it too, on its top line.
        await pilot.press("f8", "tab", "f")
        await pilot.pause()
        await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        assert screen_lines(app)[0].strip().startswith("DRILL — do not dial 9-911")
        assert background_of(app.screen.query_one("#sweep-dial")) == drill


# -- the picker ---------------------------------------------------------------------------


def test_the_picker_lists_the_likeliest_first_and_a_sites_own_protocol_after_them(tmp_path):
    protocols, _ = emergency_protocols(PROCEDURES)
    assert [p.id for p in protocols] == list(LIKELIEST_FIRST)
    assert [p.key for p in protocols[:3]] == ["f", "m", "p"]  # fire alarm, medical, disruptive person
    text = (ROOT / "procedures" / "emergency" / "flood.toml").read_text()
    own, problems = parse_procedure(text.replace('id = "flood"', 'id = "archive-flood"')
                                    .replace('key = "w"', 'key = "x"')
                                    .replace('title = "Water leak or flood"', 'title = "Archive vault flood"', 1),
                                    Path("procedures/emergency/archive-flood.toml"))
    assert own is not None, problems
    ordered, _ = emergency_protocols([*PROCEDURES, own])
    assert [p.id for p in ordered][-1] == "archive-flood"
    assert [p.id for p in ordered][:-1] == list(LIKELIEST_FIRST)


async def test_the_picker_shows_fire_alarm_first_with_each_key_in_the_key_colour(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyPicker)
        listing = app.screen.query_one("#protocol-keys")
        lines = str(listing.content).splitlines()
        assert lines[0].split()[:3] == ["f", "Fire", "alarm:"]
        assert lines[1].split()[:2] == ["m", "Medical"]
        assert lines[-1].split()[:2] == ["l", "Lockdown"]
        key = var(app, "text-accent")
        assert colour_of(listing, "f   Fire alarm") == key
        assert colour_of(listing, "Fire alarm") == var(app, "foreground")  # the title is plain text
        assert colour_of(listing, "l   Lockdown") == key


# -- what a call step says ----------------------------------------------------------------


def test_a_call_steps_number_is_shown_as_the_site_dials_it():
    call = Step("call-911", "Call 911: say it may be an overdose", call="emergency")
    assert dialled_title(call, "9-911") == "Call 9-911: say it may be an overdose"
    assert dialled_title(call, "112") == "Call 112: say it may be an overdose"
    assert dialled_title(call, "911") == call.title
    assert dialled_title(call, None) == call.title  # no contact: as written (the CALL box says it is missing)
    assert dialled_title(Step("a", "Call 911"), "9-911") == "Call 911"  # not a call step: as written
    assert dialled_title(Step("b", "Call Facilities within 15 minutes", call="facilities"),
                         "705-555-0101") == "Call Facilities within 15 minutes"  # two digits: not a number to dial


async def test_the_call_step_agrees_with_the_dial_line_and_its_instruction_is_not_grey(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f", "enter")
        await pilot.pause()
        assert shown(app, "#step-title") == "Call 9-911"
        assert screen_lines(app)[0].strip().startswith("DIAL 9-911")
        message = app.screen.query_one("#run-message")
        assert str(message.content).startswith("Enter as soon as the call is made")
        assert colour_of(message, "Enter as soon") == var(app, "foreground")
        await pilot.press("enter")  # the next step's hint is a hint again, in the muted grey
        await pilot.pause()
        assert colour_of(message, "Enter when done") != var(app, "foreground")


async def test_the_plain_runner_also_says_the_number_as_dialled(store, site, shift):
    """The same title wherever a protocol is shown (the summary at the end of a run too)."""
    fire = next(p for p in PROCEDURES if p.id == "fire-alarm")
    run = runs.start_run(store, shift, fire)
    run = runs.record_answer(store, run, fire.steps[0])
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RunnerScreen(run))
        await pilot.pause()
        assert shown(app, "#step-title") == "Call 9-911"


# -- the sweep ----------------------------------------------------------------------------


def test_each_sweep_result_has_its_state(site):
    zone, at = site.zones[0], local(2026, 11, 24, 19, 31)
    pending = sweep.ZoneResult(zone, "not_checked")
    assert (pending.status_text, pending.level) == ("not yet reported", "warning")
    could_not = sweep.ZoneResult(zone, "not_checked", at=at)
    assert (could_not.status_text, could_not.level) == ("COULD NOT CHECK", "error")
    assert sweep.ZoneResult(zone, "clear", at=at).level == "success"
    assert sweep.ZoneResult(zone, "refused", "x", at=at).level == "error"
    assert sweep.ZoneResult(zone, "assistance", "x", at=at).status_text == "NEEDS ASSISTANCE"


async def test_sweep_results_read_apart_in_their_colours_in_columns_with_their_times(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await sweep_with_people_inside(app, pilot, clock)
        await pilot.pause()
        zones = [app.screen.query_one(f"#sweep-zone-{n}") for n in range(5)]
        expected = [("clear", "text-success"), ("REFUSED TO LEAVE", "text-error"), ("NEEDS ASSISTANCE", "text-error"),
                    ("COULD NOT CHECK", "text-error"), ("not yet reported", "text-warning")]
        for line, (status, colour) in zip(zones, expected, strict=True):
            assert colour_of(line, status) == var(app, colour), status
        # Columns: every result starts in the same column, each reported zone's time in the next.
        lines = [str(line.content) for line in zones]
        columns = {text.index(status) for text, (status, _) in zip(lines, expected, strict=True)}
        assert len(columns) == 1
        [column] = columns
        times = [text[column + sweep.STATUS_WIDTH:].split() for text in lines]
        assert [t[0] for t in times[:4]] == ["19:31"] * 4 and times[4] == []
        assert colour_of(zones[0], "Lower level") == var(app, "foreground")  # the zone's name is plain
        assert REFUSED in shown(app, "#sweep-summary") and REFUGE in shown(app, "#sweep-summary")


async def test_finishing_with_zones_not_yet_reported_asks_and_only_y_finishes(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await sweep_with_people_inside(app, pilot, clock)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        question = shown(app, ".title")
        assert question.startswith(f"{len(site.zones) - 4} zones are not yet reported: Main floor washrooms")
        assert "Third floor" not in question.split("\n")[0]  # reported as not checked: not pending
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen)
    assert store.rows("SELECT COUNT(*) AS n FROM step_outcomes WHERE step_id = 'sweep'")[0]["n"] == 1


# -- the picture ---------------------------------------------------------------------------


def test_fire_alarm_sweep_snapshot_at_80x24(snap_compare, store, site, shift, clock, request):
    """The sweep as the marshal sees it at 80×24, reviewed: the number to dial on the top line,
    each kind of result, and the fire department's summary, all on the one screen."""
    seen: list[str] = []

    async def to_the_sweep(pilot) -> None:
        app = pilot.app
        await pilot.press("f8", "f")
        await pilot.pause()
        await sweep_with_people_inside(app, pilot, clock)
        await pilot.pause()
        seen.extend(screen_lines(app))

    assert snap_compare(SoloShiftApp(store, site, procedures=PROCEDURES), run_before=to_the_sweep,
                        terminal_size=(80, 24))
    assert seen[0].strip() == DIAL
    words = " ".join(" ".join(line.split()) for line in seen)
    for fact in ("Floor sweep · 00:01:20 elapsed", "clear 19:31", "REFUSED TO LEAVE 19:31", "NEEDS ASSISTANCE 19:31",
                 "COULD NOT CHECK 19:31", "not yet reported", "For the fire department:",
                 "NEEDS ASSISTANCE: Second floor", "REFUSED TO LEAVE: Main floor", "NOT CHECKED: Third floor",
                 "Clear: Lower level"):
        assert fact in words, fact
    picture = (ROOT / "tests" / "__snapshots__" / "test_emergency_presentation_pilot"
               / "test_fire_alarm_sweep_snapshot_at_80x24.svg")
    if not request.config.getoption("--snapshot-update"):  # an updated picture is written at the end
        assert "9-911" in picture.read_text()  # the picture itself has the number on it


async def test_f1_in_a_walkthrough_says_where_its_words_come_from(store, site, shift):
    """Facts shown to a worker in an emergency carry their source: F1 lists the protocol's."""
    from tui.help import HelpScreen

    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "m")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        note = "\n".join(str(n.content) for n in app.screen.query(".note"))
        assert "Where this comes from:" in note
        assert "Occupational Health and Safety Act" in note and "R.S.O. 1990, c. O.1, s. 51" in note


async def test_every_protocol_of_the_picker_is_on_screen_at_80x24(store, site, shift):
    """Lockdown comes last (least likely) and must still be seen, with the drill switch."""
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        await pilot.pause()
        keys = app.screen.query_one("#protocol-keys")
        assert keys.region.bottom <= app.size.height - 1  # inside the dialog's border
        listed = str(keys.content).splitlines()
        assert len(listed) == len([p for p in PROCEDURES if p.kind == "emergency"])
        assert "Lockdown" in listed[-1] or any("lockdown" in line.lower() for line in listed)
        assert "Tab: drill mode" in str(app.screen.query(".note").first().content)

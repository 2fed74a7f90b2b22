"""Emergencies: one key from every screen, the first screen's facts, drills kept apart, nothing hidden."""

import shutil

from conftest import ROOT, shown
from shift.procedures import BUNDLED, load_procedures
from shift.runs import open_runs
from shift.shifts import open_shift
from shift.site import fallback_site
from tui.app import SoloShiftApp
from tui.emergency import EmergencyPicker, EmergencyScreen
from tui.start import StartShiftScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")


def fire_runs(store):
    return store.rows("SELECT r.*, v.procedure_id AS pid FROM procedure_runs r "
                      "JOIN procedure_versions v ON v.sha256 = r.version_sha256 WHERE r.procedure_id = 'fire-alarm'")


async def test_the_emergency_key_works_from_every_screen(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(100, 30)) as pilot:
        for open_first in ((), ("f1",), ("f4",), ("l",)):
            await pilot.press(*open_first)
            await pilot.pause()
            under = type(app.screen)
            await pilot.press("f8")
            await pilot.pause()
            assert isinstance(app.screen, EmergencyPicker), (open_first, under)
            await pilot.press("escape")
            await pilot.pause()
            assert type(app.screen) is under
            while len(app.screen_stack) > 1:
                await pilot.press("escape")
                await pilot.pause()


async def test_fire_alarm_first_screen(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen)
        assert shown(app, "#emergency-dial") == "DIAL 9-911   ·   Campus Security (24 h): 705-555-0100"
        assert shown(app, "#emergency-address").startswith("Address for 911: 1 Example Road, Peterborough")
        assert shown(app, "#emergency-clock") == "Started 19:30:00 · 00:00:00 elapsed"
        assert shown(app, "#run-progress").startswith("Step 1 of ")
        clock.advance(seconds=75)
        await pilot.press("enter")
        await pilot.pause(1.1)
        assert shown(app, "#emergency-clock") == "Started 19:30:00 · 00:01:15 elapsed"
    [run] = fire_runs(store)
    assert run["drill"] == 0
    outcome = store.rows("SELECT step_id, recorded_at FROM step_outcomes")[0]
    assert outcome["recorded_at"] == "2026-11-25T00:31:15.000000+00:00"  # timestamped when done


async def test_drills_are_recorded_apart(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "tab")
        assert "DRILL MODE" in shown(app, "#drill-state")
        await pilot.press("f")
        await pilot.pause()
        assert shown(app, "#emergency-clock").startswith("DRILL · Started")
        await pilot.press("escape", "y", "f8")
        await pilot.pause()
        # Left unfinished, it is not yet a drill held: the date comes once it is finished.
        assert "No fire drill in the past year (none recorded)" in str(app.screen.query(".note").first().content)
    assert fire_runs(store)[0]["drill"] == 1


async def test_a_real_alarm_after_an_abandoned_drill_is_recorded_as_real(store, site, shift, clock):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "tab", "f")  # a drill, left after its first step
        await pilot.pause()
        await pilot.press("enter", "escape", "y")
        await pilot.pause()
        clock.advance(minutes=10)
        await pilot.press("f8")  # the real alarm
        await pilot.pause()
        assert "IN PROGRESS" in shown(app, "#protocol-keys")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen) and not app.screen.run.drill
        assert shown(app, "#emergency-clock").startswith("Started 19:40:00")  # not "DRILL ·", not the drill's start
        assert shown(app, "#run-progress").startswith("Step 1 of ")  # nothing of the drill carried over
        await pilot.press("enter")
        await pilot.pause()
    drill, real = sorted(fire_runs(store), key=lambda r: r["started_at"])
    assert (drill["drill"], real["drill"]) == (1, 0)
    ended = {r["run_id"] for r in store.rows("SELECT run_id FROM run_ends")}
    assert ended == {drill["id"]}  # the abandoned drill is ended; the real event is open
    by_run = store.rows("SELECT run_id, COUNT(*) AS n FROM step_outcomes GROUP BY run_id ORDER BY n")
    assert {(r["run_id"], r["n"]) for r in by_run} == {(drill["id"], 1), (real["id"], 1)}
    assert [r.id for r in open_runs(store, shift)] == [real["id"]]


async def test_an_emergency_before_anyone_signs_in(store, site):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, StartShiftScreen)
        await pilot.press("f8", "m")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen)
    shift = open_shift(store)
    assert shift.worker == "(not signed in)"
    assert [r.procedure.id for r in open_runs(store, shift)] == ["medical"]


async def test_broken_protocol_files_fall_back_to_the_bundled_copy(store, site, shift, tmp_path):
    folder = tmp_path / "procedures"
    shutil.copytree(ROOT / "procedures", folder)
    (folder / "emergency" / "fire-alarm.toml").write_text("id = broken\n")
    (folder / "emergency" / "medical.toml").unlink()
    procedures, problems = load_procedures(folder)
    assert "fire-alarm" not in {p.id for p in procedures}
    app = SoloShiftApp(store, site, procedures=procedures, procedure_problems=problems)
    assert sorted(app.emergency_fallbacks) == ["fire-alarm", "medical"]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        listing = shown(app, "#protocol-keys")
        assert " f   Fire alarm: evacuate the building" in listing and " m   Medical emergency" in listing
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen)


async def test_a_broken_site_file_still_shows_a_number_to_dial(store, shift):
    app = SoloShiftApp(store, fallback_site(), procedures=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        assert shown(app, "#emergency-dial").startswith("DIAL 911 (site file not loaded")
        assert len(app.emergency_protocols) == len(list(BUNDLED.glob("*.toml"))) == 16


def test_first_emergency_screen_snapshot(snap_compare, store, site, shift):
    assert snap_compare(SoloShiftApp(store, site, procedures=PROCEDURES), press=["f8", "f"], terminal_size=(80, 24))


async def test_fire_alarm_with_sweep_refusal_refuge_and_all_clear(store, site, shift, clock):
    from shift import sweep
    from tui.ask import Confirm
    from tui.sweep import SweepScreen

    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        while shown(app, "#step-title") != "Sweep the zones you can reach safely":
            clock.advance(seconds=20)
            await pilot.press("enter")
            await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        await pilot.press("c")  # first zone clear
        await pilot.press("down", "r")  # a mark stays on its zone: ↓ moves on
        await pilot.pause()
        await pilot.press(*"Carrel 212; appears to be a student, in a grey hoodie", "enter")
        await pilot.pause()
        await pilot.press("down", "a")
        await pilot.pause()
        await pilot.press(*"Stairwell B landing, 3rd floor: wheelchair user", "enter")
        await pilot.pause()
        summary = shown(app, "#sweep-summary")
        assert "NEEDS ASSISTANCE: Second floor (quiet study, stacks) — Stairwell B landing" in summary
        assert "REFUSED TO LEAVE: Main floor (desk, computers, printers) — Carrel 212" in summary
        assert "NOT CHECKED:" in summary and "Stairwells A and B" in summary
        await pilot.press("enter")  # zones still pending: asked first
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert "5 zones are not yet reported" in shown(app, ".title")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen)
        while shown(app, "#step-title") != "Who gave the all-clear, and when?":
            step = app.screen.step()
            if step.kind == "yesno":
                await pilot.press("2")
            elif step.kind == "choice":
                await pilot.press("1")
            elif step.kind == "text":
                await pilot.press(*"n/a")
            elif step.kind == "number":  # the head count of staff on duty
                await pilot.press("3")
            await pilot.press("enter")
            await pilot.pause()
            if not isinstance(app.screen, EmergencyScreen):  # a note asked for
                await pilot.press(*"note", "enter")
                await pilot.pause()
        await pilot.press("ctrl+s")  # in a text field, Ctrl+S is skip
        assert "cannot be skipped" in shown(app, "#run-message")
        await pilot.press(*"Captain Reyes, Peterborough Fire Services, 20:05", "enter")
        await pilot.pause()
    [run] = fire_runs(store)
    results = {r.zone.id: r.status for r in sweep.results(store, run["id"], site.zones)}
    assert list(results.values())[:3] == ["clear", "refused", "assistance"]
    assert list(results.values())[3:] == ["not_checked"] * (len(site.zones) - 3)
    timeline = store.rows("SELECT step_id, status, answer, recorded_at FROM step_outcomes ORDER BY recorded_at")
    assert timeline[-1]["step_id"] == "all-clear"
    assert timeline[-1]["answer"] == "Captain Reyes, Peterborough Fire Services, 20:05"
    assert [t["step_id"] for t in timeline].index("sweep") < len(timeline) - 1


async def test_failing_storage_never_stops_the_emergency_screen(store, site, shift):
    import sqlite3
    from unittest import mock

    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    broken = mock.patch.object(type(store), "_write", side_effect=sqlite3.OperationalError("disk I/O error"))
    async with app.run_test(size=(100, 30)) as pilot:
        with broken:
            await pilot.press("f8", "f")  # even the start cannot be written
            await pilot.pause()
            assert isinstance(app.screen, EmergencyScreen)
            assert shown(app, "#run-progress").startswith("Step 1 of")
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert shown(app, "#run-progress").startswith("Step 3 of")  # the screen carried on
            await pilot.pause(1.1)
            assert " · waiting for storage" in shown(app, "#emergency-clock")
            assert store.rows("SELECT COUNT(*) AS n FROM step_outcomes")[0]["n"] == 0
        # Storage returns: the background retry writes everything, in order.
        for _ in range(60):
            if not store.pending:
                break
            await pilot.pause(0.1)
        assert store.pending == []
    assert len(fire_runs(store)) == 1
    steps = store.rows("SELECT step_id FROM step_outcomes ORDER BY recorded_at, rowid")
    assert len(steps) == 2


def test_sweep_results_and_notes_wait_in_memory_when_storage_fails(store, site, shift):
    import sqlite3
    from unittest import mock

    from shift import runs, sweep

    fire = next(p for p in PROCEDURES if p.id == "fire-alarm")
    run = runs.start_run(store, shift, fire)
    with mock.patch.object(type(store), "_write", side_effect=sqlite3.OperationalError("disk full")):
        sweep.record(store, run.id, "lower", "refused", "Carrel 12; appears to be an adult in a red coat")
        run = runs.add_note(store, run, fire.steps[0], "Alarm was already sounding", resilient=True)
        assert [r.status for r in sweep.results(store, run.id, site.zones)][:1] == ["refused"]  # shown at once
        assert run.notes_for(fire.steps[0].id)[0].text == "Alarm was already sounding"
        assert len(store.pending) == 2
    assert store.flush_pending() == 0
    assert store.rows("SELECT status FROM sweep_results") == [{"status": "refused"}]
    assert runs.load_run(store, run.id).notes_for(fire.steps[0].id)[0].text == "Alarm was already sounding"


async def test_the_command_palette_finds_the_emergency_picker(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"emergency protocols")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, EmergencyPicker)


async def _walk_to_the_end(app, pilot, clock):
    """Answer every step of the emergency on screen (sweep: first zone clear) and finish it."""
    from tui.sweep import SweepScreen

    while isinstance(app.screen, (EmergencyScreen, SweepScreen)) and app.screen.query("#step-title"):
        step = app.screen.step()
        clock.advance(seconds=30)
        if step is None:  # the summary: Enter finishes
            await pilot.press("enter")
            await pilot.pause()
            return
        if step.kind == "yesno":
            await pilot.press("2")
        elif step.kind == "choice":
            await pilot.press("1")
        elif step.kind == "text":
            await pilot.press(*("Captain Reyes, 20:05" if step.id == "all-clear" else "20"))
        elif step.kind == "number":  # within its range: an answer outside it asks for a confirmation
            await pilot.press(*f"{step.minimum or 0:g}")
        await pilot.press("enter")
        await pilot.pause()
        if isinstance(app.screen, SweepScreen):
            await pilot.press("c", "enter")
            await pilot.pause()
            await pilot.press("y")  # the other zones: finish the sweep anyway
            await pilot.pause()
        elif not isinstance(app.screen, EmergencyScreen):  # a note asked for
            await pilot.press(*"note", "enter")
            await pilot.pause()


async def test_after_a_real_emergency_a_draft_incident_is_offered_and_kept(store, site, shift, clock):
    from shift.incidents import open_drafts
    from tui.ask import Confirm
    from tui.incident import IncidentFormScreen

    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f8", "m")  # medical emergency
        await pilot.pause()
        await _walk_to_the_end(app, pilot, clock)
        assert isinstance(app.screen, Confirm)
        assert "Write the incident report now?" in shown(app, ".title")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, IncidentFormScreen)
        [draft] = open_drafts(store)  # kept whatever the person does next
    fields = draft.fields
    assert fields["category"] == "Medical emergency"
    assert fields["reporter"] == "Sam"
    assert "call made to Police, fire, ambulance (9-911)" in fields["actions"]
    assert fields["security_called_at"] is not None
    assert draft.run_id == store.rows("SELECT id FROM procedure_runs")[0]["id"]


async def test_a_drill_offers_no_incident_report(store, site, shift, clock):
    from shift.incidents import open_drafts
    from tui.desk import DeskScreen

    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f8", "tab", "f")  # Tab: drill mode
        await pilot.pause()
        assert app.screen.run.drill
        await _walk_to_the_end(app, pilot, clock)
        assert isinstance(app.screen, DeskScreen)  # straight back: no incident report offered
    assert open_drafts(store) == []
    assert store.rows("SELECT COUNT(*) AS n FROM run_ends")[0]["n"] == 1

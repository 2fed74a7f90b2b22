"""Keys that matter are not editing keys: acknowledging is offered only while an alarm is raised."""

from __future__ import annotations

from conftest import ROOT, shown
from shift import checkins
from shift.procedures import load_procedures
from tui.app import SoloShiftApp
from tui.ask import AskText
from tui.desk import DeskScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")


def kinds(store, shift):
    return [e["kind"] for e in checkins.events(store, shift)]


async def test_ctrl_k_in_a_text_field_is_only_editing(store, full_site, shift):
    checkins.record(store, shift, "checkin")  # on time: no alarm
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()), procedures=PROCEDURES)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("l")  # log with details: a form with text fields
        await pilot.pause()
        await pilot.press(*"note", "home", "ctrl+k", *"Smith")
        await pilot.pause()
        assert not isinstance(app.screen, AskText)
        await pilot.press("ctrl+g")  # the acknowledge key does nothing without an alarm
        await pilot.pause()
        assert not isinstance(app.screen, AskText)
    assert not {"acknowledged", "panic", "escalation"} & set(kinds(store, shift))


async def test_the_acknowledge_key_answers_a_raised_alarm(store, full_site, shift):
    checkins.record(store, shift, "checkin")
    checkins.record(store, shift, "panic")
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()), procedures=PROCEDURES)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert "Ctrl+G when answered" in shown(app, "#checkin-line")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        await pilot.press(*"Campus Security, J. Diaz", "enter")
        await pilot.pause()
        assert "ALARM" not in shown(app, "#checkin-line")
    assert kinds(store, shift)[-1] == "acknowledged"


async def test_an_unexpected_error_is_logged_and_the_desk_goes_on(store, full_site, shift, caplog):
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()), procedures=PROCEDURES)
    app.survive_errors = True  # as in a real terminal

    def broken(code):
        raise RuntimeError("a fault of ours")

    app.core.check_in = broken
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("f5", "enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, DeskScreen)
        await pilot.press("d")  # the desk still takes entries
        await pilot.pause()
        assert shown(app, "#saved").startswith("Saved")
    assert "a fault of ours" in caplog.text and "Traceback" in caplog.text


def answer_everything(store, run):
    """Record an answer for every step still to do (as the walkthrough would)."""
    from shift import runs

    while (step := run.current()) is not None:
        if step.kind == "check":
            run = runs.record_answer(store, run, step)
        elif step.kind in ("yesno", "choice"):
            run = runs.record_answer(store, run, step, step.options()[-1], note="noted")
        elif step.kind == "number":
            run = runs.record_answer(store, run, step, str(step.minimum or 0), confirm=True)
        else:
            run = runs.record_answer(store, run, step, "drill")
    return run


async def test_the_desk_shows_a_drill_in_progress_and_then_its_date_at_once(store, full_site, shift):
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=(), checkins=None), procedures=PROCEDURES)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        header = app.screen.query_one("#header")
        assert "No drill recorded" in header.text()
        await pilot.press("f8", "tab", "f")
        await pilot.pause()
        await pilot.press("escape", "y")  # left to resume later (after a y)
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert shown(app, "#drill-line").startswith("DRILL IN PROGRESS: Fire alarm, step 1 of")
        await pilot.press("f8", "tab", "f")  # resumed
        await pilot.pause()
        app.screen.run = answer_everything(store, app.screen.run)
        app.screen.finish()
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert not app.screen.query_one("#drill-line").display
        assert "Last drill: 24 Nov 2026" in header.text()


async def test_leaving_the_closing_procedure_shows_the_shorter_deadline_at_once(store, full_site, shift, clock):
    from conftest import local

    clock.moment = local(2026, 11, 24, 22, 35)
    checkins.record(store, shift, "checkin")
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()), procedures=PROCEDURES)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "Next check-in by 23:35" in shown(app, "#checkin-line")
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert "Next check-in by 22:55" in shown(app, "#checkin-line")


async def test_signing_in_after_an_emergency_from_the_start_screen_names_the_shift(store, site):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await pilot.press("escape", "y")  # left to resume later: back on the start screen
        await pilot.pause()
        app.screen.show_status()
        assert shown(app, "#start-status").startswith("EMERGENCY IN PROGRESS: Fire alarm, step 1 of ")
        assert shown(app, "#start-status").endswith(" — F8, then f")
        await pilot.press(*"Alice", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen) and app.screen.shift.worker == "Alice"
        assert "On duty: Alice" in app.screen.query_one("#header").text()
        assert shown(app, "#emergency-line").startswith("EMERGENCY IN PROGRESS: Fire alarm")  # the same shift's run
    assert store.rows("SELECT worker FROM shift_signins") == [{"worker": "Alice"}]

"""The procedure runner, driven with Pilot: answers, skips, notes, corrections, resume, summary."""

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from conftest import shown
from shift.procedures import parse_procedure
from shift.runs import open_runs
from test_runs import CLOSING
from tui.app import SoloShiftApp
from tui.ask import AskText, Confirm
from tui.desk import DeskScreen
from tui.procedures import ProcedurePicker
from tui.runner import RunnerScreen


@pytest.fixture
def procedure():
    parsed, problems = parse_procedure(CLOSING, Path("procedures/closing-test.toml"))
    assert problems == []
    return parsed


def outcomes(store):
    return store.rows("SELECT step_id, status, answer, reason, out_of_range, corrects FROM step_outcomes "
                      "ORDER BY recorded_at, rowid")


async def open_runner(pilot):
    await pilot.press("f4")
    await pilot.pause()
    assert isinstance(pilot.app.screen, RunnerScreen)


async def test_a_closing_run_from_start_to_summary(store, site, shift, procedure, clock):
    app = SoloShiftApp(store, site, procedures=[procedure])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_runner(pilot)
        assert shown(app, "#run-progress") == "Step 1 of 6 (+1 if needed)"
        assert shown(app, "#step-title") == "Announce: closing in 15 minutes"
        assert "The library closes in 15 minutes." in shown(app, "#step-announce")
        assert shown(app, "#step-due") == "Due 22:45"
        await pilot.press("s")  # a required step: a reason is needed
        assert isinstance(app.screen, AskText)
        await pilot.press("enter")
        assert "needs an answer" in shown(app, "#ask-error")
        await pilot.press(*"PA broken", "enter")
        await pilot.pause()
        assert shown(app, "#run-progress") == "Step 2 of 6 (+1 if needed)"

        await pilot.press("enter")  # yes/no with nothing chosen: refused, nothing written
        assert "Choose an answer first" in shown(app, "#run-message")
        assert len(outcomes(store)) == 1
        await pilot.press("2", "enter")  # "no" needs a note
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        await pilot.press(*"Film [jams]", "enter")
        await pilot.pause()
        # The follow-up step appeared: numbered after the step that called for it, same total.
        assert shown(app, "#run-progress") == "Step 2a of 6 (+1 if needed)"
        assert shown(app, "#step-title") == "Report the reader to facilities"
        await pilot.press("enter")

        assert shown(app, "#step-title") == "Count the cash float"
        assert app.screen.query_one("#step-value", Input).has_focus
        await pilot.press(*"312.50", "enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.press(*"Counted twice", "enter")
        await pilot.pause()
        assert "Note: Counted twice" in shown(app, "#step-notes")
        await pilot.press("ctrl+s", "enter")  # optional: skipped without a reason
        await pilot.pause()
        await pilot.press("down", "down", "enter", "enter")
        await pilot.pause()

        summary = shown(app, "#summary")
        assert "Skipped (2):" in summary and "Announce: closing in 15 minutes — PA broken" in summary
        assert "Count the cash float — $312.5 (expected $150 to $250)" in summary
        assert "Is the microfilm reader working? — Film [jams]" in summary
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert open_runs(store, shift) == []
        assert "closing-test: finished" in shown(app, "#log")
    rows = outcomes(store)
    assert [(r["step_id"], r["status"]) for r in rows] == [
        ("announce-15", "skipped"), ("reader", "answered"), ("report-reader", "done"), ("cash", "answered"),
        ("windows", "skipped"), ("state", "answered"), ("lock-main-doors", "done"),
    ]
    assert rows[3]["out_of_range"] == 1 and rows[5]["answer"] == "messy"


async def test_looking_back_and_correcting_records_a_new_row(store, site, shift, procedure):
    app = SoloShiftApp(store, site, procedures=[procedure])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_runner(pilot)
        await pilot.press("enter", "1", "enter")
        await pilot.pause()
        assert shown(app, "#step-title") == "Count the cash float"
        await pilot.press("pageup")
        assert shown(app, "#step-title") == "Is the microfilm reader working?"
        assert "answered yes" in shown(app, "#step-earlier")
        await pilot.press("pageup", "pagedown", "pagedown")
        assert shown(app, "#step-title") == "Count the cash float"
        await pilot.press("pageup", "2", "enter")
        await pilot.press(*"It jammed after all", "enter")
        await pilot.pause()
        assert shown(app, "#step-title") == "Report the reader to facilities"
    rows = outcomes(store)
    assert [(r["step_id"], r["answer"]) for r in rows[1:]] == [("reader", "yes"), ("reader", "no")]
    assert rows[2]["corrects"] is not None


async def test_leaving_and_coming_back_resumes_the_same_step(store, site, shift, procedure):
    app = SoloShiftApp(store, site, procedures=[procedure])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_runner(pilot)
        await pilot.press("enter")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert "In progress: Closing (test) (step 2 of 6)" in shown(app, "#suggest")
    app = SoloShiftApp(store, site, procedures=[procedure])  # as after a restart
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f2")
        assert isinstance(app.screen, ProcedurePicker)
        await pilot.press("enter")
        await pilot.pause()
        assert shown(app, "#step-title") == "Is the microfilm reader working?"
    assert len(store.rows("SELECT id FROM procedure_runs")) == 1


async def test_late_steps_stand_out(store, site, shift, procedure, clock):
    clock.advance(hours=3, minutes=20)  # 22:50: the 22:45 announcement is late
    app = SoloShiftApp(store, site, procedures=[procedure])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_runner(pilot)
        due = app.screen.query_one("#step-due", Static)
        assert str(due.content) == "Due 22:45 — LATE by 5 min" and due.has_class("late")


async def test_the_desk_offers_closing_as_closing_nears(store, site, shift, procedure, clock):
    clock.advance(hours=2, minutes=50)  # 22:20, closing at 23:00
    app = SoloShiftApp(store, site, procedures=[procedure])
    async with app.run_test(size=(100, 40)):
        assert "Suggested: Closing (test) — press F4" in shown(app, "#suggest")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "procedure: run closing (test)" in titles and "procedure: closing" in titles


async def test_a_missing_procedure_kind_is_a_message_not_a_crash(store, site, shift):
    app = SoloShiftApp(store, site, procedures=[])
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert any("No opening procedure is loaded" in n.message for n in app._notifications)


async def test_the_app_lists_every_good_procedure_and_says_how_many_are_broken(store, site, shift, tmp_path):
    import shutil

    from conftest import ROOT
    from shift.procedures import load_procedures

    folder = tmp_path / "procedures"
    shutil.copytree(ROOT / "procedures", folder)
    shutil.copytree(ROOT / "tests" / "broken_procedures", folder / "broken")
    procedures, problems = load_procedures(folder)
    assert not [p for p in problems if p.is_error and "/broken/" not in p.file]
    app = SoloShiftApp(store, site, procedures=procedures, procedure_problems=problems)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f2")
        picker = app.screen
        assert isinstance(picker, ProcedurePicker)
        listing = picker.query_one("#procedure-list")
        labels = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert sorted(label.split("  (")[0] for label in labels) == [
            "Closing the library", "Floor walk", "Opening the library"]
        warning = [str(s.content) for s in picker.query(Static) if "have errors" in str(s.content)]
        assert warning == ["12 procedure file(s) have errors and are not listed: run `python main.py check`."]

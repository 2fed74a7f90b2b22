"""At a glance at 80x24: the procedure runner and the keys, as a person with a patron waiting sees them."""

from pathlib import Path

import pytest
from textual.widgets import Input

from conftest import shown
from shift import checkins
from shift.keymap import key_label, keys_label, safety_first, types_text, usable_keys
from shift.procedures import parse_procedure
from tui.app import SoloShiftApp
from tui.ask import Confirm
from tui.help import HelpScreen
from tui.runner import RunnerScreen

LONG = "\n".join(f"{n}. A line of the cash procedure a coordinator wrapped by hand, step {n}." for n in range(1, 13))
CASH = f'''
id = "closing-cash"
title = "Closing (cash)"
kind = "closing"
owner = "Coordinator"
reviewed = 2026-10-01

[[steps]]
id = "reader"
title = "Is the microfilm reader working?"
kind = "yesno"

[[steps]]
id = "report-reader"
title = "Report the reader to facilities"
show_if = {{ step = "reader", answer = "no" }}

[[steps]]
id = "cash"
title = "Count and secure the cash"
kind = "number"
unit = "$"
show = "fees"
min = 150
max = 250
instructions = """
{LONG}
"""

[[steps]]
id = "lock"
title = "Lock the main doors"
'''


@pytest.fixture
def cash_procedure(tmp_path):
    parsed, problems = parse_procedure(CASH, tmp_path / "closing.toml")
    assert problems == []
    return parsed


def outcomes(store):
    return store.rows("SELECT step_id, answer, out_of_range FROM step_outcomes ORDER BY recorded_at, rowid")


def in_sight(app, widget) -> bool:
    """The widget is drawn on screen, above the message and key lines: whatever is at its middle
    is the widget itself (not clipped by its scrolling container, not under another widget)."""
    region = widget.region
    if region.area == 0 or region.bottom > app.size.height - 2:
        return False
    found, _ = app.screen.get_widget_at(*region.center)
    return found is widget


async def test_the_typed_cash_count_stays_in_sight_and_the_total_never_changes(store, site, shift, cash_procedure):
    app = SoloShiftApp(store, site, procedures=[cash_procedure])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, RunnerScreen)
        assert shown(app, "#run-progress") == "Step 1 of 3 (+1 if needed)"
        await pilot.press("2", "enter")  # "no": the conditional step appears
        await pilot.pause()
        assert shown(app, "#step-title") == "Report the reader to facilities"
        assert shown(app, "#run-progress") == "Step 1a of 3 (+1 if needed)"  # the total stands
        await pilot.press("enter")
        await pilot.pause()
        assert shown(app, "#step-title") == "Count and secure the cash"
        assert shown(app, "#run-progress") == "Step 2 of 3 (+1 if needed)"
        field = app.screen.query_one("#step-value", Input)
        assert field.has_focus
        await pilot.press(*"212.50")
        await pilot.pause()
        assert field.value == "212.50"
        assert in_sight(app, field)  # under twelve lines of instructions and the fees box, at 80x24
        # Only keys that work in a number field: no letters (they would be typed, or refused).
        bar = str(app.screen.query_one("KeyBar").content)
        assert "Ctrl+S Skip" in bar and "Ctrl+N Note" in bar and "Enter Answer" in bar
        assert " s Skip" not in bar and " n Note" not in bar
        await pilot.press("enter")
        await pilot.pause()
        assert shown(app, "#run-progress") == "Step 3 of 3 (+1 if needed)"
        assert not app.screen.query_one("#step-value").display
        bar = str(app.screen.query_one("KeyBar").content)
        assert "s Skip" in bar and "n Note" in bar  # a step without a field: the letters work again
    assert [row["answer"] for row in outcomes(store)] == ["no", None, "212.5"]


async def test_an_out_of_range_count_is_not_recorded_by_a_second_enter(store, site, shift, cash_procedure):
    app = SoloShiftApp(store, site, procedures=[cash_procedure])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("1", "enter")  # reader works: no conditional step
        await pilot.pause()
        await pilot.press(*"312.50", "enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("enter")  # the reflexive second Enter: no
        await pilot.pause()
        assert isinstance(app.screen, RunnerScreen)
        assert shown(app, "#step-title") == "Count and secure the cash"
        assert app.screen.query_one("#step-value", Input).value == "312.50"  # kept, to correct
        assert "Not recorded" in shown(app, "#run-message")
        assert [row["step_id"] for row in outcomes(store)] == ["reader"]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # only y records it
        await pilot.pause()
        assert shown(app, "#step-title") == "Lock the main doors"
    assert outcomes(store)[-1] == {"step_id": "cash", "answer": "312.5", "out_of_range": 1}


def test_one_key_notation():
    assert [key_label(k) for k in ("ctrl+e", "escape", "f7", "dollar_sign", "question_mark", "pageup", "enter",
                                   "slash", "s")] == ["Ctrl+E", "Esc", "F7", "$", "?", "PgUp", "Enter", "/", "s"]
    assert keys_label("s,ctrl+s") == "s, Ctrl+S"
    assert types_text("dollar_sign") and types_text("1") and not types_text("ctrl+s") and not types_text("f8")
    assert usable_keys("s,ctrl+s", in_text_field=True) == ["ctrl+s"]
    assert usable_keys("s,ctrl+s", in_text_field=False) == ["s", "ctrl+s"]
    ids = ["tally.undo", "checkin.acknowledge", "app.help", "checkin.now", "emergency.open", "checkin.panic"]
    assert [ids[i] for i in safety_first(ids)] == ["emergency.open", "checkin.now", "checkin.panic",
                                                  "checkin.acknowledge", "tally.undo", "app.help"]


async def test_help_lists_the_safety_keys_first_in_one_notation(store, full_site, shift):
    checkins.record(store, shift, "checkin")
    checkins.record(store, shift, "panic")  # an alarm is raised: its acknowledge key is offered
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = shown(app, "#help-keys").splitlines()
        assert [line.split()[0] for line in lines[:4]] == ["F8", "F5", "F12", "Ctrl+G"]
        text = "\n".join(lines)
        assert "F1, ?" in text and "Ctrl+E" in text and "$ " in text
        for old in ("^", "esc ", "dollar_sign", "question_mark", "key:"):
            assert old not in text, old
        await pilot.press("escape")
        await pilot.pause()
        palette = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert palette["circulation: offline circulation"].startswith("F7 · ")
        assert palette["money: fine or fee taken"].startswith("$ · ")
        assert palette["shift: end shift"].startswith("Ctrl+E · ")
        assert not [h for h in palette.values() if "key:" in h or "^" in h]
        assert str(app.screen.query_one("KeyBar").content).startswith("F8 EMERGENCY  F5 Check in")


def test_the_cash_count_step_at_80x24_snapshot(snap_compare, store, site, shift, cash_procedure):
    """The picture the test above reads: the typed count under the instructions and the fees box."""
    app = SoloShiftApp(store, site, procedures=[cash_procedure])
    assert snap_compare(app, press=["f4", "1", "enter", "2", "1", "2", ".", "5", "0"], terminal_size=(80, 24))
    picture = Path(__file__).parent / "__snapshots__" / "test_glance_runner_pilot" / \
        "test_the_cash_count_step_at_80x24_snapshot.svg"
    assert "212.50" in picture.read_text() and "Count&#160;and&#160;secure" in picture.read_text()

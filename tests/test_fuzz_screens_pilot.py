"""Fuzzing free text through the screens, driven with Pilot: what a person typed is shown as typed.

Hostile text (Textual/Rich markup, ANSI and C1 controls, NUL, HTML, formulas, right-to-left
marks, emoji, very long lines) goes in where a person types it: the name on duty, the tally
note (l), the incident form (F6), a procedure's text answer (recorded beforehand) and the
handover (Ctrl+E). Then the desk, the report (Ctrl+R), the incident browser (Ctrl+F) and
past shifts (Ctrl+D) are shown. Nothing raises; the marker typed with it shows literally
(no markup applied, no tag); the screen holds no control character a terminal would obey.

Pilot is slow: a few examples in the suite, more from a command (README, Trust):
    SOLO_SHIFT_FUZZ=large .venv/bin/python -m pytest tests/test_fuzz_screens_pilot.py -p no:randomly --timeout 0
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from textual.widgets import Input, Select, Static, TextArea

from conftest import local
from fuzzing import ANY_TEXT, LARGE, PROBE, examples, terminal_unsafe
from shift import runs
from shift.clock import FixedClock
from shift.procedures import parse_procedure
from shift.shifts import start_shift
from shift.store import Store
from test_incident_pilot import fill_required, open_form
from tui.app import SoloShiftApp
from tui.desk import DeskScreen
from tui.entry import DetailEntryScreen
from tui.incidents import IncidentBrowser
from tui.pastshifts import PastShiftsScreen
from tui.report import ReportScreen

PROCEDURE = '''id = "said"
title = "Refusal"
kind = "routine"
owner = "Coordinator"
reviewed = 2026-09-01
[[steps]]
id = "said"
title = "What was said"
kind = "text"
'''


def screen_text(app) -> str:
    """What the terminal shows (the SVG screenshot) and what each text on the screen renders,
    scrolled out of sight or not (a Static's visual: its text after markup, were it on)."""
    statics = "\n".join(str(widget.visual) for widget in app.screen.query(Static))
    return html.unescape(app.export_screenshot()).replace("\u00a0", " ") + "\n" + statics


def probe(field: str) -> str:
    """The marker typed before this field's text: markup would lose its brackets, HTML its tag."""
    return PROBE.replace("Z7", field)


def one_line(field: str, text: str) -> str:
    # An Input holds one line (a paste keeps its first); the marker leads, so it is in sight.
    return f"{probe(field)} {text.splitlines()[0] if text.splitlines() else text}"


def looked_at(app, where: str, *fields: str) -> None:
    shown = screen_text(app)
    for field in fields:
        assert probe(field) in shown, (where, field, shown[-3000:])
    assert not terminal_unsafe(shown), (where, terminal_unsafe(shown))


async def scenario(store: Store, site, texts: dict[str, str]) -> None:
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("l")
        assert isinstance(app.screen, DetailEntryScreen)
        app.screen.query_one("#category", Select).value = site.tally.categories[0].id
        app.screen.query_one("#note", Input).value = one_line("note", texts["note"])  # as pasted
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        looked_at(app, "desk", "note")

        form = await open_form(app, pilot)
        await fill_required(form, pilot, what=f"{probe('what')} {texts['what']}")
        form.query_one("#location", Input).value = one_line("location", texts["location"])
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen), app.screen

        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        looked_at(app, "report", "note", "step_note")  # a text answer is not in the report
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, IncidentBrowser)
        looked_at(app, "incidents", "what")
        await pilot.press("enter", "enter")  # from the filter to the list, and open the report
        await pilot.pause()
        looked_at(app, "incident", "what", "location")
        await pilot.press("escape", "escape")
        await pilot.pause()

        await pilot.press("ctrl+e")
        await pilot.pause()
        app.screen.query_one("#handover", TextArea).text = f"{probe('handover')} {texts['handover']}"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen), app.screen  # the finished shift's report
        looked_at(app, "report at the end", "handover")
        await pilot.press("enter")
        await pilot.pause()
        looked_at(app, "start screen", "handover", "worker")  # the handover, as the next person reads it
        start_shift(store, "Next", "main")

    app = SoloShiftApp(store, site)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, PastShiftsScreen)
        assert not terminal_unsafe(screen_text(app))
        await pilot.press("down", "enter")  # the hostile shift's report
        await pilot.pause()
        looked_at(app, "past shift", "handover", "note")


FIELDS = ("worker", "note", "what", "location", "answer", "step_note", "handover")
TEXTS = st.fixed_dictionaries({name: ANY_TEXT for name in FIELDS})


# Random examples only in the large run: a hostile name can bring up a dialog of its own (one
# that looks like a card number asks about identifiers), which the scenario does not drive yet,
# and Pilot examples are slow. The suite runs the fixed hostile example below.
@pytest.mark.skipif(not LARGE, reason="random screen examples run with SOLO_SHIFT_FUZZ=large")
@given(texts=TEXTS)
# Plain words too: a markup that fails to parse is shown as it is, so only text that parses
# shows whether markup is on (a screen with markup on loses the marker's [b]…[/b]).
@example(texts={name: "plain words" for name in FIELDS})
@settings(max_examples=examples(3, 40))
def test_hostile_text_is_shown_as_typed_on_every_screen(tmp_path_factory, site, texts):
    shown_as_typed(tmp_path_factory, site, texts)


FIXED = ("[b]bold?[/b] \x1b[31mred \x9b2J <script>x</script> =1+1 \u202eevil "
         "\U0001F469\u200d\U0001F4BB [@click=app.quit]")


def test_fixed_hostile_text_is_shown_as_typed_on_every_screen(tmp_path_factory, site):
    shown_as_typed(tmp_path_factory, site, {name: FIXED for name in FIELDS})


def shown_as_typed(tmp_path_factory, site, texts):
    folder = tmp_path_factory.mktemp("desk")
    clock = FixedClock(local(2026, 11, 24, 17, 30))
    store = Store.open(folder / "desk.db", clock=clock)
    try:
        shift = start_shift(store, one_line("worker", texts["worker"]), "main")
        procedure, problems = parse_procedure(PROCEDURE, Path("said.toml"))
        assert procedure is not None, problems
        run = runs.start_run(store, shift, procedure)
        step = procedure.steps[0]
        run = runs.record_answer(store, run, step, f"{probe('answer')} {texts['answer']}",
                                 note=f"{probe('step_note')} {texts['step_note']}")
        runs.finish_run(store, run)
        clock.advance(hours=2)
        asyncio.run(scenario(store, site, texts))
    finally:
        store.close()

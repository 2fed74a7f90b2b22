"""Typing not yet saved, kept through a crash: the buffer, the handover, the incident form."""

from textual.widgets import Input, Select, TextArea

from conftest import shown
from shift import unsaved
from shift.shifts import open_shift
from tui.app import SoloShiftApp
from tui.desk import DeskScreen
from tui.incident import IncidentFormScreen
from tui.report import ReportScreen

TYPED = "Printer 2 jammed [tray 3] <b>again</b> \x1b[31m"


def test_the_buffer_keeps_one_version_and_forgets_it_once_saved(store, shift, clock):
    assert unsaved.recover(store, shift.id, "handover") is None
    unsaved.keep(store, shift.id, "handover", {"handover": "Printer"})
    clock.advance(seconds=5)
    unsaved.keep(store, shift.id, "handover", {"handover": TYPED})
    fields, at = unsaved.recover(store, shift.id, "handover")
    assert fields == {"handover": TYPED} and at == clock.now()
    assert store.rows("SELECT COUNT(*) AS n FROM unsaved_text")[0]["n"] == 1  # earlier versions are not kept
    assert unsaved.recover(store, shift.id, "incident") is None  # each form apart
    unsaved.clear(store, shift.id, "handover")
    assert unsaved.recover(store, shift.id, "handover") is None
    assert store.rows("SELECT COUNT(*) AS n FROM unsaved_text")[0]["n"] == 0


async def test_a_handover_typed_and_left_comes_back_and_goes_once_the_shift_ends(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+e")
        app.screen.query_one("#handover", TextArea).text = TYPED
        app.screen.query_one("#followups-text", TextArea).text = "Call IT"
        await pilot.press("escape")  # by reflex
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen.query_one("#handover", TextArea).text == TYPED
        assert app.screen.query_one("#followups-text", TextArea).text == "Call IT"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert "Printer 2 jammed [tray 3] <b>again</b>" in shown(app, "#report-text")
    assert unsaved.recover(store, shift.id, "handover") is None


async def test_an_incident_half_typed_when_the_desk_closed_comes_back(store, site, shift):
    first = SoloShiftApp(store, site)
    async with first.run_test(size=(110, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        form = first.screen
        form.query_one("#what_happened", TextArea).text = "Water on the floor by the printers."
        form.query_one("#category", Select).value = site.incidents.categories[0]
        form.query_one("#location", Input).value = "room 204 [east]"
        for _ in range(200):  # kept a moment after the change (then the window closes)
            found = unsaved.recover(store, shift.id, "incident")
            if found and found[0]["location"] == "room 204 [east]":
                break
            await pilot.pause(0.05)
    second = SoloShiftApp(store, site)
    async with second.run_test(size=(110, 40), notifications=True) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        form = second.screen
        assert isinstance(form, IncidentFormScreen)
        assert form.query_one("#what_happened", TextArea).text == "Water on the floor by the printers."
        assert form.query_one("#category", Select).value == site.incidents.categories[0]
        assert form.query_one("#location", Input).value == "room 204 [east]"
        assert any("Brought back what was typed here before" in n.message for n in second._notifications)
        await pilot.press("escape", "y")  # given up on purpose: discarded
        await pilot.pause()
        assert isinstance(second.screen, DeskScreen)
    assert unsaved.recover(store, shift.id, "incident") is None
    assert open_shift(store) == shift

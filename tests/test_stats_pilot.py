"""The desk statistics screen: Ctrl+T from the desk and from the palette, the heat map and the
totals at 80×24 (scrolling for the rest), readable in both themes, Esc back to the desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.containers import VerticalScroll

from conftest import local, shown
from shift import tally
from shift.clock import to_iso
from test_contrast import THEMES, look, start_in
from tui.app import SoloShiftApp
from tui.desk import DeskScreen
from tui.stats import StatsScreen


def log_evening(store, site, shift, clock):
    """Three questions at 18:xx this Tuesday (one a void), two reference at 19:xx."""
    moment = clock.now()
    for minutes, category in ((-85, "directional"), (-80, "directional"), (-75, "technology"),
                              (-20, "reference"), (-10, "reference")):
        tally.record(store, site.tally, shift, category, occurred_at=moment + timedelta(minutes=minutes))
    clock.advance(seconds=1)
    tally.record(store, site.tally, shift, "circulation")
    tally.void_last(store, shift)  # the circulation entry: not counted


async def test_ctrl_t_opens_the_statistics_with_the_heat_map_and_esc_closes(store, site, shift, clock):
    log_evening(store, site, shift, clock)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        heat = shown(app, "#heat-average").splitlines()
        assert heat[0].split() == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        rows = {line[:3]: line for line in heat[1:]}
        # Tuesday is the second column. The desk's first record is this shift (17:30 today) and it
        # is 19:30: only 17h, 18h and 19h today count as open hours, once each.
        tuesday = slice(5 + 6, 5 + 12)
        assert rows["18h"][tuesday].strip() == "3.0"
        assert rows["19h"][tuesday].strip() == "2.0"
        assert rows["17h"][tuesday].strip() == "0.0"  # open, nothing logged: 0
        # Later tonight, the weeks before the first record, and closed hours: blank, not 0.
        assert rows["20h"][tuesday].strip() == "" and rows["22h"][5:11].strip() == ""
        assert rows["22h"][5 + 36:].strip() == "" and rows["18h"][5 + 30:5 + 36].strip() == ""
        assert "Questions and transactions: 5" in shown(app, ".stats-title")
        assert shown(app, "#stats-counted").startswith("Open hours counted from Tue 24 Nov 2026 17:30")
        # The title says whose figures and which dates, within 80 columns.
        head = shown(app, "#stats-head").splitlines()
        assert head == ["Desk statistics · all desks",
                        "Wed 28 Oct 2026 to Tue 24 Nov 2026 (local dates, inclusive)"]  # each fits 78
        assert app.screen.query_one("#stats-head").size.height == 2
        # Everything fits the width; the rest of the page is reached by scrolling.
        assert all(len(line) <= 78 for line in heat)
        body = app.screen.query_one("#stats-body", VerticalScroll)
        assert body.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)


async def test_the_palette_opens_the_statistics(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "stats: desk statistics" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("ctrl+p", *"desk statistics")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, StatsScreen)


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
async def test_every_heat_cell_reads_at_80x24(theme, tmp_path, store, site, shift, clock):
    """Each heat level's text on its colour, in both themes (levels 1 to 4 are all on screen)."""
    start_in(theme, tmp_path)
    for hour, count in ((10, 1), (11, 3), (12, 5), (13, 8)):  # Monday morning: one hour per level
        for n in range(count):
            at = to_iso(local(2026, 11, 23, hour, n))
            store.insert("tallies", {"shift_id": shift.id, "occurred_at": at, "recorded_at": at,
                                     "category": "directional", "channel": "in_person", "quantity": 1})
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        problems = await look(app, pilot, ("ctrl+t",), "statistics")
        levels = {cell.level for cell in app.screen.figures.grid.values() if cell.level}
        assert levels == {1, 2, 3, 4}
        problems += await look(app, pilot, ("pagedown",), "statistics, scrolled")
    assert not problems, "\n".join(problems)

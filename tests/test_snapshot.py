"""One picture of the desk screen, at a fixed moment, to catch layout regressions."""

from shift.shifts import start_shift
from shift.tally import record
from tui.app import SoloShiftApp


def test_desk_screen_snapshot(snap_compare, store, site, clock):
    clock.advance(hours=-2)
    shift = start_shift(store, "Sam Okafor", "main")
    clock.advance(hours=1)
    for category in ("directional", "directional", "technology", "circulation"):
        record(store, site.tally, shift, category)
        clock.advance(minutes=7)
    record(store, site.tally, shift, "reference", channel="phone", read_level=3, note="Room [A-12] <b>")
    clock.advance(minutes=32)
    assert snap_compare(SoloShiftApp(store, site), terminal_size=(120, 40))


def test_procedure_step_snapshot(snap_compare, store, site, clock):
    from pathlib import Path

    from shift.procedures import parse_procedure
    from test_runs import CLOSING

    procedure, _ = parse_procedure(CLOSING, Path("procedures/closing-test.toml"))
    clock.advance(hours=-2)
    start_shift(store, "Sam Okafor", "main")
    clock.advance(hours=5, minutes=20)  # 22:50: the 22:45 announcement is late
    app = SoloShiftApp(store, site, procedures=[procedure])
    assert snap_compare(app, press=["f4"], terminal_size=(100, 30))


def _busy_desk(store, full_site, clock):
    """A Tuesday at 22:47, shift since 18:00: the closing tasks due, a missed check-in alarm."""
    from conftest import local
    from shift import checkins

    clock.moment = local(2026, 11, 24, 18, 0)
    shift = start_shift(store, "Sam Okafor", "main")
    for category in ("directional", "reference", "technology"):
        record(store, full_site.tally, shift, category)
    clock.moment = local(2026, 11, 24, 22, 47)
    checkins.record(store, shift, "escalation", "0:email security")
    checkins.record(store, shift, "alert_failed", "0: cannot reach mail.library.example:587")
    return full_site._replace(email=None)


def _visible_text(app) -> str:
    """What the terminal shows, as text: the screenshot's characters, one row per line."""
    import re
    from html import unescape

    svg = app.export_screenshot()
    return unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_the_busy_desk_at_80x24_shows_total_due_now_the_alarm_and_a_one_line_key_bar(store, full_site, clock):
    site = _busy_desk(store, full_site, clock)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.core.tick(clock.now())
        app.refresh_timers()
        await pilot.pause()
        shown = _visible_text(app)
        assert "ALARM (missed check-in)" in shown and "FAILED" in shown
        assert "Due now" in shown and "Closing announcement: 30 minutes" in shown
        assert "Total                3      3" in shown
        assert "F8 EMERGENCY  F5 Check in" in shown and "F1 all keys" in shown
        assert app.screen.query_one("KeyBar").size.height == 1


def test_quiet_desk_snapshot_at_80x24(snap_compare, store, site, clock):
    shift = start_shift(store, "Sam Okafor", "main")
    record(store, site.tally, shift, "directional")
    assert snap_compare(SoloShiftApp(store, site), terminal_size=(80, 24))


def _in_view(app, widget) -> bool:
    """The widget is drawn inside the terminal, not scrolled below it."""
    region = widget.region
    return region.height > 0 and region.y >= 0 and region.bottom <= app.size.height


async def test_the_incident_form_and_f7_at_80x24_keep_what_is_typed_in_view(store, site):
    from textual.widgets import Input

    start_shift(store, "Sam Okafor", "main")
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing filled in: the first missing field gets the cursor
        await pilot.pause()
        focused = app.focused
        assert focused is not None and _in_view(app, focused), focused
        assert app.screen.query_one("#when", Input).value  # "When" starts at now
        await pilot.press("escape")
        await pilot.pause()
        if "y = yes" in _visible_text(app) or "Discard" in _visible_text(app):
            await pilot.press("y")
        await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()
        scan = app.focused
        assert scan is not None and _in_view(app, scan)
        shown = _visible_text(app)
        assert "MODE: LOAN" in shown and "Esc Back to desk" in shown
        assert app.screen.query_one("KeyBar").size.height == 1


def test_incident_form_snapshot_at_80x24(snap_compare, store, site):
    start_shift(store, "Sam Okafor", "main")
    assert snap_compare(SoloShiftApp(store, site), press=["f6"], terminal_size=(80, 24))


def test_offline_circulation_snapshot_at_80x24(snap_compare, store, site):
    start_shift(store, "Sam Okafor", "main")
    assert snap_compare(SoloShiftApp(store, site), press=["f7"], terminal_size=(80, 24))

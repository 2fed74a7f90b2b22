"""Colour means state on the desk: what is due or late is the warning colour, alarms and what is
overdue the error colour, headings neither; F9 works on every screen and is remembered."""

from __future__ import annotations

from textual.color import Color
from textual.geometry import Region

from conftest import ROOT, local
from shift import checkins
from shift.procedures import load_procedures
from shift.settings import load, settings_path
from tui.app import SoloShiftApp
from tui.checkin import CheckinScreen, PanicScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")


def colour_of(widget, text: str) -> str:
    """The colour `text` is drawn in (the first segment that holds its start), as #rrggbb."""
    for row in range(widget.size.height):
        line = widget.render_lines(Region(0, row, widget.size.width, 1))[0]
        plain = "".join(segment.text for segment in line)
        at = plain.find(text)
        if at < 0:
            continue
        seen = 0
        for segment in line:
            if seen + len(segment.text) > at:
                return Color.from_rich_color(segment.style.color).hex
            seen += len(segment.text)
    raise AssertionError(f"{text!r} is not drawn in {widget}")


def var(app, name: str) -> str:
    return Color.parse(app.get_css_variables()[name]).hex


async def test_a_countdown_takes_the_warning_colour_under_30_minutes_and_the_error_colour_under_5(
        store, site, shift, clock):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        header = app.screen.query_one("#header")
        seen = {}
        for hh, mm, expected in ((21, 0, "closes in 2 h"), (22, 47, "closes in 13 min"), (22, 56, "closes in 4 min")):
            clock.moment = local(2026, 11, 24, hh, mm)
            app.screen.tick()
            await pilot.pause()
            seen[expected] = colour_of(header, expected)
        assert seen["closes in 2 h"] == var(app, "foreground")
        assert seen["closes in 13 min"] == var(app, "text-warning")
        assert seen["closes in 4 min"] == var(app, "text-error")


async def test_overdue_is_red_a_near_deadline_a_warning_and_headings_plain(store, site, shift):
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(),
                               "text": "Form 7", "due_at": "2026-11-24T20:00:00.000000+00:00"})
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(),
                               "text": "Call the committee", "due_at": "2026-11-25T00:50:00.000000+00:00"})
    app = SoloShiftApp(store, site)  # 19:30: the first is overdue, the second due in 20 minutes
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log, counts = app.screen.query_one("#log"), app.screen.query_one("#counts")
        assert colour_of(log, "OVERDUE since") == var(app, "text-error")
        assert colour_of(log, "due Tue 24 Nov 19:50") == var(app, "text-warning")
        for widget, heading in ((log, "Recent log"), (log, "Deadlines"), (counts, "Desk statistics")):
            assert colour_of(widget, heading) == var(app, "foreground"), heading


async def test_check_in_now_is_a_warning_and_an_alarm_an_error_banner(store, full_site, shift, clock):
    clock.moment = local(2026, 11, 24, 18, 25)
    checkins.record(store, shift, "checkin")  # due again at 19:25: at 19:30 within the grace period
    clock.moment = local(2026, 11, 24, 19, 30)
    quiet = full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(escalation=()))
    app = SoloShiftApp(store, quiet, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = app.screen.query_one("#checkin-line")
        assert "CHECK IN NOW" in str(line.content)
        assert line.has_class("level-warning") and colour_of(line, "CHECK IN NOW") == var(app, "text-warning")
        checkins.record(store, shift, "panic")
        app.refresh_timers()
        await pilot.pause()
        assert "ALARM (panic)" in str(line.content) and line.has_class("level-error")
        assert line.styles.background.hex == var(app, "error")


async def test_the_panic_dialog_has_a_red_border(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        assert isinstance(app.screen, PanicScreen)
        dialog = app.screen.query_one("#dialog")
        assert dialog.styles.border.top[1].hex == var(app, "error")
        await pilot.press("escape")
        await pilot.press("f5")
        assert app.screen.query_one("#dialog").styles.border.top[1].hex != var(app, "error")


async def test_f9_works_in_a_dialog_and_is_remembered_at_the_next_start(tmp_path, store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "desk-dark"
        await pilot.press("f5")  # the check-in dialog, its code field focused
        assert isinstance(app.screen, CheckinScreen)
        await pilot.press("f9")
        assert app.theme == "high-contrast"
        assert app.screen.query_one("#code").value == ""  # F9 typed nothing
    assert load(settings_path(store.path)).high_contrast is True

    again = SoloShiftApp(store, site)
    async with again.run_test(size=(80, 24)) as pilot:
        assert again.theme == "high-contrast"
        await pilot.press("f12", "f9", "escape")  # in the panic countdown too
        assert again.theme == "desk-dark"
    assert load(settings_path(store.path)).high_contrast is False


async def test_f9_still_switches_when_the_choice_cannot_be_kept(tmp_path, store, site, shift, monkeypatch):
    from shift.files import FileRefused

    def refuse(path, data):
        raise FileRefused(f"Cannot write {path}: Read-only file system (nothing was written)")

    monkeypatch.setattr("shift.settings.replace_file", refuse)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("f9")
        assert app.theme == "high-contrast"
        said = [t.message for t in app.toasts.showing()]
        assert any("not remembered after a restart" in m and "Read-only" in m for m in said), said

"""The past-shifts browser at 80x24: newest first with its counts, the report on Enter, a file on o,
an email on e that tells what really happened (and never sends a demo shift)."""

import stat

from textual.widgets import DataTable, Static

from conftest import local
from shift.demo import write_demo
from shift.shifts import start_shift
from test_alerts import parsed, start_server
from test_pastshifts import busy_shift
from test_reportmail import mail_site
from tui.app import SoloShiftApp
from tui.pastshifts import PastShiftsScreen
from tui.report import ReportScreen


def status(app):
    return str(app.screen.query_one("#past-status", Static).content)


def row(app, index):
    table = app.screen.query_one("#past-list", DataTable)
    return [str(cell) for cell in table.get_row_at(index)]


async def test_past_shifts_list_report_file_and_email(request, store, site, clock):
    write_demo(store, site, days=3)  # made-up shifts before Jo's: never to be emailed
    jo = busy_shift(store, site, clock)
    clock.moment = local(2026, 11, 24, 17, 30)
    start_shift(store, "Sam", "main")
    handler, port = start_server(request)
    app = SoloShiftApp(store, mail_site(site, port))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):  # the desk emails Jo's ended shift by itself, once its timers start
            await pilot.pause(0.1)
            if handler.envelopes:
                break
        assert len(handler.envelopes) == 1
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, PastShiftsScreen)
        table = app.screen.query_one("#past-list", DataTable)
        assert table.row_count == len(store.rows("SELECT id FROM shifts"))
        assert row(app, 0)[:3] == ["Tue 2026-11-24", "17:30–open", "Sam"]
        assert row(app, 1) == ["Mon 2026-11-23", "17:30–22:00", "Jo", "1", "1", "2"]
        assert sum(col.get_render_width(table) for col in table.columns.values()) <= 80  # every column in sight

        await pilot.press("down")
        assert "Jo, Bata Library Service Desk: report emailed." == status(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen) and app.screen.shift_id == jo.id
        assert "Incident: Injury at 18:50" in str(app.screen.query_one("#report-text", Static).content)
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("o")
        written = store.path.parent / "exports" / "shift-report-2026-11-23-1730.html"
        assert status(app) == f"Wrote {written} (a printable page, readable by you only)."
        assert stat.S_IMODE(written.stat().st_mode) == 0o600 and "<h2>Incidents</h2>" in written.read_text()

        await pilot.press("down")  # the newest demo shift
        await pilot.press("e")
        await pilot.pause(0.3)
        assert status(app).startswith("Not emailed: this shift's report is never emailed (synthetic demo history")
        assert "sent" not in status(app).replace("never emailed", "")
        assert len(handler.envelopes) == 1

        await pilot.press("up", "e")  # Jo's, a real shift: sent again by hand, and recorded
        for _ in range(50):
            await pilot.pause(0.1)
            if len(handler.envelopes) == 2 and "Emailing" not in status(app):
                break
        assert status(app) == "Report emailed library-manager@lib.example.org at 17:30."
        assert [r["outcome"] for r in store.rows("SELECT outcome FROM report_emails WHERE shift_id = ?",
                                                  (jo.id,))] == ["sent", "sent"]


async def test_emailing_the_open_shift_early_still_sends_its_report_when_it_ends(request, store, site, clock):
    clock.moment = local(2026, 11, 24, 17, 30)
    start_shift(store, "Sam", "main")
    handler, port = start_server(request)
    app = SoloShiftApp(store, mail_site(site, port))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):  # the desk's timers start
            await pilot.pause(0.1)
            if app.timers is not None:
                break
        await pilot.press("ctrl+d")
        await pilot.pause()
        await pilot.press("e")  # the open shift: its report so far
        for _ in range(50):
            await pilot.pause(0.1)
            if handler.envelopes and "Emailing" not in status(app):
                break
        assert parsed(handler.envelopes[0])["Subject"].startswith("Shift report so far ")
        await pilot.press("escape")
        await pilot.pause()
        clock.advance(minutes=90)
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press(*"Keys with security.", "ctrl+s")
        for _ in range(50):  # the shift's own report goes out as it ends
            await pilot.pause(0.1)
            if len(handler.envelopes) == 2:
                break
        assert len(handler.envelopes) == 2
        final = parsed(handler.envelopes[1])
        assert final["Subject"] == "Shift report Tue 24 Nov: Sam, Bata Library Service Desk"
        assert "Keys with security." in final.get_body(("plain",)).get_content()


async def test_help_lists_enter_and_go_to_date_says_what_it_did(store, site, clock):
    from tui.ask import AskText
    from tui.help import HelpScreen

    clock.moment = local(2026, 11, 24, 17, 30)
    start_shift(store, "Sam", "main")
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+d")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert any(key == "Enter" for key, _ in app.screen.rows)
        await pilot.press("escape", "g")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        assert "Enter goes to the date · Esc cancels" in [str(s.content) for s in app.screen.query(Static)]
        await pilot.press(*"0001-01-01", "enter")
        await pilot.pause()
        assert status(app) == "No shift on or before Mon 0001-01-01."
        await pilot.press("g", *"9999-12-31", "enter")
        await pilot.pause()
        assert status(app) == "No shift on Fri 9999-12-31: the nearest before it is on Tue 2026-11-24."
        await pilot.press("g", *"2026-11-24", "enter")
        await pilot.pause()
        assert status(app) == "Sam, Bata Library Service Desk: report not emailed yet."

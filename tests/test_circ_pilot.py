"""The offline circulation screen, driven with Textual's Pilot: every scan a row, nothing lost."""

import sqlite3
from unittest import mock

from textual import events

from conftest import shown
from shift import circulation
from test_circulation import card, item
from tui.app import SoloShiftApp
from tui.checkin import CheckinScreen
from tui.circ import CircExportScreen, CirculationScreen, ScanInput
from tui.desk import DeskScreen
from tui.emergency import EmergencyPicker
from tui.help import HelpScreen


def rows(store):
    found = store.rows("SELECT t.action, t.item, p.patron FROM circ_transactions t "
                       "LEFT JOIN circ_patrons p ON p.txn_id = t.id ORDER BY t.rowid")
    return [(r["action"], r["item"], r["patron"]) for r in found]


def scan_box(app) -> ScanInput:
    return app.screen.query_one(ScanInput)


async def open_scan_screen(pilot):
    await pilot.press("f7")
    assert isinstance(pilot.app.screen, CirculationScreen)
    assert pilot.app.focused is scan_box(pilot.app)


async def test_patron_then_items_make_loans(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        assert "MODE: LOAN (card first)" in shown(app, "#circ-mode")
        await pilot.press(*card(1), "enter", *item(1), "enter", *item(2), "enter")
        assert rows(store) == [("loan", item(1), card(1)), ("loan", item(2), card(1))]
        assert shown(app, "#circ-patron") == f"Patron: ••••••••••{card(1)[-4:]}"
        assert card(1) not in shown(app, "#circ-list")  # masked on screen
        assert shown(app, "#circ-list").splitlines()[0].startswith(f"19:30:00  Loan          {item(2)}")
        assert "Loan 2" in shown(app, "#circ-counts")
        assert scan_box(app).value == "" and app.focused is scan_box(app)


async def test_a_bad_scan_shows_why_and_writes_nothing(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        with mock.patch.object(app, "bell") as bell:
            await pilot.press(*"12345", "enter")
        assert "neither a patron card nor an item barcode" in shown(app, "#circ-message")
        assert app.screen.query_one("#circ-message").has_class("-error")
        bell.assert_called()
        await pilot.press("ctrl+r", *item(1), "enter")  # an item needs no card in return mode
        assert rows(store) == [("return", item(1), None)]


async def test_a_loan_without_a_card_is_refused(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press(*item(1), "enter")
        assert "scan the patron's card first" in shown(app, "#circ-message")
        assert rows(store) == []


async def test_a_duplicate_warns_and_writes_nothing(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press("ctrl+r", *item(1), "enter", *item(1), "enter")
        assert len(rows(store)) == 1
        assert "already recorded at 19:30" in shown(app, "#circ-message")
        assert app.screen.query_one("#circ-message").has_class("-warning")


async def test_a_blocked_card_is_shown_loudly(store, site, shift, tmp_path):
    blocked = tmp_path / "blocked.csv"
    blocked.write_text(f"card,reason\n{card(1)},[b]Fines[/b] over $50\n")
    circulation.import_blocked(store, blocked)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        banner = app.screen.query_one("#circ-blocked")
        assert not banner.has_class("-shown")
        with mock.patch.object(app, "bell") as bell:
            await pilot.press(*card(1), "enter")
        bell.assert_called()
        assert banner.has_class("-shown") and banner.display
        assert "BLOCKED CARD" in shown(app, "#circ-blocked")
        assert "[b]Fines[/b] over $50" in shown(app, "#circ-blocked")  # the file's text, as written
        await pilot.press(*item(1), "enter")  # the person may still go on
        assert rows(store) == [("loan", item(1), card(1))]
        assert "WARNING: patron blocked" in shown(app, "#circ-message")
        await pilot.press(*card(2), "enter")
        assert not banner.has_class("-shown")


async def test_a_burst_of_twenty_scans_gives_twenty_rows(store, site, shift):
    """All 300 keys reach the app before any is handled, as from a scanner (pilot.press waits per key)."""
    app = SoloShiftApp(store, site)
    codes = [item(n) for n in range(100, 120)]
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press("ctrl+r")
        for code in codes:
            for digit in code:
                app.post_message(events.Key(digit, digit))
            app.post_message(events.Key("enter", "\r"))
        for _ in range(500):  # a bound, not a timing assertion: until every key is handled
            await pilot.pause(0.01)
            if len(rows(store)) >= 20 and scan_box(app).value == "":
                break
        await pilot.pause(0.05)
        assert [r[1] for r in rows(store)] == codes
        assert scan_box(app).value == ""


async def test_scans_typed_with_pilot_press_in_one_go(store, site, shift):
    app = SoloShiftApp(store, site)
    codes = [item(n) for n in range(100, 103)]
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press("ctrl+r", *[key for code in codes for key in (*code, "enter")])
        assert [r[1] for r in rows(store)] == codes


async def test_scanned_markup_and_escapes_are_shown_literally(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press(*"[red]x[/b]", "enter")
        assert "'[red]x[/b]' contains characters a barcode cannot have" in shown(app, "#circ-message")
        scan_box(app).post_message(events.Paste("\x1b[31mEVIL\n"))
        await pilot.pause()
        message = shown(app, "#circ-message")
        assert "'\\x1b[31mEVIL' contains control characters" in message and "\x1b" not in message
        assert rows(store) == []


async def test_pasted_lines_are_one_scan_each(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press("ctrl+r")
        scan_box(app).post_message(events.Paste(f"{item(1)}\r\n{item(2)}\n\n{item(3)}\n{item(4)}"))
        await pilot.pause()
        assert [r[1] for r in rows(store)] == [item(1), item(2), item(3)]
        assert scan_box(app).value == item(4)  # no line end yet: waits for Enter, as if typed
        await pilot.press("enter")
        assert len(rows(store)) == 4


async def test_a_database_error_keeps_the_scan_in_the_box(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press("ctrl+r")
        with mock.patch.object(type(store), "insert", side_effect=sqlite3.OperationalError("disk I/O error")):
            await pilot.press(*item(1), "enter")
        assert "NOT SAVED (database error: disk I/O error)" in shown(app, "#circ-message")
        assert scan_box(app).value == item(1)
        assert rows(store) == []
        await pilot.press("enter")  # the disk is back: Enter tries again
        assert rows(store) == [("return", item(1), None)]
        assert scan_box(app).value == ""


async def test_undo_records_a_void(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press("ctrl+r", *item(1), "enter", *item(2), "enter", "ctrl+u")
        assert [r["txn_id"] for r in store.rows("SELECT txn_id FROM circ_voids")] == [
            store.rows("SELECT id FROM circ_transactions ORDER BY rowid")[1]["id"]]
        assert f"Undone: Return {item(2)}" in shown(app, "#circ-message")
        assert item(2) not in shown(app, "#circ-list")
        assert "Return 1" in shown(app, "#circ-counts")


async def test_export_dialog_writes_to_the_exports_folder(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        await pilot.press("ctrl+r", *item(1), "enter", "ctrl+x")
        assert isinstance(app.screen, CircExportScreen)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, CirculationScreen)
        written = store.path.parent / "exports" / "circ-main-20261124-1930.dat"
        assert written.read_bytes() == b"202611241930R" + item(1).encode().ljust(80) + b"\r\n"
        assert f"Wrote 1 transaction(s) to {written}" in shown(app, "#circ-message")
        assert app.focused is scan_box(app)


async def test_app_keys_still_work_and_escape_goes_back(store, full_site, shift):
    app = SoloShiftApp(store, full_site)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scan_screen(pilot)
        keybar = str(app.screen.query_one("KeyBar").content)
        for words in ("Esc Back to desk", "Ctrl+L Loan", "Ctrl+R Return", "Ctrl+U Undo last scan", "F1 all keys"):
            assert words in keybar
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Undo last scan" in shown(app, "#help-keys")
        assert "Ctrl+N" in shown(app, "#help-keys")  # renewals: in help when the bar has no room
        await pilot.press("escape")
        await pilot.press("f5")
        assert isinstance(app.screen, CheckinScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CirculationScreen)
        await pilot.press("f8")
        assert isinstance(app.screen, EmergencyPicker)
        await pilot.press("escape")
        assert isinstance(app.screen, CirculationScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DeskScreen)


async def test_a_prompt_due_during_a_burst_of_scans_fires_during_it(tmp_path, site):
    """200 scans typed as one burst (a scanner, a pasted list) keep the loop busy for seconds;
    a prompt that comes due in the middle is acted on as the next key arrives, not after."""
    from conftest import local
    from shift.clock import OffsetClock, to_iso
    from shift.shifts import start_shift
    from shift.store import Store
    from shift.tasks import Task
    from shift.timespec import parse_timespec
    from test_sweep_80x24 import burst

    clock = OffsetClock(local(2026, 11, 24, 19, 29, 59))
    store = Store.open(tmp_path / "desk.db", clock=clock)
    start_shift(store, "Sam", "main")
    task = Task("hold-shelf", "Check the hold shelf", at=parse_timespec("19:30"))
    app = SoloShiftApp(store, site._replace(tasks=(task,)))
    async with app.run_test(size=(120, 40)) as pilot:
        while app.timers is None or app.timers.due_at is None:
            await pilot.pause(0.05)
        await open_scan_screen(pilot)
        clock.offset = OffsetClock(local(2026, 11, 24, 19, 29, 59, 900000)).offset  # due 0.1 s into the burst
        burst(app, *card(1), "enter")
        for n in range(200):  # 200 loans, about 3,000 keys, queued at once
            burst(app, *item(n), "enter")
        for _ in range(600):
            if len(store.rows("SELECT id FROM circ_transactions")) == 200:
                break
            await pilot.pause(0.1)
    fired = store.rows("SELECT at FROM prompt_events WHERE event = 'fired'")
    scans = [r["scanned_at"] for r in store.rows("SELECT scanned_at FROM circ_transactions ORDER BY scanned_at")]
    assert to_iso(local(2026, 11, 24, 19, 30)) < scans[-1]  # it came due while the burst was going on
    assert len(fired) == 1 and fired[0]["at"] < scans[-1], "the prompt waited for the whole burst"
    store.close()

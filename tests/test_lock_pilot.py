"""The lock screen: covers everything, the safety keys still work, wrong PINs slow down, the
right one returns to exactly where the worker was, and the desk locks itself when left idle."""

from __future__ import annotations

import html
import re

import pytest

from conftest import ROOT
from shift import checkins, lock
from shift.procedures import load_procedures
from tui.app import SoloShiftApp
from tui.checkin import CheckinScreen
from tui.desk import DeskScreen
from tui.emergency import EmergencyPicker, EmergencyScreen
from tui.lock import LockScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")
PIN = "4821"
SIZE = (100, 30)


@pytest.fixture
def locking_site(site, tmp_path, clock):
    """The shipped site with one staff PIN (Robin's) in a pins file of its own."""
    pins = tmp_path / "pins.toml"
    lock.set_pin(pins, "Robin", PIN, clock.now())
    return site._replace(lock=lock.LockConfig(idle_minutes=5, pins_file=str(pins)))


def events(store):
    return [(r["kind"], r["how"], r["who"]) for r in store.rows("SELECT * FROM lock_events ORDER BY rowid")]


def rendered(app) -> str:
    """Every character drawn on the terminal now: the text runs of an SVG screenshot, in order."""
    runs = re.findall(r"<text[^>]*>(.*?)</text>", app.export_screenshot(), flags=re.S)
    return html.unescape("".join(runs)).replace("\xa0", " ")


async def settle(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def type_pin(app, pilot, pin):
    await pilot.press(*pin, "enter")
    await settle(app, pilot)


async def test_the_lock_key_hides_the_desk_and_the_pin_brings_it_back(store, locking_site, shift):
    app = SoloShiftApp(store, locking_site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")  # a form under way, with something typed
        await pilot.pause()
        form = app.screen
        form.query_one("#note").focus()
        await pilot.press(*"Oscar Wilde")
        await pilot.pause()
        assert "Sam" in rendered(app) and "Oscar Wilde" in rendered(app)
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        text = rendered(app)
        assert "Locked: enter your PIN" in text and locking_site.name in text
        assert "Sam" not in text and "Oscar Wilde" not in text  # nothing of the desk under it
        await type_pin(app, pilot, PIN)
        assert app.screen is form  # exactly where they were, the typing kept
        assert "Oscar Wilde" in rendered(app)
        assert isinstance(app.screen_stack[-2], DeskScreen)
    assert events(store) == [("locked", "key", ""), ("unlocked", "", "Robin")]


async def test_f8_works_on_the_lock_screen_and_leaving_comes_back_to_it(store, locking_site, shift):
    app = SoloShiftApp(store, locking_site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyPicker)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("f8", "f")  # the fire alarm walkthrough, from the lock screen
        await pilot.pause()
        assert isinstance(app.screen, EmergencyScreen)
        await pilot.press("escape", "y")  # leaving the walkthrough: back to the lock, not the desk
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        text = rendered(app)
        assert "Sam" not in text
        assert "EMERGENCY IN PROGRESS: Fire alarm, step 1 of" in text  # and the way back into it
        await pilot.press("f1")  # the help says only what works here: no command palette
        await pilot.pause()
        text = rendered(app)
        assert "Locked: enter a staff PIN" in text and "Press Esc to close." in text and "Ctrl+P" not in text


async def test_f5_checks_in_while_locked(store, locking_site, full_site, shift, clock):
    clock.advance(minutes=-55)
    checkins.record(store, shift, "checkin")  # 18:35: the next is due at 19:35
    clock.advance(minutes=61)  # 19:36: due, within the grace period
    site = full_site._replace(email=None, tasks=(), lock=locking_site.lock)
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        # The check-in due reaches the worker on the lock screen.
        assert "CHECK IN NOW (F5): due 19:35" in str(app.screen.query_one("#lock-checkin").content)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, CheckinScreen)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "Next check-in by 20:36" in str(app.screen.query_one("#lock-checkin").content)
    assert [e["kind"] for e in checkins.events(store, shift)].count("checkin") == 2


async def test_a_raised_alarm_shows_on_the_lock_screen(store, locking_site, full_site, shift):
    checkins.record(store, shift, "checkin")
    checkins.record(store, shift, "panic")
    site = full_site._replace(email=None, tasks=(), lock=locking_site.lock)
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        line = str(app.screen.query_one("#lock-checkin").content)
        assert line.startswith("ALARM (panic) since 19:30") and "Ctrl+G when answered" in line
        assert "Sam" not in rendered(app)


async def test_wrong_pins_slow_down_and_the_wait_survives_keys(store, locking_site, shift, clock):
    app = SoloShiftApp(store, locking_site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        for _ in range(2):
            await type_pin(app, pilot, "1111")
        assert not app.lock_tries.wait_left(clock.now())
        await type_pin(app, pilot, "2222")  # the third: the next try waits 2 s
        message = str(app.screen.query_one("#lock-message").content)
        assert "Wrong PIN." in message and "Wait 2 s" in message
        await type_pin(app, pilot, PIN)  # the right PIN during the wait is not even checked
        await type_pin(app, pilot, PIN)
        assert isinstance(app.screen, LockScreen)
        clock.advance(seconds=2)
        await type_pin(app, pilot, "3333")  # the fourth: 4 s
        assert "Wait 4 s" in str(app.screen.query_one("#lock-message").content)
        clock.advance(seconds=3)
        await type_pin(app, pilot, PIN)
        assert isinstance(app.screen, LockScreen)
        clock.advance(seconds=1)
        await type_pin(app, pilot, PIN)
        assert isinstance(app.screen, DeskScreen)
    assert [e[0] for e in events(store)] == ["locked"] + ["wrong_pin"] * 4 + ["unlocked"]


async def test_the_desk_locks_itself_after_the_sites_idle_minutes(store, locking_site, shift, clock):
    app = SoloShiftApp(store, locking_site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")  # someone at the desk
        await pilot.pause()
        clock.advance(minutes=4, seconds=59)
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("i")  # a key: the idle time starts again
        clock.advance(minutes=4, seconds=59)
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        clock.advance(seconds=1)
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyPicker)
        await pilot.press("escape")
        await type_pin(app, pilot, PIN)
        assert isinstance(app.screen, DeskScreen)
    assert events(store)[0] == ("locked", "idle", "")


async def test_no_idle_lock_when_the_site_says_never(store, locking_site, shift, clock):
    site = locking_site._replace(lock=locking_site.lock._replace(idle_minutes=0))
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(hours=3)
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)


async def test_with_no_pin_set_the_lock_key_says_so(store, site, shift, tmp_path, clock):
    site = site._replace(lock=lock.LockConfig(5, str(tmp_path / "pins.toml")))
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert "No staff PIN is set" in rendered(app)
        clock.advance(hours=1)
        app.check_idle_lock()  # and the idle lock is off
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
    assert events(store) == []


async def test_locked_the_desk_cannot_be_quit_and_a_restart_opens_it_locked(store, locking_site, shift):
    app = SoloShiftApp(store, locking_site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, LockScreen)
        await type_pin(app, pilot, "1111")
    again = SoloShiftApp(store, locking_site, procedures=PROCEDURES)  # as if killed while locked
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(again.screen, LockScreen)
        assert again.lock_tries.wrong == 1  # the slowdown counts on after a restart
        await type_pin(again, pilot, PIN)
        assert isinstance(again.screen, DeskScreen)
    assert [e[0] for e in events(store)] == ["locked", "wrong_pin", "unlocked"]


async def test_a_desk_left_locked_opens_on_the_lock_screen_and_no_desk_key_works(store, locking_site, shift):
    lock.record(store, "locked", shift.id, "key")  # as if killed while locked
    app = SoloShiftApp(store, locking_site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        # The first screen is the lock screen itself: the desk was never built, so nothing of it
        # was drawn even for a moment, and none of its keys has anything to act on.
        assert [type(s) for s in app.screen_stack] == [LockScreen]
        await pilot.press("r", "r", "d", "u", "l")
        await pilot.pause()
        assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 0
        assert [type(s) for s in app.screen_stack] == [LockScreen]
        assert "Sam" not in rendered(app)
        await type_pin(app, pilot, PIN)
        assert isinstance(app.screen, DeskScreen) and len(app.screen_stack) == 1
        assert "Resumed the shift Sam started" in rendered(app)
        await pilot.press("r")  # the desk's keys work once unlocked
        assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 1


async def test_a_start_screen_left_locked_opens_locked_too(store, locking_site):
    lock.record(store, "locked", None, "idle")
    app = SoloShiftApp(store, locking_site, procedures=PROCEDURES)
    async with app.run_test(size=SIZE) as pilot:
        assert [type(s) for s in app.screen_stack] == [LockScreen]
        await pilot.press("ctrl+p")  # the command palette stays shut while locked
        await pilot.pause()
        assert [type(s) for s in app.screen_stack] == [LockScreen]
        await type_pin(app, pilot, PIN)
        assert type(app.screen).__name__ == "StartShiftScreen"

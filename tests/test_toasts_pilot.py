"""Toasts on the desk: at most two, above the key bar, withdrawn when their cause is gone,
one announcement for a failure that repeats, and never over an emergency."""

from __future__ import annotations

from conftest import ROOT, local
from shift import checkins
from shift.procedures import load_procedures
from test_timers_pilot import wait_for
from tui.app import SoloShiftApp
from tui.desk import DeskScreen
from tui.emergency import EmergencyPicker, EmergencyScreen
from tui.keybar import KeyBar

PROCEDURES, _ = load_procedures(ROOT / "procedures")


def drawn(app) -> list[str]:
    """The text of every toast widget on any screen of the stack (what could be on screen)."""
    return [str(toast.render()) for screen in app.screen_stack for toast in screen.query("Toast")]


def quiet_checkins(full_site):
    return full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(escalation=()))


async def test_check_in_now_is_withdrawn_once_the_person_checks_in(store, full_site, shift, clock):
    clock.moment = local(2026, 11, 24, 18, 25)
    checkins.record(store, shift, "checkin")
    clock.moment = local(2026, 11, 24, 19, 30)  # due at 19:25: a reminder is owed
    app = SoloShiftApp(store, quiet_checkins(full_site), procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: any("Check in now" in t for t in drawn(app)))
        await pilot.press("f5", "enter")
        await wait_for(pilot, lambda: not any("Check in now" in t for t in drawn(app)))
        assert not any(t.about == "checkin" for t in app.toasts.showing())
        assert any("Checked in" in t.message for t in app.toasts.showing())  # the good news stays
        assert isinstance(app.screen, DeskScreen)


async def test_an_unreachable_alert_channel_is_announced_once_and_withdrawn_when_it_works(store, full_site, shift):
    checkins.record(store, shift, "checkin")  # on time: only the channel matters here
    site = quiet_checkins(full_site)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.timers is not None)
        app.timers._channel_result(shift, False, "connection refused")
        app.timers._channel_result(shift, False, "connection refused")  # the retest ten minutes later
        await pilot.pause()
        assert [t.message for t in app.toasts.showing()] == ["Alert channel unreachable: connection refused"]
        await wait_for(pilot, lambda: len(drawn(app)) == 1)
    # After a restart a failure that goes on is not news: the check-in line says it, no toast.
    again = SoloShiftApp(store, site)
    async with again.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: again.timers is not None)
        again.timers._channel_result(shift, False, "connection refused")
        await pilot.pause()
        assert again.toasts.showing() == []
        assert "ALERT CHANNEL UNREACHABLE" in str(again.screen.query_one("#checkin-line").content)
        again.timers._channel_result(shift, True, "")
        again.timers._channel_result(shift, False, "connection refused")  # working, then failing: news
        await wait_for(pilot, lambda: len(drawn(again)) == 1)
        again.timers._channel_result(shift, True, "")  # it works again: the toast goes at once
        await wait_for(pilot, lambda: drawn(again) == [])
        assert again.toasts.showing() == []


async def test_at_most_two_toasts_the_most_serious_kept_and_above_the_key_bar(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify("Not saved: disk I/O error", severity="error")
        app.notify("Saved 19:30", severity="information")
        app.notify("Storage refused the draft", severity="error")
        app.notify("Nothing is due now.")
        await pilot.pause()
        assert [t.message for t in app.toasts.showing()] == ["Not saved: disk I/O error", "Storage refused the draft"]
        await wait_for(pilot, lambda: len(drawn(app)) == 2)
        await pilot.pause(0.3)
        bar = app.screen.query_one(KeyBar).region
        toasts = [t.region for t in app.screen.query("Toast")]
        assert len(toasts) == 2 and all(r.height and r.bottom <= bar.y for r in toasts), (toasts, bar)


async def test_no_toast_over_an_emergency_and_what_waited_shows_after(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify("Saved 19:30")
        await wait_for(pilot, lambda: len(drawn(app)) == 1)
        await pilot.press("f8")
        assert isinstance(app.screen, EmergencyPicker)
        await pilot.pause()
        assert drawn(app) == [] and app.toasts.showing() == []
        await pilot.press("f")
        assert isinstance(app.screen, EmergencyScreen)
        app.notify("Shift report emailed", title="Shift report", timeout=5)
        app.notify("Alert channel unreachable: connection refused", severity="error", timeout=5)
        await pilot.pause(1.2)  # the toasts' second-by-second check runs too
        assert drawn(app) == [] and app.toasts.showing() == []
        await pilot.press("escape", "y")  # leave the walkthrough (resume later), after a y
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen))
        await wait_for(pilot, lambda: len(drawn(app)) == 2)
        assert sorted(t.message for t in app.toasts.showing()) == [
            "Alert channel unreachable: connection refused", "Shift report emailed"]


async def test_a_due_task_toast_goes_when_the_task_is_done(tmp_path, site):
    from shift.clock import OffsetClock
    from shift.shifts import start_shift
    from shift.store import Store
    from shift.tasks import Task
    from shift.timespec import parse_timespec

    clock = OffsetClock(local(2026, 11, 24, 19, 29, 59))
    store = Store.open(tmp_path / "desk.db", clock=clock)
    start_shift(store, "Sam", "main")
    task = Task("hold-shelf", "Check the hold shelf", at=parse_timespec("19:30"))
    app = SoloShiftApp(store, site._replace(tasks=(task,)))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: any("Check the hold shelf" in t for t in drawn(app)))
        await pilot.press("x")
        await wait_for(pilot, lambda: not any("Check the hold shelf" in t for t in drawn(app)))
        assert "done: Check the hold shelf" in str(app.screen.query_one("#saved").content)
    store.close()


async def test_news_during_an_emergency_is_said_on_its_own_line(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("f8", "f")
        assert isinstance(app.screen, EmergencyScreen)
        app.notify("Alarm raised: the escalation chain is being alerted.", severity="error")
        await pilot.pause()
        app.notify("Alert channel unreachable: connection refused", severity="error")
        await pilot.pause()
        line = app.screen.query_one("#run-message")
        assert str(line.content) == ("Alarm raised: the escalation chain is being alerted.\n"
                                     "Alert channel unreachable: connection refused")
        assert line.has_class("error") and line.region.height == 2 and drawn(app) == []
        await pilot.press("enter")  # the next step: its own hint again
        await pilot.pause()
        assert "Alarm raised" not in str(line.content)

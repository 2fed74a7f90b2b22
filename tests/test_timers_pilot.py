"""Timers in the running app: a prompt fires (toast, bell, Due now), check-ins escalate over real SMTP."""

from datetime import timedelta
from unittest import mock

import pytest
from textual.widgets import Input

from conftest import local, shown
from shift import checkins, prompts
from shift.alerts import EmailSettings
from shift.checkins import CheckinPolicy, EscalationStep
from shift.clock import FixedClock, OffsetClock, from_iso
from shift.shifts import start_shift
from shift.store import Store
from shift.tasks import Task
from shift.timespec import parse_timespec
from test_alerts import free_port, parsed, start_server
from tui.app import SoloShiftApp
from tui.desk import DeskScreen


async def wait_for(pilot, predicate, seconds: float = 10.0):
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


async def test_a_task_due_within_a_second_fires_and_is_acknowledged(tmp_path, site):
    # Real time runs from 19:29:57.5 on a Tuesday: the 19:30 task comes due moments later.
    clock = OffsetClock(local(2026, 11, 24, 19, 29, 57, 500000))
    store = Store.open(tmp_path / "desk.db", clock=clock)
    start_shift(store, "Sam", "main")
    task = Task("hold-shelf", "Check the hold shelf [expired]", at=parse_timespec("19:30"))
    app = SoloShiftApp(store, site._replace(tasks=(task,)))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        with mock.patch.object(app, "bell") as bell, mock.patch.object(app, "notify", wraps=app.notify) as notify:
            await wait_for(pilot, lambda: app.timers is not None and app.timers.scheduler.job_ids())
            assert "hold-shelf@2026-11-25T00:30:00.000000+00:00" in app.timers.scheduler.job_ids()
            assert not app.screen.query_one("#due").display
            await wait_for(pilot, lambda: bell.called)
            assert any(call.args[0] == "Check the hold shelf [expired]" for call in notify.call_args_list)
            await pilot.pause()
            assert "19:30  Check the hold shelf [expired]" in shown(app, "#due")
            await pilot.press("x")
        rows = store.rows("SELECT event, at, due_at FROM prompt_events ORDER BY at")
        assert [r["event"] for r in rows] == ["fired", "done"]
        done = [s for s in prompts.statuses(store, app.timers.scheduler.prompts(), clock.now())
                if s.prompt.task.id == "hold-shelf" and s.state == "done"]
        assert done and done[0].response is not None and done[0].response >= timedelta(0)
        assert "done: Check the hold shelf [expired]" in shown(app, "#saved")
    store.close()


POLICY = CheckinPolicy(grace=timedelta(minutes=10), duress_code="7319",
                       escalation=(EscalationStep("email", to="security", wait=timedelta(minutes=5)),))


def alarm_site(site, port):
    email = EmailSettings("127.0.0.1", port, "none", sender="desk@library.example",
                          recipients={"security": ("security@library.example",)}, timeout=3)
    return site._replace(checkins=POLICY, email=email)


@pytest.fixture
def late_shift(store, clock):
    """Sam checked in at 19:00; it is now 20:10, the end of the grace period."""
    clock.moment = local(2026, 11, 24, 17, 30)
    shift = start_shift(store, "Sam", "main")
    clock.moment = local(2026, 11, 24, 19, 0)
    checkins.record(store, shift, "checkin")
    clock.moment = local(2026, 11, 24, 20, 10)
    return shift


async def test_a_missed_check_in_is_emailed_over_real_smtp(request, store, site, late_shift):
    handler, port = start_server(request)
    app = SoloShiftApp(store, alarm_site(site, port))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: handler.envelopes)
        envelope = handler.envelopes[0]
        assert envelope.rcpt_tos == ["security@library.example"]
        message = parsed(envelope)
        assert message["Subject"] == "Missed check-in: Bata Library Service Desk, Bata Library"
        assert "since 19:00 (due 20:00)" in message.get_content()
        await wait_for(pilot, lambda: store.rows("SELECT 1 FROM checkin_events WHERE kind = 'alert_sent'"))
        await pilot.pause()
        assert "ALARM (missed check-in) since 20:10" in shown(app, "#checkin-line")
        kinds = [r["kind"] for r in checkins.events(store, late_shift)]
        assert "channel_ok" in kinds and kinds.count("escalation") == 1


async def test_with_the_mail_server_down_the_desk_warns_and_retries(store, site, late_shift, clock):
    app = SoloShiftApp(store, alarm_site(site, free_port()))  # nothing listens there
    async with app.run_test(size=(120, 40)) as pilot:
        failed = "SELECT detail FROM checkin_events WHERE kind = 'alert_failed'"
        await wait_for(pilot, lambda: store.rows(failed))
        await wait_for(pilot, lambda: store.rows("SELECT 1 FROM checkin_events WHERE kind = 'channel_failed'"))
        await pilot.pause()
        line = shown(app, "#checkin-line")
        # The alarm line says FAILED with the reason; the channel warning would say it twice.
        assert "ALARM (missed check-in)" in line and "FAILED (" in line and "retrying every minute" in line
        detail = store.rows(failed)[0]["detail"]
        assert "cannot reach 127.0.0.1" in detail or "127.0.0.1" in detail
        clock.advance(minutes=1, seconds=1)
        app.timers.check()  # the periodic wake-up
        await wait_for(pilot, lambda: len(store.rows(failed)) == 2)
        assert isinstance(app.screen, DeskScreen)


async def test_duress_code_looks_normal_and_alerts_silently(request, store, site, clock):
    handler, port = start_server(request)
    clock.moment = local(2026, 11, 24, 19, 0)
    start_shift(store, "Sam", "main")
    app = SoloShiftApp(store, alarm_site(site, port))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        with mock.patch.object(app, "notify", wraps=app.notify) as notify:
            await pilot.press("f5")
            app.screen.query_one(Input).value = "7319"
            await pilot.press("enter")
            await wait_for(pilot, lambda: handler.envelopes)
        assert notify.call_args_list[0].args[0] == "Checked in at 19:00. Next check-in by 20:00."
        assert parsed(handler.envelopes[0])["Subject"] == "Duress: Bata Library Service Desk, Bata Library needs help"
        await pilot.pause()
        assert shown(app, "#checkin-line") == "Next check-in by 20:00 (F5)"  # nothing on screen gives it away
        assert "19:00  checked in" in shown(app, "#log")
        assert "uress" not in app.export_screenshot()


async def test_check_in_works_from_another_screen(store, site, clock):
    clock.moment = local(2026, 11, 24, 19, 0)
    shift = start_shift(store, "Sam", "main")
    app = SoloShiftApp(store, site._replace(checkins=CheckinPolicy()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")  # the detail-entry dialog is open
        await pilot.press("f5", "enter")
        await pilot.pause()
        assert [r["kind"] for r in checkins.events(store, shift)] == ["checkin"]


async def test_panic_can_be_cancelled_and_otherwise_raises_the_alarm(store, site, clock):
    clock.moment = local(2026, 11, 24, 19, 0)
    shift = start_shift(store, "Sam", "main")
    app = SoloShiftApp(store, site._replace(checkins=CheckinPolicy()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f12")
        assert "Raising the alarm in 5 s" in shown(app, "#countdown")
        await pilot.press("escape")
        await pilot.pause(1.2)
        assert checkins.events(store, shift) == []
        await pilot.press("f12")
        await wait_for(pilot, lambda: checkins.events(store, shift), seconds=8)
        assert [r["kind"] for r in checkins.events(store, shift)][0] == "panic"
        await pilot.pause()
        assert "ALARM (panic)" in shown(app, "#checkin-line")


def report_site(site, port):
    email = EmailSettings("127.0.0.1", port, "none", sender="desk@library.example",
                          recipients={"reports": ("library-manager@library.example",)}, timeout=3)
    return site._replace(email=email)


async def end_the_shift(pilot, app, note: str) -> None:
    from textual.widgets import TextArea

    await wait_for(pilot, lambda: app.timers is not None)
    await pilot.press("ctrl+e")
    app.screen.query_one("#handover", TextArea).text = note
    await pilot.press("ctrl+s")


async def test_ending_a_shift_emails_its_report_to_the_manager(request, store, site, shift):
    handler, port = start_server(request)
    app = SoloShiftApp(store, report_site(site, port))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        with mock.patch.object(app, "notify", wraps=app.notify) as notify:
            await end_the_shift(pilot, app, "Quiet night [really].")
            await wait_for(pilot, lambda: handler.envelopes)
            await wait_for(pilot, lambda: store.rows("SELECT 1 FROM report_emails WHERE outcome = 'sent'"))
        message = parsed(handler.envelopes[0])
        assert message["Subject"] == "Shift report Tue 24 Nov: Sam, Bata Library Service Desk"
        assert "Quiet night [really]." in message.get_body(("plain",)).get_content()
        assert notify.call_args_list[-1].args[0] == ("Shift report Tue 24 Nov: Sam, Bata Library Service Desk: "
                                                     "emailed library-manager@library.example.")


async def test_a_report_the_server_refused_is_said_and_sent_on_a_later_try(request, store, site, shift, clock):
    from aiosmtpd.controller import Controller

    from test_alerts import Recorder

    port = free_port()  # nothing listens there yet
    app = SoloShiftApp(store, report_site(site, port))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        with mock.patch.object(app, "notify", wraps=app.notify) as notify:
            await end_the_shift(pilot, app, "Printer 2 jammed")
            await wait_for(pilot, lambda: store.rows("SELECT 1 FROM report_emails WHERE outcome = 'failed'"))
            await pilot.pause()
            said = notify.call_args_list[-1]
            assert said.args[0].startswith("Not emailed (email to reports not sent")
            assert said.kwargs["severity"] == "warning"
            handler = Recorder()
            server = Controller(handler, hostname="127.0.0.1", port=port)
            server.start()
            request.addfinalizer(server.stop)
            app.timers.check()  # too soon: no second try yet
            await pilot.pause(0.3)
            assert handler.envelopes == []
            clock.advance(minutes=5)
            app.timers.check()
            await wait_for(pilot, lambda: handler.envelopes)
            await wait_for(pilot, lambda: store.rows("SELECT 1 FROM report_emails WHERE outcome = 'sent'"))
        assert "Printer 2 jammed" in parsed(handler.envelopes[0]).get_body(("plain",)).get_content()
        outcomes = [r["outcome"] for r in store.rows("SELECT outcome FROM report_emails ORDER BY rowid")]
        assert outcomes == ["failed", "sent"]


async def test_the_chain_starts_at_its_moment_not_at_the_next_wake_up(tmp_path, site):
    """The shift began at an odd second; escalation is due 1.7 s after the desk opens. The
    20-second wake-up would be late: the desk wakes at the moment itself."""
    deadline = local(2026, 11, 24, 20, 10)
    setup = FixedClock(local(2026, 11, 24, 17, 30, 13, 400000))
    store = Store.open(tmp_path / "desk.db", clock=setup)
    shift = start_shift(store, "Sam", "main")
    setup.moment = local(2026, 11, 24, 19, 0, 0)
    checkins.record(store, shift, "checkin")  # due again by 20:00, the chain at 20:10
    store.clock = OffsetClock(deadline - timedelta(seconds=1.7))  # time runs from 20:09:58.3
    app = SoloShiftApp(store, site._replace(checkins=POLICY._replace(escalation=()), email=None))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: store.rows("SELECT at FROM checkin_events WHERE kind = 'escalation'"), 8)
    escalated = from_iso(store.rows("SELECT at FROM checkin_events WHERE kind = 'escalation'")[0]["at"])
    assert deadline <= escalated < deadline + timedelta(seconds=3)  # the old poll could be up to 20 s late
    store.close()


async def test_a_failing_command_step_shows_failed_on_the_desk(store, site, late_shift, tmp_path):
    failing = tmp_path / "page-security"
    failing.write_text("#!/bin/sh\necho 'pager gateway refused' >&2\nexit 1\n")
    failing.chmod(0o755)
    policy = POLICY._replace(escalation=(EscalationStep("command", command=(str(failing),)),))
    app = SoloShiftApp(store, site._replace(checkins=policy, email=None))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: store.rows("SELECT 1 FROM checkin_events WHERE kind = 'alert_failed'"))
        await pilot.pause()
        line = shown(app, "#checkin-line")
        assert "FAILED" in line and "retrying every minute" in line and "taken" not in line


async def test_a_missing_command_channel_is_found_at_the_start_of_the_shift(store, site, shift, tmp_path):
    checkins.record(store, shift, "checkin")  # on time: no alarm, only the channel test
    policy = POLICY._replace(escalation=(EscalationStep("command", command=(str(tmp_path / "no-such-pager"),)),))
    app = SoloShiftApp(store, site._replace(checkins=policy, email=None))
    async with app.run_test(size=(120, 40)) as pilot:
        failed = "SELECT detail FROM checkin_events WHERE kind = 'channel_failed'"
        await wait_for(pilot, lambda: store.rows(failed))
        await pilot.pause()
        assert "no-such-pager is missing or not executable" in store.rows(failed)[0]["detail"]
        line = shown(app, "#checkin-line")
        assert "ALERT CHANNEL UNREACHABLE" in line and "no-such-pager is missing or not executable" in line


async def test_the_next_moment_is_counted_from_the_moment_the_tick_decided_at(store, site, shift, clock):
    """A moment that comes while a tick runs (a repeat 4 ms after a reminder) is still scheduled:
    the next decision is asked from the tick's own moment, not from a later reading of the clock."""
    app = SoloShiftApp(store, alarm_site(site, free_port()))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.timers is not None)
        decided = clock.now()

        def slow_tick(now):
            clock.advance(seconds=1)  # the clock moves on while the tick works
            return []

        with mock.patch.object(app.core, "tick", side_effect=slow_tick), \
                mock.patch.object(app.core, "next_decision", return_value=None) as next_decision:
            app.timers.check()
        assert next_decision.call_args.args[0] == decided

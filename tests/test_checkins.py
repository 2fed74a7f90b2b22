"""Lone-worker check-ins and timed prompts, decided from the log."""

from datetime import date, timedelta

import pytest

from conftest import local
from shift import checkins, prompts
from shift.checkins import CheckinPolicy, EscalationStep
from shift.shifts import start_shift
from shift.store import Store
from shift.tasks import plan_day

POLICY = CheckinPolicy(
    interval=timedelta(minutes=60), sweep_interval=timedelta(minutes=20), grace=timedelta(minutes=10),
    duress_code="7319",
    escalation=(EscalationStep("email", to="security", wait=timedelta(minutes=5)),
                EscalationStep("email", to="supervisor", wait=timedelta(minutes=10))),
)


@pytest.fixture
def shift(store, clock):
    clock.moment = local(2026, 11, 24, 17, 30)
    return start_shift(store, "Sam", "main")


def act(store, shift, site, clock, **kw):
    return checkins.next_actions(store, shift, POLICY, site.hours, clock.now(), **kw)


def take(store, shift, actions):
    """Record what the desk would record for these actions."""
    for action in actions:
        if action.kind == "reminder":
            checkins.record(store, shift, "reminder", action.detail)
        elif action.kind == "escalate":
            checkins.record(store, shift, "escalation", f"{action.step}:step")


def test_deadline_counts_from_the_last_check_in(store, site, shift, clock):
    clock.moment = local(2026, 11, 24, 19, 0)
    checkins.record(store, shift, "checkin")
    st = checkins.current(store, shift, POLICY, site.hours, clock.now())
    assert st.deadline == local(2026, 11, 24, 20, 0) and st.escalate_at == local(2026, 11, 24, 20, 10)
    sweeping = checkins.current(store, shift, POLICY, site.hours, clock.now(), sweep_began=clock.now())
    assert sweeping.deadline == local(2026, 11, 24, 19, 20)


def test_the_sweep_interval_counts_from_when_the_sweep_began_never_past_the_usual_deadline(
        store, site, shift, clock):
    clock.moment = local(2026, 11, 24, 19, 0)
    checkins.record(store, shift, "checkin")
    # A floor walk begun 45 minutes after the check-in: 20 minutes from then, not an alarm at once.
    began = local(2026, 11, 24, 19, 45)
    clock.moment = began
    st = checkins.current(store, shift, POLICY, site.hours, began, sweep_began=began)
    assert st.deadline == local(2026, 11, 24, 20, 0)  # the usual deadline came first
    began = local(2026, 11, 24, 19, 30)
    st = checkins.current(store, shift, POLICY, site.hours, began, sweep_began=began)
    assert st.deadline == local(2026, 11, 24, 19, 50)
    assert checkins.next_actions(store, shift, POLICY, site.hours, began, sweep_began=began) == []
    # A check-in during the walk: the next is 20 minutes after it.
    clock.moment = local(2026, 11, 24, 19, 40)
    checkins.record(store, shift, "checkin")
    st = checkins.current(store, shift, POLICY, site.hours, clock.now(), sweep_began=began)
    assert st.deadline == local(2026, 11, 24, 20, 0)


def test_reminders_get_louder_then_the_chain_runs(store, site, shift, clock):
    clock.moment = local(2026, 11, 24, 19, 0)
    checkins.record(store, shift, "checkin")
    clock.moment = local(2026, 11, 24, 19, 59)
    assert act(store, shift, site, clock) == []
    levels = []
    for minute in (20 * 60, 20 * 60 + 5, 20 * 60 + 8):
        clock.moment = local(2026, 11, 24, minute // 60, minute % 60)
        found = act(store, shift, site, clock)
        levels += [a.level for a in found]
        take(store, shift, found)
        assert act(store, shift, site, clock) == []  # each reminder once
    assert levels == [1, 2, 3]
    clock.moment = local(2026, 11, 24, 20, 10)
    [first] = act(store, shift, site, clock)
    assert (first.kind, first.step) == ("escalate", 0)
    take(store, shift, [first])
    clock.advance(minutes=4)
    assert act(store, shift, site, clock) == []  # waiting for acknowledgement
    clock.advance(minutes=1)
    [second] = act(store, shift, site, clock)
    assert (second.kind, second.step) == ("escalate", 1)
    take(store, shift, [second])
    clock.advance(minutes=9)
    assert act(store, shift, site, clock) == []
    clock.advance(minutes=1)  # nobody answered the last step: the whole chain again, every 10 minutes
    again = act(store, shift, site, clock)
    assert [(a.kind, a.step, a.detail) for a in again] == [("escalate", 0, "repeat"), ("escalate", 1, "repeat")]
    take(store, shift, again)
    assert act(store, shift, site, clock) == []
    assert checkins.next_moment(store, shift, POLICY, site.hours, clock.now()) == clock.now() + timedelta(minutes=10)
    checkins.record(store, shift, "checkin")  # checking in late ends a missed-check-in alarm
    assert not checkins.current(store, shift, POLICY, site.hours, clock.now()).alarm_open


def test_a_restart_in_the_grace_period_escalates_at_the_original_deadline(tmp_path, site, clock):
    path = tmp_path / "desk.db"
    clock.moment = local(2026, 11, 24, 19, 0)
    store = Store.open(path, clock=clock)
    shift = start_shift(store, "Sam", "main")
    checkins.record(store, shift, "checkin")
    clock.moment = local(2026, 11, 24, 20, 5)  # in the grace period...
    take(store, shift, act(store, shift, site, clock))
    store.close()  # ...the app is closed (or crashes)
    clock.moment = local(2026, 11, 24, 20, 9, 59)
    store = Store.open(path, clock=clock)
    assert [a.kind for a in act(store, shift, site, clock)] != ["escalate"]
    clock.moment = local(2026, 11, 24, 20, 10)
    assert [(a.kind, a.step) for a in act(store, shift, site, clock)] == [("escalate", 0)]
    store.close()


def test_duress_looks_like_a_check_in_but_opens_an_alarm(store, site, shift, clock):
    clock.moment = local(2026, 11, 24, 19, 0)
    checkins.record(store, shift, "duress")
    st = checkins.current(store, shift, POLICY, site.hours, clock.now())
    assert st.deadline == local(2026, 11, 24, 20, 0)  # the same as a normal check-in
    assert st.alarm_open and st.alarm_reason == "duress"
    assert [(a.kind, a.step) for a in act(store, shift, site, clock)] == [("escalate", 0)]
    take(store, shift, act(store, shift, site, clock))
    checkins.record(store, shift, "checkin")  # a later check-in does not end a duress alarm
    assert checkins.current(store, shift, POLICY, site.hours, clock.now()).alarm_open
    checkins.record(store, shift, "acknowledged", "Campus Security, J. Diaz")
    assert not checkins.current(store, shift, POLICY, site.hours, clock.now()).alarm_open


def test_panic_starts_the_chain_at_once(store, site, shift, clock):
    clock.moment = local(2026, 11, 24, 18, 0)
    checkins.record(store, shift, "panic")
    assert [(a.kind, a.step) for a in act(store, shift, site, clock)] == [("escalate", 0)]


def test_a_failed_alert_is_retried(store, site, shift, clock):
    clock.moment = local(2026, 11, 24, 18, 0)
    checkins.record(store, shift, "panic")
    take(store, shift, act(store, shift, site, clock))
    checkins.record(store, shift, "alert_failed", "0: cannot reach mail:587")
    assert act(store, shift, site, clock) == []
    clock.advance(minutes=1)
    assert [(a.kind, a.step) for a in act(store, shift, site, clock)] == [("resend", 0)]
    checkins.record(store, shift, "alert_sent", "0: emailed security@x")
    clock.advance(minutes=1)
    assert act(store, shift, site, clock) == []


def test_no_check_ins_while_the_desk_is_staffed_in_the_day(store, site, clock):
    clock.moment = local(2026, 11, 24, 9, 0)
    shift = start_shift(store, "Sam", "main")
    clock.moment = local(2026, 11, 24, 16, 30)
    assert act(store, shift, site, clock) == []
    clock.moment = local(2026, 11, 24, 18, 0)  # alone since 17:00: due at 18:00
    assert [a.kind for a in act(store, shift, site, clock)] == ["reminder"]


def test_messages_name_the_reason(store, site, shift, clock):
    clock.moment = local(2026, 11, 24, 20, 10)
    st = checkins.current(store, shift, POLICY, site.hours, clock.now())
    where = checkins.Where("Bata Library", "Bata Library Service Desk", "1 Example Road, Peterborough", site.zone,
                           "705-555-0142")
    subject, body = checkins.alarm_text(where, shift, st, clock.now())
    assert "Call the desk now (705-555-0142)" in body
    assert subject == "Missed check-in: Bata Library Service Desk, Bata Library"
    assert "Sam has not checked in at Bata Library Service Desk, Bata Library since 17:30 (due 18:30)" in body
    assert "Address: 1 Example Road, Peterborough" in body and "Tue 24 Nov 2026" in body


# -- timed prompts ---------------------------------------------------------------


@pytest.fixture
def planned(full_site):
    return plan_day(date(2026, 11, 24), full_site.hours, full_site.tasks)


def test_a_prompt_fires_once(store, shift, clock, planned):
    clock.moment = local(2026, 11, 24, 19, 0, 5)
    fire, missed = prompts.to_fire(store, planned, clock.now())
    assert [p.task.id for p in fire] == ["hold-shelf"] and missed == []
    prompts.record(store, fire[0], "fired", shift)
    assert prompts.to_fire(store, planned, clock.now()) == ([], [])


def test_prompts_due_while_closed_are_missed_and_stay_open(store, shift, clock, planned):
    clock.moment = local(2026, 11, 24, 22, 50)
    fire, missed = prompts.to_fire(store, planned, clock.now())
    assert [p.task.id for p in missed] == ["hold-shelf", "returns-bin", "announce-30", "announce-15"]
    for prompt in missed:
        prompts.record(store, prompt, "missed", shift)
    states = {s.prompt.task.id: s.state for s in prompts.statuses(store, planned, clock.now())}
    assert states["hold-shelf"] == "missed" and states["lock-doors"] == "pending"


def test_snooze_done_and_response_time(store, shift, clock, planned):
    [hold] = [p for p in planned if p.task.id == "hold-shelf"]
    clock.moment = local(2026, 11, 24, 19, 0)
    prompts.record(store, hold, "fired", shift)
    prompts.record(store, hold, "snoozed", shift, until=local(2026, 11, 24, 19, 10))
    clock.moment = local(2026, 11, 24, 19, 9)
    assert prompts.to_fire(store, planned, clock.now()) == ([], [])
    clock.moment = local(2026, 11, 24, 19, 10)
    assert [p.task.id for p in prompts.to_fire(store, planned, clock.now())[0]] == ["hold-shelf"]
    prompts.record(store, hold, "fired", shift)
    clock.moment = local(2026, 11, 24, 19, 12, 30)
    prompts.record(store, hold, "done", shift)
    [status] = [s for s in prompts.statuses(store, planned, clock.now()) if s.prompt.task.id == "hold-shelf"]
    assert status.state == "done" and status.response == timedelta(minutes=12, seconds=30)


def test_unacknowledged_prompts_escalate_once(store, shift, clock, planned):
    [lock] = [p for p in planned if p.task.id == "lock-doors"]
    clock.moment = local(2026, 11, 24, 23, 0)
    prompts.record(store, lock, "fired", shift)
    clock.moment = local(2026, 11, 24, 23, 9)
    assert prompts.to_escalate(store, planned, clock.now()) == []
    clock.moment = local(2026, 11, 24, 23, 10)
    assert prompts.to_escalate(store, planned, clock.now()) == [lock]
    prompts.record(store, lock, "escalated", shift)
    assert prompts.to_escalate(store, planned, clock.now()) == []


def test_a_procedure_step_completes_its_task(planned):
    done = prompts.completed_by_step(planned, "closing", "lock-main-doors",
                                     shift_started_at=local(2026, 11, 24, 17, 30), now=local(2026, 11, 24, 22, 50))
    assert done is not None and done.task.id == "lock-doors" and done.due_at == local(2026, 11, 24, 23, 0)

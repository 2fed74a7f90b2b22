"""A whole evening through the desk core, in virtual time on the fixed clock: no Pilot, no waiting.

Every minute the test asks the core for the check-in deadline the desk would
show, then lets the timers tick: whatever the tick escalates or reminds must
agree with that deadline (one decision, one place).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import ROOT, local
from shift import checkins, prompts, runs
from shift.desk import DeskCore
from shift.procedures import emergency_protocols, load_procedures


@pytest.fixture(scope="module")
def procedures():
    found, _ = load_procedures(ROOT / "procedures")
    emergency, _ = emergency_protocols(found)
    return {p.id: p for p in found + emergency}


def kinds(store, shift) -> list[str]:
    return [r["kind"] for r in checkins.events(store, shift)]


def advance_to(core, clock, shift, moment, seen: list) -> None:
    """Tick every minute up to `moment`, checking each tick against the deadline shown before it."""
    while clock.now() < moment:
        clock.advance(minutes=1)
        now = clock.now()
        shown = core.checkin_state(shift, now)
        before = len(checkins.events(core.store, shift))
        effects = core.tick(now)
        seen += [(now, e) for e in effects]
        new = [r["kind"] for r in checkins.events(core.store, shift)[before:]]
        if "reminder" in new:
            assert now >= shown.deadline, f"reminded at {now} before the shown deadline {shown.deadline}"
        if not shown.alarm_open and core.checkins_active(now):
            # The chain starts exactly when the deadline shown plus the grace period has passed.
            assert ("escalation" in new) == (now >= shown.escalate_at), (now, shown.escalate_at, new)


def test_an_evening_through_the_desk_core(store, full_site, clock, procedures):
    site = full_site._replace(email=None)  # alerts are effects here; nothing is sent
    clock.moment = local(2026, 11, 24, 17, 30)  # Tuesday: solo from 17:00, closes 23:00
    core = DeskCore(store, site, clock)
    shift = core.start_shift("Sam", "main")
    seen: list = []

    # A check-in at 18:20 moves the deadline to 19:20; the screen and the timers say the same.
    advance_to(core, clock, shift, local(2026, 11, 24, 18, 20), seen)
    said = core.check_in("")
    assert said.ok and "Next check-in by 19:20" in said.text

    # The hold-shelf task fires at 19:00 exactly once, with a bell.
    advance_to(core, clock, shift, local(2026, 11, 24, 19, 5), seen)
    fired = [(at, e) for at, e in seen if e.kind == "notify" and "hold shelf" in e.text]
    assert [at for at, _ in fired] == [local(2026, 11, 24, 19, 0)]

    # No check-in: reminders from 19:20, the chain at 19:30 (deadline + grace), its next step 5 min later.
    advance_to(core, clock, shift, local(2026, 11, 24, 19, 35), seen)
    reminded = [at for at, e in seen if e.kind == "notify" and e.title == "Lone-worker check-in"]
    assert reminded[0] == local(2026, 11, 24, 19, 20)
    delivers = [(at, e.step) for at, e in seen if e.kind == "deliver"]
    assert delivers == [(local(2026, 11, 24, 19, 30), 0), (local(2026, 11, 24, 19, 35), 1)]
    assert core.alarm_open()
    st = core.checkin_state(shift, clock.now())
    assert st.alarm_reason == "missed check-in"

    # Checking in late ends that alarm; the next deadline counts from now.
    clock.advance(minutes=5)
    assert "Next check-in by 20:40" in core.check_in("").text
    assert not core.alarm_open()

    # A drill of the fire alarm, abandoned; then a real fire alarm is recorded as real.
    advance_to(core, clock, shift, local(2026, 11, 24, 20, 0), seen)
    drill = core.start_emergency(procedures["fire-alarm"], drill=True)
    assert drill.drill
    clock.advance(minutes=3)
    real = core.start_emergency(procedures["fire-alarm"], drill=False)
    assert not real.drill and real.id != drill.id
    stored = store.rows("SELECT drill FROM procedure_runs WHERE id = ?", (real.id,))
    assert stored == [{"drill": 0}]
    assert runs.last_drill(store) is None  # the abandoned drill was not a drill held

    # The closing procedure shortens the interval: the deadline shown is the one enforced.
    advance_to(core, clock, shift, local(2026, 11, 24, 22, 20), seen)
    core.check_in("")
    closing = runs.start_run(store, shift, procedures["closing"])
    clock.advance(minutes=20)  # 22:40
    said = core.check_in("")
    assert "Next check-in by 23:00" in said.text  # 20 minutes while sweeping, not 23:40
    assert core.checkin_state(shift, clock.now()).deadline == local(2026, 11, 24, 23, 0)

    # The closing procedure's lock step completes today's lock-doors prompt only.
    assert closing.procedure.step("lock-main-doors") is not None
    clock.moment = local(2026, 11, 24, 22, 50)
    done = core.step_completed("closing", "lock-main-doors")
    assert done is not None and done.due_at == local(2026, 11, 24, 23, 0)
    statuses = {s.prompt.key: s.state for s in
                prompts.statuses(store, core.planned(clock.now()), clock.now()) if s.prompt.task.id == "lock-doors"}
    assert sorted(statuses.values()).count("done") == 1
    tomorrow = [k for k in statuses if k.startswith("lock-doors@2026-11-26")]
    assert tomorrow and all(statuses[k] != "done" for k in tomorrow)

    # To closing and past it: every minute checked against the deadline shown.
    advance_to(core, clock, shift, local(2026, 11, 24, 23, 30), seen)
    assert "escalation" in kinds(store, shift)


def test_ctrl_k_is_not_an_acknowledgement_and_nothing_is_acknowledged_without_an_alarm(store, full_site, clock):
    core = DeskCore(store, full_site._replace(email=None), clock)
    shift = core.start_shift("Sam", "main")
    said = core.acknowledge("typed by mistake")
    assert not said.ok and "acknowledged" not in kinds(store, shift)
    core.panic()
    assert core.alarm_open()
    assert core.acknowledge("Campus Security, J. Diaz").ok
    assert not core.alarm_open()


def test_panic_with_nobody_signed_in_still_raises_an_alarm(store, full_site, clock):
    core = DeskCore(store, full_site._replace(email=None), clock)
    said = core.panic()
    shift = core.shift()
    assert shift is not None and kinds(store, shift) == ["panic"]
    assert said.ok and "escalation chain" in said.text
    effects = core.tick(clock.now())
    assert [e.kind for e in effects if e.kind == "deliver"] == ["deliver"]


def test_a_panic_with_no_escalation_chain_says_nobody_is_alerted(store, full_site, clock):
    site = full_site._replace(email=None, checkins=full_site.checkins._replace(escalation=()))
    said = DeskCore(store, site, clock).panic()
    assert not said.ok and "nobody is alerted" in said.text


def test_a_check_in_kept_in_memory_counts_at_once(store, full_site, clock):
    """Storage refusing writes: the check-in waits in memory and the deadline moves anyway."""
    core = DeskCore(store, full_site._replace(email=None, tasks=()), clock)
    clock.moment = local(2026, 11, 24, 17, 30)
    core.start_shift("Sam", "main")
    clock.moment = local(2026, 11, 24, 18, 45)
    store.conn.execute("PRAGMA query_only=ON")  # a real refusal from SQLite: every write fails
    said = core.check_in("")
    assert "Next check-in by 19:45" in said.text and "kept in memory" in said.text
    assert core.waiting() == 1
    effects = core.tick(local(2026, 11, 24, 19, 45) - timedelta(minutes=1))
    assert [e for e in effects if e.kind != "test_channel"] == []  # no reminder: the check-in counted
    store.conn.execute("PRAGMA query_only=OFF")
    assert core.flush() == (1, 0)
    assert store.rows("SELECT kind FROM checkin_events") == [{"kind": "checkin"}]


def test_a_late_check_in_tells_everyone_alerted_to_stand_down(store, full_site, clock):
    site = full_site._replace(email=None, tasks=())
    clock.moment = local(2026, 11, 24, 18, 0, 13)  # an odd second
    core = DeskCore(store, site, clock)
    shift = core.start_shift("Sam", "main")
    clock.moment = local(2026, 11, 24, 19, 10, 13)  # 60 min + 10 min grace: the chain starts
    assert [(e.kind, e.step) for e in core.tick(clock.now()) if e.kind == "deliver"] == [("deliver", 0)]
    assert [e for e in core.tick(clock.now()) if e.kind == "deliver"] == []  # one attempt at a time
    core.delivered(shift, 0, True, "emailed security@library.example")
    step, subject, body = core.alarm_message(shift, 0)
    assert "Bata Library Service Desk" in subject and "Address:" in body and "since 18:00" in body
    clock.advance(minutes=3)
    core.check_in("")  # late: the missed check-in alarm ends
    stand = [e for e in core.tick(clock.now()) if e.kind == "stand_down"]
    assert [(e.step, e.text) for e in stand] == [(0, "2026-11-25T00:10:13.000000+00:00")]
    step, subject, body = core.stand_down_message(shift, 0, stand[0].text)
    assert subject.startswith("Stand down:") and "Sam checked in at 19:13" in body
    core.stood_down(shift, 0, stand[0].text, False, "server busy")
    assert [e for e in core.tick(clock.now()) if e.kind == "stand_down"] == []  # retried after a minute
    clock.advance(minutes=1)
    stand = [e for e in core.tick(clock.now()) if e.kind == "stand_down"]
    core.stood_down(shift, 0, stand[0].text, True, "emailed security@library.example")
    clock.advance(minutes=5)
    assert [e for e in core.tick(clock.now()) if e.kind == "stand_down"] == []  # told once


def test_the_duress_text_is_one_instruction(store, full_site, clock):
    core = DeskCore(store, full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(
        duress_code="7319")), clock)
    shift = core.start_shift("Sam", "main")
    core.check_in("7319")
    _, subject, body = core.alarm_message(shift, 0)
    assert subject.startswith("Duress:") and "Do not call the desk" in body and "call it" not in body


def test_a_duress_alarm_cannot_be_seen_or_called_off_at_the_desk(store, full_site, clock):
    core = DeskCore(store, full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(
        duress_code="7319")), clock)
    shift = core.start_shift("Sam", "main")
    core.check_in("7319")
    assert not core.alarm_open()  # the acknowledge key stays dead, as with no alarm
    assert not core.acknowledge("Nobody").ok
    assert "acknowledged" not in kinds(store, shift)


def test_acknowledging_a_missed_check_in_restarts_the_interval(store, full_site, clock):
    core = DeskCore(store, full_site._replace(email=None, tasks=()), clock)
    clock.moment = local(2026, 11, 24, 18, 0)
    shift = core.start_shift("Sam", "main")
    clock.moment = local(2026, 11, 24, 19, 10)
    core.tick(clock.now())  # the chain starts
    core.delivered(shift, 0, True, "emailed security@library.example")
    clock.advance(minutes=1)
    assert core.acknowledge("Sgt. Kim, Campus Security").ok
    effects = core.tick(clock.now())
    assert [e.kind for e in effects if e.kind in ("deliver", "stand_down")] == ["stand_down"]  # no new alarm
    assert core.checkin_state(shift, clock.now()).deadline == local(2026, 11, 24, 20, 11)


def _evening_at_the_desk(tmp_path, full_site, code: str) -> list:
    """What whoever stands at the desk can see, minute by minute, after a check-in with `code` at
    18:20 and none after it until 20:00: the deadline, the alarm line, its steps, toasts and bells,
    and the report on screen. Every alert is delivered."""
    from shift import report
    from shift.clock import FixedClock
    from shift.store import Store

    clock = FixedClock(local(2026, 11, 24, 18, 0))
    store = Store.open(tmp_path / f"desk-{code or 'normal'}.db", clock=clock)
    site = full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(duress_code="7319"))
    core = DeskCore(store, site, clock)
    shift = core.start_shift("Sam", "main")
    core.channel_tested(shift, True, "mail")
    seen = []
    while clock.now() < local(2026, 11, 24, 20, 30):
        clock.advance(minutes=1)
        now = clock.now()
        if now == local(2026, 11, 24, 18, 20):
            core.check_in(code)
        if now == local(2026, 11, 24, 20, 0):
            core.check_in("")  # late: after the grace period
        effects = core.tick(now)
        for effect in effects:
            if effect.kind == "deliver":
                core.delivered(shift, effect.step, True, "emailed security@library.example")
            elif effect.kind == "stand_down":
                core.stood_down(shift, effect.step, effect.text, True, "emailed security@library.example")
        st = core.checkin_state(shift, now)
        shown = core.alarm_open()
        seen.append((now, st.deadline, shown, (st.alarm_reason, st.alarm_started) if shown else None,
                     [(s.what, s.state, s.at) for s in core.alarm_steps(shift, now)] if shown else [],
                     [(e.kind, e.text, e.step) for e in effects if e.kind in ("notify", "bell")]))
    seen.append(report.render_text(report.build(store, site, shift.id, at_desk=True)).replace(shift.id, "ID"))
    store.close()
    return seen


def test_after_duress_a_missed_check_in_looks_exactly_as_after_a_normal_check_in(tmp_path, full_site):
    normal = _evening_at_the_desk(tmp_path, full_site, "")
    duress = _evening_at_the_desk(tmp_path, full_site, "7319")
    # The missed check-in shows its alarm at 19:30 (due 19:20, ten minutes' grace) in both.
    assert any(row[3] == ("missed check-in", local(2026, 11, 24, 19, 30)) for row in normal[:-1])
    assert "stand-down sent" in normal[-1]
    assert duress == normal


def test_a_missed_check_in_during_duress_alerts_with_both_and_stands_down_only_its_own(store, full_site, clock):
    site = full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(duress_code="7319"))
    core = DeskCore(store, site, clock)
    clock.moment = local(2026, 11, 24, 18, 0)
    shift = core.start_shift("Sam", "main")
    clock.moment = local(2026, 11, 24, 18, 20)
    core.check_in("7319")
    clock.moment = local(2026, 11, 24, 19, 30)
    assert [e.kind for e in core.tick(clock.now()) if e.kind == "deliver"] == ["deliver"]
    _, subject, body = core.alarm_message(shift, 0)
    assert subject.startswith("Duress, and now a missed check-in") and "18:20" in body
    assert "Do not call the desk" in body
    core.delivered(shift, 0, True, "emailed security@library.example")
    clock.moment = local(2026, 11, 24, 19, 35)
    assert core.acknowledge("Sam").ok  # ends what the desk shows...
    stand = [e for e in core.tick(clock.now()) if e.kind == "stand_down"]
    _, subject, body = core.stand_down_message(shift, stand[0].step, stand[0].text)
    assert "DURESS alarm still open" in subject and "do not stand down" in body
    st = core.checkin_state(shift, clock.now())
    assert st.alarm_open and st.alarm_reason == "duress"  # ...the duress alarm goes on, unseen
    assert not core.alarm_open()


def test_a_panic_during_duress_says_so_and_its_answer_is_no_all_clear(store, full_site, clock):
    site = full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(duress_code="7319"))
    core = DeskCore(store, site, clock)
    clock.moment = local(2026, 11, 24, 18, 0)
    shift = core.start_shift("Sam", "main")
    core.check_in("7319")
    clock.advance(minutes=2)
    core.panic()
    deliveries = [e for e in core.tick(clock.now()) if e.kind == "deliver"]
    _, subject, body = core.alarm_message(shift, deliveries[0].step)
    assert subject.startswith("PANIC alarm, DURESS alarm open") and "Do not call the desk" in body
    core.delivered(shift, 0, True, "emailed security@library.example")
    clock.advance(minutes=1)
    assert core.acknowledge("Kim").ok  # whoever stands at the desk may be made to do this
    stand = [e for e in core.tick(clock.now()) if e.kind == "stand_down"]
    _, subject, body = core.stand_down_message(shift, stand[0].step, stand[0].text)
    assert subject.startswith("Panic alarm ended, DURESS alarm still open") and "do not stand down" in body
    assert core.checkin_state(shift, clock.now()).alarm_reason == "duress"


@pytest.mark.parametrize("code", ["", "7319"])
def test_ending_a_shift_with_an_alarm_open_tells_everyone_it_reached(store, full_site, clock, code):
    site = full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(duress_code="7319"))
    core = DeskCore(store, site, clock)
    clock.moment = local(2026, 11, 24, 18, 0)
    shift = core.start_shift("Sam", "main")
    if code:
        core.check_in(code)
    clock.moment = local(2026, 11, 24, 19, 31)  # a missed check-in, or the duress alarm, is open
    for effect in core.tick(clock.now()):
        if effect.kind == "deliver":
            core.delivered(shift, effect.step, True, "emailed security@library.example")
    core.end_shift(shift, "Going home", [])
    assert core.shift() is None
    clock.advance(seconds=1)
    stand = [e for e in core.tick(clock.now()) if e.kind == "stand_down"]
    assert stand and all(e.shift == shift for e in stand)
    _, subject, body = core.stand_down_message(shift, stand[0].step, stand[0].text)
    assert subject.startswith("Desk closed with the") and "unanswered" in subject
    assert "nobody acknowledged it" in body and "checked on Sam in person" in body
    assert core.next_decision(clock.now()) is None  # in flight: nothing else to wake for
    core.stood_down(shift, stand[0].step, stand[0].text, False, "server down")
    assert core.next_decision(clock.now()) == clock.now() + checkins.RETRY_AFTER  # retried, on its moment
    clock.advance(minutes=1)
    again = [e for e in core.tick(clock.now()) if e.kind == "stand_down"]
    core.stood_down(shift, again[0].step, again[0].text, True, "emailed security@library.example")
    assert core.tick(clock.now() + timedelta(minutes=5)) == [] and core.quit_warning(clock.now()) == ""


def test_quitting_during_a_solo_shift_warns_the_same_with_or_without_duress(store, full_site, clock):
    site = full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(duress_code="7319"))
    core = DeskCore(store, site, clock)
    clock.moment = local(2026, 11, 24, 12, 0)  # a weekday at noon: not alone, no check-ins
    core.start_shift("Sam", "main")
    assert core.quit_warning(clock.now()) == ""
    clock.moment = local(2026, 11, 24, 19, 0)
    normal = core.quit_warning(clock.now())
    assert "Check-ins and alarms stop while Solo Shift is closed" in normal
    core.check_in("7319")
    assert core.quit_warning(clock.now()) == normal


def test_after_a_restart_the_messages_a_closed_shift_owes_are_still_sent(store, full_site, clock):
    site = full_site._replace(email=None, tasks=())
    core = DeskCore(store, site, clock)
    clock.moment = local(2026, 11, 24, 18, 0)
    shift = core.start_shift("Sam", "main")
    clock.moment = local(2026, 11, 24, 19, 11)
    for effect in core.tick(clock.now()):
        if effect.kind == "deliver":
            core.delivered(shift, effect.step, True, "emailed security@library.example")
    core.end_shift(shift, "Going home", [])
    restarted = DeskCore(store, site, clock)  # the desk closed before the tick that would send them
    clock.advance(seconds=5)
    owed = [e for e in restarted.tick(clock.now()) if e.kind == "stand_down"]
    assert owed and owed[0].shift == shift
    _, subject, _ = restarted.stand_down_message(shift, owed[0].step, owed[0].text)
    assert subject.startswith("Desk closed with the missed check-in alarm unanswered")


def test_a_floor_walk_begun_long_after_a_check_in_gets_its_reminders_not_an_alarm_at_once(
        store, full_site, clock, procedures):
    site = full_site._replace(email=None)
    clock.moment = local(2026, 11, 24, 18, 0)  # Tuesday, alone since 17:00
    core = DeskCore(store, site, clock)
    shift = core.start_shift("Sam", "main")
    seen: list = []
    core.check_in("")
    policy = site.checkins
    # The walk begins 45 minutes after the check-in: past the sweep interval and its grace period.
    advance_to(core, clock, shift, local(2026, 11, 24, 18, 45), seen)
    runs.start_run(store, shift, procedures["floor-walk"])
    began = clock.now()
    shown = core.checkin_state(shift, began)
    assert shown.deadline == min(local(2026, 11, 24, 18, 0) + policy.interval, began + policy.sweep_interval)
    core.tick(began)
    assert "escalation" not in kinds(store, shift) and not core.alarm_open()
    # The deadline shown is the one enforced: reminders first, the chain only after the grace period.
    advance_to(core, clock, shift, shown.escalate_at + timedelta(minutes=1), seen)
    assert kinds(store, shift).index("reminder") < kinds(store, shift).index("escalation")


def test_the_recent_log_says_who_acknowledged_an_alarm_and_from_where(store, full_site, clock):
    from shift import desklog

    core = DeskCore(store, full_site._replace(email=None, tasks=()), clock)
    shift = core.start_shift("Sam", "main")
    core.panic()
    clock.advance(minutes=2)
    assert core.acknowledge("Sgt. Kim, Campus Security").ok
    lines = [line.text for line in desklog.recent(store, full_site.tally, full_site.zone, shift)]
    assert "alarm acknowledged by Sgt. Kim, Campus Security (at the desk)" in lines
    assert "PANIC alarm raised" in lines

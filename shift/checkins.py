"""Lone-worker check-ins: the policy, and the state derived from the log.

The deadline for the next check-in is computed from the last recorded
check-in (or the shift's start), never from an in-memory timer, so a restart
during the grace period escalates at the original deadline.
"""

import os
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, NamedTuple

from shift.clock import UTC, from_iso, to_iso
from shift.hours import HoursCalendar, local_moment
from shift.shifts import Shift
from shift.store import Store

if TYPE_CHECKING:
    from shift.alertconfig import EmailSettings


class EscalationStep(NamedTuple):
    action: str  # "email" or "command"
    to: str = ""  # email: the recipients' purpose in [email.recipients]
    command: tuple[str, ...] = ()  # command: program and arguments, run without a shell
    wait: timedelta = timedelta(minutes=5)  # for acknowledgement before the next step

    def describe(self) -> str:
        return f"email {self.to}" if self.action == "email" else f"run {self.command[0] if self.command else '?'}"


class CheckinPolicy(NamedTuple):
    interval: timedelta = timedelta(minutes=60)
    sweep_interval: timedelta = timedelta(minutes=20)  # while a closing or routine procedure is open
    grace: timedelta = timedelta(minutes=10)
    solo_only: bool = True
    duress_code: str = ""
    escalation: tuple[EscalationStep, ...] = ()
    repeat: timedelta | None = timedelta(minutes=10)  # after the last step, every step again this often


EVENT_KINDS = ("checkin", "duress", "panic", "reminder", "escalation", "alert_sent", "alert_failed",
               "acknowledged", "channel_ok", "channel_failed", "stand_down_sent", "stand_down_failed",
               "missed",  # a check-in missed while a duress alarm is open
               "shift_ended")  # the shift ended with alarms open: they end, and who they reached is told


class CheckinState(NamedTuple):
    last_checkin: datetime  # or the shift's start
    deadline: datetime  # check in by then...
    escalate_at: datetime  # ...or, after the grace period, the chain starts
    alarm_open: bool  # an escalation (missed check-in, panic or duress) not yet acknowledged
    alarm_started: datetime | None
    alarm_reason: str
    channel_ok: bool | None  # last test of the alert channels this shift
    channel_detail: str = ""  # what that test found (why a channel fails, and what to change)
    duress_since: datetime | None = None  # an open duress alarm, beneath whatever the desk shows
    last_from: str = ""  # where the last check-in came from: "" at the desk, "phone" (shift/companion.py)


def record(store: Store, shift: Shift, kind: str, detail: str = "", at: datetime | None = None,
           origin: str | None = None) -> None:
    """`origin`: None at the desk's keys, "phone" or "link" from the companion (the column stays
    NULL for the desk, as in the rows from before it existed)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown check-in event '{kind}'")
    row = {"shift_id": shift.id, "kind": kind, "detail": detail, "at": store.now_iso() if at is None else to_iso(at)}
    if origin is not None:
        row["origin"] = origin
    # Safety events are never lost to a failing disk: kept in memory, they count at once.
    store.insert("checkin_events", row, keep_on_failure=True)


def events(store: Store, shift: Shift) -> list[dict]:
    """The shift's check-in events in time order, those still waiting for storage included."""
    rows = store.rows("SELECT * FROM checkin_events WHERE shift_id = ? ORDER BY at, rowid", (shift.id,))
    waiting = store.waiting("checkin_events", shift_id=shift.id)
    return sorted(rows + waiting, key=lambda r: r["at"]) if waiting else rows


class Alarm(NamedTuple):
    """One alarm of the shift, from the log: open, or ended by a late check-in or an answer."""

    started_at: datetime
    reason: str  # "missed check-in", "panic" or "duress"
    reached: tuple[int, ...]  # the steps whose alert was sent: each is told when it ends
    ended_at: datetime | None = None
    how: str = ""  # "checkin" (late), "acknowledged", "shift ended", or "duress" (which raises its own)
    by: str = ""  # who answered
    within: datetime | None = None  # raised during the duress alarm that started then

    @property
    def key(self) -> str:
        """Names the alarm in stand-down events: when it started."""
        return to_iso(self.started_at)


class _Log(NamedTuple):
    last_checkin: datetime
    last_from: str  # where it came from ("" at the desk)
    alarms: list[Alarm]
    channel_ok: bool | None
    channel_detail: str
    silent: set[int]  # the rows of a duress alarm: never shown to whoever stands at the desk


def _top(alarms: list[Alarm]) -> int | None:
    """The open alarm the desk answers to: alarms stack (a missed check-in or a panic may come
    while a duress alarm is open, and when it ends the duress alarm is the open one again)."""
    return next((i for i in range(len(alarms) - 1, -1, -1) if alarms[i].ended_at is None), None)


def _open_duress(alarms: list[Alarm]) -> Alarm | None:
    """A duress alarm still open, wherever it stands in the stack."""
    return next((a for a in alarms if a.reason == "duress" and a.ended_at is None), None)


def _read_log(rows: list[dict], started_at: datetime) -> _Log:
    """The one reading of the check-in events: when the person last checked in, every alarm
    (open or ended), the last channel test, and which rows belong to a silent duress alarm."""
    last, last_from = started_at, ""
    alarms: list[Alarm] = []
    channel: bool | None = None
    channel_detail = ""
    silent: set[int] = set()

    def end(index: int, at: datetime, how: str, by: str = "") -> None:
        alarms[index] = alarms[index]._replace(ended_at=at, how=how, by=by)

    for number, row in enumerate(rows):
        at, kind = from_iso(row["at"]), row["kind"]
        top = _top(alarms)
        open_alarm = alarms[top] if top is not None else None
        duress = _open_duress(alarms)
        if kind in ("checkin", "duress", "acknowledged"):
            # A duress check-in is a check-in on screen; an answer means someone saw to the
            # person, so the next check-in counts from then (no new alarm the moment it ends).
            last, last_from = at, row.get("origin") or ""
        if open_alarm is not None and open_alarm.reason == "duress" and kind in (
                "escalation", "alert_sent", "alert_failed", "acknowledged"):
            silent.add(number)
        if kind == "duress":
            silent.add(number)
            if top is not None and open_alarm and open_alarm.reason == "missed check-in":
                end(top, at, "duress")  # answered with the duress code: the duress alarm takes over
            if duress is None:
                alarms.append(Alarm(at, "duress", ()))
        elif kind == "panic":
            alarms.append(Alarm(at, "panic", (), within=duress.started_at if duress else None))
        elif kind == "missed":
            silent.add(number)
            alarms.append(Alarm(at, "missed check-in", (), within=duress.started_at if duress else None))
        elif kind == "escalation" and open_alarm is None:
            alarms.append(Alarm(at, "missed check-in", ()))
        elif kind == "alert_sent" and top is not None and open_alarm and _index(row) not in open_alarm.reached:
            alarms[top] = open_alarm._replace(reached=(*open_alarm.reached, _index(row)))
        elif kind == "acknowledged" and top is not None:
            # An answer ends what the desk shows; a duress alarm beneath it stays open.
            for index in range(top, -1, -1):
                if alarms[index].ended_at is None and (index == top or alarms[index].reason != "duress"):
                    end(index, at, "acknowledged", row["detail"])
                elif alarms[index].reason == "duress":
                    break
        elif kind == "checkin" and top is not None and open_alarm and open_alarm.reason == "missed check-in":
            end(top, at, "checkin", row["detail"])  # late: ends a missed-check-in alarm, not a panic or duress
        elif kind == "shift_ended":
            for index, alarm in enumerate(alarms):
                if alarm.ended_at is None:
                    end(index, at, "shift ended", row["detail"])
        elif kind in ("channel_ok", "channel_failed"):
            channel, channel_detail = kind == "channel_ok", row["detail"]
        elif kind.startswith("stand_down") and _stand_down_key(row).partition("@")[2] in {
                a.key for a in alarms if a.reason == "duress"}:
            silent.add(number)
    return _Log(last, last_from, alarms, channel, channel_detail, silent)


def read_log(rows: list[dict]) -> _Log:
    """The log read once for a report: every alarm in the order raised, and the positions of the
    rows that belong to a duress alarm (the report on the desk leaves them out)."""
    return _read_log(rows, datetime.min.replace(tzinfo=UTC))


def punctuality(rows: list[dict]) -> dict[str, int]:
    """One shift's check-ins as the desk judged them, for the coordinator's statistics:
    'on time' (before the deadline), 'late' (after it: the reminders had begun) and 'missed'
    (the grace period ran out: a missed-check-in alarm). The check-in that ends such an alarm
    is part of that miss, not counted again."""
    log = read_log(rows)
    ending = {a.ended_at for a in log.alarms if a.reason == "missed check-in" and a.how in ("checkin", "duress")}
    found = {"on time": 0, "late": 0, "missed": sum(1 for a in log.alarms if a.reason == "missed check-in")}
    reminded = False
    for row in rows:
        kind = row["kind"]
        if kind == "reminder":
            reminded = True
        elif kind in ("checkin", "duress", "acknowledged"):
            if kind != "acknowledged" and from_iso(row["at"]) not in ending:
                found["late" if reminded else "on time"] += 1
            reminded = False
    return found


def deadline_after(last_checkin: datetime, policy: CheckinPolicy, sweep_began: datetime | None) -> datetime:
    """The next check-in deadline. While a closing or routine procedure runs (begun at
    `sweep_began`), check-ins come every sweep interval, counted from the last check-in or from
    when the procedure began if that is later (the person left the desk then, not before), and
    never later than the ordinary deadline. Counted from the last check-in alone, a floor walk
    begun 45 minutes after one would raise the alarm at once, with no reminder."""
    deadline = last_checkin + policy.interval
    if sweep_began is not None:
        deadline = min(deadline, max(last_checkin, sweep_began) + policy.sweep_interval)
    return deadline


def state(store: Store, shift: Shift, policy: CheckinPolicy, sweep_began: datetime | None = None) -> CheckinState:
    """Recompute everything from the shift's check-in events."""
    log = _read_log(events(store, shift), shift.started_at)
    top = _top(log.alarms)
    alarm = log.alarms[top] if top is not None else None
    duress = _open_duress(log.alarms)
    deadline = deadline_after(log.last_checkin, policy, sweep_began)
    return CheckinState(log.last_checkin, deadline, deadline + policy.grace, alarm is not None,
                        alarm.started_at if alarm else None, alarm.reason if alarm else "",
                        log.channel_ok, log.channel_detail, duress.started_at if duress else None,
                        log.last_from)


# How loud each reminder is, and when, as fractions of the grace period.
REMINDERS = ((1, 0.0), (2, 0.5), (3, 0.8))
RETRY_AFTER = timedelta(minutes=1)


class Action(NamedTuple):
    # "reminder", "escalate" (take the next step), "resend" (a step whose alert failed), "stand_down",
    # "missed" (a check-in missed while a duress alarm is open: a missed-check-in alarm opens on top)
    kind: str
    level: int = 0  # reminder loudness, 1-3
    step: int = 0  # escalation step index
    detail: str = ""  # what to record with it


def active(hours: HoursCalendar, policy: CheckinPolicy, now: datetime) -> bool:
    """Check-ins run while the person is alone: evenings, weekends, and after closing."""
    if not policy.solo_only:
        return True
    return not (hours.is_open(now) and not hours.is_solo(now))


def solo_since(hours: HoursCalendar, now: datetime) -> datetime | None:
    """When today's time alone began (evening start, or opening at weekends)."""
    day = hours.local_date(now)
    start = hours.opening(day) if day.weekday() >= 5 else local_moment(day, hours.solo.weekday_from, hours.zone)
    return start if start is not None and start <= now else None


def current(store: Store, shift: Shift, policy: CheckinPolicy, hours: HoursCalendar, now: datetime,
            sweep_began: datetime | None = None) -> CheckinState:
    """The state, with the deadline counted from when being alone began if that is later."""
    found = state(store, shift, policy, sweep_began)
    since = solo_since(hours, now) if policy.solo_only else None
    if since is not None and since > found.last_checkin:
        deadline = deadline_after(since, policy, sweep_began)
        found = found._replace(last_checkin=since, deadline=deadline, escalate_at=deadline + policy.grace,
                               last_from="")
    return found


def _index(row: dict) -> int:
    return int(row["detail"].split(":")[0])


def _alarm_plan(rows: list[dict], st: CheckinState, policy: CheckinPolicy) -> list[tuple[datetime, Action]]:
    """The open alarm's next moments: the next step, the repeat of the whole chain, retries."""
    assert st.alarm_started is not None
    alarm_rows = [r for r in rows if from_iso(r["at"]) >= st.alarm_started]
    steps = [r for r in alarm_rows if r["kind"] == "escalation"]
    count = len(policy.escalation)
    if not steps:
        # A panic or duress: the chain starts at once.
        return [(st.alarm_started, Action("escalate", step=0))] if count else []
    planned = []
    last, taken_at = _index(steps[-1]), from_iso(steps[-1]["at"])
    if last + 1 < count:
        planned.append((taken_at + policy.escalation[last].wait, Action("escalate", step=last + 1)))
    elif policy.repeat is not None and count:
        # Nobody answered the last step: every step again, until someone acknowledges.
        planned += [(taken_at + policy.repeat, Action("escalate", step=i, detail="repeat")) for i in range(count)]
    for index in sorted({_index(r) for r in steps}):
        since = max(from_iso(r["at"]) for r in steps if _index(r) == index)
        tries = [r for r in alarm_rows if r["kind"] in ("alert_sent", "alert_failed") and _index(r) == index
                 and from_iso(r["at"]) >= since]
        if tries and tries[-1]["kind"] == "alert_failed":
            planned.append((from_iso(tries[-1]["at"]) + RETRY_AFTER, Action("resend", step=index)))
    return planned


class StepStatus(NamedTuple):
    step: int  # its place in the escalation chain
    what: str  # "email security", "run /usr/local/bin/page-security"
    state: str  # "sending" | "sent" | "failed"
    at: datetime | None  # of the outcome
    detail: str  # where it went, or why it failed


def step_statuses(rows: list[dict], st: CheckinState) -> list[StepStatus]:
    """The open alarm's steps as they really stand: the last attempt of each, sent or FAILED."""
    if st.alarm_started is None:
        return []
    alarm_rows = [r for r in rows if from_iso(r["at"]) >= st.alarm_started]
    found: dict[int, StepStatus] = {}
    for row in alarm_rows:
        if row["kind"] == "escalation":
            index, _, what = row["detail"].partition(":")
            found[int(index)] = StepStatus(int(index), what, "sending", None, "")
        elif row["kind"] in ("alert_sent", "alert_failed") and _index(row) in found:
            state = "sent" if row["kind"] == "alert_sent" else "failed"
            found[_index(row)] = found[_index(row)]._replace(
                state=state, at=from_iso(row["at"]), detail=row["detail"].partition(":")[2].strip())
    return [found[step] for step in sorted(found)]


def _plan(rows: list[dict], st: CheckinState, policy: CheckinPolicy, hours: HoursCalendar,
          now: datetime) -> list[tuple[datetime, Action]]:
    """Every action the log calls for, with the moment it is due (past or future)."""
    planned = _stand_down_plan(rows, len(policy.escalation))
    planned += _alarm_plan(rows, st, policy) if st.alarm_open else []
    if st.alarm_open and st.alarm_reason != "duress":
        return planned
    if not active(hours, policy, now):
        return planned
    # After a duress check-in the desk behaves exactly as after a normal one: reminders, and a
    # missed check-in alarm it shows, while the duress alarm goes on beneath it.
    planned.append((st.escalate_at, Action("missed") if st.alarm_open else Action("escalate", step=0)))
    deadline = to_iso(st.deadline)
    done = {r["detail"] for r in rows if r["kind"] == "reminder"}
    for level, fraction in REMINDERS:
        if f"{level}@{deadline}" not in done:
            planned.append((st.deadline + policy.grace * fraction,
                            Action("reminder", level=level, detail=f"{level}@{deadline}")))
    return planned


def next_actions(store: Store, shift: Shift, policy: CheckinPolicy, hours: HoursCalendar, now: datetime,
                 sweep_began: datetime | None = None) -> list[Action]:
    """What is due now, decided from the log alone (so a restart changes nothing)."""
    st = current(store, shift, policy, hours, now, sweep_began)
    due = [action for moment, action in _plan(events(store, shift), st, policy, hours, now) if moment <= now]
    if not st.alarm_open and any(a.kind == "escalate" for a in due):
        # Past the grace period: the chain, not another reminder.
        return [a for a in due if a.kind == "stand_down"] + [Action("escalate", step=0)]
    if any(a.kind == "missed" for a in due):
        # The duress chain waits beneath the new alarm, whose chain starts now.
        return [a for a in due if a.kind == "stand_down"] + [Action("missed"), Action("escalate", step=0)]
    reminders = [a for a in due if a.kind == "reminder"]
    return [a for a in due if a.kind != "reminder"] + reminders[-1:]  # only the loudest reminder due


def next_moment(store: Store, shift: Shift, policy: CheckinPolicy, hours: HoursCalendar, now: datetime,
                sweep_began: datetime | None = None) -> datetime | None:
    """When the next reminder, step, repeat or retry is due: the timers wake the desk then."""
    st = current(store, shift, policy, hours, now, sweep_began)
    later = [moment for moment, _ in _plan(events(store, shift), st, policy, hours, now) if moment > now]
    return min(later, default=None)


class Where(NamedTuple):
    """Where the desk is, for a responder who may never have been there."""

    library: str
    desk: str  # the desk's name, not its id
    address: str  # the civic address
    zone: tzinfo
    phone: str = ""  # the desk's line


def alarm_text(where: Where, shift: Shift, st: CheckinState, now: datetime) -> tuple[str, str]:
    """Subject and body of an escalation message: who, where, since when, what to do."""
    zone = where.zone
    last = st.last_checkin.astimezone(zone)
    since = (st.alarm_started or now).astimezone(zone)
    checked_in = (f"none since the shift began at {last:%H:%M}" if st.last_checkin <= shift.started_at
                  else f"{last:%H:%M}")
    place = f"{where.desk}, {where.library}"
    if st.alarm_reason == "panic":
        subject = f"PANIC alarm: {place}"
        first = f"{shift.worker} raised a panic alarm at {place} at {since:%H:%M %Z on %a %d %b %Y}."
        todo = "Send help to the desk now (security first). Whoever reaches the desk records there who answered."
        if st.duress_since is not None:
            subject = f"PANIC alarm, DURESS alarm open: {place}"
            first += (f" The duress code was entered at {st.duress_since.astimezone(zone):%H:%M} before it, and "
                      "that alarm stays open whatever the desk says.")
            todo = "Send security to the desk now. Do not call the desk: the person may be under threat."
    elif st.alarm_reason == "duress" or st.duress_since is not None:
        duress = (st.duress_since or since).astimezone(zone)
        subject = f"Duress: {place} needs help"
        first = f"{shift.worker} entered the duress code at {place} at {duress:%H:%M %Z on %a %d %b %Y}."
        if st.alarm_reason == "missed check-in":
            subject = f"Duress, and now a missed check-in: {place} needs help"
            first += (f" Since then no check-in came by {st.deadline.astimezone(zone):%H:%M}: the desk "
                      f"shows a missed check-in alarm since {since:%H:%M}.")
        todo = ("The desk's screen shows what it would without the duress code: the person may be under "
                "threat. Send security to the desk now. Do not call the desk.")
    else:
        subject = f"Missed check-in: {place}"
        first = (f"{shift.worker} has not checked in at {place} since {last:%H:%M} "
                 f"(due {st.deadline.astimezone(zone):%H:%M}); the alarm started at "
                 f"{since:%H:%M %Z on %a %d %b %Y}.")
        todo = (f"Call the desk now{f' ({where.phone})' if where.phone else ''}; if nobody answers, send "
                "security. Whoever reaches the desk records there who answered.")
    body = (f"{first}\n\nAddress: {where.address or '(not set in the site file)'}\n"
            f"Last check-in: {checked_in}\n\nWhat to do: {todo}\n\n"
            f"Solo Shift, {now.astimezone(zone):%Y-%m-%d %H:%M %Z}")
    return subject, body


def stand_down_text(where: Where, shift: Shift, alarm: Alarm) -> tuple[str, str]:
    """The message to everyone an alarm reached once it has ended."""
    zone = where.zone
    place = f"{where.desk}, {where.library}"
    assert alarm.ended_at is not None
    ended = alarm.ended_at.astimezone(zone)
    how = (f"{shift.worker} checked in at {ended:%H:%M}" if alarm.how == "checkin"
           else f"answered by {alarm.by} at {ended:%H:%M}")
    subject, action = f"Stand down: {place} alarm ended", "No further action is needed for this alarm."
    if alarm.how == "shift ended":
        # Not a stand-down: nobody answered, and the desk stops alerting.
        how = f"the shift was ended at {ended:%H:%M} with the alarm open; nobody acknowledged it at the desk"
        subject = f"Desk closed with the {alarm.reason} alarm unanswered: {place}"
        action = (f"The desk sends no more alerts for this alarm. Make sure someone has checked on "
                  f"{shift.worker} in person.")
    elif alarm.within is not None:
        subject = f"{alarm.reason.capitalize()} alarm ended, DURESS alarm still open: {place}"
        action = (f"The duress alarm raised at {alarm.within.astimezone(zone):%H:%M} is still open: do not "
                  "stand down. Send security to the desk; do not call the desk.")
    return (subject,
            f"The {alarm.reason} alarm at {place} raised at "
            f"{alarm.started_at.astimezone(zone):%H:%M on %a %d %b %Y} has ended: {how}.\n\n"
            f"{action}\n\n"
            f"Solo Shift, {alarm.ended_at.astimezone(zone):%Y-%m-%d %H:%M %Z}")


def ended_alarms(rows: list[dict]) -> list[Alarm]:
    """Every alarm of the shift that has ended."""
    return [a for a in read_log(rows).alarms if a.ended_at is not None]


def _stand_down_key(row: dict) -> str:
    return row["detail"].partition(": ")[0]  # "0@<alarm start>: what happened"


def stand_downs(rows: list[dict], count: int, now: datetime) -> tuple[list[Action], datetime | None]:
    """For a shift that has ended: the stand-downs due now, and when the next one is."""
    planned = _stand_down_plan(rows, count)
    return ([a for moment, a in planned if moment <= now],
            min((moment for moment, _ in planned if moment > now), default=None))


def _stand_down_plan(rows: list[dict], count: int) -> list[tuple[datetime, Action]]:
    """Everyone an ended alarm reached is told it ended: at once, then every minute until sent."""
    told = {_stand_down_key(r) for r in rows if r["kind"] == "stand_down_sent"}
    failed = {_stand_down_key(r): from_iso(r["at"]) for r in rows if r["kind"] == "stand_down_failed"}
    planned = []
    for alarm in ended_alarms(rows):
        assert alarm.ended_at is not None
        if alarm.how == "duress":
            continue  # the duress alarm that ended it goes to the same people at once
        for step in alarm.reached:
            key = f"{step}@{alarm.key}"
            if key in told or step >= count:
                continue
            tried = failed.get(key)
            planned.append((alarm.ended_at if tried is None else tried + RETRY_AFTER,
                            Action("stand_down", step=step, detail=alarm.key)))
    return planned


def test_channels(steps: tuple[EscalationStep, ...], email: "EmailSettings | None") -> str:
    """Test every alert channel without alerting anyone (blocking: off the desk's thread): the
    mail server answers and logs in; each command exists and may be run. Raises AlertError
    naming each channel that would fail; returns what was checked."""
    import shutil

    from shift.alerts import AlertError, test_channel

    problems, checked = [], []
    if any(step.action == "email" for step in steps):
        try:
            if email is None:
                raise AlertError("email steps but no [email] settings in site.toml")
            test_channel(email)
            checked.append(f"mail {email.host}:{email.port}")
        except AlertError as exc:
            problems.append(str(exc))
    for step in steps:
        if step.action == "command" and step.command:
            program = step.command[0]
            found = program if "/" in program else shutil.which(program)
            if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
                problems.append(f"command alert channel not working: {program} is missing or not executable")
            else:
                checked.append(f"command {program}")
    if problems:
        raise AlertError("; ".join(problems))
    return ", ".join(checked)


def deliver(step: EscalationStep, email: "EmailSettings | None", subject: str, body: str) -> str:
    """Send one escalation step (blocking: run it off the UI thread). Raises AlertError."""
    from shift.alerts import AlertError, run_command, send_email

    if step.action == "email":
        if email is None:
            raise AlertError("no [email] settings in site.toml")
        sent_to = send_email(email, step.to, subject, body)
        return f"emailed {', '.join(sent_to)}"
    result = run_command(list(step.command), f"{subject}\n\n{body}", email=email)
    return f"ran {step.command[0]}: {result.output.strip()[:200]}"

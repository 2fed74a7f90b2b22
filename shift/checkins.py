"""Lone-worker check-ins: the policy, and the state derived from the log.

The deadline for the next check-in is computed from the last recorded
check-in (or the shift's start), never from an in-memory timer, so a restart
during the grace period escalates at the original deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shift.clock import from_iso, to_iso
from shift.shifts import Shift
from shift.store import Store


@dataclass(frozen=True)
class EscalationStep:
    action: str  # "email" or "command"
    to: str = ""  # email: the recipients' purpose in [email.recipients]
    command: tuple[str, ...] = ()  # command: program and arguments, run without a shell
    wait: timedelta = timedelta(minutes=5)  # for acknowledgement before the next step

    def describe(self) -> str:
        return f"email {self.to}" if self.action == "email" else f"run {self.command[0] if self.command else '?'}"


@dataclass(frozen=True)
class CheckinPolicy:
    interval: timedelta = timedelta(minutes=60)
    sweep_interval: timedelta = timedelta(minutes=20)  # while a closing or routine procedure is open
    grace: timedelta = timedelta(minutes=10)
    solo_only: bool = True
    duress_code: str = ""
    escalation: tuple[EscalationStep, ...] = field(default_factory=tuple)


EVENT_KINDS = ("checkin", "duress", "panic", "reminder", "escalation", "alert_sent", "alert_failed",
               "acknowledged", "channel_ok", "channel_failed")


@dataclass(frozen=True)
class CheckinState:
    last_checkin: datetime  # or the shift's start
    deadline: datetime  # check in by then...
    escalate_at: datetime  # ...or, after the grace period, the chain starts
    alarm_open: bool  # an escalation (missed check-in, panic or duress) not yet acknowledged
    alarm_started: datetime | None
    alarm_reason: str
    steps_done: int  # escalation steps already taken for the open alarm
    channel_ok: bool | None  # last test of the alert channel this shift


def record(store: Store, shift: Shift, kind: str, detail: str = "", at: datetime | None = None) -> None:
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown check-in event '{kind}'")
    store.insert("checkin_events", {
        "shift_id": shift.id, "kind": kind, "detail": detail,
        "at": store.now_iso() if at is None else to_iso(at),
    })


def events(store: Store, shift: Shift) -> list[dict]:
    return store.rows("SELECT * FROM checkin_events WHERE shift_id = ? ORDER BY at, rowid", (shift.id,))


def state(store: Store, shift: Shift, policy: CheckinPolicy, sweeping: bool = False) -> CheckinState:
    """Recompute everything from the shift's check-in events."""
    last = shift.started_at
    alarm_started: datetime | None = None
    reason = ""
    steps = 0
    channel: bool | None = None
    for row in events(store, shift):
        at = from_iso(row["at"])
        kind = row["kind"]
        if kind == "checkin":
            last = at
            if reason == "missed check-in":  # checking in late ends that alarm, not a panic or duress
                alarm_started, reason, steps = None, "", 0
        elif kind in ("duress", "panic"):
            if kind == "duress":
                last = at  # on screen a duress check-in is a check-in
            alarm_started, reason, steps = at, kind, 0
        elif kind == "escalation":
            if alarm_started is None:
                alarm_started, reason = at, "missed check-in"
            steps += 1
        elif kind == "acknowledged":
            alarm_started, reason, steps = None, "", 0
        elif kind in ("channel_ok", "channel_failed"):
            channel = kind == "channel_ok"
    interval = policy.sweep_interval if sweeping else policy.interval
    deadline = last + interval
    return CheckinState(last, deadline, deadline + policy.grace, alarm_started is not None,
                        alarm_started, reason, steps, channel)

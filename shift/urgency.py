"""How urgent something on the desk is: the one decision behind every colour that means state.

The screens map a level to a style and nothing else: "normal" is plain text,
"warning" (something needs doing soon, or is late) and "error" (an alarm, a
deadline passed, a few minutes left) are the two colours the desk spends.
Headings and labels never get either.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Level = Literal["normal", "warning", "error"]

# A countdown under half an hour needs planning (the last patrons, the closing
# round); under five minutes it needs doing now.
WARNING_WITHIN = timedelta(minutes=30)
ERROR_WITHIN = timedelta(minutes=5)


def time_left(left: timedelta | None) -> Level:
    """A countdown: 'closes in 2 h' is normal, 'closes in 13 min' a warning, 'closes in 4 min' an error.

    Nothing left (or less) is an error too: a deadline that has passed is OVERDUE.
    No countdown at all (None) is normal.
    """
    if left is None:
        return "normal"
    if left < ERROR_WITHIN:
        return "error"
    if left < WARNING_WITHIN:
        return "warning"
    return "normal"


def deadline(due_at: datetime | None, now: datetime) -> Level:
    """A dated deadline (a follow-up's): error once overdue or within five minutes."""
    return "normal" if due_at is None else time_left(due_at - now)


def checkin(alarm_open: bool, due: bool, channel_failing: bool) -> Level:
    """The check-in line: an alarm or an alert channel that cannot reach anyone is an error;
    a check-in owed now (CHECK IN NOW) a warning; waiting for the next one is normal.

    The time before the next check-in has no colour of its own: the reminders (bells,
    then CHECK IN NOW) are its warning, and an hourly check-in would otherwise be
    coloured half the evening.
    """
    if alarm_open or channel_failing:
        return "error"
    return "warning" if due else "normal"


def late() -> Level:
    """A step or task done after its time (LATE): a warning, not an alarm."""
    return "warning"


def prompt(escalated: bool) -> Level:
    """A timed task in Due now: a warning; one left past its escalation (OVERDUE) an error."""
    return "error" if escalated else "warning"

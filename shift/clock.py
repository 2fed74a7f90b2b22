"""One clock for the whole domain, injectable so tests can travel in time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol

UTC = timezone.utc


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests and demos."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware moment")
        self.moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class OffsetClock:
    """Real time, moved to another moment: time runs, as on the desk, from `moment`.

    For trying a closing night or a DST change with the real scheduler.
    """

    def __init__(self, moment: datetime) -> None:
        self.offset = moment.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def system_offset(clock: Clock) -> "timedelta":
    """How far the domain clock is from the machine's: zero except for test clocks."""
    return clock.now() - datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Stored form of a moment: UTC ISO-8601 with microseconds (sorts as text)."""
    if moment.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)

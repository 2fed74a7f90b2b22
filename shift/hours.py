"""The library's opening hours: weekly pattern, dated exceptions, solo shifts.

Local times are turned into moments with one explicit daylight-saving policy:
- a local time that does not exist (the skipped hour in March) is moved
  forward by the length of the gap: 02:30 becomes 03:30;
- a local time that happens twice (the repeated hour in November) means its
  first occurrence.
Every duration is computed between real moments, so an evening that spans a
change is the right length.
"""

from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from shift.clock import UTC

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_MINUTES = 24 * 60


class Period(NamedTuple):
    """Open from `start` to `end`, in minutes after local midnight (end may be 1440)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{minutes_text(self.start)}–{minutes_text(self.end)}"


class HoursException(NamedTuple):
    first: date
    last: date
    periods: tuple[Period, ...]  # empty: closed
    reason: str

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


class DayHours(NamedTuple):
    day: date
    periods: tuple[Period, ...]
    reason: str = ""  # the exception's reason, when one applies

    @property
    def closed(self) -> bool:
        return not self.periods

    def text(self) -> str:
        hours = "closed" if self.closed else ", ".join(str(p) for p in self.periods)
        return f"{hours} ({self.reason})" if self.reason else hours


class SoloPolicy(NamedTuple):
    """When the desk is staffed by one person alone."""

    weekday_from: int = 17 * 60  # minutes after midnight on weekdays
    weekends: bool = True


def minutes_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_clock(text: str, allow_midnight_end: bool = False) -> int:
    """'HH:MM' -> minutes after midnight. '24:00' only as a closing time."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"'{text}' is not a time (write HH:MM, e.g. 08:30)")
    hours, minutes = int(parts[0]), int(parts[1])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_midnight_end)):
        raise ValueError(f"'{text}' is not a real time of day")
    return hours * 60 + minutes


def parse_period(text: str) -> Period:
    """'08:00-23:00' -> Period. Closing must come after opening."""
    pieces = text.replace("–", "-").split("-")
    if len(pieces) != 2:
        raise ValueError(f"'{text}' is not a range of hours (write HH:MM-HH:MM, e.g. 08:00-23:00)")
    start = parse_clock(pieces[0])
    end = parse_clock(pieces[1], allow_midnight_end=True)
    if end <= start:
        raise ValueError(
            f"'{text}' closes before it opens (to stay open past midnight, close at 24:00 "
            "and open the next day at 00:00)"
        )
    return Period(start, end)


def check_no_overlap(periods: list[Period]) -> None:
    ordered = sorted(periods, key=lambda p: p.start)
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end:
            raise ValueError(f"{before} and {after} overlap")


def local_moment(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The real moment (UTC) of a local wall-clock time on `day`, DST policy applied."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    # fold=0: the first of a repeated time; for a skipped time zoneinfo uses the
    # offset from before the change, which lands one gap-length later.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


class HoursCalendar:
    def __init__(
        self,
        zone: ZoneInfo,
        weekly: dict[int, tuple[Period, ...]],
        exceptions: list[HoursException] | tuple = (),
        solo: SoloPolicy = SoloPolicy(),
    ) -> None:
        self.zone = zone
        self.weekly = weekly
        self.exceptions = tuple(exceptions)
        self.solo = solo

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def day(self, day: date) -> DayHours:
        for exc in self.exceptions:
            if exc.covers(day):
                return DayHours(day, exc.periods, exc.reason)
        return DayHours(day, self.weekly.get(day.weekday(), ()))

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (local_moment(day, p.start, self.zone), local_moment(day, p.end, self.zone))
            for p in self.day(day).periods
        ]

    def opening(self, day: date) -> datetime | None:
        spans = self.intervals(day)
        return spans[0][0] if spans else None

    def closing(self, day: date) -> datetime | None:
        spans = self.intervals(day)
        return spans[-1][1] if spans else None

    def real_opening(self, day: date) -> datetime | None:
        """When the building opens on `day`: None when closed all day, and when it is
        open since the day before (a 00:00 opening after a 24:00 closing)."""
        start = self.opening(day)
        if start is None or any(end == start for _, end in self.intervals(day - timedelta(days=1))):
            return None
        return start

    def real_closing(self, day: date) -> datetime | None:
        """When the building closes at the end of `day`: None when closed all day, and
        when it stays open into the next day (a 24:00 closing before a 00:00 opening)."""
        end = self.closing(day)
        return None if end is None or self._merged_end(end, max_days=1) != end else end

    def open_span(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The opening period containing `moment`, if the library is open then.

        Spans are merged across midnight (close 24:00, open 00:00 next day).
        """
        today = self.local_date(moment)
        for day in (today - timedelta(days=1), today):
            for start, end in self.intervals(day):
                if start <= moment < end:
                    return start, self._merged_end(end)
        return None

    def _merged_end(self, end: datetime, max_days: int = 14) -> datetime:
        # A library open round the clock still shows a closing time, at most two weeks out.
        for _ in range(max_days):
            later = [e for s, e in self.intervals(self.local_date(end)) if s == end]
            if not later:
                break
            end = later[0]
        return end

    def is_open(self, moment: datetime) -> bool:
        return self.open_span(moment) is not None

    def time_until_close(self, moment: datetime) -> timedelta | None:
        span = self.open_span(moment)
        return span[1] - moment if span else None

    def next_opening(self, moment: datetime, horizon_days: int = 400) -> datetime | None:
        today = self.local_date(moment)
        for offset in range(horizon_days):
            for start, _ in self.intervals(today + timedelta(days=offset)):
                if start > moment:
                    return start
        return None

    def is_solo(self, moment: datetime) -> bool:
        """An evening or weekend moment while the library is open."""
        if not self.is_open(moment):
            return False
        local = moment.astimezone(self.zone)
        if local.weekday() >= 5:
            return self.solo.weekends
        return local.hour * 60 + local.minute >= self.solo.weekday_from

    def status_text(self, moment: datetime) -> str:
        """'closes in 1 h 12 min', 'closed · opens at 10:00', 'closed'."""
        left = self.time_until_close(moment)
        if left is not None:
            return f"closes in {duration_text(left)}"
        nxt = self.next_opening(moment)
        if nxt is None:
            return "closed"
        local = nxt.astimezone(self.zone)
        if local.date() == self.local_date(moment):
            return f"closed · opens at {local:%H:%M}"
        if local.date() == self.local_date(moment) + timedelta(days=1):
            return f"closed · opens tomorrow at {local:%H:%M}"
        return f"closed · opens {local:%a %d %b} at {local:%H:%M}"


def duration_text(span: timedelta) -> str:
    """1 h 12 min, 45 min, 0 min — rounded up to the minute so 'closes in 0 min' never lingers."""
    minutes = int(-(-span.total_seconds() // 60))
    hours, minutes = divmod(max(minutes, 0), 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"

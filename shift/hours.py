"""The library's opening hours: weekly pattern, dated exceptions, solo shifts.

Local times are turned into moments with one explicit daylight-saving policy:
- a local time that does not exist (the skipped hour in March) is moved
  forward by the length of the gap: 02:30 becomes 03:30;
- a local time that happens twice (the repeated hour in November) means its
  first occurrence.
Every duration is computed between real moments, so an evening that spans a
change is the right length.

Periods that touch (one closing at 24:00, the next day's opening at 00:00, or
two periods of one day end to start) are one open span: the building's real
openings and closings are the ends of those spans, never a midnight seam.
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
    holiday: bool = False  # a public holiday: not a business day (the library's own closures are)

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


class OpenSpan(NamedTuple):
    """One stretch the building is open without a break, periods merged across midnight.

    `opened_on` is the day whose hours hold the real opening (None when the span
    began before the look-back horizon: open round the clock for longer than that),
    `closes_on` the day whose hours end with the real closing (a 24:00 closing
    belongs to the day it ends; None when it closes past the look-ahead horizon).
    `start`/`end` are the furthest moments found either way.
    """

    start: datetime
    end: datetime
    opened_on: date | None
    closes_on: date | None

    @property
    def real_opening(self) -> datetime | None:
        return self.start if self.opened_on is not None else None

    @property
    def real_closing(self) -> datetime | None:
        return self.end if self.closes_on is not None else None


# How far open_spans looks for the real opening and closing of a span that
# continues past the days asked for (a library open round the clock).
LOOK_BACK_DAYS = 400
LOOK_AHEAD_DAYS = 14


class SoloPolicy(NamedTuple):
    """When the desk is staffed by one person alone."""

    weekday_from: int = 17 * 60  # minutes after midnight on weekdays
    weekends: bool = True


# The default for HoursCalendar (a NamedTuple, so one shared instance is safe).
DEFAULT_SOLO = SoloPolicy()


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
    for before, after in zip(ordered, ordered[1:], strict=False):
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
        solo: SoloPolicy = DEFAULT_SOLO,
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
        """The day's periods as real moments, in order (one wholly inside the skipped hour is none)."""
        moments = ((local_moment(day, p.start, self.zone), local_moment(day, p.end, self.zone))
                   for p in self.day(day).periods)
        return sorted((start, end) for start, end in moments if start < end)

    def opening(self, day: date) -> datetime | None:
        """The start of the day's first period (a 00:00 continuation included)."""
        spans = self.intervals(day)
        return spans[0][0] if spans else None

    def closing(self, day: date) -> datetime | None:
        """The end of the day's last period (a 24:00 seam included)."""
        spans = self.intervals(day)
        return spans[-1][1] if spans else None

    def open_spans(self, first: date, last: date, look_back: int = LOOK_BACK_DAYS,
                   look_ahead: int = LOOK_AHEAD_DAYS) -> list[OpenSpan]:
        """The open spans holding any period of the days `first`..`last`, in order.

        A span that began before `first` is followed back to its real opening (at most
        `look_back` days), one that ends after `last` forward to its real closing (at
        most `look_ahead` days past `last`).
        """
        spans: list[list] = []  # [start, end, opened_on, closes_on]
        day = first
        while day <= last:
            for start, end in self.intervals(day):
                if spans and spans[-1][1] == start:
                    spans[-1][1], spans[-1][3] = end, day
                else:
                    spans.append([start, end, day, day])
            day += timedelta(days=1)
        if not spans:
            return []
        head, tail = spans[0], spans[-1]
        head[0], head[2] = self._follow_back(head[0], head[2], first - timedelta(days=look_back))
        tail[1], tail[3] = self._follow_on(tail[1], tail[3], last + timedelta(days=look_ahead))
        return [OpenSpan(*span) for span in spans]

    def _follow_back(self, start: datetime, day: date, limit: date) -> tuple[datetime, date | None]:
        # Earlier periods that end where this one starts, back to the real opening.
        while True:
            before = [(d, s) for d in (day - timedelta(days=1), day) for s, e in self.intervals(d) if e == start]
            if not before:
                return start, day
            day, start = before[0]
            if day < limit:
                return start, None

    def _follow_on(self, end: datetime, day: date, limit: date) -> tuple[datetime, date | None]:
        # Later periods that start where this one ends, on to the real closing.
        while True:
            after = [(d, e) for d in (day, day + timedelta(days=1)) for s, e in self.intervals(d) if s == end]
            if not after:
                return end, day
            day, end = after[0]
            if day > limit:
                return end, None

    def real_openings(self, day: date) -> list[datetime]:
        """Every moment the building really opens on `day` (not a 00:00 continuation)."""
        return [s.start for s in self.open_spans(day, day, look_back=0, look_ahead=0) if s.opened_on == day]

    def real_closings(self, day: date) -> list[datetime]:
        """Every moment the building really closes at the end of one of `day`'s periods
        (not a 24:00 closing followed by a 00:00 opening; a real 24:00 closing is `day`'s)."""
        return [s.end for s in self.open_spans(day, day, look_back=0, look_ahead=0) if s.closes_on == day]

    def real_opening(self, day: date) -> datetime | None:
        """When the building first opens on `day`: None when closed all day, or only open
        since the day before (a 00:00 opening after a 24:00 closing) and not again."""
        openings = self.real_openings(day)
        return openings[0] if openings else None

    def real_closing(self, day: date) -> datetime | None:
        """When the building last closes at the end of one of `day`'s periods: None when
        closed all day, or when it stays open into the next day (24:00 before 00:00)."""
        closings = self.real_closings(day)
        return closings[-1] if closings else None

    def open_span(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The open span containing `moment`, if the library is open then.

        Spans are merged across midnight (close 24:00, open 00:00 next day); the end
        of a library open round the clock is looked for at most two weeks out.
        """
        today = self.local_date(moment)
        for day in (today - timedelta(days=1), today):
            for start, end in self.intervals(day):
                if start <= moment < end:
                    return start, self._merged_end(end)
        return None

    def _merged_end(self, end: datetime, max_days: int = LOOK_AHEAD_DAYS) -> datetime:
        # A library open round the clock still shows a closing time, at most two weeks out.
        day = self.local_date(end)
        return self._follow_on(end, day, day + timedelta(days=max_days))[0]

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

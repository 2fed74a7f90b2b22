"""Times written in the library's files: '21:00', 'close-30m', 'open+1h30m', and durations '10m'.

A relative time is an offset in real minutes from a real opening or closing
moment, so 'close-30m' is always thirty minutes before closing, on a
daylight-saving day too. A clock time uses the hours calendar's DST policy.
The planner (shift.tasks) takes the openings and closings from the calendar's
open spans, so a late night that runs past midnight closes when it really does.
"""

import re
from datetime import date, datetime, timedelta
from typing import NamedTuple

from shift.hours import HoursCalendar, local_moment, minutes_text, parse_clock

_RELATIVE = re.compile(r"^(open|close)(?:([+-])(?:(\d+)h)?(?:(\d+)m)?)?$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")


class TimeSpec(NamedTuple):
    anchor: str  # "clock", "open" or "close"
    minutes: int  # after midnight for "clock"; a signed offset otherwise

    def at(self, hours: HoursCalendar, day: date, real_edges: bool = False) -> datetime | None:
        """The moment on `day`, or None when the library does not open that day.

        With `real_edges`, opening and closing are the building's own: None on a
        day it is open since the day before (open) or stays open into the next (close).
        """
        if self.anchor == "clock":
            return local_moment(day, self.minutes, hours.zone)
        if real_edges:
            base = hours.real_opening(day) if self.anchor == "open" else hours.real_closing(day)
        else:
            base = hours.opening(day) if self.anchor == "open" else hours.closing(day)
        return None if base is None else base + timedelta(minutes=self.minutes)

    @property
    def is_clock(self) -> bool:
        return self.anchor == "clock"

    def on(self, day: date, hours: HoursCalendar) -> datetime:
        """A clock time's moment on `day` (the calendar's DST policy)."""
        return local_moment(day, self.minutes, hours.zone)

    def relative_to(self, opening: datetime, closing: datetime) -> datetime:
        """A relative time's moment from a given (real) opening and closing."""
        return (opening if self.anchor == "open" else closing) + timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        if self.anchor == "clock":
            return minutes_text(self.minutes)
        if not self.minutes:
            return self.anchor
        sign = "+" if self.minutes > 0 else "-"
        return f"{self.anchor}{sign}{duration_spec(timedelta(minutes=abs(self.minutes)))}"


def parse_timespec(text: str, allow_clock: bool = True) -> TimeSpec:
    text = text.strip()
    if allow_clock and ":" in text:
        return TimeSpec("clock", parse_clock(text))
    found = _RELATIVE.match(text)
    if not found or (found.group(2) and not (found.group(3) or found.group(4))):
        example = "21:00, close-15m or open+1h30m" if allow_clock else "close-15m or open+1h30m"
        raise ValueError(f"'{text}' is not a time relative to opening or closing (e.g. {example})")
    anchor, sign, hours, minutes = found.groups()
    offset = int(hours or 0) * 60 + int(minutes or 0)
    if offset > 12 * 60:
        raise ValueError(f"'{text}' is more than 12 hours from {anchor}ing")
    return TimeSpec(anchor, -offset if sign == "-" else offset)


def parse_duration(text: str) -> timedelta:
    """'10m', '2h', '1h30m' -> a positive timedelta."""
    found = _DURATION.match(text.strip())
    if not text.strip() or not found or not (found.group(1) or found.group(2)):
        raise ValueError(f"'{text}' is not a duration (e.g. 10m, 2h, 1h30m)")
    span = timedelta(hours=int(found.group(1) or 0), minutes=int(found.group(2) or 0))
    if not span:
        raise ValueError(f"'{text}' is zero: a duration must be at least a minute")
    return span


def duration_spec(span: timedelta) -> str:
    hours, minutes = divmod(int(span.total_seconds() // 60), 60)
    return f"{f'{hours}h' if hours else ''}{f'{minutes}m' if minutes else ''}" or "0m"

"""Timed tasks and the plan of prompts.

`plan(first_day, last_day, hours, tasks)` is a pure function of the days, the
hours calendar and the tasks: the scheduler registers what it returns as date
jobs. It plans a range of days in one go, so a prompt is never planned twice
at the seam between two days.

What is planned follows the building's real openings and closings, taken from
the calendar's open spans (periods that touch, such as a 24:00 closing and the
next day's 00:00 opening, are one span):
- a clock time ('19:00') is planned on each day the library has hours;
- an 'open±…' prompt comes at every real opening (the start of a span), a
  'close±…' prompt at every real closing (the end of a span): never at the
  midnight seam of a library open round the clock, and at 00:30 on Saturday
  when Friday's late night runs to 00:30;
- `every` rounds run inside each open span only, as one series from its real
  opening (or `from` relative to it) to its real closing (or `until` relative
  to it): a late night that runs past midnight, or a library open round the
  clock, keeps its rhythm across midnight instead of restarting at 00:00, and
  nothing is planned while the building is closed. A span open for longer than
  the calendar looks back (LOOK_BACK_DAYS) keeps a fixed phase counted from
  ROUND_EPOCH_DAY. A clock time in `from` or `until` is daily, inside the
  open span: a clock `from` starts a series at that time every day, counted
  from it, in the span open then (or opening later that day), running until
  the next day's `from` or the `until` (so '17:00' to 'close-1h' on a late
  night runs past midnight); a clock `until` stops the
  rounds at that time every day, and they go on the next day from 00:00 (or
  the real opening), in the span's rhythm; with both, a `until` earlier than
  the `from` is the next day's ('22:00' to '02:00' runs past midnight);
- each prompt belongs to one day: a clock time to the day it is planned on, an
  opening or closing prompt to the day whose hours hold that opening or
  closing (a 24:00 closing belongs to the day it ends), a round to the local
  date it falls on (one at a real 24:00 closing: that day). `days` (weekdays)
  are checked against that day, and plan(first, last) returns the prompts
  belonging to first..last.

Daylight-saving policy, explicit so that no prompt is skipped or doubled:
- clock times use the calendar's rule (a skipped 02:30 becomes 03:30; a
  repeated 01:30 is its first occurrence) — each happens exactly once;
- relative times and repeats are offsets in real time from real moments;
- every prompt has a key (task id + UTC moment): the same prompt planned twice
  is one prompt.
"""

from datetime import date, datetime, timedelta
from typing import Iterator, NamedTuple

from shift.clock import to_iso
from shift.hours import HoursCalendar, OpenSpan, local_moment
from shift.timespec import TimeSpec

# Rounds in a span whose real opening is out of sight are counted from local midnight of this day.
ROUND_EPOCH_DAY = date(2000, 1, 3)
MAX_ROUNDS_A_DAY = 24 * 60


class Task(NamedTuple):
    id: str
    title: str
    instructions: str = ""
    at: TimeSpec | None = None  # a single prompt...
    every: timedelta | None = None  # ...or one every so often,
    start: TimeSpec | None = None  # from here
    until: TimeSpec | None = None  # to here (inclusive)
    weekdays: frozenset[int] = frozenset()  # 0 = Monday; empty means every day
    solo_only: bool = False
    acknowledge: bool = True
    escalate_after: timedelta | None = None
    completed_by: str = ""  # "procedure-id.step-id" whose completion does this task


class Prompt(NamedTuple):
    task: Task
    due_at: datetime  # UTC

    @property
    def key(self) -> str:
        return f"{self.task.id}@{to_iso(self.due_at)}"


def plan(first_day: date, last_day: date, hours: HoursCalendar,
         tasks: list[Task] | tuple[Task, ...]) -> list[Prompt]:
    """Every prompt belonging to the local days `first_day`..`last_day`, in time order, each exactly once."""
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    spans = hours.open_spans(first_day, last_day) if days else []
    prompts: dict[str, Prompt] = {}
    for task in tasks:
        for day, moment in _moments(task, hours, days, spans):
            if not first_day <= day <= last_day:
                continue
            if task.weekdays and day.weekday() not in task.weekdays:
                continue
            if task.solo_only and not hours.is_solo(moment):
                continue
            prompt = Prompt(task, moment)
            prompts.setdefault(prompt.key, prompt)
    return sorted(prompts.values(), key=lambda p: (p.due_at, p.task.id))


def plan_day(day: date, hours: HoursCalendar, tasks: list[Task] | tuple[Task, ...]) -> list[Prompt]:
    """Every prompt belonging to `day` (a local date). Plan several days with `plan`, not by adding these up."""
    return plan(day, day, hours, tasks)


def _moments(task: Task, hours: HoursCalendar, days: list[date],
             spans: list[OpenSpan]) -> Iterator[tuple[date, datetime]]:
    """(the day it belongs to, the moment) for each time the task comes round."""
    if task.at is not None:
        if task.at.is_clock:
            yield from ((day, task.at.on(day, hours)) for day in days if not hours.day(day).closed)
        elif task.at.anchor == "open":
            yield from ((s.opened_on, task.at.relative_to(s.start, s.end)) for s in spans if s.opened_on)
        else:
            yield from ((s.closes_on, task.at.relative_to(s.start, s.end)) for s in spans if s.closes_on)
    elif task.every is not None:
        for span in spans:
            yield from _rounds(task, task.every, hours, span, days)


def _rounds(task: Task, every: timedelta, hours: HoursCalendar, span: OpenSpan,
            days: list[date]) -> Iterator[tuple[date, datetime]]:
    start, until = task.start, task.until
    phase = span.start if span.opened_on is not None else local_moment(ROUND_EPOCH_DAY, 0, hours.zone)
    anchor = phase if start is None or start.is_clock else start.relative_to(phase, span.end)
    last = span.end if until is None or until.is_clock else until.relative_to(span.start, span.end)
    # The rounds asked for: inside the span and the days planned (a 24:00 closing included).
    lo = max(span.start, local_moment(days[0], 0, hours.zone))
    hi = min(span.end, local_moment(days[-1] + timedelta(days=1), 0, hours.zone))
    if start and start.is_clock:
        # A clock `from` starts a series at that time each day, which runs until the
        # next day's (or `until`): a late night keeps its rounds past midnight.
        windows = []
        for day in [days[0] - timedelta(days=1), *days]:
            grid = start.on(day, hours)
            if grid >= span.end or (grid < span.start and hours.local_date(span.start) != day):
                continue  # a day's series stays in the span open then, or opening later that day
            stop = start.on(day + timedelta(days=1), hours) - timedelta(microseconds=1)
            if until and until.is_clock:
                end = until.on(day, hours)
                if end < grid:  # from 22:00 until 02:00 runs past midnight
                    end = until.on(day + timedelta(days=1), hours)
            else:
                end = min(last, stop)
            windows.append((grid, max(lo, grid), min(hi, end)))
    elif until and until.is_clock:
        # A clock `until` stops the rounds at that time each day; they go on the next
        # day from 00:00 (or the real opening), in the span's rhythm.
        windows = [(anchor, max(lo, anchor, local_moment(day, 0, hours.zone)), min(hi, until.on(day, hours)))
                   for day in days]
    else:
        windows = [(anchor, max(lo, anchor), min(hi, last))]
    for grid, begin, end in windows:
        count = 0
        moment = grid + max(0, -((grid - begin) // every)) * every
        while moment <= end and count < MAX_ROUNDS_A_DAY * len(days):
            owner = span.closes_on if moment == span.end and span.closes_on else hours.local_date(moment)
            yield owner, moment
            moment += every
            count += 1

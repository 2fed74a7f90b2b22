"""Timed tasks and the day's plan of prompts.

`plan_day` is a pure function of the date, the hours calendar and the tasks:
the scheduler registers what it returns as date jobs. Daylight-saving policy,
explicit so that no prompt is skipped or doubled:
- clock times use the calendar's rule (a skipped 02:30 becomes 03:30; a
  repeated 01:30 is its first occurrence) — each happens exactly once;
- relative times and repeats are offsets in real time from real moments;
- every prompt has a key (task id + UTC moment): the same prompt planned twice
  is one prompt.
"""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from shift.clock import to_iso
from shift.hours import HoursCalendar
from shift.timespec import TimeSpec


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


def plan_day(day: date, hours: HoursCalendar, tasks: list[Task] | tuple[Task, ...]) -> list[Prompt]:
    """Every prompt due on `day` (a local date), in time order, each exactly once."""
    if hours.day(day).closed:
        return []  # a closure has no desk to prompt
    prompts: dict[str, Prompt] = {}
    for task in tasks:
        if task.weekdays and day.weekday() not in task.weekdays:
            continue
        for moment in _moments(task, hours, day):
            if task.solo_only and not hours.is_solo(moment):
                continue
            prompt = Prompt(task, moment)
            prompts.setdefault(prompt.key, prompt)
    return sorted(prompts.values(), key=lambda p: (p.due_at, p.task.id))


def _moments(task: Task, hours: HoursCalendar, day: date) -> list[datetime]:
    if task.at is not None:
        # A closing announcement is for a real closing, not the midnight of a library open round the clock.
        moment = task.at.at(hours, day, real_edges=True)
        return [] if moment is None else [moment]
    first = task.start.at(hours, day) if task.start else hours.opening(day)
    last = task.until.at(hours, day) if task.until else hours.closing(day)
    if first is None or last is None or task.every is None:
        return []
    moments = []
    moment = first
    while moment <= last and len(moments) < 24 * 60:
        moments.append(moment)
        moment += task.every
    return moments


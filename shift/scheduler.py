"""APScheduler on the desk's event loop: date jobs that wake the desk when a prompt is due.

The jobs only wake the desk; what fires is decided from the database
(shift.prompts), so a job that runs twice, late, or after a restart can
neither double nor lose a prompt. The plan is made for yesterday, today and
tomorrow in one go (shift.tasks.plan: a prompt at a midnight seam is planned
once) at start, re-made after each local midnight and whenever the site file changes,
and a periodic wake-up catches up after the machine slept. Missed jobs are
recorded (EVENT_JOB_MISSED) and reported to the desk.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from shift.clock import UTC, Clock, system_offset
from shift.hours import HoursCalendar, local_moment
from shift.tasks import Prompt, Task, plan

log = logging.getLogger("solo_shift.scheduler")

WAKE_EVERY = timedelta(seconds=20)
WAKE_SLACK = timedelta(milliseconds=5)
DECIDE_INSTANCES = 4  # a wake may set the next one while it still runs
MISFIRE_GRACE = 120  # seconds a late job may still run; later than that it is reported missed


class DeskScheduler:
    def __init__(self, clock: Clock, wake: Callable[[], Awaitable[None] | None]) -> None:
        self.clock = clock
        self.wake = wake
        self.hours: HoursCalendar | None = None
        self.tasks: tuple[Task, ...] = ()
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": MISFIRE_GRACE, "coalesce": True, "max_instances": 1}
        )
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)

    def start(self, hours: HoursCalendar, tasks: tuple[Task, ...]) -> None:
        """Start on the running event loop (call from the app's on_mount)."""
        self.scheduler.start()
        self.scheduler.add_job(self._wake, "interval", seconds=WAKE_EVERY.total_seconds(), id="wake")
        self.replan(hours, tasks)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def prompts(self) -> list[Prompt]:
        """Yesterday's, today's and tomorrow's prompts (a shift may run past midnight), each once."""
        if self.hours is None:
            return []
        today = self.hours.local_date(self.clock.now())
        return plan(today - timedelta(days=1), today + timedelta(days=1), self.hours, self.tasks)

    def replan(self, hours: HoursCalendar, tasks: tuple[Task, ...]) -> None:
        self.hours, self.tasks = hours, tuple(tasks)
        for job in self.scheduler.get_jobs():
            if job.id not in ("wake", "decide"):
                job.remove()
        now = self.clock.now()
        offset = system_offset(self.clock)
        for prompt in self.prompts():
            if prompt.due_at > now:
                self.scheduler.add_job(self._wake, "date", run_date=self._machine_time(prompt.due_at, offset),
                                       id=prompt.key, replace_existing=True)
        # Re-plan just after the next local midnight: tomorrow's hours may differ.
        tomorrow = hours.local_date(now) + timedelta(days=1)
        midnight = local_moment(tomorrow, 0, hours.zone) + timedelta(seconds=5)
        self.scheduler.add_job(self._midnight, "date", run_date=self._machine_time(midnight, offset),
                               id="replan", replace_existing=True)
        prompt_jobs = [j for j in self.scheduler.get_jobs() if j.id not in ("wake", "decide", "replan")]
        log.info("planned %d prompt jobs", len(prompt_jobs))

    def wake_at(self, moment: datetime | None) -> None:
        """Wake the desk at `moment` (the next check-in reminder, escalation step, repeat or
        retry): a scheduled moment, not the next poll. A later call replaces it."""
        if moment is None:
            if self.scheduler.get_job("decide") is not None:
                self.scheduler.remove_job("decide")
            return
        # A hair after the moment: the desk's clock read on waking is never just before it.
        run_date = self._machine_time(moment + WAKE_SLACK, system_offset(self.clock))
        # Set from inside the wake that is still running: with one instance allowed, a moment a few
        # milliseconds later would be skipped as "already running" and wait for the 20-second wake.
        self.scheduler.add_job(self._wake, "date", run_date=run_date, id="decide", replace_existing=True,
                               max_instances=DECIDE_INSTANCES)

    @staticmethod
    def _machine_time(moment: datetime, offset: timedelta) -> datetime:
        return (moment - offset).astimezone(UTC)

    def job_ids(self) -> list[str]:
        return [job.id for job in self.scheduler.get_jobs()]

    async def _midnight(self) -> None:
        if self.hours is not None:
            self.replan(self.hours, self.tasks)
        await self._wake()

    async def _wake(self) -> None:
        result = self.wake()
        if result is not None:
            await result

    def _on_missed(self, event: JobExecutionEvent) -> None:
        # The prompt itself is recorded as missed by the desk's next check, from the database.
        log.warning("job %s missed its time (%s)", event.job_id, event.scheduled_run_time)

"""The desk's wake-ups on a real APScheduler and event loop."""

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from shift.clock import SystemClock
from shift.hours import HoursCalendar
from shift.scheduler import DeskScheduler


async def test_a_moment_set_from_inside_a_running_wake_a_few_ms_later_is_not_skipped():
    """A reminder's wake sets the next moment (a repeat 4 ms later) and is still working when it
    comes: the second wake runs then, not at the 20-second wake-up."""
    clock = SystemClock()
    woke: list[str] = []
    scheduler: DeskScheduler

    async def wake():
        woke.append("wake")
        if len(woke) == 1:
            scheduler.wake_at(clock.now() + timedelta(milliseconds=4))
            await asyncio.sleep(0.3)  # still at work (sending an alert) when the next moment comes

    scheduler = DeskScheduler(clock, wake)
    scheduler.start(HoursCalendar(ZoneInfo("America/Toronto"), {}), ())
    try:
        scheduler.wake_at(clock.now() + timedelta(milliseconds=20))
        for _ in range(100):
            if len(woke) >= 2:
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown()
    assert len(woke) >= 2  # within two seconds, not twenty

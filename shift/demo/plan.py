"""The shifts of the made-up history, following the site's hours.

A weekday has a day shift and a solo evening shift (handed over at the site's evening time);
a weekend day has one solo shift. Whoever opens arrives about half an hour early for the
opening procedure; whoever closes stays until the closing procedure is finished.
"""

from __future__ import annotations

from datetime import date, timedelta

from shift.demo.base import Demo, DemoShift
from shift.hours import local_moment
from shift.store import new_id

WORKERS = ("Sam Okafor", "Priya Natarajan", "Jordan Lee", "Marie Tremblay", "Alex Chen", "Noor Haddad")


def plan_shifts(demo: Demo, first: date, last: date) -> list[DemoShift]:
    hours = demo.site.hours
    planned: list[DemoShift] = []
    day = first
    while day <= last:
        openings, closings = set(hours.real_openings(day)), set(hours.real_closings(day))
        evening = local_moment(day, hours.solo.weekday_from, hours.zone)
        for open_at, close_at in hours.intervals(day):
            cuts = [open_at, close_at]
            if day.weekday() < 5 and open_at < evening < close_at:
                cuts = [open_at, evening, close_at]
            start = None
            for begin, finish in zip(cuts, cuts[1:], strict=False):
                opens = begin if begin in openings else None
                closes = finish if finish in closings else None
                if start is None:  # the first shift of the interval
                    start = begin - demo.minutes(25, 40) if opens else begin
                # Whoever closes stays for the closing procedure (moved later if it runs long).
                end = finish + demo.minutes(22, 30) if closes else finish + demo.minutes(0, 4)
                planned.append(DemoShift(
                    id=new_id(), day=day, start=start, end=end, worker=demo.pick(WORKERS),
                    desk=demo.site.desks[0].id, solo=hours.is_solo(max(begin, start) + timedelta(minutes=1)),
                    opens=opens, closes=closes, open_from=begin, open_until=finish))
                start = end + demo.seconds(20, 90)  # the next person signs in after the handover
        day += timedelta(days=1)
    return planned

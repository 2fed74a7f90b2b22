"""A realistic synthetic history, for trying the app and for benchmarks.

Shifts follow the site's opening hours (a day shift, then a solo evening
shift, one shift at weekends); desk questions follow a believable
weekday × hour pattern, busier in exam periods. Same seed, same history.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from shift.clock import to_iso
from shift.hours import local_moment
from shift.site import Site
from shift.store import Store, new_id

WORKERS = ("Sam Okafor", "Priya Natarajan", "Jordan Lee", "Marie Tremblay", "Alex Chen")
# Relative busyness by local hour: a late-morning and early-afternoon peak.
HOUR_WEIGHT = {8: 0.4, 9: 0.7, 10: 1.0, 11: 1.3, 12: 1.2, 13: 1.4, 14: 1.3, 15: 1.1, 16: 0.9,
               17: 0.7, 18: 0.6, 19: 0.6, 20: 0.5, 21: 0.4, 22: 0.2, 23: 0.1}
WEEKDAY_WEIGHT = (1.2, 1.2, 1.1, 1.0, 0.8, 0.5, 0.6)  # Monday .. Sunday
CATEGORY_WEIGHT = {"directional": 30, "informational": 22, "circulation": 20, "technology": 14,
                   "reference": 8, "rooms": 5, "accessibility": 1}
CHANNEL_WEIGHT = {"in_person": 80, "phone": 12, "email": 6, "chat": 2}
HANDOVERS = (
    "Quiet evening. Printer 2 jammed twice; cleared.",
    "Returns bin emptied and checked in at 21:00.",
    "Group room 304 whiteboard markers out; ordered more.",
    "Patron asked about weekend hours in exam period; gave the posted hours.",
    "",
)
FOLLOWUPS = (
    "Microfilm reader 2 not advancing film: facilities ticket needed",
    "Lost-and-found: black umbrella left at the desk",
    "Hold shelf: two items past pickup date",
)
BASE_PER_HOUR = 6.0


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _pick(rng: random.Random, weights: Mapping[str, float], allowed: set[str]) -> str:
    items = [(k, w) for k, w in weights.items() if k in allowed] or [(a, 1) for a in sorted(allowed)]
    return rng.choices([k for k, _ in items], [w for _, w in items])[0]


def write_demo(store: Store, site: Site, days: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    hours = site.hours
    today = hours.local_date(store.clock.now())
    categories = {c.id: c for c in site.tally.categories}
    channels = {c.id for c in site.tally.channels}
    shifts, ends, tallies, followups, unmailed = [], [], [], [], []
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        for open_at, close_at in hours.intervals(day):
            evening = local_moment(day, hours.solo.weekday_from, hours.zone)
            cuts = [open_at, close_at]
            if day.weekday() < 5 and open_at < evening < close_at:
                cuts = [open_at, evening, close_at]
            for start, end in zip(cuts, cuts[1:], strict=False):
                shift_id = new_id()
                shifts.append({"id": shift_id, "started_at": to_iso(start), "worker": rng.choice(WORKERS),
                               "desk": site.desks[0].id})
                tallies += _tallies(rng, site, shift_id, start, end, categories, channels)
                ends.append({"id": new_id(), "shift_id": shift_id, "ended_at": to_iso(end),
                             "handover": rng.choice(HANDOVERS)})
                # Made-up shifts must never reach a real manager's inbox.
                unmailed.append({"id": new_id(), "shift_id": shift_id, "at": to_iso(end),
                                 "outcome": "skipped", "detail": "synthetic demo history: not emailed"})
                if rng.random() < 0.05:
                    followups.append({"id": new_id(), "shift_id": shift_id, "created_at": to_iso(end),
                                      "text": rng.choice(FOLLOWUPS)})
    with store.db.atomic():
        store.db.table("shifts").insert_all(shifts, batch_size=1000)
        store.db.table("tallies").insert_all(tallies, batch_size=1000)
        store.db.table("shift_ends").insert_all(ends, batch_size=1000)
        store.db.table("followups").insert_all(followups, batch_size=1000)
        store.db.table("report_emails").insert_all(unmailed, batch_size=1000)
    return f"wrote {len(shifts)} shifts and {len(tallies)} desk-statistics entries over {days} days into {store.path}"


def _tallies(rng, site, shift_id, start: datetime, end: datetime, categories, channels) -> list[dict]:
    rows = []
    zone = site.hours.zone
    exam = "exam" in site.hours.day(start.astimezone(zone).date()).reason.lower()
    hour = start
    while hour < end:
        local = hour.astimezone(zone)
        mean = BASE_PER_HOUR * HOUR_WEIGHT.get(local.hour, 0.1) * WEEKDAY_WEIGHT[local.weekday()]
        mean *= 1.6 if exam else 1.0
        slot_end = min(hour + timedelta(hours=1), end)
        for _ in range(_poisson(rng, mean * (slot_end - hour) / timedelta(hours=1))):
            at = hour + (slot_end - hour) * rng.random()
            cat = _pick(rng, CATEGORY_WEIGHT, set(categories))
            read = rng.choices((1, 2, 3, 4, 5), (40, 35, 15, 8, 2))[0] if categories[cat].read else None
            rows.append({"id": new_id(), "shift_id": shift_id, "occurred_at": to_iso(at),
                         "recorded_at": to_iso(at), "category": cat,
                         "channel": _pick(rng, CHANNEL_WEIGHT, channels), "read_level": read,
                         "quantity": 1, "note": ""})
        hour = slot_end
    return rows

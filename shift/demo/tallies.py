"""Desk questions, tallied as the desk does: a believable weekday × hour pattern, busier in
exam periods, each entry recorded the moment it happened."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import timedelta

from shift.clock import to_iso
from shift.demo.base import Demo, DemoShift

# Relative busyness by local hour: a late-morning and early-afternoon peak.
HOUR_WEIGHT = {8: 0.4, 9: 0.7, 10: 1.0, 11: 1.3, 12: 1.2, 13: 1.4, 14: 1.3, 15: 1.1, 16: 0.9,
               17: 0.7, 18: 0.6, 19: 0.6, 20: 0.5, 21: 0.4, 22: 0.2, 23: 0.1}
WEEKDAY_WEIGHT = (1.2, 1.2, 1.1, 1.0, 0.8, 0.5, 0.6)  # Monday .. Sunday
CATEGORY_WEIGHT = {"directional": 30, "informational": 22, "circulation": 20, "technology": 14,
                   "reference": 8, "rooms": 5, "accessibility": 1}
CHANNEL_WEIGHT = {"in_person": 80, "phone": 12, "email": 6, "chat": 2}
READ_WEIGHT = {1: 40, 2: 35, 3: 15, 4: 8, 5: 2}
# Questions an hour at the busiest weekday hour is about 1.4 × 1.2 × this: a busy main desk.
BASE_PER_HOUR = 15.0
# Entries logged afterwards with details: (how many, the note).
LATE_ENTRIES = ((1, ""), (2, ""), (3, "Group of students, same question"),
                (2, "Asked at the desk while the phone rang"), (1, "Logged after the queue cleared"))
EXAM_FACTOR = 1.6


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _chooser(weights: Mapping, allowed: set) -> tuple[list, list]:
    items = [(k, w) for k, w in weights.items() if k in allowed] or [(a, 1) for a in sorted(allowed)]
    return [k for k, _ in items], [w for _, w in items]


def write_tallies(demo: Demo, planned: DemoShift) -> int:
    """The shift's desk-statistics entries while the building was open; returns how many."""
    site, rng = demo.site, demo.rng
    categories = {c.id: c for c in site.tally.categories}
    cats, cat_weights = _chooser(CATEGORY_WEIGHT, set(categories))
    chans, chan_weights = _chooser(CHANNEL_WEIGHT, {c.id for c in site.tally.channels})
    zone = site.hours.zone
    exam = "exam" in site.hours.day(planned.day).reason.lower()
    start, end = max(planned.start, planned.open_from), min(planned.end, planned.open_until)
    count = 0
    hour = start
    while hour < end:
        local = hour.astimezone(zone)
        mean = BASE_PER_HOUR * HOUR_WEIGHT.get(local.hour, 0.1) * WEEKDAY_WEIGHT[local.weekday()]
        mean *= EXAM_FACTOR if exam else 1.0
        slot_end = min(hour + timedelta(hours=1), end)
        for _ in range(_poisson(rng, mean * (slot_end - hour) / timedelta(hours=1))):
            at = hour + (slot_end - hour) * rng.random()
            cat = rng.choices(cats, cat_weights)[0]
            read = rng.choices(list(READ_WEIGHT), list(READ_WEIGHT.values()))[0] if categories[cat].read else None
            recorded, quantity, note = at, 1, ""
            if rng.random() < 0.02:  # logged afterwards with details (l): a group, a note
                recorded = min(at + demo.minutes(3, 30), planned.end)
                quantity, note = rng.choice(LATE_ENTRIES)
            row = demo.add("tallies", shift_id=planned.id, occurred_at=to_iso(at), recorded_at=to_iso(recorded),
                           category=cat, channel=rng.choices(chans, chan_weights)[0], read_level=read,
                           quantity=quantity, note=note)
            if rng.random() < 0.008:  # the wrong key: undone at once (u), a void, nothing deleted
                demo.add("tally_voids", tally_id=row["id"], shift_id=planned.id,
                         voided_at=to_iso(recorded + demo.seconds(2, 15)))
            count += 1
        hour = slot_end
    return count

"""What every part of the demo shares: the desk's store under a clock that travels through the
history, one seeded random source, and rows gathered for a bulk insert.

Low-volume records are written by the desk's own functions with the clock set to the moment
(so they are right by construction); bulk rows (tallies, procedure steps, timer events) are
gathered here as the same dicts those functions write and inserted together.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shift.clock import UTC, FixedClock
from shift.shifts import Shift
from shift.site import Site
from shift.store import Store, new_id

# Parents before children: the foreign keys are checked row by row.
TABLE_ORDER = ("procedure_versions", "procedure_runs", "step_outcomes", "step_notes", "run_ends",
               "tallies", "prompt_events", "checkin_events", "followups", "shift_ends", "report_emails")


@dataclass
class DemoShift:
    """One shift of the made-up history, planned before anything is written."""

    id: str
    day: date
    start: datetime
    end: datetime  # moved later when the closing procedure runs long
    worker: str
    desk: str
    solo: bool  # alone at the desk: a weekday evening or a weekend
    opens: datetime | None  # the real opening this shift does (the opening procedure)
    closes: datetime | None  # the real closing this shift does (the closing procedure)
    open_from: datetime  # the part of the shift the building is open: questions at the desk
    open_until: datetime

    @property
    def shift(self) -> Shift:
        return Shift(self.id, self.start, self.worker, self.desk)


class Demo:
    def __init__(self, store: Store, site: Site, seed: int) -> None:
        self.store = store
        self.site = site
        self.rng = random.Random(seed)
        self.clock = FixedClock(store.clock.now())
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.until = store.clock.now()  # the end of the history: nothing is recorded from then on

    # -- time ----------------------------------------------------------------------

    def at(self, moment: datetime) -> datetime:
        """Set the desk's clock to `moment` (what the next record says), and return it."""
        self.clock.moment = moment.astimezone(UTC)
        return moment

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def seconds(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=self.rng.uniform(low, high))

    # -- chance --------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items):
        return self.rng.choice(items)

    # -- bulk rows -------------------------------------------------------------------

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        """A row for the bulk insert, with its id, exactly as the desk's function would write it."""
        written = {"id": new_id(), **row}
        self.rows[table].append(written)
        return written

    def flush(self) -> None:
        """Insert the gathered rows, parents first, inside the caller's transaction."""
        for table in TABLE_ORDER + tuple(t for t in self.rows if t not in TABLE_ORDER):
            self.store.write_rows(table, self.rows.pop(table, []))  # chained, in the order gathered

"""Keypress-to-committed-row latency of a tally, against a bare SQLite insert.

App: SoloShiftApp under `app.run_test()` (Textual's Pilot) on a temp database
with an open shift, so it opens on the desk screen. For each of PRESSES presses
of "d" (a directional tally) the clock starts just before
`await pilot.press("d")` and stops when a SECOND sqlite3 connection to the same
file sees the new row. The second connection is polled (count(*)) by a task on
the app's own event loop at every turn of the loop until the row appears, so
it sees the row as soon as the key handler that committed it yields; a watcher
thread was tried and rejected, as its fight for the GIL added milliseconds of
noise to what it measured.

Pilot.press() itself returns only after at least two 20 ms idle waits
(textual/_wait.py), so the time press() takes is printed separately, with how
often the row was already visible when it returned.

Baseline: after each press (the app idle), one equivalent row into another
temp database, a bare INSERT + commit with plain sqlite3 under the same
durability settings (journal_mode=WAL, synchronous=FULL, foreign_keys=ON),
timed the same way: from just before the INSERT until a second connection sees
it. Interleaving keeps the pace and the disk's state the same for both. Its row
carries a constant of the chain's size where the app computes the chain (the
schema refuses a row without one; bench/chain.py measures the chaining).
Prints median and p99 in ms for both, and the goal.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from _common import QUICK, app_extras, figure, load_site, make_db, median, percentile, save_figures

PRESSES = 100 if QUICK else 300
UNCHAINED = "0" * 64 + ":" + "0" * 16
GOAL_P99_MS = 20.0


def tally_count(reader: sqlite3.Connection) -> int:
    return reader.execute("SELECT count(*) FROM tallies").fetchone()[0]


async def first_seen(reader: sqlite3.Connection, expected: int) -> float:
    """When the reader first sees `expected` rows, checking at every turn of the event loop."""
    while tally_count(reader) < expected:
        await asyncio.sleep(0)
    return time.perf_counter()


class BareInserts:
    """The baseline: plain sqlite3, same durability settings, same count(*) check from a second connection."""

    def __init__(self, db: Path) -> None:
        self.writer = sqlite3.connect(db, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.writer.execute(f"PRAGMA {pragma}")
        self.reader = sqlite3.connect(db, isolation_level=None)
        self.shift_id = self.writer.execute("SELECT id FROM shifts").fetchone()[0]
        self.expected = tally_count(self.reader)

    def insert_one(self) -> float:
        self.expected += 1
        start = time.perf_counter()
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())
        self.writer.execute("BEGIN")
        self.writer.execute(
            "INSERT INTO tallies (id, shift_id, occurred_at, recorded_at, category, channel,"
            " read_level, quantity, note, chain) VALUES (?, ?, ?, ?, 'directional', 'in_person', NULL, 1, '', ?)",
            (str(uuid.uuid4()), self.shift_id, now, now, UNCHAINED),
        )
        self.writer.execute("COMMIT")
        while tally_count(self.reader) < self.expected:
            pass
        return time.perf_counter() - start

    def close(self) -> None:
        self.writer.close()
        self.reader.close()


async def measure(app_db: Path, baseline: BareInserts) -> tuple[list[float], list[float], list[float], int]:
    """Press "d" PRESSES times; after each press, one baseline insert (same pace, same disk conditions)."""
    from shift.store import Store
    from tui.app import SoloShiftApp

    site, problems = load_site()
    reader = sqlite3.connect(app_db, isolation_level=None)
    latencies, press_times, base, there_on_return = [], [], [], 0
    with Store.open(app_db) as store:
        app = SoloShiftApp(store, site, problems, **app_extras())
        async with app.run_test() as pilot:
            while not app.screen.query("#counts"):  # wait for the desk screen
                await pilot.pause(0.01)
            expected = tally_count(reader)
            for _ in range(PRESSES):
                expected += 1
                seen = asyncio.create_task(first_seen(reader, expected))
                start = time.perf_counter()
                await pilot.press("d")
                press_times.append(time.perf_counter() - start)
                there_on_return += seen.done()
                latencies.append(await asyncio.wait_for(seen, 10) - start)
                base.append(baseline.insert_one())
    reader.close()
    return latencies, press_times, base, there_on_return


def main() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="solo-shift-bench-") as tmp:
        tmp = Path(tmp)
        baseline = BareInserts(make_db(tmp / "baseline.db"))
        app, press_times, base, there_on_return = asyncio.run(measure(make_db(tmp / "app.db"), baseline))
        baseline.close()

    print(f"keypress 'd' to row visible from a second connection, {PRESSES} presses")
    for name, values in (("app (Pilot)", app), ("bare INSERT", base)):
        print(f"  {name:<12} median {median(values) * 1000:6.2f} ms   p99 {percentile(values, 99) * 1000:6.2f} ms"
              f"   max {max(values) * 1000:6.2f} ms")
    print(f"  pilot.press() round trip: median {median(press_times) * 1000:6.2f} ms (Pilot's idle waits included);"
          f" row already visible on return: {there_on_return}/{PRESSES}")
    p99 = percentile(app, 99) * 1000
    print(f"  app / bare INSERT (median): {median(app) / median(base):.1f}x")
    print(f"  goal: app p99 under {GOAL_P99_MS:.0f} ms -> {'meets' if p99 < GOAL_P99_MS else 'MISSES'}")
    p50 = median(app) * 1000
    return [figure(f"keypress to committed row, {PRESSES} tallies, hash chain included (Pilot)",
                   f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (bare INSERT p50 {median(base) * 1000:.1f},"
                   f" p99 {percentile(base, 99) * 1000:.1f} ms)",
                   f"p99 under {GOAL_P99_MS:.0f} ms", p99 < GOAL_P99_MS, p50_ms=p50, p99_ms=p99)]


if __name__ == "__main__":
    save_figures(main())

"""What the tamper-evident chain costs: per tally written, for one shift's report, for `main.py verify`.

On the realistic five-year database (bench/_common.py make_realistic_db), with its open shift:

- a tally written through the desk's own path (`shift.tally.record`: Store.insert, one transaction,
  synchronous=FULL), ROUNDS times chained as the desk does it, interleaved with ROUNDS times with
  the chaining replaced by a constant value (the same row size, the same trigger): the difference
  of the medians is what chaining adds to a key press. Goal: under 1 ms.
- `chain.link` alone for one tally (the read of the table's last link, the canonical encoding,
  one SHA-256), timed in a tight loop.
- the report's line for one demo shift (`chain.shift_line`), `main.py verify`'s walk of every
  table (`chain.verify`), in rows per second, and the upgrade's sealing of every row already
  there (migration 014's `chain.fill`, rolled back).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _common import QUICK, figure, load_site, make_realistic_db, median, percentile, save_figures

ROUNDS = 100 if QUICK else 300
GOAL_MS = 1.0


def main() -> list[dict]:
    from shift import chain, tally
    from shift.schema import APPEND_ONLY
    from shift.shifts import open_shift
    from shift.store import Store

    site, _ = load_site()
    with tempfile.TemporaryDirectory(prefix="solo-shift-bench-") as tmp:
        path, said = make_realistic_db(Path(tmp) / "desk.db")
        print(f"realistic database: {said}")
        with Store.open(path) as store:
            store.verify()  # the integrity check's verdict first: writes wait for it
            shift = open_shift(store)
            assert shift is not None
            # Read first: the rounds below write rows with a constant in place of the chain.
            demo_shift = store.rows("SELECT id FROM shifts ORDER BY rowid DESC LIMIT 1 OFFSET 1")[0]["id"]
            lines = []
            for _ in range(7):
                start = time.perf_counter()
                line = chain.shift_line(store.conn, demo_shift)
                lines.append(time.perf_counter() - start)

            start = time.perf_counter()
            verdicts = chain.verify(store.conn)
            walk = time.perf_counter() - start
            rows = sum(v.verified for v in verdicts)
            assert not any(v.broken for v in verdicts), [v.broken for v in verdicts if v.broken]
            # The upgrade's work on a database from before the chain (migration 014), rolled back.
            store.conn.execute("BEGIN IMMEDIATE")
            start = time.perf_counter()
            for table in APPEND_ONLY:
                store.conn.execute(f"DROP TRIGGER {table}_no_update")
                chain.fill(store.conn, table)
            upgrade = time.perf_counter() - start
            store.conn.execute("ROLLBACK")
            real_link = chain.link
            constant = "0" * 64 + ":" + "0" * chain.TAG

            def unchained(conn, table, rows):
                return [{**row, "chain": constant} for row in rows]

            with_chain, without = [], []
            for _ in range(ROUNDS):
                for timings, link in ((with_chain, real_link), (without, unchained)):
                    chain.link = link
                    start = time.perf_counter()
                    tally.record(store, site.tally, shift, "directional")
                    timings.append(time.perf_counter() - start)
            chain.link = real_link

            row = {"id": "x", "shift_id": shift.id, "occurred_at": store.now_iso(), "recorded_at": store.now_iso(),
                   "category": "directional", "channel": "in_person", "read_level": None, "quantity": 1, "note": ""}
            links = []
            for _ in range(2000):
                start = time.perf_counter()
                chain.link(store.conn, "tallies", [row])
                links.append(time.perf_counter() - start)


    added = (median(with_chain) - median(without)) * 1000
    print(f"a tally through the desk's path (tally.record), {ROUNDS} each, interleaved:")
    for name, values in (("chained", with_chain), ("constant", without)):
        print(f"  {name:<9} median {median(values) * 1000:6.3f} ms   p99 {percentile(values, 99) * 1000:6.3f} ms")
    print(f"  chaining adds (difference of medians): {added:.3f} ms")
    print(f"chain.link alone, one tally: median {median(links) * 1e6:.0f} µs, p99 {percentile(links, 99) * 1e6:.0f} µs")
    print(f"report line for one shift: median {median(lines) * 1000:.1f} ms ({line})")
    print(f"verify, every table: {rows} rows in {walk:.2f} s ({rows / walk:,.0f} rows/s)")
    print(f"the upgrade sealing them (migration 014, before its commit): {upgrade:.2f} s")
    cost = max(added, median(links) * 1000)
    print(f"goal: chaining under {GOAL_MS:.0f} ms per tally -> {'meets' if cost < GOAL_MS else 'MISSES'}")
    return [figure("hash chain: what chaining adds to a tally, five-year database",
                   f"{added:.3f} ms (chain.link alone {median(links) * 1e6:.0f} µs);"
                   f" verify {rows:,} rows in {walk:.1f} s", f"under {GOAL_MS:.0f} ms per tally", cost < GOAL_MS,
                   added_ms=added, verify_s=walk, rows=rows)]


if __name__ == "__main__":
    save_figures(main())

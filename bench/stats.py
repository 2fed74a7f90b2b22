"""The coordinator's statistics over a one-year demo database, against a hand-written GROUP BY.

Builds (or reuses) `build/bench-stats-year.db` with `python main.py demo --days 365`
(pass another path as the first argument to use that database). Times, interleaved,
ROUNDS times each, in one process on one read-only connection:

- stats: `shift.stats.build` for the last 365 days: every figure of `python main.py stats`
  (heat map with the opening-hours calendar, types, channels, READ, weeks, survey,
  incidents, task and check-in punctuality), without rendering;
- floor (heat map): one hand-written GROUP BY giving the weekday x hour load in local time
  over the same rows (voids excluded), the query the statistics cannot do without;
- floor (category): the cheapest GROUP BY over those rows (by category, voids excluded).

Prints medians and the ratios, and the figures themselves. Goal (issue #17): the
statistics under 0.3 s and within 3x of the floor.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from _common import QUICK, ROOT, figure, load_site, save_figures

from shift import stats, statspage
from shift.clock import to_iso

ROUNDS = 5 if QUICK else 15
GOAL_MS, GOAL_RATIO = 300.0, 3.0


def year_db() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    path = ROOT / "build" / "bench-stats-year.db"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--days", "365", "--db", str(path)],
                       check=True)
    return path


def main() -> list[dict]:
    site, _ = load_site()
    path = year_db()
    sources = stats.Sources.open([path])
    last = site.hours.local_date(sources.stores[0].clock.now())
    first = last - timedelta(days=364)
    start, end = stats.bounds(site.zone, first, last)
    params = {"start": to_iso(start), "end": to_iso(end)}
    local = stats.local_time_sql(site.zone, start, end)
    live = ("FROM tallies t LEFT JOIN tally_voids v ON v.tally_id = t.id "
            "WHERE v.id IS NULL AND t.occurred_at >= :start AND t.occurred_at < :end")
    floors = {
        "floor (heat map)": f"SELECT strftime('%w %H', {local.local.format(col='t.occurred_at')}) AS slot, "
                            f"SUM(t.quantity) {live} GROUP BY slot",
        "floor (category)": f"SELECT t.category, SUM(t.quantity) {live} GROUP BY t.category",
    }
    times: dict[str, list[float]] = {"stats": [], **{name: [] for name in floors}}
    figures = None
    for _ in range(ROUNDS):
        began = time.perf_counter()
        figures = stats.build(sources, site, first, last)
        times["stats"].append(time.perf_counter() - began)
        for name, sql in floors.items():
            began = time.perf_counter()
            sources.conn.execute(sql, params).fetchall()
            times[name].append(time.perf_counter() - began)
    rows = sources.conn.execute(f"SELECT COUNT(*), SUM(t.quantity) {live}", params).fetchone()
    sources.close()
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    print(f"one-year database {path}: {rows[0]} live entries ({rows[1]} questions), {first} to {last}")
    for name, ms in medians.items():
        print(f"  {name:<18} median {ms:7.1f} ms  (min {min(times[name]) * 1000:.1f}, max "
              f"{max(times[name]) * 1000:.1f}, {ROUNDS} runs)")
    for name in floors:
        print(f"  stats / {name}: {medians['stats'] / medians[name]:.2f}x")
    print(f"  goal: under {GOAL_MS:.0f} ms and within {GOAL_RATIO:.0f}x of the floor (the heat map's own GROUP BY)")
    assert figures is not None
    print()
    print(statspage.render_text(figures))
    ratio = medians["stats"] / medians["floor (heat map)"]
    return [figure(f"statistics over a one-year demo database ({rows[0]:,} entries)",
                   f"{medians['stats']:.0f} ms, {ratio:.1f}× the heat map's GROUP BY"
                   f" ({medians['floor (heat map)']:.0f} ms)",
                   f"under {GOAL_MS:.0f} ms, within {GOAL_RATIO:.0f}×",
                   medians["stats"] < GOAL_MS and ratio <= GOAL_RATIO, ms=medians["stats"], ratio=ratio)]


if __name__ == "__main__":
    save_figures(main())

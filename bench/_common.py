"""Shared helpers for the benchmarks: paths, temp databases, timed child runs, statistics.

Importing this module puts the repository root on sys.path (the scripts are run
as `.venv/bin/python bench/NAME.py`, which only puts bench/ there) and stops
this process writing __pycache__ folders into the checkout.

Every benchmark also takes two options, taken off sys.argv here so a script's own
arguments stay where they were:
    --quick        fewer rounds (QUICK), for a first look; bench/all.py --quick passes it
    --json FILE    also write the script's headline figures to FILE as JSON (save_figures),
                   for bench/all.py to collect without reading the printed text
"""

from __future__ import annotations

import json
import math
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "data" / "site.toml"
CHILD = Path(__file__).resolve().parent / "_child.py"
sys.path.insert(0, str(ROOT))

WORKER = "Bench Worker"


def _take_options() -> tuple[bool, Path | None]:
    quick = "--quick" in sys.argv
    if quick:
        sys.argv.remove("--quick")
    target = None
    if "--json" in sys.argv:
        at = sys.argv.index("--json")
        target = Path(sys.argv[at + 1])
        del sys.argv[at:at + 2]
    return quick, target


QUICK, JSON_TARGET = _take_options()


def figure(what: str, shown: str, goal: str = "", met: bool | None = None, **values: float) -> dict:
    """One row of the benchmark table: what was measured, the figure as shown, the goal in words
    (empty: none), whether it was met (None: no goal), and the raw numbers behind it."""
    return {"what": what, "figure": shown, "goal": goal, "met": met, "values": values}


def save_figures(rows: list[dict]) -> None:
    """Write the rows to the --json file, when one was asked for."""
    if JSON_TARGET is not None:
        JSON_TARGET.write_text(json.dumps(rows, indent=1))


def load_site():
    """The real site file; exits on an error in it (a warning is fine)."""
    from shift.site import load_site as load

    site, problems = load(SITE)
    errors = [p for p in problems if p.is_error]
    if errors:
        sys.exit("site file has errors:\n" + "\n".join(map(str, errors)))
    return site, problems


def app_extras() -> dict:
    """The procedures, read up front (as tests do) so no file reading lands in a timed press."""
    try:
        from shift.procedures import load_procedures
    except ImportError:
        return {}
    procedures, problems = load_procedures(ROOT / "procedures")
    return {"procedures": procedures, "procedure_problems": problems}


def make_db(path: Path, demo_days: int = 0) -> Path:
    """A desk database with an open shift, optionally after `demo_days` of synthetic history."""
    from shift.demo import write_demo
    from shift.shifts import start_shift
    from shift.store import Store

    site, _ = load_site()
    with Store.open(path) as store:
        if demo_days:
            write_demo(store, site, days=demo_days, seed=7)
        start_shift(store, WORKER, site.desks[0].id)
    return path


REALISTIC_DAYS = 1825  # five years
# The records a desk keeps besides desk statistics, per shift, when the demo writes none of them:
# scans (a busy desk's offline circulation during outages and in-house use), timed prompts (fired,
# then done), lone-worker check-ins, money, and now and then an incident.
TOP_UP_PER_SHIFT = {"circ_transactions": 25, "prompt_events": 16, "checkin_events": 8, "fees": 2,
                    "overrides": 0.3, "incidents": 0.25}


def make_realistic_db(path: Path) -> tuple[Path, str]:
    """A five-year desk database (python main.py demo --days 1825) with an open shift. Tables the demo
    leaves empty are topped up with bulk rows (TOP_UP_PER_SHIFT), so the file holds what five years
    of a desk do; returns the path and a line saying which tables were topped up."""
    from shift.shifts import start_shift
    from shift.store import Store

    site, _ = load_site()
    subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--days", str(REALISTIC_DAYS), "--db", str(path)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with Store.open(path) as store:
        filled = _top_up(store)
        start_shift(store, WORKER, site.desks[0].id)
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size / 1e6
    said = f"topped up by the bench: {', '.join(filled)}" if filled else "as the demo wrote it"
    return path, f"{REALISTIC_DAYS} days, {size:.0f} MB, {said}"


def _top_up(store) -> list[str]:
    """Bulk rows, per ended shift, in each table of TOP_UP_PER_SHIFT the demo left empty."""
    import random

    from shift.clock import from_iso, to_iso
    from shift.store import new_id

    empty = [t for t in TOP_UP_PER_SHIFT if not store.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()]
    if not empty:
        return []
    rng = random.Random(7)
    shifts = store.rows("SELECT s.id, s.started_at, e.ended_at FROM shifts s JOIN shift_ends e ON e.shift_id = s.id")
    rows: dict[str, list[dict]] = {t: [] for t in empty + ["circ_patrons"]}
    for shift in shifts:
        start, end = from_iso(shift["started_at"]), from_iso(shift["ended_at"])

        def at(start=start, end=end) -> str:  # a moment within this shift
            return to_iso(start + (end - start) * rng.random())

        def count(table: str) -> int:
            mean = TOP_UP_PER_SHIFT[table]
            return int(mean) + (rng.random() < mean - int(mean))

        base = {"shift_id": shift["id"]}
        if "circ_transactions" in empty:
            for _ in range(count("circ_transactions")):
                txn = {"id": new_id(), **base, "scanned_at": at(), "action": rng.choice(("loan", "return", "renew")),
                       "item": f"3{rng.randrange(10**12):012d}", "amount_cents": None, "warning": ""}
                rows["circ_transactions"].append(txn)
                if txn["action"] != "return":
                    rows["circ_patrons"].append({"id": new_id(), "txn_id": txn["id"],
                                                 "patron": f"2{rng.randrange(10**12):012d}"})
        if "prompt_events" in empty:
            for n in range(count("prompt_events") // 2):
                due = at()
                key = f"task-{n}@{due}"
                for event in ("fired", "done"):
                    rows["prompt_events"].append({"id": new_id(), **base, "prompt_key": key, "task_id": f"task-{n}",
                                                  "due_at": due, "event": event, "at": due, "until": None,
                                                  "reason": ""})
        if "checkin_events" in empty:
            rows["checkin_events"] += [{"id": new_id(), **base, "kind": "checkin", "at": at(), "detail": ""}
                                       for _ in range(count("checkin_events"))]
        if "fees" in empty:
            rows["fees"] += [{"id": new_id(), **base, "recorded_at": at(), "amount_cents": rng.randrange(25, 5000),
                              "method": rng.choice(("cash", "card")), "receipt": f"R-{rng.randrange(10**5)}",
                              "reason": "overdue fine"} for _ in range(count("fees"))]
        if "overrides" in empty:
            rows["overrides"] += [{"id": new_id(), **base, "recorded_at": at(), "what": "Renewed a blocked card",
                                   "why": "Paid at the other desk", "approved_by": "Coordinator"}
                                  for _ in range(count("overrides"))]
        if "incidents" in empty:
            rows["incidents"] += [{"id": new_id(), **base, "recorded_at": at(), "occurred_at": at(),
                                   "category": "Disruptive behaviour", "zone_id": "main-floor",
                                   "what_happened": "A patron shouted at another over a study carrel. " * 8,
                                   "people": "Two patrons, one tall in a red coat.", "actions": "Asked both to "
                                   "lower their voices; they did.", "reporter": WORKER}
                                  for _ in range(count("incidents"))]
    with store.transaction():
        for table, batch in rows.items():
            store.write_rows(table, batch)  # chained, as the desk writes them
    return empty


def variants(tmp: Path, realistic: bool = False) -> dict[str, list[str]]:
    """The apps compared: a minimal Textual app, the desk on an empty and on a one-year database;
    with `realistic`, also on a five-year database of everything a desk records (make_realistic_db,
    which prints what it holds)."""
    found = {
        "minimal": ["minimal"],
        "desk-empty": ["desk", str(make_db(tmp / "empty.db"))],
        "desk-year": ["desk", str(make_db(tmp / "year.db", demo_days=365))],
    }
    if realistic:
        path, said = make_realistic_db(tmp / "five-years.db")
        print(f"desk-5y: {said}")
        found["desk-5y"] = ["desk", str(path)]
    return found


def child_env(tmp: Path) -> dict[str, str]:
    """Children keep their bytecode cache in `tmp`: warm after one run, nothing written to the checkout.

    PYTHONDONTWRITEBYTECODE is dropped, or every child would compile every module
    (textual included) from source: not what a desk machine does.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}


def run_child(args: list[str], env: dict[str, str], timeout: float = 30.0) -> tuple[float, int, float]:
    """Run bench/_child.py; return (seconds from just before spawn to its ready report, its peak RSS
    in KiB, the CPU seconds it had used by then)."""
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(write_fd), *args],
            pass_fds=(write_fd,), env=env, cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
        )
        os.close(write_fd)  # the child's copy is now the only one: EOF if it dies
        ready, _, _ = select.select([read_fd], [], [], timeout)
        report = os.read(read_fd, 100) if ready else b""
        elapsed = time.perf_counter() - start
        os.close(read_fd)
        if not ready:
            proc.kill()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        if not report or code != 0:
            err.seek(0)
            why = f"ready report {report!r}" if ready else f"no ready report within {timeout:.0f} s, killed"
            sys.exit(f"child {args} failed ({why}; exit {code}):\n"
                     + err.read().decode(errors="replace")[-4000:])
    rss, cpu = report.split()
    return elapsed, int(rss), float(cpu)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


median = statistics.median

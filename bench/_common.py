"""Shared helpers for the benchmarks: paths, temp databases, timed child runs, statistics.

Importing this module puts the repository root on sys.path (the scripts are run
as `.venv/bin/python bench/NAME.py`, which only puts bench/ there) and stops
this process writing __pycache__ folders into the checkout.
"""

from __future__ import annotations

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


def variants(tmp: Path) -> dict[str, list[str]]:
    """The three apps compared: a minimal Textual app, the desk on an empty and on a one-year database."""
    return {
        "minimal": ["minimal"],
        "desk-empty": ["desk", str(make_db(tmp / "empty.db"))],
        "desk-year": ["desk", str(make_db(tmp / "year.db", demo_days=365))],
    }


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

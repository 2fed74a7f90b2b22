"""The emergency key in a real terminal: F8 then a protocol key, to the dial line on screen.

The real desk (`main.py`) runs in tmux at 80x24 on a database with an open shift (the desk
screen, as on a shift), its clock set (SOLO_SHIFT_NOW) to a Tuesday evening with no prompt due.
Once it is up and has settled (SETTLE s: what it does just after the first paint is done, as it
is long before anyone's first F8), "F8 f" (fire alarm) is sent in one `send-keys`, and the
screen is looked at through a tmux control client (bench/_tmux.py, about every millisecond)
until the dial line "DIAL 9-911" is on it. The time is from the send to that look.

The floor is measured the same way in the same harness: a bare Textual app
(bench/_bare_emergency.py) whose F8 pushes a modal list and whose `f` dismisses it and pushes
a screen with the dial line: the same two screen switches with no database, site or timers.

The desk is measured with its database
    healthy    writable;
    read-only  the file mode 444 and the program run under setpriv without the capabilities that
               let root write anyway (as tests/test_tmux_storage_e2e.py does): SQLite's own refusal;
    locked     another process holding SQLite's write lock (BEGIN IMMEDIATE) from once the desk
               is up until the dial line is on screen.
For read-only and locked the bench checks that the screen then says "waiting for storage" (else
the condition did not hold and the run is refused). Each round starts every variant afresh (a new
copy of the database, a new process: the first F8 of a process, as at a desk), in rotated order.
Prints medians, the ratio to the bare switch per condition (median of the per-round ratios), and
the goal.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _common import QUICK, ROOT, WORKER, figure, load_site, median, save_figures
from _tmux import Terminal, Unexpected

sys.path.insert(0, str(ROOT / "tests"))
from tmux_terminal import WriteLock  # noqa: E402  (tests/ is not a package; the tests' own lock holder)

ROUNDS = 5 if QUICK else 10
SETTLE = 1.5  # seconds after the first screen before F8
NOW = "2026-11-24 20:00:00"  # a Tuesday evening: solo, open until 23:00, nothing due before 22:30
DIAL = "DIAL 9-911"
NO_OVERRIDE = "setpriv --bounding-set=-dac_override,-dac_read_search,-fowner --inh-caps=-all"
CONDITIONS = ("healthy", "read-only", "locked")
GOAL_MS = 100.0  # under a tenth of a second reads as at once


def template(folder: Path) -> Path:
    """A database with a shift opened a minute before the desk's clock starts."""
    from shift.clock import UTC, FixedClock
    from shift.shifts import start_shift
    from shift.store import Store

    site, _ = load_site()
    started = (datetime.fromisoformat(NOW).replace(tzinfo=site.zone) - timedelta(minutes=1)).astimezone(UTC)
    path = folder / "template.db"
    with Store.open(path, clock=FixedClock(started)) as store:
        start_shift(store, WORKER, site.desks[0].id)
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def terminal_env(folder: Path) -> str:
    """The `env` arguments for a program in the pane: its bytecode cache in `folder` (warm after
    the warm-up, nothing written to the checkout), never compiled from source each start."""
    return f"-u PYTHONDONTWRITEBYTECODE TERM=xterm-256color PYTHONPYCACHEPREFIX={folder / 'pycache'}"


def press(term: Terminal, ready: str) -> float:
    """F8 f from the first screen, settled; seconds to the dial line on screen."""
    time.sleep(SETTLE)
    screen = term.screen()
    if ready not in screen or DIAL in screen:
        raise Unexpected(screen)
    start = time.perf_counter()
    term.keys("F8", "f")
    seen, _ = term.wait(lambda s: DIAL in s, limit=10, every=0.001)
    return seen - start


def one(term: Terminal, variant: str, base: Path, folder: Path, n: int, env: str) -> tuple[float, float]:
    """Start `variant` afresh, let it settle, send F8 f (the first of the process); leave the
    emergency screen and do it again (the desk resumes the same run). Seconds to the dial line
    on screen, both times."""
    if variant == "bare":
        command = f"cd {ROOT} && exec env {env} {sys.executable} bench/_bare_emergency.py"
        ready = "On duty: Bench Worker"
    else:
        db = folder / f"{variant}-{n}.db"
        shutil.copyfile(base, db)
        prefix = ""
        if variant == "read-only":
            db.chmod(0o444)
            prefix = NO_OVERRIDE
        command = (f"cd {ROOT} && exec env {env} SOLO_SHIFT_NOW='{NOW}' SOLO_SHIFT_DB= "
                   f"{prefix} {sys.executable} main.py --db {db}")
        ready = f"On duty: {WORKER}"
    term.start(command)
    term.wait_for(ready)
    lock = WriteLock(db) if variant == "locked" else None
    try:
        first = press(term, ready)
        if variant in ("read-only", "locked"):
            term.wait_for("waiting for storage", limit=5)
        term.keys("Escape")
        if variant != "bare":
            term.wait_for("Leave the", limit=5)
            term.keys("y")
        term.wait(lambda s: ready in s and DIAL not in s, limit=5, every=0.01)
        again = press(term, ready)
    finally:
        if lock is not None:
            lock.release()
    return first, again


def main() -> list[dict]:
    if shutil.which("tmux") is None:
        sys.exit("tmux is not installed")
    conditions = CONDITIONS if shutil.which("setpriv") else tuple(c for c in CONDITIONS if c != "read-only")
    variants = ("bare", *conditions)
    times: dict[str, list[float]] = {v: [] for v in variants}
    later: dict[str, list[float]] = {v: [] for v in variants}
    term = Terminal("bench-emergency", size=(80, 24))
    try:
        with tempfile.TemporaryDirectory(prefix="solo-shift-bench-") as tmp:
            folder = Path(tmp)
            base = template(folder)
            env = terminal_env(folder)
            for variant in variants:  # warm-up: bytecode compiled, files in the OS cache
                one(term, variant, base, folder, -1, env)
            for n in range(ROUNDS):
                turn = n % len(variants)
                for variant in variants[turn:] + variants[:turn]:
                    first, again = one(term, variant, base, folder, n, env)
                    times[variant].append(first)
                    later[variant].append(again)
    finally:
        term.stop()

    print(f"F8 then f to the dial line on screen, tmux 80x24, {ROUNDS} fresh processes each,"
          f" {SETTLE} s after the screen settled")
    rows = []
    for label, got in (("first F8 of the process", times), ("again, after leaving the screen", later)):
        print(f" {label}:")
        for variant, values in got.items():
            name = "bare Textual" if variant == "bare" else f"desk, {variant}"
            print(f"  {name:<19} median {median(values) * 1000:6.1f} ms   min {min(values) * 1000:6.1f}"
                  f"   max {max(values) * 1000:6.1f}")
        bare = median(got["bare"]) * 1000
        for condition in conditions:
            ratio = median([d / b for d, b in zip(got[condition], got["bare"], strict=True)])
            took = median(got[condition]) * 1000
            met = took < GOAL_MS
            print(f"  {condition:<9} / bare: {ratio:.2f}x per round ({took / bare:.2f}x of medians)"
                  f"   goal: dial line under {GOAL_MS:.0f} ms -> {'meets' if met else 'MISSES'}")
            when = "first F8" if got is times else "F8 again"
            rows.append(figure(f"emergency key, {when}: F8 f to the dial line, database {condition} (tmux)",
                               f"{took:.0f} ms, {ratio:.2f}× a bare Textual app ({bare:.0f} ms)",
                               f"under {GOAL_MS:.0f} ms", met, ms=took, ratio=ratio, bare_ms=bare))
    if "read-only" not in conditions:
        print("  read-only not measured: setpriv is not installed")
    return rows


if __name__ == "__main__":
    save_figures(main())

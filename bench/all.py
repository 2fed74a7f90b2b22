"""Every benchmark, one after another, and one table of what they found: `make bench`.

    python bench/all.py [--quick] [--only NAME ...] [--skip NAME ...] [--kills N]
                        [--markdown FILE] [--log FILE]

Each benchmark runs in its own process, sequentially (they time things: two at once would
measure each other), with `--json FILE` so its headline figures come back as data
(bench/_common.py figure()); what it prints goes to the log (build/bench-log.txt), and this
prints one line per benchmark as it ends, then the table: what, figure, goal, met. Then the
machine: CPU, cores, Python, SQLite and Textual versions, the load average at the start and the
end (the machine may be shared: a load near or above the core count slows everything down),
and the date.

--quick    fewer rounds in each, without the five-year database (bench/chain.py, the five-year
           start-up), the five-year demo and the kill harness (about 5 minutes at 200 kills)
--markdown FILE   also write the table and the machine as Markdown (for the README)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

# name, and whether --quick runs it: every benchmark, the fast ones first.
BENCHES = (
    ("startup", True),
    ("memory", True),
    ("tally_latency", True),
    ("scan_burst", True),
    ("emergency_key", True),
    ("stats", True),
    ("report", True),
    ("export_circ", True),
    ("alarm_latency", True),
    ("demo", True),
    ("chain", False),  # builds a five-year database first
    ("killtest", False),
)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "textual": metadata.version("textual"),
            "system": f"{platform.system()} {platform.release()}"}


def load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def run(name: str, quick: bool, kills: int, log, folder: Path) -> tuple[list[dict], float]:
    """Run one benchmark; its figure rows (or one row saying it failed) and the seconds it took."""
    target = folder / f"{name}.json"
    command = [sys.executable, str(BENCH / f"{name}.py"), "--json", str(target)]
    if name == "killtest":
        command += ["--kills", str(kills)]
    elif quick:
        command.append("--quick")
    log.write(f"\n===== {name}: {' '.join(command[1:])}  (load {load()}, {datetime.now():%H:%M:%S})\n")
    log.flush()
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - began
    rows = json.loads(target.read_text()) if target.exists() else []
    if done.returncode != 0 or not rows:
        rows.append({"what": f"bench/{name}.py", "figure": f"FAILED (exit {done.returncode}; see the log)",
                     "goal": "", "met": False, "values": {}, "failed": True})
    for row in rows:
        row["bench"] = name
    return rows, took


def verdict(met: bool | None) -> str:
    return "—" if met is None else "yes" if met else "NO"


def text_table(rows: list[dict]) -> str:
    cells = [("what", "figure", "goal", "met")] + [(r["what"], r["figure"], r["goal"] or "—", verdict(r["met"]))
                                                   for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = []
    for n, (what, shown, goal, met) in enumerate(cells):
        lines.append(f"{what:<{widths[0]}}  {shown:<{widths[1]}}  {goal:<{widths[2]}}  {met}")
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ---")
    return "\n".join(lines)


def machine_lines(about: dict[str, str], started: datetime, load_start: str, load_end: str, how: str) -> list[str]:
    return [f"Machine: {about['cpu']}, {about['cores']} cores, {about['system']}; Python {about['python']},"
            f" SQLite {about['sqlite']}, Textual {about['textual']}.",
            f"Load average (1, 5, 15 min) {load_start} at the start, {load_end} at the end.",
            f"Run: {started:%Y-%m-%d %H:%M} ({how})."]


def markdown(rows: list[dict], lines: list[str]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = ["| what | figure | goal | met |", "|---|---|---|---|"]
    out += [f"| {cell(r['what'])} | {cell(r['figure'])} | {cell(r['goal'] or '—')} | {verdict(r['met'])} |"
            for r in rows]
    return "\n".join(out) + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; no five-year database, no kill harness")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these benchmarks (names as in bench/)")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="not these benchmarks")
    parser.add_argument("--kills", type=int, default=200, help="kills for the kill harness (default 200)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table as Markdown")
    parser.add_argument("--log", type=Path, default=ROOT / "build" / "bench-log.txt",
                        help="where each benchmark's own output goes (default build/bench-log.txt)")
    args = parser.parse_args(argv)
    known = [name for name, _ in BENCHES]
    for name in (args.only or []) + args.skip:
        if name not in known:
            parser.error(f"no benchmark {name!r} (there are: {', '.join(known)})")
    chosen = [name for name, in_quick in BENCHES
              if (name in args.only if args.only else in_quick or not args.quick) and name not in args.skip]

    started, load_start, about = datetime.now().astimezone(), load(), machine()
    args.log.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    print(f"{len(chosen)} benchmarks, one at a time; their own output goes to {args.log}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="solo-shift-bench-all-") as tmp, args.log.open("w") as log:
        for name in chosen:
            print(f"  {name:<14}", end="", flush=True, file=sys.stderr)
            found, took = run(name, args.quick, args.kills, log, Path(tmp))
            rows += found
            failed = any(r["met"] is False for r in found)
            print(f"{took:6.0f} s{'   (a goal missed, or it failed)' if failed else ''}", file=sys.stderr)
    load_end = load()
    how = "bench/all.py --quick: fewer rounds" if args.quick else "make bench: every benchmark"
    if args.only or args.skip:
        how += f"; {', '.join(chosen)}"
    elif args.quick:
        how += f", without {', '.join(n for n, q in BENCHES if not q)}"
    lines = machine_lines(about, started, load_start, load_end, how)
    print()
    print(text_table(rows))
    print()
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text(markdown(rows, lines))
        print(f"Markdown: {args.markdown}")
    return 1 if any(r.get("failed") for r in rows) else 0  # a goal missed is a figure, not a failure


if __name__ == "__main__":
    sys.exit(main())

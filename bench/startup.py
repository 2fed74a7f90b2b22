"""Start-up time: from process start to "desk screen ready", headless.

Each run is a fresh `python bench/_child.py ...` process, timed by this process
from just before the spawn until the child reports that its first screen has
mounted and refreshed (interpreter start and every import included: that is
what the person at the desk waits for). Four variants, run interleaved (order
rotated each round) REPEATS times after one untimed warm-up each (which fills
the bytecode cache):

    minimal     a Textual App with one Label: the floor Textual itself sets
    desk-empty  Solo Shift on a fresh database holding just an open shift
    desk-year   Solo Shift on a database with a one-year demo history (write_demo days=365)
    desk-5y     Solo Shift on a five-year database of everything a desk records, ~110 MB
                (`main.py demo --days 1825`, topped up with scans, prompts, check-ins, money
                and incidents where the demo writes none: bench/_common.py make_realistic_db)

Prints the median and minimum of each, and each ratio three ways: the median
of the per-round ratios (judged against the goal: the two runs of a round are
seconds apart, so a machine that slows down for a while slows both), the
ratio of the medians, and min/min. Uses data/site.toml; the databases live in
a temp directory. With --quick: 7 rounds, and no five-year database.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import QUICK, child_env, figure, median, ms, run_child, save_figures
from _common import variants as compared

REPEATS = 7 if QUICK else 21  # this 2-core VM is noisy (+-30% run to run): more runs steady the median
GOALS = (("desk-empty", "minimal", 1.3, "desk within 1.3x of a minimal Textual app"),
         ("desk-year", "desk-empty", 1.1, "one-year database within 1.1x of an empty one"),
         ("desk-5y", "desk-empty", 1.1, "five-year realistic database within 1.1x of an empty one"))


def main() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="solo-shift-bench-") as tmp:
        tmp = Path(tmp)
        variants = compared(tmp, realistic=not QUICK)
        env = child_env(tmp)
        for args in variants.values():
            run_child(args, env)  # warm-up: compiles bytecode, warms the OS file cache
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        for i in range(REPEATS):
            turn = i % len(names)
            for name in names[turn:] + names[:turn]:  # rotated, so no variant always runs first
                elapsed, _, used = run_child(variants[name], env)
                times[name].append(elapsed)
                cpu[name].append(used)

    print(f"start-up to first screen ready, {REPEATS} fresh processes each (headless)")
    for name, values in times.items():
        print(f"  {name:<11} median {ms(median(values))}   min {ms(min(values))}")
    wall = report_ratios(times, "wall")
    print("CPU time used by the process when ready (user + system)")
    for name, values in cpu.items():
        print(f"  {name:<11} median {ms(median(values))}   min {ms(min(values))}")
    report_ratios(cpu, "CPU")
    return [figure(f"start-up to desk ready, {name} / {base} (headless 80×24, {REPEATS} rounds)",
                   f"{ratio:.2f}× ({median(times[name]) * 1000:.0f} vs {median(times[base]) * 1000:.0f} ms)",
                   f"within {goal}×", ratio <= goal, ratio=ratio, ms=median(times[name]) * 1000,
                   base_ms=median(times[base]) * 1000)
            for name, base, goal, ratio in wall]


def report_ratios(values: dict[str, list[float]], what: str) -> list[tuple[str, str, float, float]]:
    """Prints each goal's ratios; returns (name, base, goal, median per-round ratio) for each."""
    found = []
    for name, base, goal, text in GOALS:
        if name not in values:
            continue
        paired = sorted(a / b for a, b in zip(values[name], values[base], strict=True))
        ratio = median(paired)
        quartiles = f"{paired[len(paired) // 4]:.2f}-{paired[(3 * len(paired)) // 4]:.2f}"
        verdict = "meets" if ratio <= goal else "MISSES"
        print(f"  {name} / {base} ({what}): {ratio:.2f}x per round (middle half {quartiles}),"
              f" {median(values[name]) / median(values[base]):.2f}x of medians,"
              f" {min(values[name]) / min(values[base]):.2f}x min/min"
              f"   goal: {text} -> {verdict}")
        found.append((name, base, goal, ratio))
    return found


if __name__ == "__main__":
    save_figures(main())

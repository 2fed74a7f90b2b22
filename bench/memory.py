"""Peak memory of the desk app at "desk screen ready", against a minimal Textual app.

Runs the same child as startup.py (`bench/_child.py`): a fresh headless process
that, once its first screen has mounted and refreshed, reports its own peak
resident set size and exits (VmHWM from /proc/self/status on Linux, not
ru_maxrss: after a vfork+exec spawn that starts at the parent's peak, which
here, after writing the one-year history, is bigger than the minimal app).
Each variant runs RUNS times after one untimed warm-up; the median is printed
in MiB, with the ratio desk / minimal against its goal. The desk on a one-year
demo database is shown too, for scale.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import QUICK, child_env, figure, median, run_child, save_figures
from _common import variants as compared

RUNS = 1 if QUICK else 3
GOAL = 1.5


def main() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="solo-shift-bench-") as tmp:
        tmp = Path(tmp)
        variants = compared(tmp)
        env = child_env(tmp)
        mib = {}
        for name, args in variants.items():
            run_child(args, env)  # warm-up: bytecode compiled in the warm-up is not counted
            mib[name] = median([run_child(args, env)[1] / 1024 for _ in range(RUNS)])

    print(f"peak RSS at first screen ready (median of {RUNS} headless processes)")
    for name, value in mib.items():
        print(f"  {name:<11} {value:6.1f} MiB")
    ratio = mib["desk-empty"] / mib["minimal"]
    verdict = "meets" if ratio <= GOAL else "MISSES"
    print(f"  desk-empty / minimal: {ratio:.2f}x   goal: within {GOAL}x -> {verdict}")
    print(f"  desk-year / minimal:  {mib['desk-year'] / mib['minimal']:.2f}x")
    return [figure("peak memory at desk ready, desk-empty / minimal Textual app",
                   f"{ratio:.2f}× ({mib['desk-empty']:.1f} vs {mib['minimal']:.1f} MiB;"
                   f" one-year database {mib['desk-year'] / mib['minimal']:.2f}×)",
                   f"within {GOAL}×", ratio <= GOAL, ratio=ratio, mib=mib["desk-empty"], base_mib=mib["minimal"])]


if __name__ == "__main__":
    save_figures(main())

"""How long the demo history takes to write: `python main.py demo` for one and five years.

Each run is a fresh process on a fresh database in a temp directory (the exports folder
beside it too), timed from spawn to exit, so imports and the final commit count. Prints the
seconds and the demo's own summary (what it wrote, kind by kind).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, ROOT, figure, save_figures

DAYS = (365,) if QUICK else (365, 1825)


def main() -> list[dict]:
    rows = []
    for days in DAYS:
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "demo.db"
            began = time.perf_counter()
            result = subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--days", str(days),
                                     "--db", str(db)], capture_output=True, text=True, check=True)
            took = time.perf_counter() - began
            size = db.stat().st_size / 1e6
        print(f"{days} days: {took:.1f} s, {size:.0f} MB")
        print(result.stdout)
        rows.append(figure(f"writing the demo history, {days} days (main.py demo)", f"{took:.1f} s, {size:.0f} MB",
                           seconds=took, mb=size))
    return rows


if __name__ == "__main__":
    save_figures(main())

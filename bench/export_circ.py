"""`export circ`: time per scan exported, in each format.

A desk database with SCANS offline circulation transactions of one shift (loans and renewals
with a patron card, returns, in-house uses, in scan order) is written once; each run exports
a fresh copy of it with `shift.circexport.export` (as `python main.py export circ` does):
read what is not yet exported, render the file, write it, record in one transaction which
transactions it holds, purge uploaded cards. Per format, REPEATS runs, interleaved; prints
the median time per scan for the whole export; for the read and the rendering, timed on their
own on the same copy before it; and for recording what the file holds (the export's
transaction, timed inside the export).
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from _common import QUICK, WORKER, figure, load_site, median, save_figures

SCANS = 10_000
REPEATS = 3 if QUICK else 7
FORMATS = ("alma", "koha", "evergreen", "csv")


def make_scans_db(path: Path) -> None:
    from shift.clock import to_iso
    from shift.shifts import start_shift
    from shift.store import Store, new_id

    site, _ = load_site()
    rng = random.Random(7)
    with Store.open(path) as store:
        shift = start_shift(store, WORKER, site.desks[0].id)
        txns, patrons = [], []
        for n in range(SCANS):
            action = rng.choices(("loan", "return", "renew", "in_house"), (45, 40, 10, 5))[0]
            txn = {"id": new_id(), "shift_id": shift.id, "scanned_at": to_iso(shift.started_at),
                   "action": action, "item": f"3{n:012d}", "amount_cents": None, "warning": ""}
            txns.append(txn)
            if action in ("loan", "renew"):
                patrons.append({"id": new_id(), "txn_id": txn["id"], "patron": f"2{rng.randrange(10**12):012d}"})
        with store.transaction():
            store.write_rows("circ_transactions", txns)
            store.write_rows("circ_patrons", patrons)
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def timing_first_transaction(store, took: list[float]) -> None:
    """Time the first transaction the store runs from here (the export's record), commit included."""
    plain = store.transaction
    depth = [0]

    @contextmanager
    def timed():
        depth[0] += 1
        start = time.perf_counter()
        try:
            with plain():
                yield
        finally:
            depth[0] -= 1
            if depth[0] == 0 and not took:
                took.append(time.perf_counter() - start)

    store.transaction = timed


def one_export(template: Path, tmp: Path, fmt: str, n: int) -> tuple[float, float, float, float]:
    """(whole export, read, render, record) in seconds, on a fresh copy of the template."""
    from shift import circexport, circulation
    from shift.store import Store

    site, _ = load_site()
    db = tmp / f"run-{fmt}-{n}.db"
    shutil.copyfile(template, db)
    with Store.open(db, check="none") as store:
        start = time.perf_counter()
        txns = circulation.exportable(store, fmt)
        read = time.perf_counter() - start
        start = time.perf_counter()
        circexport.render(site, fmt, txns)
        rendered = time.perf_counter() - start
        took: list[float] = []
        timing_first_transaction(store, took)
        start = time.perf_counter()
        result = circexport.export(store, site, fmt, tmp / f"out-{fmt}-{n}.{circexport.FORMATS[fmt]}")
        whole = time.perf_counter() - start
        recorded = store.execute("SELECT count(*) FROM circ_exported").fetchone()[0]
    assert result.written and recorded >= result.written, (fmt, result)
    for side in tmp.glob(f"run-{fmt}-{n}.db*"):
        side.unlink()
    return whole, read, rendered, took[0]


def main() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="solo-shift-bench-") as tmp:
        tmp = Path(tmp)
        template = tmp / "scans.db"
        make_scans_db(template)
        for fmt in FORMATS:
            one_export(template, tmp, fmt, -1)  # warm-up: imports, the OS file cache
        times: dict[str, list[tuple[float, float, float, float]]] = {fmt: [] for fmt in FORMATS}
        for n in range(REPEATS):
            for fmt in FORMATS:
                times[fmt].append(one_export(template, tmp, fmt, n))
    print(f"export circ of {SCANS} scans, median of {REPEATS} runs per format, µs per scan")
    per_format = {}
    for fmt, runs in times.items():
        whole, read, rendered, record = (median(r[i] for r in runs) * 1e6 / SCANS for i in range(4))
        per_format[fmt] = whole
        print(f"  {fmt:<9} whole {whole:6.1f}   read {read:5.1f}   render {rendered:5.1f}   record {record:5.1f}")
    return [figure(f"export circ of {SCANS:,} scans, per scan",
                   ", ".join(f"{fmt} {us:.1f}" for fmt, us in per_format.items()) + " µs",
                   worst_us=max(per_format.values()))]


if __name__ == "__main__":
    save_figures(main())

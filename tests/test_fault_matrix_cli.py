"""Every command against every storage fault: a message that says what is wrong and what to
do, the database unchanged when the command is refused, and never a traceback.

The screens meet the same faults in test_storage_failure_pilot.py. Faults are real: a file
or folder without write permission (the command runs under setpriv, so root's override of
file modes is dropped), another desk holding the database, a full disk (a 2 MB tmpfs), a
database from a newer version, one that fails SQLite's integrity check.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from shift import circulation
from shift.circulation import ScanSession
from shift.schema import MIGRATION_SET
from shift.shifts import start_shift
from shift.store import Store
from shift.tally import record
from test_circulation import card, item
from tmux_terminal import fill_disk

NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-all"]

# What each command does to the database: reads only (runs beside a desk) or writes.
COMMANDS = {
    "report": (["report"], "reads"),
    "stats": (["stats"], "reads"),
    "export incidents": (["export", "incidents", "--format", "csv", "--output", "{out}/incidents.csv"], "reads"),
    "export circ": (["export", "circ", "--format", "csv", "--output", "{out}/circ.csv"], "writes"),
    "import blocked": (["import", "blocked", "{out}/blocked.csv"], "writes"),
    "desk": ([], "writes"),
    "purge": (["purge"], "writes"),
    "purge --dry-run": (["purge", "--dry-run"], "reads"),
}

# For each fault: what a command that writes must say (it is refused), and whether one that
# only reads still works (None) or what it must say.
FAULTS = {
    "read-only file": ("could not be written", None),
    "read-only folder": ("cannot be written by this user", None),
    "another desk holds it": ("already open in another copy", None),
    "full disk": ("could not be written", None),
    "newer version": ("newer version of Solo Shift", "newer version of Solo Shift"),
    "damaged": ("failed its integrity check", "WARNING"),
}


def _make_desk(folder: Path, site) -> Path:
    path = folder / "desk.db"
    with Store.open(path) as store:
        shift = start_shift(store, "Sam Okafor", "main")
        record(store, site.tally, shift, "directional")
        session = ScanSession("loan")  # something for the export to write
        for code in (card(1), item(1)):
            circulation.scan(store, site.circulation, site.zone, shift, session, code)
        for n in (2, 3):  # a blocked list no longer in force: something for the purge to remove
            listed = store.insert("blocked_lists", {"imported_at": store.now_iso(), "source": f"{n}.csv", "count": 1})
            store.insert("blocked_patrons", {"list_id": listed["id"], "patron": card(n)})
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "small-disk"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("a full disk needs a tmpfs mount (root; CI runs as root)")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is not installed")
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_meets_every_fault_with_a_message(tmp_path, request, site, command, fault):
    folder = request.getfixturevalue("small_disk") if fault == "full disk" else tmp_path / "desk"
    folder.mkdir(exist_ok=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "blocked.csv").write_text(f"card\n{card(9)}\n")
    path = _make_desk(folder, site)
    prefix: list[str] = []
    holder = None
    if fault == "read-only file":
        path.chmod(0o444)
        prefix = NO_OVERRIDE
    elif fault == "read-only folder":
        folder.chmod(0o555)
        prefix = NO_OVERRIDE
    elif fault == "another desk holds it":
        holder = Store.open(path)
    elif fault == "full disk":
        fill_disk(folder)
    elif fault == "newer version":
        conn = sqlite3.connect(path)
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                     (MIGRATION_SET, "999_from_the_future", "2027-01-01"))
        conn.commit()
        conn.close()
    elif fault == "damaged":
        data = bytearray(path.read_bytes())
        data[36:40] = (7).to_bytes(4, "big")  # the header's freelist count: the rows still read
        path.write_bytes(bytes(data))
    before = path.read_bytes()
    args, effect = COMMANDS[command]
    if command == "desk" and fault in ("read-only file", "full disk"):
        holder and holder.close()
        pytest.skip("the desk opens on such a file and keeps entries in memory: test_storage_failure_pilot.py")
    try:
        done = subprocess.run([*prefix, sys.executable, str(ROOT / "main.py"), "--db", str(path),
                               *[a.format(out=out) for a in args]],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        if holder is not None:
            holder.close()
        folder.chmod(0o755)
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said
    refused_by_writer, reader_says = FAULTS[fault]
    if effect == "reads" and reader_says is None:
        assert done.returncode == 0, said  # reading goes on beside every fault that stops a writer
    elif effect == "reads":
        assert reader_says in said, said
        assert done.returncode != 0, said
    else:
        assert done.returncode != 0, said
        assert refused_by_writer in said, said
        assert path.read_bytes() == before  # refused: nothing changed
        assert not (out / "circ.csv").exists()  # an export the database cannot record is not kept

"""Reading the database while a desk holds it: the report and the incident export run beside an
open desk (no lock, no migration, nothing written); a circulation export, which records what it
wrote, says why it waits for the desk to close.

The desk is a real second process here: it holds the single-instance lock and its own
connection, and it can be stopped in the middle of a write.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, local
from shift.clock import FixedClock
from shift.store import DatabaseBusy, ReadOnly, Store, lock_path, waiting_paths
from tmux_terminal import Terminal, needs_tmux, wait_until

NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-all"]
needs_setpriv = pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is not installed")

# The desk in another process: it opens the database as the app does (lock, WAL), starts Sam's
# shift, logs one directional question and files an incident; with "midwrite" it then stops in
# the middle of a write (a transaction holding a tally of 5 not yet committed). It carries on
# with one command per line on its standard input: "commit", "tally", "quit".
DESK = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from shift import tally, incidents
from shift.clock import FixedClock
from shift.incidents import IncidentForm
from shift.shifts import start_shift
from shift.site import load_site
from shift.store import Store
from datetime import datetime
from zoneinfo import ZoneInfo
zone = ZoneInfo("America/Toronto")
site, _ = load_site(Path(sys.argv[1]) / "data" / "site.toml")
store = Store.open(sys.argv[2], clock=FixedClock(datetime(2026, 11, 24, 19, 30, tzinfo=zone)))
shift = start_shift(store, "Sam", "main")
tally.record(store, site.tally, shift, "directional")
incidents.file_incident(store, site, shift, IncidentForm(
    category="Facilities problem", occurred_at=datetime(2026, 11, 24, 19, 5, tzinfo=zone),
    zone_id="main-floor", what_happened="Water on the floor by the north stairs.", reporter="Sam"))
if sys.argv[3] == "midwrite":
    store.conn.execute("BEGIN IMMEDIATE")
    store._write("tallies", {"id": "half-written", "shift_id": shift.id, "category": "reference",
                             "channel": "in_person", "occurred_at": store.now_iso(),
                             "recorded_at": store.now_iso(), "quantity": 5})
print("open", flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "commit":
        store.conn.execute("COMMIT")
    elif command == "tally":
        tally.record(store, site.tally, shift, "technology")
    elif command == "quit":
        break
    print("done", flush=True)
store.close()
"""


class Desk:
    """A desk process holding the database (see DESK)."""

    def __init__(self, db: Path, midwrite: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", DESK, str(ROOT), str(db), "midwrite" if midwrite else "open"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "open"

    def do(self, command: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "done"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.communicate("quit\n", timeout=20)

    def __enter__(self) -> "Desk":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(*args: str, db: Path, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, str(ROOT / "main.py"), "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def files(folder: Path) -> dict[str, str]:
    """Every file in the folder and a digest of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def statistics(report: str) -> str:
    return report.split("Desk statistics\n---------------\n", 1)[1].split("\n\n", 1)[0]


def test_the_report_prints_the_open_shift_while_the_desk_is_in_the_middle_of_a_write(tmp_path):
    db = tmp_path / "desk.db"
    with Desk(db, midwrite=True) as desk:
        holder = lock_path(db).read_text()
        done = run("report", db=db)
        assert done.returncode == 0, done.stderr
        assert "On duty: Sam" in done.stdout and "still open" in done.stdout
        assert "Incident: Facilities problem at 19:05" in done.stdout
        # What the desk committed, and nothing of the write it has not finished.
        assert statistics(done.stdout).splitlines()[0] == "Total: 1"
        assert lock_path(db).read_text() == holder  # the desk's lock was never taken
        desk.do("commit")  # the reader held nothing up: the desk's write goes through
        desk.do("tally")
        again = run("report", db=db)
        assert again.returncode == 0, again.stderr
        assert statistics(again.stdout).splitlines()[0] == "Total: 7"  # 1 + the 5 committed + 1
        listed = run("report", "--list", db=db)
        assert listed.returncode == 0 and "Sam (Bata Library Service Desk)" in listed.stdout


def test_exports_while_the_desk_holds_the_database(tmp_path):
    db = tmp_path / "desk.db"
    with Desk(db):
        out = tmp_path / "incidents.txt"
        done = run("export", "incidents", "--format", "text", "--output", str(out), db=db)
        assert done.returncode == 0, done.stderr
        assert "Wrote 1 incident report(s)" in done.stdout
        assert "Water on the floor by the north stairs." in out.read_text()

        alma = tmp_path / "loans.dat"
        refused = run("export", "circ", "--format", "alma", "--output", str(alma), db=db)
        assert refused.returncode == 1
        assert "already open in another copy of Solo Shift" in refused.stderr
        assert "records which transactions it wrote" in refused.stderr and "F7, then Ctrl+X" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert not alma.exists()
        emailed = run("report", "--email", db=db)
        assert emailed.returncode == 1 and "--email runs when the desk is closed" in emailed.stderr
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM circ_exports").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM report_emails").fetchone()[0] == 0
    finally:
        conn.close()


def test_once_the_desk_is_closed_the_circulation_export_runs(tmp_path):
    db = tmp_path / "desk.db"
    with Desk(db):
        pass
    done = run("export", "circ", "--format", "csv", "--output", str(tmp_path / "c.csv"), db=db)
    assert done.returncode == 0, done.stderr


def test_reading_a_closed_desks_database_changes_no_file_and_makes_none(tmp_path):
    db = tmp_path / "desk.db"
    with Desk(db):
        pass
    before = files(tmp_path)
    assert f"{db.name}-wal" not in before  # the desk closed cleanly: nothing in the log
    assert run("report", db=db).returncode == 0
    assert run("export", "incidents", "--format", "csv", "--output", str(tmp_path / "out" / "i.csv"),
               db=db).returncode == 1  # no such folder: refused, said so, nothing made
    assert files(tmp_path) == before


@needs_setpriv
def test_a_read_only_folder_with_the_desk_closed_is_read_as_it_stands(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "desk.db"
    with Desk(db):
        pass
    before = files(folder)
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        done = run("report", db=db, prefix=tuple(NO_OVERRIDE))
        assert done.returncode == 0, done.stderr
        assert "On duty: Sam" in done.stdout and statistics(done.stdout).splitlines()[0] == "Total: 1"
        out = tmp_path / "incidents.csv"
        exported = run("export", "incidents", "--format", "csv", "--output", str(out), db=db,
                       prefix=tuple(NO_OVERRIDE))
        assert exported.returncode == 0, exported.stderr
        assert "Water on the floor by the north stairs." in out.read_text()
    finally:
        folder.chmod(0o755)
    assert files(folder) == before


@needs_setpriv
def test_a_desk_running_in_a_folder_the_reader_cannot_write(tmp_path):
    """The manager may read the files but not write them: the desk's log and shared memory
    are read-only to the report, which still sees everything the desk committed."""
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "desk.db"
    with Desk(db) as desk:
        sides = [folder / "desk.db-wal", folder / "desk.db-shm"]
        assert all(side.exists() for side in sides)
        for path in (db, *sides):
            path.chmod(0o444)
        folder.chmod(0o555)
        try:
            before = {p.name for p in folder.iterdir()}
            done = run("report", db=db, prefix=tuple(NO_OVERRIDE))
            assert done.returncode == 0, done.stderr
            assert statistics(done.stdout).splitlines()[0] == "Total: 1"
            assert {p.name for p in folder.iterdir()} == before
        finally:
            folder.chmod(0o755)
            for path in (db, *sides):
                path.chmod(0o644)
        desk.do("tally")  # the desk is none the worse


def test_a_desk_killed_mid_shift_leaves_a_log_the_report_reads(tmp_path):
    db = tmp_path / "desk.db"
    desk = Desk(db)
    desk.process.kill()  # a power cut: the log is not taken into the file
    desk.process.wait(timeout=20)
    assert (tmp_path / "desk.db-wal").stat().st_size > 0
    done = run("report", db=db)
    assert done.returncode == 0, done.stderr
    assert statistics(done.stdout).splitlines()[0] == "Total: 1"


@needs_setpriv
def test_a_log_without_its_shared_memory_in_a_read_only_folder_says_what_to_do(tmp_path):
    folder = tmp_path / "copied"
    folder.mkdir()
    db = folder / "desk.db"
    desk = Desk(db)
    desk.process.kill()
    desk.process.wait(timeout=20)
    (folder / "desk.db-shm").unlink()  # copied without it, to a share the reader cannot write
    before = files(folder)
    folder.chmod(0o555)
    try:
        done = run("report", db=db, prefix=tuple(NO_OVERRIDE))
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "needs a desk.db-shm file, which could not be made" in done.stderr
    assert "Open the desk on it once" in done.stderr
    assert files(folder) == before


def test_a_missing_or_empty_or_foreign_database_is_a_message_and_is_left_as_it_was(tmp_path):
    missing = tmp_path / "nothing-here.db"
    done = run("report", db=missing)
    assert done.returncode == 1 and "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # not created, and no lock file beside it

    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    done = run("report", db=empty)
    assert done.returncode == 1 and "is empty" in done.stderr

    foreign = tmp_path / "notes.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    before = files(tmp_path)
    done = run("report", db=foreign)
    assert done.returncode == 1 and "holds no desk records" in done.stderr
    assert files(tmp_path) == before


def test_a_database_needing_an_upgrade_says_so_and_is_not_upgraded(tmp_path):
    db = tmp_path / "desk.db"
    with Desk(db):
        pass
    conn = sqlite3.connect(db)
    last = conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", (last,))  # as an older version left it
    conn.commit()
    conn.close()
    before = files(tmp_path)
    done = run("report", db=db)
    assert done.returncode == 1
    assert "needs an upgrade" in done.stderr and "open the desk on it once" in done.stderr
    assert files(tmp_path) == before


def test_a_lock_that_keeps_readers_out_is_a_message(tmp_path):
    db = tmp_path / "desk.db"
    with Desk(db):
        pass
    # A desk on a full disk works without shared memory and holds the file exclusively.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('PRAGMA locking_mode=EXCLUSIVE'); c.execute('BEGIN IMMEDIATE'); c.execute('COMMIT'); "
         "print('locked', flush=True); sys.stdin.readline()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        done = run("report", db=db)
        assert done.returncode == 1
        assert "held exclusively" in done.stderr and "has not been changed" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        holder.communicate("\n", timeout=10)


def test_a_read_only_store_refuses_every_write_and_keeps_nothing(tmp_path, site):
    from shift import report
    from shift.shifts import start_shift

    db = tmp_path / "desk.db"
    clock = FixedClock(local(2026, 11, 24, 19, 30))
    with Store.open(db, clock=clock) as desk:
        shift = start_shift(desk, "Sam", "main")
        with Store.open_read_only(db, clock=clock) as reader:
            assert reader.read_only and not desk.read_only
            text = report.render_text(report.build(reader, site, shift.id))
            assert "On duty: Sam" in text
            with pytest.raises(ReadOnly):
                reader.insert("followups", {"shift_id": shift.id, "created_at": reader.now_iso(), "text": "x"})
            with pytest.raises(ReadOnly):
                with reader.transaction():
                    pass
            assert reader.pending == []
            assert not any(p.exists() for p in waiting_paths(db))
            with pytest.raises(DatabaseBusy):  # the lock is still the desk's alone
                Store.open(db)
        assert desk.rows("SELECT COUNT(*) AS n FROM followups")[0]["n"] == 0


@needs_tmux
def test_the_report_prints_beside_the_real_desk_in_a_terminal(tmp_path):
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-read-{os.getpid()}")
    try:
        term.start_shift(db, "Jordan")
        term.keys("d", "t")
        term.wait_for("logged: Technology")
        done = wait_until(lambda: (r := run("report", db=db)).returncode == 0 and "Total: 2" in r.stdout and r)
        assert "On duty: Jordan" in done.stdout and "still open" in done.stdout
        assert term.alive()
        term.keys("i")  # the desk goes on recording after the report
        term.wait_for("logged: Informational")
        term.quit()  # answers the question Ctrl+Q asks while check-ins run (after 17:00, weekends)
        wait_until(lambda: not term.alive())
    finally:
        term.tmux("kill-server")


def test_the_report_beside_a_desk_reads_its_log_whatever_name_it_is_given(tmp_path):
    # Through a symlink the log was looked for beside the link, not found, and the file read as it
    # stands: "holds no desk records" beside a desk with a shift open. Through a hard link, whose
    # log cannot be found by name, the reader must say so rather than print an old record.
    real = tmp_path / "real" / "desk.db"
    real.parent.mkdir()
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "desk.db"
    link.symlink_to(real)
    hard = tmp_path / "links" / "hard.db"
    with Desk(real):
        os.link(real, hard)
        done = run("report", db=link)
        assert done.returncode == 0, done.stderr
        assert "On duty: Sam" in done.stdout and statistics(done.stdout).splitlines()[0] == "Total: 1"
        assert run("verify", db=link).returncode == 0
        refused = run("report", db=hard)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "open in Solo Shift under another name" in refused.stderr

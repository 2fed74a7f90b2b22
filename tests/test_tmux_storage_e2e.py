"""The emergency and panic keys in a real terminal, with the database read-only or locked.

Read-only is real: the file is mode 444 and the program runs without the
capability that lets root write anyway. The lock is held by another process.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from conftest import ROOT
from shift.store import Store
from tmux_terminal import Terminal, WriteLock, count, needs_tmux, wait_until

pytestmark = [needs_tmux, pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is not installed")]
NO_OVERRIDE = "setpriv --bounding-set=-dac_override,-dac_read_search,-fowner --inh-caps=-all"


def new_db(tmp_path):
    db = tmp_path / "desk.db"
    Store.open(db).close()
    return db


def run_desk(term: Terminal, db, prefix: str = "") -> None:
    term.tmux("new-session", "-d", "-x", "80", "-y", "24",
              f"cd {ROOT} && exec {prefix} {sys.executable} main.py --db {db}")
    term.wait_for("Who is on duty?")


def test_read_only_database_emergency_and_panic(tmp_path):
    db = new_db(tmp_path)
    os.chmod(db, 0o444)
    term = Terminal(f"solo-ro-{os.getpid()}")
    try:
        run_desk(term, db, NO_OVERRIDE)
        term.keys("F8")
        term.wait_for("press the protocol's key")
        term.keys("f")
        screen = term.wait_for("DIAL 9-911")
        assert "Make sure the fire alarm is sounding" in screen
        assert "waiting for storage" in screen
        term.keys("F12")
        term.wait_for("Raising the alarm in")
        screen = term.wait_for("Alarm raised", limit=15)
        assert term.alive() and "DIAL 9-911" in screen
        assert count(db, "SELECT COUNT(*) FROM shifts") == 0  # nothing could be written, and nothing broke
        os.chmod(db, 0o644)  # write access restored: what was kept is written
        wait_until(lambda: count(db, "SELECT COUNT(*) FROM checkin_events WHERE kind = 'panic'") == 1)
        assert count(db, "SELECT COUNT(*) FROM procedure_runs WHERE procedure_id = 'fire-alarm'") == 1
        term.wait_for("Storage is back")
    finally:
        term.tmux("kill-server")


def test_quitting_with_entries_waiting_keeps_them_for_the_next_start(tmp_path):
    db = new_db(tmp_path)
    os.chmod(db, 0o444)
    term = Terminal(f"solo-quit-{os.getpid()}")
    try:
        run_desk(term, db, NO_OVERRIDE)
        term.keys("Sam", "Enter")
        term.wait_for("On duty: Sam")
        term.keys("d", "r")
        term.wait_for("Kept in memory")
        term.keys("C-q")
        term.wait_for("Quit anyway?")
        term.keys("Enter")  # not an answer: only y quits
        term.wait_for("y = yes")
        term.keys("y")
        wait_until(lambda: not term.alive())
    finally:
        term.tmux("kill-server")
    assert (tmp_path / "desk.db.waiting.json").exists()
    assert count(db, "SELECT COUNT(*) FROM tallies") == 0
    # The desk log holds in full any row the database refused: its owner's only, like the database.
    for kept in ("desk.db.waiting.json", "desk.log"):
        assert (tmp_path / kept).stat().st_mode & 0o777 == 0o600, kept
    os.chmod(db, 0o644)
    term = Terminal(f"solo-quit2-{os.getpid()}")
    try:
        term.tmux("new-session", "-d", "-x", "80", "-y", "24", f"cd {ROOT} && exec {sys.executable} main.py --db {db}")
        term.wait_for("On duty: Sam")  # the shift kept in memory is the open shift
        assert count(db, "SELECT COUNT(*) FROM tallies") == 2
        assert not (tmp_path / "desk.db.waiting.json").exists()
    finally:
        term.tmux("kill-server")


def test_locked_database_emergency_then_written_when_the_lock_goes(tmp_path):
    db = new_db(tmp_path)
    lock = WriteLock(db)
    term = Terminal(f"solo-lock-{os.getpid()}")
    try:
        run_desk(term, db)
        term.keys("F8")
        term.wait_for("press the protocol's key")
        term.keys("f")
        screen = term.wait_for("DIAL 9-911")
        assert "Make sure the fire alarm is sounding" in screen
        term.keys("Enter")  # the first step done while locked
        term.wait_for("Step 2 of")
        lock.release()  # the other process lets go
        wait_until(lambda: count(db, "SELECT COUNT(*) FROM step_outcomes") == 1)
        assert count(db, "SELECT COUNT(*) FROM procedure_runs WHERE drill = 0") == 1
        term.wait_for("Storage is back")
    finally:
        term.tmux("kill-server")
        lock.release()


def test_a_killed_desk_loses_nothing_kept_for_a_locked_database(tmp_path):
    """Entries kept while another program holds the lock are also in a file beside the
    database: a kill -9 loses none of them, and the next start writes them in."""
    db = new_db(tmp_path)
    lock = WriteLock(db)
    term = Terminal(f"solo-kill-{os.getpid()}")
    try:
        run_desk(term, db)
        term.keys("Sam", "Enter")
        term.wait_for("On duty: Sam")
        term.keys("d", "d", "r")
        kept = tmp_path / "desk.db.waiting.json"
        wait_until(lambda: kept.exists() and kept.read_text().count('"tallies"') == 3)
        os.kill(term.pid(), 9)
        wait_until(lambda: "Sam" not in term.screen() or not term.alive())
    finally:
        term.tmux("kill-server")
        lock.release()
    assert count(db, "SELECT COUNT(*) FROM tallies") == 0
    term = Terminal(f"solo-kill2-{os.getpid()}")
    try:
        term.tmux("new-session", "-d", "-x", "80", "-y", "24", f"cd {ROOT} && exec {sys.executable} main.py --db {db}")
        term.wait_for("On duty: Sam")
        assert count(db, "SELECT COUNT(*) FROM tallies") == 3
        assert not (tmp_path / "desk.db.waiting.json").exists()
    finally:
        term.tmux("kill-server")

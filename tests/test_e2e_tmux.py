"""The real program in a real terminal (tmux): start a shift, log with a key, survive SIGKILL.

The database is read by a separate connection while the app is still
running, so the test proves the row was committed, not merely shown.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None and not os.environ.get("CI"), reason="tmux is not installed (CI installs it)"
)


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True).stdout

    def start(self, db) -> None:
        command = f"cd {ROOT} && exec {sys.executable} main.py --db {db}"
        self.tmux("new-session", "-d", "-x", "120", "-y", "40", command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def wait_for(self, text: str, limit: float = 30) -> str:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "#{pane_pid}").strip())

    def alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session"], capture_output=True).returncode == 0


def wait_until(predicate, limit: float = 20):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition never became true")


def count(db, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet
    finally:
        conn.close()


def test_shift_and_tally_survive_sigkill_in_a_real_terminal(tmp_path):
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-e2e-{os.getpid()}")
    try:
        term.start(db)
        term.wait_for("Who is on duty?")
        term.keys("Jordan [A-12]", "Enter")
        term.wait_for("On duty: Jordan [A-12]")
        term.keys("d")
        term.wait_for("logged: Directional")
        # Committed while the app is still running: visible to another connection.
        assert count(db, "SELECT COUNT(*) FROM tallies WHERE category = 'directional'") == 1
        assert term.alive()

        os.kill(term.pid(), signal.SIGKILL)
        wait_until(lambda: not term.alive())
        assert count(db, "SELECT COUNT(*) FROM shifts") == 1

        term.start(db)
        term.wait_for("Resumed the shift")
        screen = term.wait_for("logged: Directional")
        assert "On duty: Jordan [A-12]" in screen
        assert "Directional         1" in screen
        term.keys("i")
        term.wait_for("logged: Informational")
        assert count(db, "SELECT COUNT(*) FROM tallies") == 2

        term.keys("C-q")
        wait_until(lambda: not term.alive())
        assert count(db, "SELECT COUNT(*) FROM shifts") == 1  # still the same, still open
        assert count(db, "SELECT COUNT(*) FROM shift_ends") == 0
    finally:
        term.tmux("kill-server")

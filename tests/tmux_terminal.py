"""Driving the real program in a real terminal: tmux with send-keys and capture-pane."""

import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ROOT

needs_tmux = pytest.mark.skipif(
    shutil.which("tmux") is None and not os.environ.get("CI"), reason="tmux is not installed (CI installs it)"
)


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True).stdout

    def start(self, db, *args: str, size: tuple[int, int] = (120, 40), env: str = "") -> None:
        """Run the desk on `db`; `env` is "NAME=value ..." set for the program only."""
        extra = " ".join(args)
        command = f"cd {ROOT} && exec env {env} {sys.executable} main.py --db {db} {extra}"
        self.tmux("new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), command)

    def start_shift(self, db, worker: str, *args: str) -> None:
        """Run the desk on a database with no open shift and start one for `worker`."""
        self.start(db, *args)
        self.wait_for("Who is on duty?")
        self.keys(worker, "Enter")
        self.wait_for(f"On duty: {worker}")

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

    def quit(self) -> None:
        """Ctrl+Q, and y if the desk asks (it does while check-ins are running: evenings, weekends)."""
        self.keys("C-q")
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            if "Quit anyway?" in self.screen():
                self.keys("y")
                break
            time.sleep(0.1)
        wait_until(lambda: not self.alive())

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


def fill_disk(folder) -> None:
    """Take the rest of the (small tmpfs) disk `folder` is on with a file named `filler`."""
    fd = os.open(os.path.join(folder, "filler"), os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # no space left on the device
    finally:
        os.close(fd)


class WriteLock:
    """Another process holding the database's write lock (as a backup tool or a sqlite3 shell
    would) until `release()`, or the end of the `with` block."""

    def __init__(self, db) -> None:
        self.holder = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
             "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.readline()", str(db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.holder.stdout is not None and self.holder.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.holder.poll() is None:
            self.holder.communicate("\n", timeout=10)

    def __enter__(self) -> "WriteLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

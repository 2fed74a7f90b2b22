"""From a missed check-in's moment to the alarm email at the SMTP server, in real time.

Each run: a local SMTP server (aiosmtpd, plain, on 127.0.0.1) in this process,
a site file (the shipped one with no timed tasks, check-ins at any hour,
interval 60m, grace 10m, one email step to security), and a database holding
a shift for "Sam" started so that deadline + grace (the moment the chain
starts) falls LEAD_MIN-LEAD_MAX s after the program is launched, at a random
fraction of a second. The real program (main.py) then runs on a
pseudo-terminal (120x40, output drained and thrown away) on the wall clock,
woken by its own APScheduler.

Per run it prints:
  decided  the escalation row's `at` in checkin_events minus the moment (the
           desk's decision, recorded before the email is sent),
  arrived  time.time() in the SMTP server's DATA handler minus the moment
           (the decision, building the message, smtplib in a worker thread,
           the SMTP exchange),
  ready    how long before the moment the program had tested the alert
           channel (its channel_ok row): a negative margin would mean it
           started too late for the run to mean anything.
Then median and max of decided and arrived. Figures only, no assertions.
"""

from __future__ import annotations

import fcntl
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from _common import QUICK, ROOT, SITE, figure, median, save_figures

RUNS = 2 if QUICK else 5
LEAD_MIN, LEAD_MAX = 8.0, 10.0  # seconds from launch to the chain's start
INTERVAL, GRACE = timedelta(minutes=60), timedelta(minutes=10)
SECURITY = "security@lib.example.org"
GOAL_S = 1.0
SIZE = (40, 120)  # rows, columns


class Arrivals:
    """The SMTP server's handler: the wall-clock time each message's DATA arrived, and its subject."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.subjects: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.times.append(time.time())
        content = envelope.original_content or b""
        subject = next((line[9:].decode(errors="replace") for line in content.split(b"\r\n")
                        if line.startswith(b"Subject: ")), "")
        self.subjects.append(subject)
        return "250 Message accepted for delivery"


def site_file(folder: Path, port: int) -> Path:
    text = SITE.read_text()
    head = text[: text.index("# Timed prompts.")]
    tail = text[text.index("# Incident reports."):]
    middle = (
        '[checkins]\ninterval = "60m"\ngrace = "10m"\nsolo_only = false\n\n'
        '[[checkins.escalation]]\naction = "email"\nto = "security"\nwait = "5m"\n\n'
        f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'sender = "desk-alerts@lib.example.org"\n\n'
        f'[email.recipients]\nsecurity = ["{SECURITY}"]\nreports = ["{SECURITY}"]\n\n'
    )
    path = folder / "site.toml"
    path.write_text(head + middle + tail)
    return path


def check_site(site: Path) -> None:
    result = subprocess.run([sys.executable, "main.py", "check", "--site", str(site)], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("the bench's site file has errors:\n" + result.stdout + result.stderr)


def seed(db: Path, lead: float) -> datetime:
    """A shift for Sam whose chain starts `lead` seconds from now; returns that moment (UTC)."""
    from shift.clock import UTC, FixedClock
    from shift.shifts import start_shift
    from shift.store import Store

    started = datetime.now(UTC) - INTERVAL - GRACE + timedelta(seconds=lead)
    store = Store.open(db, clock=FixedClock(started))
    try:
        start_shift(store, "Sam", "main")
    finally:
        store.close()
    return started + INTERVAL + GRACE


def first_event(db: Path, kind: str) -> datetime | None:
    from shift.clock import from_iso

    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return None
    try:
        row = conn.execute("SELECT min(at) FROM checkin_events WHERE kind = ?", (kind,)).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return from_iso(row[0]) if row and row[0] else None


class Desk:
    """main.py on a pseudo-terminal, its output read and discarded so it never blocks."""

    def __init__(self, db: Path, site: Path, env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[0], SIZE[1], 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "main.py", "--db", str(db), "--site", str(site)],
            cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        try:
            while os.read(self.master, 65536):
                pass
        except OSError:  # the program closed the terminal
            pass

    def quit(self) -> int:
        os.write(self.master, b"\x11")  # Ctrl+Q
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(timeout=2)
        os.close(self.master)
        return code


def wait_for(predicate, until: float):
    while time.time() < until:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    return None


def one_run(folder: Path, server: Arrivals, port: int, env: dict[str, str]) -> tuple[float, float, float] | str:
    site = site_file(folder, port)
    check_site(site)
    db = folder / "desk.db"
    before = len(server.times)
    moment = seed(db, random.uniform(LEAD_MIN, LEAD_MAX))
    desk = Desk(db, site, env)
    try:
        ready = wait_for(lambda: first_event(db, "channel_ok"), moment.timestamp() + 20)
        decided = wait_for(lambda: first_event(db, "escalation"), moment.timestamp() + 30)
        arrived = wait_for(lambda: len(server.times) > before and server.times[before], moment.timestamp() + 30)
    finally:
        code = desk.quit()
    if ready is None or decided is None or not arrived:
        return (f"incomplete: channel tested {ready}, escalation {decided}, email {arrived}, "
                f"exit {code}")
    subject = server.subjects[before]
    if not subject.startswith("Missed check-in:"):
        return f"unexpected first email: {subject!r}"
    if code != 0:
        print(f"  (the program exited with {code} on Ctrl+Q)")
    return ((moment - ready).total_seconds(), (decided - moment).total_seconds(), arrived - moment.timestamp())


def main() -> list[dict]:
    from aiosmtpd.controller import Controller

    sys.path.insert(0, str(ROOT / "tests"))
    from test_alerts import free_port  # noqa: E402  (tests/ is not a package)

    server = Arrivals()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    decided_all, arrived_all = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="solo-shift-alarm-") as tmp:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env.update(TERM="xterm-256color", PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
            print(f"missed check-in to alarm email, {RUNS} runs, chain starting {LEAD_MIN:.0f}-{LEAD_MAX:.0f} s "
                  "after launch at a random sub-second")
            for number in range(1, RUNS + 1):
                folder = Path(tmp) / f"run{number}"
                folder.mkdir()
                result = one_run(folder, server, port, env)
                if isinstance(result, str):
                    print(f"  run {number}: {result}")
                    continue
                margin, decided, arrived = result
                decided_all.append(decided)
                arrived_all.append(arrived)
                print(f"  run {number}: decided {decided * 1000:7.1f} ms   arrived {arrived * 1000:7.1f} ms"
                      f"   (ready {margin:4.1f} s before the moment)")
    finally:
        controller.stop()
    if decided_all:
        print(f"  moment -> escalation recorded: median {median(decided_all) * 1000:7.1f} ms"
              f"   max {max(decided_all) * 1000:7.1f} ms")
        print(f"  moment -> email at the server: median {median(arrived_all) * 1000:7.1f} ms"
              f"   max {max(arrived_all) * 1000:7.1f} ms")
    print(f"  complete runs: {len(decided_all)}/{RUNS}")
    if not decided_all:
        return [figure("missed check-in to alarm email at a local SMTP server", f"no complete run of {RUNS}",
                       f"within {GOAL_S:.0f} s", False)]
    worst = max(arrived_all)
    return [figure(f"missed check-in to escalation recorded / email at a local SMTP server ({RUNS} runs)",
                   f"median {median(decided_all) * 1000:.0f} / {median(arrived_all) * 1000:.0f} ms,"
                   f" max {max(decided_all) * 1000:.0f} / {worst * 1000:.0f} ms"
                   + (f" ({len(decided_all)} of {RUNS} runs complete)" if len(decided_all) < RUNS else ""),
                   f"within {GOAL_S:.0f} s", worst < GOAL_S and len(decided_all) == RUNS,
                   decided_ms=median(decided_all) * 1000, arrived_ms=median(arrived_all) * 1000)]


if __name__ == "__main__":
    save_figures(main())

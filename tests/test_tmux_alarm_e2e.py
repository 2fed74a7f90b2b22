"""A missed check-in in a real terminal, in real time, against a real SMTP server.

The shift is seeded so that its check-in deadline plus grace (the moment the
escalation chain starts) falls about nine seconds after the program starts, at
an arbitrary fraction of a second. Nothing is faked: the program runs in tmux
on the wall clock, its APScheduler wakes it, and the alarm goes by SMTP to an
aiosmtpd server in this process. Then a late check-in (F5, Enter) ends the
alarm and everyone it reached is told to stand down.

The one timing bound asserted is the desk's own decision: the escalation row is
recorded at or after the moment and less than a second after it. How long the
email then takes is measured, not asserted, by bench/alarm_latency.py.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from conftest import ROOT, SITE_FILE
from shift.clock import UTC, FixedClock, from_iso
from shift.shifts import start_shift
from shift.store import Store
from test_alerts import parsed, start_server
from tmux_terminal import Terminal, needs_tmux, wait_until

pytestmark = needs_tmux

SECURITY = "security@lib.example.org"
INTERVAL, GRACE = timedelta(minutes=60), timedelta(minutes=10)
LEAD = timedelta(seconds=9.37)  # from the seeding to the chain's start: the program's start-up fits in it


def alarm_site(tmp_path: Path, port: int) -> Path:
    """The shipped site with no timed tasks, check-ins at any hour, and one email step to a local server."""
    text = SITE_FILE.read_text()
    head = text[: text.index("# Timed prompts.")]
    tail = text[text.index("# Incident reports."):]
    middle = (
        "[checkins]\n"
        'interval = "60m"\n'
        'grace = "10m"\n'
        "solo_only = false\n"
        "\n"
        "[[checkins.escalation]]\n"
        'action = "email"\n'
        'to = "security"\n'
        'wait = "5m"\n'
        "\n"
        "[email]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        'security = "none"\n'
        'sender = "desk-alerts@lib.example.org"\n'
        "\n"
        "[email.recipients]\n"
        f'security = ["{SECURITY}"]\n'
        f'reports = ["{SECURITY}"]\n'
        "\n"
    )
    path = tmp_path / "site.toml"
    path.write_text(head + middle + tail)
    return path


def check_site(site: Path) -> None:
    result = subprocess.run([sys.executable, "main.py", "check", "--site", str(site)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def seed_shift(db: Path, worker: str = "Sam") -> datetime:
    """A shift started so long ago that the chain starts LEAD from now; returns that moment (UTC)."""
    started = datetime.now(UTC) - INTERVAL - GRACE + LEAD
    store = Store.open(db, clock=FixedClock(started))
    try:
        start_shift(store, worker, "main")
    finally:
        store.close()
    return started + INTERVAL + GRACE


def events(db: Path, kind: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT at, detail FROM checkin_events WHERE kind = ? ORDER BY at", (kind,)).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_a_missed_checkin_escalates_on_time_by_email_and_a_late_checkin_stands_it_down(request, tmp_path):
    handler, port = start_server(request)
    site = alarm_site(tmp_path, port)
    check_site(site)
    db = tmp_path / "desk.db"
    escalate_at = seed_shift(db)
    term = Terminal(f"solo-alarm-{os.getpid()}")
    try:
        term.start(db, "--site", str(site))
        term.wait_for("On duty: Sam")
        assert datetime.now(UTC) < escalate_at, "the program took the whole lead to start: nothing to time"
        assert not handler.envelopes  # the channel test at the start sends nothing

        # (a) the alarm arrives by email
        wait_until(lambda: handler.envelopes, limit=escalate_at.timestamp() - datetime.now(UTC).timestamp() + 20)
        alarm = parsed(handler.envelopes[0])
        assert handler.envelopes[0].rcpt_tos == [SECURITY]
        assert alarm["Subject"].startswith("Missed check-in:"), alarm["Subject"]
        assert "Sam" in alarm.get_content()

        # (b) the desk decided on time: the escalation row is at the moment, within a second
        (at, detail), = events(db, "escalation")
        late = from_iso(at) - escalate_at
        assert timedelta(0) <= late < timedelta(seconds=1), f"escalated {late.total_seconds():.3f} s after the moment"
        assert detail == "0:email security"

        # (d) the desk line tells the truth about the step
        wait_until(lambda: events(db, "alert_sent"))
        screen = term.wait_for("email security: sent")
        assert "ALARM (missed check-in)" in screen

        # (c) a late check-in ends the alarm; security is told to stand down
        term.keys("F5")
        term.wait_for("Press Enter to check in")
        term.keys("Enter")
        wait_until(lambda: len(handler.envelopes) >= 2)
        stand_down = parsed(handler.envelopes[1])
        assert stand_down["Subject"].startswith("Stand down:"), stand_down["Subject"]
        assert handler.envelopes[1].rcpt_tos == [SECURITY]
        assert "Sam checked in at" in stand_down.get_content()
        wait_until(lambda: events(db, "stand_down_sent"))
        assert len(events(db, "checkin")) == 1
        assert "email security: sent" not in term.wait_for("Next check-in by")

        term.quit()
        assert len(handler.envelopes) == 2  # nothing doubled
    finally:
        term.tmux("kill-server")

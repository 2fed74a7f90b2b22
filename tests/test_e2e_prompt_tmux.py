"""A timed task coming due during a shift, in a real terminal: toast, Due now, acknowledgement in the database.

No waiting for the wall clock: the task is set at the current minute and the
shift was started a minute before it (seeded through the domain, as if the desk
had been closed for a moment). The program must fire it as soon as it starts,
since it is less than MISSED_AFTER late: the same decision the scheduler's
wake-ups make. The date jobs themselves (a wake-up at the due second) are
covered with the real APScheduler in test_timers_pilot.
"""

import os
import re
import sqlite3
from datetime import datetime, timedelta

from conftest import SITE_FILE, TORONTO
from shift.clock import UTC, FixedClock, from_iso
from shift.prompts import MISSED_AFTER
from shift.shifts import start_shift
from shift.store import Store
from tmux_terminal import Terminal, needs_tmux

pytestmark = needs_tmux


def site_with_task_at(tmp_path, hhmm: str):
    """The shipped site, open round the clock, its timers replaced by one task."""
    text = SITE_FILE.read_text()
    text = re.sub(r"\[hours\].*?(?=\n\[\[desks\]\])", "[hours]\n" + "".join(
        f'{day} = "00:00-24:00"\n' for day in
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")), text, flags=re.S)
    text = text[: text.index("# Timed prompts.")]
    text += f'[[tasks]]\nid = "e2e"\ntitle = "Check the book drop [east]"\nat = "{hhmm}"\n'
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


def test_a_task_due_now_fires_at_start_and_is_acknowledged(tmp_path):
    now = datetime.now(TORONTO)
    due = now.replace(second=0, microsecond=0)  # at most a minute ago: late, not yet missed
    assert now - due < MISSED_AFTER - timedelta(seconds=50)  # leaves 50 s to start the program
    site = site_with_task_at(tmp_path, f"{due:%H:%M}")
    db = tmp_path / "desk.db"
    seeded = Store.open(db, clock=FixedClock(due - timedelta(minutes=1)))
    try:
        start_shift(seeded, "Sam", "main")
    finally:
        seeded.close()
    term = Terminal(f"solo-prompt-{os.getpid()}")
    try:
        term.start(db, "--site", str(site))
        term.wait_for("Resumed the shift")
        screen = term.wait_for("Due now  (x done")  # the panel's heading
        assert "On duty: Sam" in screen
        assert "Check the book drop [east]" in screen  # the toast and the panel
        term.wait_for(f"{due:%H:%M}  Check the book drop [east]")
        term.keys("x")
        term.wait_for("done: Check the book drop [east]")

        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = conn.execute("SELECT event, at, due_at FROM prompt_events ORDER BY at").fetchall()
        conn.close()
        assert [r[0] for r in rows] == ["fired", "done"]  # fired, not recorded as missed
        assert from_iso(rows[0][2]) == due.astimezone(UTC)
        response = from_iso(rows[1][1]) - from_iso(rows[1][2])
        assert response >= timedelta(0)  # recorded, counted from the due time
        term.quit()
    finally:
        term.tmux("kill-server")

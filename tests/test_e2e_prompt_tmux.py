"""A timed task set a minute ahead, in a real terminal: toast, Due now, acknowledgement in the database."""

import os
import re
from datetime import datetime, timedelta

from conftest import SITE_FILE, TORONTO
from shift.clock import UTC, from_iso
from tmux_terminal import Terminal, needs_tmux, wait_until

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


def test_a_task_a_minute_ahead_fires_and_is_acknowledged(tmp_path):
    now = datetime.now(TORONTO)
    due = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if due - now < timedelta(seconds=20):
        due += timedelta(minutes=1)  # leave time to start the app and the shift
    site = site_with_task_at(tmp_path, f"{due:%H:%M}")
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-prompt-{os.getpid()}")
    try:
        term.start_shift(db, "Sam", "--site", str(site))
        screen = term.wait_for("Due now  (x done", limit=150)  # the panel's heading
        assert "Check the book drop [east]" in screen  # the toast and the panel
        term.wait_for(f"{due:%H:%M}  Check the book drop [east]")
        term.keys("x")
        term.wait_for("done: Check the book drop [east]")
        import sqlite3

        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = conn.execute("SELECT event, at, due_at FROM prompt_events ORDER BY at").fetchall()
        conn.close()
        assert [r[0] for r in rows] == ["fired", "done"]
        assert from_iso(rows[0][2]) == due.astimezone(UTC)
        response = from_iso(rows[1][1]) - from_iso(rows[1][2])
        assert response >= timedelta(0)  # recorded, counted from the due time
        term.keys("C-q")
        wait_until(lambda: not term.alive())
    finally:
        term.tmux("kill-server")

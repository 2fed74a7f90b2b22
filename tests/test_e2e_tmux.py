"""The real program in a real terminal (tmux): start a shift, log with a key, survive SIGKILL.

The database is read by a separate connection while the app is still
running, so the test proves the row was committed, not merely shown.
"""

import os
import signal

from tmux_terminal import Terminal, count, needs_tmux, wait_until

pytestmark = needs_tmux


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

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
        term.start_shift(db, "Jordan [A-12]")
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
        assert "Directional          1      1" in screen
        term.keys("i")
        term.wait_for("logged: Informational")
        assert count(db, "SELECT COUNT(*) FROM tallies") == 2

        term.quit()
        assert count(db, "SELECT COUNT(*) FROM shifts") == 1  # still the same, still open
        assert count(db, "SELECT COUNT(*) FROM shift_ends") == 0
    finally:
        term.tmux("kill-server")


def test_the_desk_takes_the_terminals_size_and_follows_a_resize(tmp_path):
    # A shell may export COLUMNS and LINES at a size the window no longer has.
    term = Terminal(f"solo-size-{os.getpid()}")
    try:
        term.start(tmp_path / "desk.db", size=(120, 40), env="COLUMNS=80 LINES=24")
        term.wait_for("Who is on duty?")
        # The key bar sits on the terminal's last row, not on the 24th.
        wait_until(lambda: "Ctrl+P palette" in term.screen().split("\n")[39])
        term.tmux("resize-window", "-x", "100", "-y", "30")
        wait_until(lambda: "Ctrl+P palette" in term.screen().split("\n")[29])
        term.quit()
    finally:
        term.tmux("kill-server")


def test_a_handover_being_typed_survives_sigkill(tmp_path):
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-typing-{os.getpid()}")
    try:
        term.start_shift(db, "Jordan")
        term.keys("C-e")
        term.wait_for("Handover note for the next person")
        term.keys("-l", "Microfilm reader 2 [jammed]")
        wait_until(lambda: count(db, "SELECT COUNT(*) FROM unsaved_text") == 1)
        os.kill(term.pid(), signal.SIGKILL)
        wait_until(lambda: not term.alive())

        term.start(db)
        term.wait_for("Resumed the shift")
        term.keys("C-e")
        term.wait_for("Microfilm reader 2 [jammed]")
        term.keys("C-s")
        term.wait_for("Shift report")
        term.quit()
        assert count(db, "SELECT COUNT(*) FROM shift_ends WHERE handover = 'Microfilm reader 2 [jammed]'") == 1
        assert count(db, "SELECT COUNT(*) FROM unsaved_text") == 0
    finally:
        term.tmux("kill-server")

"""An emergency in a real 80x24 terminal: one key, the number to dial, steps timestamped, SIGKILL, resume."""

import os
import signal

from tmux_terminal import Terminal, count, needs_tmux, wait_until

pytestmark = needs_tmux


def test_fire_alarm_in_a_real_terminal(tmp_path):
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-fire-{os.getpid()}")
    try:
        term.start(db, size=(80, 24))
        term.wait_for("Who is on duty?")
        term.keys("F8")  # before anyone has signed in
        term.wait_for("press the protocol's key")
        term.keys("f")
        screen = term.wait_for("DIAL 9-911")
        assert "Address for 911: 1 Example Road, Peterborough" in screen
        assert "Campus Security (24 h): 705-555-0100" in screen
        assert "Step 1 of" in screen
        term.keys("Enter")
        term.wait_for("Step 2 of")
        assert count(db, "SELECT COUNT(*) FROM step_outcomes") == 1
        os.kill(term.pid(), signal.SIGKILL)
        wait_until(lambda: not term.alive())

        term.start(db, size=(80, 24))
        term.wait_for("In progress: Fire alarm: evacuate the building")
        term.keys("F8")
        term.wait_for("IN PROGRESS")
        term.keys("f")
        screen = term.wait_for("Step 2 of")
        assert "DIAL 9-911" in screen
        term.quit()
        assert count(db, "SELECT COUNT(*) FROM procedure_runs WHERE procedure_id = 'fire-alarm'") == 1
    finally:
        term.tmux("kill-server")

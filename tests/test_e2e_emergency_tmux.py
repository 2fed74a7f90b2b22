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
        term.wait_for("EMERGENCY IN PROGRESS: Fire alarm, step 2 of")
        term.keys("F8")
        term.wait_for("IN PROGRESS")
        term.keys("f")
        screen = term.wait_for("Step 2 of")
        assert "DIAL 9-911" in screen
        term.quit()
        assert count(db, "SELECT COUNT(*) FROM procedure_runs WHERE procedure_id = 'fire-alarm'") == 1
    finally:
        term.tmux("kill-server")


def test_the_palette_opens_the_fire_alarm_and_the_sweep_keeps_the_number_in_a_real_terminal(tmp_path):
    """Ctrl+P, "fire", Enter: the emergency screen with the number to dial (not the plain runner);
    through to the sweep at 80×24, whose top line is still the number; leaving asks for y."""
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-palette-{os.getpid()}")
    try:
        term.start(db, size=(80, 24))
        term.wait_for("Who is on duty?")
        term.keys("Sam", "Enter")
        term.wait_for("On duty: Sam")
        term.keys("C-p")
        term.keys("fire")
        term.wait_for("emergency: fire alarm")
        term.keys("Enter")
        screen = term.wait_for("DIAL 9-911")
        assert "Step 1 of" in screen
        term.keys("Enter")
        screen = term.wait_for("Step 2 of")
        assert "Call 9-911" in screen  # the step says the number as the top line does
        for step in ("Step 3 of", "Step 4 of", "Step 5 of"):
            term.keys("Enter")
            term.wait_for(step)
        term.keys("Enter")  # the sweep checklist
        screen = term.wait_for("not yet reported")
        assert screen.splitlines()[0].strip().startswith("DIAL 9-911")
        term.keys("c")
        screen = term.wait_for("clear ")
        assert screen.splitlines()[0].strip().startswith("DIAL 9-911")
        term.keys("Escape")  # back to the walkthrough
        term.wait_for("Step 5 of")
        term.keys("Escape")
        term.wait_for("Leave the Fire alarm walkthrough?")
        term.keys("y")
        term.wait_for("EMERGENCY IN PROGRESS: Fire alarm, step 5 of")
        term.quit()
    finally:
        term.tmux("kill-server")

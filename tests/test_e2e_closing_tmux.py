"""The bundled closing procedure in a real terminal: skip, out-of-range cash, SIGKILL, resume, summary."""

import os
import signal

from tmux_terminal import Terminal, count, needs_tmux, wait_until

pytestmark = needs_tmux


def test_closing_resumes_after_sigkill_with_its_answers(tmp_path):
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-closing-{os.getpid()}")

    def at_step(number: int, *keys: str) -> None:
        term.wait_for(f"Step {number} of 21")
        term.keys(*keys)

    try:
        term.start_shift(db, "Sam")
        term.keys("F4")
        at_step(1, "Enter")
        at_step(2, "C-s")
        term.wait_for("Why is this step skipped?")
        term.keys("PA system not working", "Enter")
        for number in range(3, 8):
            at_step(number, "1", "Enter")  # zone clear: yes
        at_step(8, "Enter")
        for number in range(9, 12):
            at_step(number, "1", "Enter")
        at_step(12, "2", "Enter")  # nobody refusing to leave
        at_step(13, "1", "Enter")
        at_step(14, "Enter")
        at_step(15, "Enter")
        at_step(16, "312.50", "Enter")
        term.wait_for("Record it anyway?")
        term.keys("y")
        term.wait_for("Step 17 of 21")
        assert count(db, "SELECT COUNT(*) FROM step_outcomes") == 16
        assert count(db, "SELECT COUNT(*) FROM step_outcomes WHERE out_of_range = 1") == 1

        os.kill(term.pid(), signal.SIGKILL)
        wait_until(lambda: not term.alive())

        term.start(db)
        term.wait_for("In progress: Closing the library (step 17 of 21)")
        term.keys("F4")
        screen = term.wait_for("Step 17 of 21")
        assert "Empty the returns bin" in screen
        term.keys("Enter")
        at_step(18, "1", "Enter")
        at_step(19, "Quiet close", "Enter")
        at_step(20, "Enter")
        at_step(21, "Enter")
        summary = term.wait_for("All steps done")
        assert "Skipped (1):" in summary and "PA system not working" in summary
        assert "Out of range (1):" in summary and "$312.5 (expected $150 to $250)" in summary
        term.keys("Enter")
        term.wait_for("closing: finished")
        assert count(db, "SELECT COUNT(*) FROM run_ends") == 1
        assert count(db, "SELECT COUNT(*) FROM procedure_runs") == 1
    finally:
        term.tmux("kill-server")

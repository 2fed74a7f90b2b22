"""Desk knowledge in a real terminal: from the desk, / and `acces` put the accessibility
referral first; Enter shows its phone and hours; p logs a referral by phone, committed."""

import os

from tmux_terminal import Terminal, count, needs_tmux

pytestmark = needs_tmux


def test_search_open_and_log_a_referral_by_phone_in_a_real_terminal(tmp_path):
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-know-{os.getpid()}")
    try:
        term.start_shift(db, "Robin")
        term.keys("/")
        term.wait_for("Desk knowledge")
        term.keys("acces")
        screen = term.wait_for("Student Accessibility Services  (Referral)")
        kinds = ("(Referral)", "(Ready answer)", "(Policy)", "(Notice)")
        results = [line for line in screen.splitlines() if any(kind in line for kind in kinds)]
        assert "Student Accessibility Services  (Referral)" in results[0]
        term.keys("Enter")
        screen = term.wait_for("Phone: 705-555-0120")
        assert "Hours: Mon-Fri 08:30-16:30" in screen
        term.keys("p")
        term.wait_for("Accessibility (Phone) — referred to: Student Accessibility Services")
        # Committed while the app is still running: visible to another connection.
        assert count(db, "SELECT COUNT(*) FROM tallies WHERE category = 'accessibility' AND channel = 'phone' "
                         "AND note = 'referred to: Student Accessibility Services'") == 1

        term.keys("/")
        term.wait_for("Desk knowledge")
        term.keys("microflim")
        term.wait_for("Microfilm and microfiche readers  (Ready answer)")
        term.keys("Escape")
        term.quit()
    finally:
        term.tmux("kill-server")

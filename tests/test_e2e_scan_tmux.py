"""A keyboard-wedge scanner in a real terminal: 20 barcodes with Enter in one burst, 20 rows in order.

tmux types the whole burst at once, as a scanner does. The database is read
by a separate connection while the app is still running.
"""

import os
import sqlite3

from test_circulation import item
from tmux_terminal import Terminal, count, needs_tmux, wait_until

pytestmark = needs_tmux


def scanned(db) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT item FROM circ_transactions ORDER BY rowid")]
    finally:
        conn.close()


def test_a_burst_of_twenty_scans_in_a_real_terminal(tmp_path):
    db = tmp_path / "desk.db"
    codes = [item(n) for n in range(500, 520)]
    term = Terminal(f"solo-scan-{os.getpid()}")
    try:
        term.start_shift(db, "Jordan")
        term.keys("F7")
        term.wait_for("MODE: LOAN")
        term.keys("C-r")
        term.wait_for("MODE: RETURN")
        burst = []
        for code in codes:
            burst += [code, "Enter"]
        term.keys(*burst)  # one send-keys: as fast as the terminal takes them
        wait_until(lambda: count(db, "SELECT COUNT(*) FROM circ_transactions") >= 20)
        term.wait_for(f"Return {codes[-1]}")
        assert scanned(db) == codes
        assert count(db, "SELECT COUNT(*) FROM circ_transactions WHERE action = 'return'") == 20
        assert term.alive()

        term.keys("Escape")
        term.wait_for("On duty: Jordan")
        term.quit()
        assert scanned(db) == codes  # nothing more, nothing less
    finally:
        term.tmux("kill-server")

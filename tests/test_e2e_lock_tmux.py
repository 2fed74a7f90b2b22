"""The lock in a real terminal: the desk left idle locks itself, F8 still opens the emergency
picker from the lock screen, Esc comes back to it, and the PIN opens the desk again."""

import os
import signal

from conftest import ROOT, local
from shift import lock
from tmux_terminal import Terminal, count, needs_tmux, wait_until

pytestmark = needs_tmux


def test_idle_lock_f8_and_the_pin_in_a_real_terminal(tmp_path):
    text = (ROOT / "data" / "site.toml").read_text()
    # A trial site: the desk locks after 3 s idle (check says such a short time is for trying it out).
    text = text.replace("idle_minutes = 5", "idle_minutes = 0.05")
    assert "idle_minutes = 0.05" in text
    (tmp_path / "site.toml").write_text(text)
    (tmp_path / "jurisdiction").symlink_to(ROOT / "data" / "jurisdiction")
    lock.set_pin(tmp_path / "pins.toml", "Robin", "4821", local(2026, 11, 24, 19, 0))
    db = tmp_path / "desk.db"
    term = Terminal(f"solo-lock-{os.getpid()}")
    try:
        term.start_shift(db, "Sam", "--site", str(tmp_path / "site.toml"))
        screen = term.wait_for("Locked: enter your PIN", limit=30)  # nobody pressed a key since
        assert "Sam" not in screen and "Bata Library" in screen
        term.keys("F8")
        term.wait_for("press the protocol's key")
        term.keys("Escape")
        screen = term.wait_for("Locked: enter your PIN")
        assert "Sam" not in screen
        term.keys("4821", "Enter")
        term.wait_for("On duty: Sam")
        assert count(db, "SELECT COUNT(*) FROM lock_events WHERE kind = 'locked' AND how = 'idle'") >= 1
        assert count(db, "SELECT COUNT(*) FROM lock_events WHERE kind = 'unlocked' AND who = 'Robin'") == 1
    finally:
        term.tmux("kill-server")


def test_a_desk_killed_while_locked_opens_on_the_lock_screen(tmp_path):
    """Nothing of the desk is drawn and none of its keys counts before the lock covers it."""
    (tmp_path / "site.toml").write_text((ROOT / "data" / "site.toml").read_text())
    (tmp_path / "jurisdiction").symlink_to(ROOT / "data" / "jurisdiction")
    lock.set_pin(tmp_path / "pins.toml", "Robin", "4821", local(2026, 11, 24, 19, 0))
    db = tmp_path / "desk.db"
    site = ("--site", str(tmp_path / "site.toml"))
    term = Terminal(f"solo-relock-{os.getpid()}")
    try:
        term.start_shift(db, "Carol Private", *site)
        term.keys("C-b")
        term.wait_for("Locked: enter your PIN")
        os.kill(term.pid(), signal.SIGKILL)
        wait_until(lambda: not term.alive())
        term.start(db, *site)
        screens = []
        while "Locked: enter your PIN" not in (screens or [""])[-1]:
            term.keys("r", "u")  # desk keys, pressed from the very start
            screens.append(term.screen())
            assert len(screens) < 3000, screens[-1]
        assert not any("Carol" in s or "On duty" in s for s in screens)
        term.keys("r", "r")
        term.wait_for("Locked: enter your PIN")
        assert count(db, "SELECT COUNT(*) FROM tallies") == 0
        term.keys("4821", "Enter")
        term.wait_for("On duty: Carol Private")
    finally:
        term.tmux("kill-server")

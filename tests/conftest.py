"""Shared fixtures: the shipped site, a temporary desk database, a clock that stands still."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shift.clock import FixedClock  # noqa: E402
from shift.site import load_site  # noqa: E402
from shift.store import Store  # noqa: E402


@pytest.fixture(autouse=True)
def _own_home(tmp_path_factory, monkeypatch):
    """Each test's own home folder (the desk and the programs it starts in tmux inherit it): rows a
    test leaves waiting in ~/.local/state/solo-shift never reach the next test or this machine's."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


TORONTO = ZoneInfo("America/Toronto")
SITE_FILE = ROOT / "data" / "site.toml"


def local(*args: int) -> datetime:
    """A Toronto wall-clock moment, e.g. local(2026, 11, 24, 19, 30)."""
    return datetime(*args, tzinfo=TORONTO)


@pytest.fixture
def full_site():
    """The shipped site, timed tasks and check-ins included."""
    loaded, problems = load_site(SITE_FILE)
    assert not [p for p in problems if p.is_error]
    # No PINs: a data/pins.toml kept on this machine must not lock the desk under a test that moves the clock.
    return loaded._replace(lock=loaded.lock._replace(pins_file=""))


@pytest.fixture
def site(full_site):
    """The shipped site without timers or email, so tests of other things see no prompts, alarms or mail."""
    return full_site._replace(tasks=(), checkins=None, email=None)


@pytest.fixture
def clock():
    # A Tuesday evening: a solo shift, the library closes at 23:00.
    return FixedClock(local(2026, 11, 24, 19, 30))


def shown(app, selector: str) -> str:
    """The text of a Static on the current screen."""
    from textual.widgets import Static

    return str(app.screen.query_one(selector, Static).content)


@pytest.fixture
def shift(store, clock):
    """Sam's shift, started at 17:30; the clock stays at 19:30."""
    from shift.shifts import start_shift

    clock.advance(hours=-2)
    started = start_shift(store, "Sam", "main")
    clock.advance(hours=2)
    return started


@pytest.fixture
def store(tmp_path, clock):
    opened = Store.open(tmp_path / "desk.db", clock=clock)
    yield opened
    opened.close()

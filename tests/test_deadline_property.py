"""Property: at every moment, the check-in deadline the desk shows is the one the timers enforce.

Shifts start at odd seconds, check-ins come at any time, a closing procedure
may open (shortening the interval): whatever the history, the chain starts at
a tick exactly when the deadline shown before it, plus the grace period, has
passed, and a reminder never comes before the deadline shown.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, SITE_FILE, local
from shift import checkins, runs
from shift.clock import FixedClock
from shift.desk import DeskCore
from shift.procedures import load_procedures
from shift.site import load_site
from shift.store import Store

SITE = load_site(SITE_FILE)[0]._replace(email=None, tasks=())
CLOSING = next(p for p in load_procedures(ROOT / "procedures")[0] if p.id == "closing")
FOLDER = Path(tempfile.mkdtemp(prefix="deadline-property-"))

events = st.lists(st.tuples(st.integers(min_value=1, max_value=150 * 60), st.sampled_from(["checkin", "closing"])),
                  max_size=6)


@settings(max_examples=15, deadline=None)
@given(start_second=st.integers(min_value=0, max_value=3 * 3600 - 1), history=events,
       step=st.integers(min_value=45, max_value=127))
def test_the_deadline_shown_is_the_deadline_enforced(start_second, history, step):
    clock = FixedClock(local(2026, 11, 24, 17, 0) + timedelta(seconds=start_second))
    with Store.open(FOLDER / f"desk-{start_second}-{step}-{len(history)}.db", clock=clock, check="none") as store:
        core = DeskCore(store, SITE, clock)
        shift = core.start_shift("Sam", "main")
        begun = clock.now()
        planned = dict(history)
        for second in range(step, 150 * 60, step):  # a tick every `step` seconds
            clock.moment = begun + timedelta(seconds=second)
            now = clock.now()
            due = [s for s in planned if s <= second]
            for s in due:
                if planned.pop(s) == "checkin":
                    core.check_in("")
                else:
                    runs.start_run(store, shift, CLOSING)
            shown = core.checkin_state(shift, now)
            before = len(checkins.events(store, shift))
            core.tick(now)
            new = [r["kind"] for r in checkins.events(store, shift)[before:]]
            if "reminder" in new:
                assert now >= shown.deadline
            if not shown.alarm_open and core.checkins_active(now):
                assert ("escalation" in new) == (now >= shown.escalate_at)

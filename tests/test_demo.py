"""The demo history: shifts inside opening hours, a believable weekday × hour pattern."""

import subprocess
import sys
from collections import Counter

from conftest import ROOT, TORONTO
from shift import report, reportmail
from shift.clock import from_iso
from shift.demo import write_demo


def test_demo_history_follows_the_hours(store, site):
    summary = write_demo(store, site, days=28)
    assert "28 days" in summary
    shifts = {r["id"]: r for r in store.rows("SELECT * FROM shifts")}
    ends = {r["shift_id"]: from_iso(r["ended_at"]) for r in store.rows("SELECT * FROM shift_ends")}
    assert shifts and set(ends) == set(shifts)  # every demo shift was ended
    for shift in shifts.values():
        start = from_iso(shift["started_at"])
        assert site.hours.is_open(start)
        assert ends[shift["id"]] <= site.hours.closing(start.astimezone(TORONTO).date())
    by_hour = Counter()
    for row in store.rows("SELECT shift_id, occurred_at FROM tallies"):
        at = from_iso(row["occurred_at"])
        assert from_iso(shifts[row["shift_id"]]["started_at"]) <= at <= ends[row["shift_id"]]
        by_hour[at.astimezone(TORONTO).hour] += 1
    assert by_hour[13] > by_hour[21] > 0  # busier early afternoon than late evening
    # Nothing recorded today or later: the demo is history only.
    today = store.clock.now().astimezone(TORONTO).date()
    assert max(from_iso(s["started_at"]).astimezone(TORONTO).date() for s in shifts.values()) < today
    # Made-up shifts are never emailed to a real manager, and say so in the list.
    assert reportmail.unsent(store, store.clock.now()) == []
    assert all("  not to be emailed  " in line for line in report.shift_list(store, site))


def test_demo_command(tmp_path):
    db = tmp_path / "demo.db"
    result = subprocess.run([sys.executable, "main.py", "demo", "--days", "3", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "over 3 days" in result.stdout and db.exists()

"""The demo history: shifts inside opening hours, a believable weekday × hour pattern, and every
kind of record the desk writes, readable by every reader the desk has."""

import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest

from conftest import ROOT, TORONTO, local
from evergreen_reader import read_offline
from koc_reader import read_koc
from shift import chain, circexport, circulation, report, reportmail
from shift.clock import FixedClock, from_iso
from shift.demo import write_demo
from shift.demo.base import Demo
from shift.demo.plan import plan_shifts
from shift.demo.tallies import write_tallies
from shift.procedures import load_procedures
from shift.runs import load_run
from shift.store import Store


def test_demo_history_follows_the_hours(store, site):
    summary = write_demo(store, site, days=28)
    assert "28 days" in summary
    shifts = {r["id"]: r for r in store.rows("SELECT * FROM shifts")}
    ends = {r["shift_id"]: from_iso(r["ended_at"]) for r in store.rows("SELECT * FROM shift_ends")}
    assert shifts and set(ends) == set(shifts)  # every demo shift was ended
    for shift in shifts.values():
        start = from_iso(shift["started_at"])
        # Open, or the opener arriving for the opening procedure; the closer stays to close up.
        assert site.hours.is_open(start) or site.hours.is_open(start + timedelta(minutes=45))
        day = start.astimezone(TORONTO).date()
        assert ends[shift["id"]] <= site.hours.closing(day) + timedelta(hours=1)
    by_hour = Counter()
    for row in store.rows("SELECT shift_id, occurred_at FROM tallies"):
        at = from_iso(row["occurred_at"])
        assert from_iso(shifts[row["shift_id"]]["started_at"]) <= at <= ends[row["shift_id"]]
        assert site.hours.is_open(at)  # questions come while the building is open
        by_hour[at.astimezone(TORONTO).hour] += 1
    assert by_hour[13] > by_hour[21] > 0  # busier early afternoon than late evening
    # Nothing recorded today or later: the demo is history only.
    today = store.clock.now().astimezone(TORONTO).date()
    assert max(from_iso(s["started_at"]).astimezone(TORONTO).date() for s in shifts.values()) < today
    # Made-up shifts are never emailed to a real manager, and say so in the list.
    assert reportmail.unsent(store, store.clock.now()) == []
    assert all("  not to be emailed  " in line for line in report.shift_list(store, site))


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """A 30-day demo of everything: the shipped site with its timers, and its procedures."""
    from shift.site import load_site

    site, _ = load_site(ROOT / "data" / "site.toml")
    procedures, _ = load_procedures(ROOT / "procedures")
    folder = tmp_path_factory.mktemp("demo")
    store = Store.open(folder / "desk.db", clock=FixedClock(local(2026, 11, 24, 19, 30)))
    summary = write_demo(store, site, days=30, procedures=procedures)
    yield store, site, summary
    store.close()


def count(store, sql, *params):
    return store.rows(sql, params)[0]["n"]


def test_the_demo_month_chains_like_the_desk_writes(month):
    # Bulk rows and the desk's own functions alike: every table verifies, none is left empty by mistake.
    store, _, _ = month
    verdicts = chain.verify(store.conn)
    assert [v.broken.text() for v in verdicts if v.broken] == []
    assert {"shifts", "tallies", "step_outcomes", "checkin_events", "circ_transactions", "incidents", "fees",
            "report_emails"} <= {v.table for v in verdicts if v.verified}


def test_the_demo_month_validates(month):
    store, site, _ = month
    # Every procedure run and emergency resumes from the log, as after a restart.
    runs = [load_run(store, r["id"]) for r in store.rows("SELECT id FROM procedure_runs")]
    kinds = Counter((run.procedure.kind, run.drill) for run in runs)
    assert kinds[("opening", False)] == kinds[("closing", False)] == 30 and kinds[("routine", False)] > 30
    assert kinds[("emergency", False)] >= 1 and kinds[("emergency", True)] >= 1
    for run in runs:
        assert run.ended_at is None or run.complete  # a finished run has every step it needs
        run.summary()
    # Every shift's report builds and renders.
    for row in store.rows("SELECT id FROM shifts"):
        assert "Shift report" in report.render_text(report.build(store, site, row["id"]))
    # Never emailed: every demo shift says so.
    assert reportmail.unsent(store, store.clock.now()) == []
    assert count(store, "SELECT COUNT(*) AS n FROM shifts s WHERE NOT EXISTS (SELECT 1 FROM report_emails r "
                        "WHERE r.shift_id = s.id AND r.outcome = 'skipped')") == 0
    # Emergencies left no draft behind: each real one was filed as an incident.
    assert count(store, "SELECT COUNT(*) AS n FROM incidents WHERE run_id IS NOT NULL") == kinds[("emergency", False)]


def test_the_demo_month_has_believable_counts(month):
    store, _, _ = month
    events = Counter({r["event"]: r["n"] for r in store.rows(
        "SELECT event, COUNT(*) AS n FROM prompt_events GROUP BY event")})
    prompts = count(store, "SELECT COUNT(DISTINCT prompt_key) AS n FROM prompt_events")
    assert 0 < events["missed"] < prompts * 0.05  # rare, not never
    assert 0 < events["escalated"] < prompts * 0.1 and events["snoozed"] > 0 and events["skipped"] > 0
    kinds = Counter({r["kind"]: r["n"] for r in store.rows(
        "SELECT kind, COUNT(*) AS n FROM checkin_events GROUP BY kind")})
    assert kinds["checkin"] > 100 and 0 < kinds["reminder"] < kinds["checkin"] * 0.3
    assert kinds["escalation"] <= 6  # an alarm is rare
    outcomes = Counter({r["status"]: r["n"] for r in store.rows(
        "SELECT status, COUNT(*) AS n FROM step_outcomes GROUP BY status")})
    assert 0 < outcomes["skipped"] < outcomes["done"] * 0.05
    assert count(store, "SELECT COUNT(*) AS n FROM step_notes") > 0
    assert count(store, "SELECT COUNT(*) AS n FROM incidents") >= 1
    assert count(store, "SELECT COUNT(*) AS n FROM fees") > 10
    assert count(store, "SELECT COUNT(*) AS n FROM sweep_results") > 0


def test_the_demo_circulation_exports_pass_the_readers(month):
    store, site, _ = month
    txns = circulation.exportable(store, "csv", include_all=True)
    assert {t.action for t in txns} >= {"loan", "return", "in_house"}
    for t in txns:
        assert t.action == "payment" or site.circulation.item.matches(t.item)
        assert t.patron is None or site.circulation.patron.matches(t.patron)
    exports = store.rows("SELECT * FROM circ_exports")
    assert exports and all(e["format"] == "alma" for e in exports)
    for export in exports:
        data = open(export["path"], "rb").read()
        lines = data.split(b"\r\n")
        assert lines[-1] == b"" and len(lines) - 1 == export["count"]
        for line in lines[:-1]:
            assert line[:12].isdigit() and line[12:13] in (b"L", b"R") and b"\n" not in line
            assert len(line) == 93 if line[12:13] == b"R" else len(line) == 93 + 14
    # Not all exported: the latest session waits for the upload.
    assert circulation.exportable(store, "alma")
    # The same transactions in the other formats: accepted by Koha's and Evergreen's readers.
    koc = read_koc(circexport.render(site, "koha", txns).data)
    assert koc.error == "" and koc.rejected == []
    assert read_offline(circexport.render(site, "evergreen", txns).data).rejected == []


def test_a_demo_year_holds_fifty_thousand_desk_statistics(tmp_path, full_site):
    """Only the tallies of a year (the whole demo is measured by bench/demo.py)."""
    store = Store.open(tmp_path / "desk.db", clock=FixedClock(local(2026, 11, 30, 12, 0)))
    demo = Demo(store, full_site, seed=7)
    today = local(2026, 11, 30, 12, 0).date()
    shifts = plan_shifts(demo, today - timedelta(days=365), today - timedelta(days=1))
    assert sum(write_tallies(demo, planned) for planned in shifts) >= 50_000
    store.close()


def test_demo_command_then_alma_export(tmp_path):
    db, out = tmp_path / "demo.db", tmp_path / "offline.dat"
    result = subprocess.run([sys.executable, "main.py", "demo", "--days", "30", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "30 days" in result.stdout and "desk-statistics entries" in result.stdout and db.exists()
    with Store.open(db) as store:
        exported = {r["txn_id"] for r in store.rows("SELECT txn_id FROM circ_exported")}
        waiting = [t for t in circulation.exportable(store, "alma") if t.action in ("loan", "renew", "return")]
    assert exported and waiting
    result = subprocess.run([sys.executable, "main.py", "export", "circ", "--format", "alma", "--output", str(out),
                             "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = out.read_bytes().split(b"\r\n")
    assert lines[-1] == b"" and len(lines) - 1 == len(waiting)  # only what the demo had not exported
    for line, txn in zip(lines, waiting, strict=False):
        assert line[13:93].rstrip() == txn.item.encode()
        assert len(line) == 93 if txn.action == "return" else line[93:] == (txn.patron or "").encode()
    assert all(t.id not in exported for t in waiting)

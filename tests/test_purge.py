"""The retention purge (`python main.py purge`) and the redacted report (`report --redact`).

One desk history: an incident from 2018 (past the site's seven years) and one from this month,
a loan uploaded in an Alma file three weeks ago (past purge_after_days) and one last week, a Koha
file written with --output elsewhere, and two blocked lists."""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import main
from conftest import ROOT, local
from shift import chain, circexport, circulation, incidents, privacy, purge, report, reportpage
from shift.circulation import ScanSession
from shift.incidents import IncidentForm
from shift.shifts import end_shift, start_shift
from shift.store import Store
from test_circulation import card, item

OLD_TEXT = ("Tall man in a red coat", "Priya Sharma", "Sam Okafor", "Jordan Lee", "shouted at the desk",
            "came back the next day", "Alex drafted", "Handover about Morgan")


def set_clock(clock, moment) -> None:
    clock.moment = moment.astimezone(clock.moment.tzinfo)


@pytest.fixture
def history(tmp_path, site, clock):
    path = tmp_path / "desk.db"
    exports = tmp_path / "exports"
    with Store.open(path, clock=clock) as store:
        set_clock(clock, local(2018, 3, 5, 18, 0))
        old = start_shift(store, "Sam Okafor", "main")
        set_clock(clock, local(2018, 3, 5, 19, 0))
        filed = incidents.file_incident(store, site, old, IncidentForm(
            category="Abusive or threatening behaviour", occurred_at=local(2018, 3, 5, 18, 50), zone_id="main-floor",
            what_happened="A patron shouted at the desk.", people="Tall man in a red coat",
            witnesses="Priya Sharma", reporter="Sam Okafor"))
        incidents.add_supplement(store, site, old, filed.id, "Jordan Lee", "He came back the next day.")
        incidents.save_draft(store, old, {"category": "Other", "what_happened": "Alex drafted this"})
        end_shift(store, old, "Handover about Morgan.")

        set_clock(clock, local(2026, 11, 8, 12, 0))
        recent = start_shift(store, "Riley", "main")
        loans = ScanSession("loan")
        for code in (card(1), item(1)):
            circulation.scan(store, site.circulation, site.zone, recent, loans, code)
        circexport.export(store, site, "alma", exports / "old.dat", create_folder=True)
        (tmp_path / "elsewhere").mkdir()
        circexport.export(store, site, "koha", tmp_path / "elsewhere" / "old.koc")
        (tmp_path / "blocked-a.csv").write_text("patron,reason\n" + card(7) + ",lost card\n")
        circulation.import_blocked(store, tmp_path / "blocked-a.csv")
        set_clock(clock, local(2026, 11, 20, 12, 0))
        loans = ScanSession("loan")
        for code in (card(2), item(2)):
            circulation.scan(store, site.circulation, site.zone, recent, loans, code)
        circexport.export(store, site, "alma", exports / "new.dat")
        (tmp_path / "blocked-b.csv").write_text("patron,reason\n" + card(8) + ",fees\n" + card(9) + ",\n")
        circulation.import_blocked(store, tmp_path / "blocked-b.csv")
        incidents.file_incident(store, site, recent, IncidentForm(
            category="Facilities problem", occurred_at=local(2026, 11, 20, 11, 0), zone_id="main-floor",
            what_happened="Leak by the printers.", reporter="Riley"))
        set_clock(clock, local(2026, 11, 24, 19, 30))
        end_shift(store, recent, "Quiet.")
    (exports / "notes.dat").write_text("not written by the desk")  # in the folder, but no record of it
    return path


NOW = {"SOLO_SHIFT_NOW": "2026-11-24 19:30"}  # the clock fixture's moment, for the command's purge


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **NOW})


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".lock")}


def test_dry_run_says_what_it_would_remove_and_changes_nothing(history, site, clock):
    before = {name: hashlib.sha256((history.parent / name).read_bytes()).hexdigest()
              for name in files_under(history.parent)}
    with Store.open_read_only(history, clock=clock) as store:
        planned = purge.plan(store, site)
    text = "\n".join(planned.lines(site.zone, done=False))
    assert "dry run: nothing was changed" in text
    assert "incidents: 1 redacted, from 2018-03-05 ([incidents] retention_years = 7: before 2019-11-24)" in text
    assert "incident supplements: 1 redacted" in text and "incident drafts: 1 redacted" in text
    assert "card numbers: 1 deleted, from 2026-11-08" in text
    assert "blocked cards of earlier lists: 1 deleted" in text
    assert "export files: 1 removed, from 2026-11-08" in text
    assert str(history.parent / "elsewhere" / "old.koc") in text  # said, not removed
    done = run("purge", "--dry-run", "--db", str(history))
    assert done.returncode == 0, done.stderr
    assert "Would purge" in done.stdout and "export files: 1 removed" in done.stdout
    after = {name: hashlib.sha256((history.parent / name).read_bytes()).hexdigest()
             for name in files_under(history.parent)}
    assert after == before


def test_purge_removes_exactly_the_expired_data_and_verify_accounts_for_it(history, site, clock):
    conn = sqlite3.connect(history)
    conn.row_factory = sqlite3.Row
    kept_before = {t: [dict(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY rowid")]
                   for t in ("shifts", "shift_ends", "circ_transactions", "circ_exports", "blocked_lists")}
    conn.close()
    with Store.open(history, clock=clock) as store:
        purge.apply(store, purge.plan(store, site))
    conn = sqlite3.connect(history)
    conn.row_factory = sqlite3.Row
    old, recent = [dict(r) for r in conn.execute("SELECT * FROM incidents ORDER BY rowid")]
    for name in privacy.INCIDENT_TEXT:
        assert old[name] in ("", privacy.RETENTION_REMOVED), name
    assert (old["category"], old["occurred_at"], old["zone_id"]) == (
        "Abusive or threatening behaviour", "2018-03-05T23:50:00.000000+00:00", "main-floor")
    assert (recent["what_happened"], recent["reporter"]) == ("Leak by the printers.", "Riley")
    supplement = dict(conn.execute("SELECT * FROM incident_supplements").fetchone())
    assert (supplement["author"], supplement["text"]) == (privacy.RETENTION_REMOVED, privacy.RETENTION_REMOVED)
    assert "what_happened" not in conn.execute("SELECT fields FROM incident_drafts").fetchone()[0]
    assert [r[0] for r in conn.execute("SELECT patron FROM circ_patrons")] == [card(2)]
    assert sorted(r[0] for r in conn.execute("SELECT patron FROM blocked_patrons")) == [card(8), card(9)]
    for table, rows in kept_before.items():  # nothing else changed
        assert [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")] == rows
    recorded = {r["kind"]: dict(r) for r in conn.execute("SELECT * FROM purges")}
    conn.close()
    assert set(recorded) == {"incidents", "incident supplements", "incident drafts", "card numbers",
                             "blocked cards of earlier lists", "export files"}
    assert recorded["incidents"]["count"] == 1 and recorded["incidents"]["oldest"].startswith("2018-03-05")
    assert files_under(history.parent / "exports") == {"new.dat", "notes.dat"}  # recorded and expired only
    assert (history.parent / "elsewhere" / "old.koc").exists()

    done = run("verify", "--db", str(history))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(1 redacted by recorded purges)" in done.stdout and "(1 deleted by recorded purges)" in done.stdout
    with Store.open_read_only(history, clock=clock) as store:  # the old shift's own report: its rows still chain
        old_shift = report.shifts_on(store, site, local(2018, 3, 5, 12).date())[0]
        assert chain.shift_line(store.conn, old_shift).startswith("Record verified: ")
    again = run("purge", "--db", str(history))
    assert again.returncode == 0 and again.stdout.startswith("Nothing to purge"), again.stdout + again.stderr


def tamper(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(sql)
    conn.close()


@pytest.mark.parametrize("sql, named", [
    # A redacted row changed afterwards (its trigger dropped, as someone with the shell could).
    ("DROP TRIGGER incidents_no_update; UPDATE incidents SET category = 'False alarm' WHERE rowid = 1",
     "incidents row 1 (id"),
    # A row of the list in force deleted: not a purge's.
    ("DROP TRIGGER blocked_patrons_no_delete; DELETE FROM blocked_patrons WHERE rowid = 2", "blocked_patrons row 3"),
    # The purge's own record changed.
    ("DROP TRIGGER purges_no_update; UPDATE purges SET count = 0 WHERE rowid = 1", "purges row 1"),
])
def test_verify_still_names_a_change_that_no_purge_recorded(history, site, clock, sql, named):
    with Store.open(history, clock=clock) as store:
        purge.apply(store, purge.plan(store, site))
    tamper(history, sql)
    done = run("verify", "--db", str(history))
    assert done.returncode == 1
    assert named in done.stdout


def test_a_second_list_purged_later_verifies_across_both_gaps(history, site, clock, tmp_path):
    with Store.open(history, clock=clock) as store:
        purge.apply(store, purge.plan(store, site))
        (tmp_path / "blocked-c.csv").write_text("patron\n" + card(10) + "\n")
        circulation.import_blocked(store, tmp_path / "blocked-c.csv")
        purge.apply(store, purge.plan(store, site))
        assert [r["patron"] for r in store.rows("SELECT patron FROM blocked_patrons")] == [card(10)]
        verdict = chain.verify_table(store.conn, "blocked_patrons")
    assert (verdict.broken, verdict.verified, verdict.deleted) == (None, 1, 3)


def test_purge_is_refused_beside_an_open_desk(history, monkeypatch, capsys):
    monkeypatch.setattr("shift.store.LOCK_WAIT_SECONDS", 0.0)
    monkeypatch.setenv("SOLO_SHIFT_NOW", NOW["SOLO_SHIFT_NOW"])
    before = history.read_bytes()
    with Store.open(history):
        assert main.main(["purge", "--db", str(history)]) == 1
        assert main.main(["purge", "--dry-run", "--db", str(history)]) == 0  # only reads
    said = capsys.readouterr()
    assert "already open in another copy" in said.err and "close the desk first" in said.err
    assert "Would purge" in said.out and "Traceback" not in said.err
    assert history.read_bytes() == before
    assert (history.parent / "exports" / "old.dat").exists()


def test_a_failed_purge_changes_nothing(history, site, clock, monkeypatch):
    with Store.open(history, clock=clock) as store:
        planned = purge.plan(store, site)
        real = store.insert
        monkeypatch.setattr(store, "insert", lambda table, row, **kw: (
            real(table, row, **kw) if row["kind"] != "export files" else (_ for _ in ()).throw(
                sqlite3.OperationalError("disk I/O error"))))
        with pytest.raises(sqlite3.OperationalError):
            purge.apply(store, planned)
        counts = {t: store.rows(f"SELECT count(*) AS n FROM {t}")[0]["n"]
                  for t in ("purges", "circ_patrons", "blocked_patrons")}
        assert counts == {"purges": 0, "circ_patrons": 2, "blocked_patrons": 3}
        assert store.rows("SELECT people FROM incidents WHERE rowid = 1")[0]["people"] == "Tall man in a red coat"
    assert files_under(history.parent / "exports") == {"old.dat", "new.dat", "notes.dat"}
    assert run("verify", "--db", str(history)).returncode == 0
    still = run("purge", "--dry-run", "--db", str(history)).stdout
    assert all(f"\n  {kind}: " in still for kind in ("incidents", "incident supplements", "incident drafts",
                                                      "card numbers", "blocked cards of earlier lists", "export files"))


def test_a_redacted_report_holds_no_name_or_description(history, site, clock):
    with Store.open_read_only(history, clock=clock) as store:
        old = report.shifts_on(store, site, local(2018, 3, 5, 12).date())
        full = reportpage.render([report.build(store, site, s) for s in old], "txt")
        for fmt in ("txt", "html", "md"):
            redacted = reportpage.render([report.build(store, site, s, redact=True) for s in old], fmt)
            assert "Abusive or threatening behaviour" in redacted
            assert "Record verified" in redacted and "redacted" in redacted
            for text in OLD_TEXT:
                assert text in full or text == "Alex drafted"
                assert text not in redacted, (fmt, text)
    done = run("report", "--date", "2018-03-05", "--redact", "--db", str(history))
    assert done.returncode == 0, done.stderr
    assert "Sam Okafor" not in done.stdout and "Redacted:" in done.stdout


def test_privacy_knows_every_text_field_of_an_incident():
    assert set(privacy.INCIDENT_TEXT) == set(incidents.TEXT_FIELDS)


def test_a_patrons_contact_in_a_problem_report_is_removed_after_purge_after_days(tmp_path, site, clock):
    """The email a patron left for a reply is kept as long as card numbers are, then removed;
    the report itself (which entry, when, to whom) stays, and the record still verifies."""
    from shift import problemreports
    from shift.knowledge import load_entry_file

    entry, _ = load_entry_file(ROOT / "knowledge" / "answers" / "broken-database-link.toml")
    assert entry is not None and entry.form is not None
    values = {field.id: f"typed {field.id} pat@example.org" for field in entry.form.fields}
    path = tmp_path / "desk.db"
    with Store.open(path, clock=clock) as store:
        shift = start_shift(store, "Sam", "main")
        old = problemreports.record(store, shift, entry, values)
        clock.advance(days=site.circulation.purge_after_days - 1)
        recent = problemreports.record(store, shift, entry, values)
        clock.advance(days=2)
        planned = purge.plan(store, site)
        assert [(s.kind, s.count) for s in planned.steps] == [("problem reports", 1)]
        purge.apply(store, planned)
        assert purge.plan(store, site).steps == []  # done once
        rows = {r["id"]: r for r in store.rows("SELECT * FROM problem_reports")}
    assert "pat@example.org" not in rows[old.id]["fields"] + rows[old.id]["subject"]
    assert privacy.RETENTION_REMOVED in rows[old.id]["fields"]
    assert (rows[old.id]["entry_id"], rows[old.id]["send_to"]) == (entry.id, entry.form.send_to)
    assert "pat@example.org" in rows[recent.id]["fields"]  # not yet due
    done = run("verify", "--db", str(path))
    assert done.returncode == 0, done.stdout


def test_a_redacted_report_hides_what_was_typed_into_a_step_and_keeps_choices(tmp_path, site, clock):
    # An emergency walkthrough asks the worker to describe the person and quote their words: text
    # steps, whose answers --redact reports printed in the timeline, as they kept every step answer.
    from shift.procedures import load_procedure_file
    from shift.runs import record_answer, start_run

    procedure, problems = load_procedure_file(ROOT / "procedures" / "emergency" / "disruptive-person.toml")
    assert procedure is not None, problems
    steps = {step.id: step for step in procedure.steps}
    with Store.open(tmp_path / "desk.db", clock=clock) as store:
        shift = start_shift(store, "Sam Okafor", "main")
        run = start_run(store, shift, procedure)
        run = record_answer(store, run, steps["description"], answer="Quinn Vale, grey hoodie")
        run = record_answer(store, run, steps["exact-words"], answer="Nobody tells me where to sit")
        run = record_answer(store, run, steps["anyone-hurt"], answer="no")
        full = reportpage.render([report.build(store, site, shift.id)], "txt")
        assert "Quinn Vale" in full and "Nobody tells me" in full
        for fmt in ("txt", "html", "md"):
            redacted = reportpage.render([report.build(store, site, shift.id, redact=True)], fmt)
            assert "Quinn Vale" not in redacted and "Nobody tells me" not in redacted, fmt
            assert "Was anyone hurt?" in redacted and "answer: no" in redacted, fmt


def test_a_redacted_report_hides_a_notice_filled_from_typed_answers(tmp_path, site, clock):
    from shift.procedures import load_procedure_file
    from shift.runs import record_answer, start_run

    procedure, problems = load_procedure_file(ROOT / "procedures" / "emergency" / "elevator-entrapment.toml")
    assert procedure is not None, problems
    steps = {step.id: step for step in procedure.steps}
    with Store.open(tmp_path / "desk.db", clock=clock) as store:
        shift = start_shift(store, "Sam Okafor", "main")
        run = start_run(store, shift, procedure)
        run = record_answer(store, run, steps["how-many"], answer="2")
        run = record_answer(store, run, steps["still-out"], answer="yes")
        run = record_answer(store, run, steps["reason"], answer="Quinn Vale jammed the door")
        run = record_answer(store, run, steps["post-notice"], answer="NOTICE Reason: Quinn Vale jammed the door")
        assert reportpage.render([report.build(store, site, shift.id)], "txt").count("Quinn Vale") == 2
        redacted = reportpage.render([report.build(store, site, shift.id, redact=True)], "txt")
        assert "Quinn Vale" not in redacted and "answer: 2" in redacted


def test_a_purge_on_a_database_whose_rules_were_changed_is_refused_in_words(history):
    # It lifts each table's trigger by its recorded text: with one dropped by hand it ended in a
    # traceback; and a purge must not run over rules nobody knows the state of.
    shell = sqlite3.connect(history, isolation_level=None)
    shell.execute("DROP TRIGGER incidents_no_update")
    shell.close()
    before = history.read_bytes()
    for dry in ([], ["--dry-run"]):
        done = run("purge", *dry, "--db", str(history))
        assert done.returncode == 1, done.stdout
        assert "Traceback" not in done.stderr
        assert "Nothing purged: The database's rules were changed outside Solo Shift: trigger " \
               "incidents_no_update is missing" in done.stderr
    assert history.read_bytes() == before

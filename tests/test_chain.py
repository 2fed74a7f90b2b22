"""Tamper evidence: a row changed, deleted or inserted outside the desk is named by `main.py verify`
and by the shift's report; rows the desk writes (at once, after a storage failure, in bulk, before
the upgrade that brought the chain) always chain."""

import re
import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import ROOT
from shift import chain, report
from shift.chain import seal
from shift.schema import APPEND_ONLY, append_only_triggers, migrations
from shift.shifts import end_shift, start_shift
from shift.store import Store
from shift.tally import record


def shell(path, sql: str) -> subprocess.CompletedProcess:
    """The sqlite3 shell, as someone at the desk machine would use it (Python's module if it is missing)."""
    if shutil.which("sqlite3"):
        return subprocess.run(["sqlite3", str(path), sql], capture_output=True, text=True, timeout=30)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(sql)
        return subprocess.CompletedProcess([], 0, "", "")
    except sqlite3.Error as exc:
        return subprocess.CompletedProcess([], 1, "", str(exc))
    finally:
        conn.close()


def verify(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "verify", "--db", str(path)],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def evening(tmp_path, site, clock):
    """A closed desk database: two ended shifts of ten tallies each."""
    path = tmp_path / "desk.db"
    with Store.open(path, clock=clock) as store:
        for worker in ("Sam", "Priya"):
            shift = start_shift(store, worker, "main")
            for n in range(10):
                record(store, site.tally, shift, ("directional", "informational", "reference")[n % 3])
            clock.advance(hours=4)
            end_shift(store, shift, "Quiet.")
    return path


def tallies(path) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT rowid, * FROM tallies ORDER BY rowid")]
    conn.close()
    return rows


def test_a_category_edited_with_the_sqlite3_shell_is_named_and_insert_or_replace_fails(evening):
    assert verify(evening).returncode == 0
    target = tallies(evening)[4]
    assert target["category"] == "informational"
    # The update trigger refuses the shell's UPDATE; someone determined drops it first.
    refused = shell(evening, f"UPDATE tallies SET category = 'reference' WHERE id = '{target['id']}'")
    assert refused.returncode != 0 and "append-only" in refused.stderr
    done = shell(evening, "DROP TRIGGER tallies_no_update; "
                          f"UPDATE tallies SET category = 'reference' WHERE id = '{target['id']}'")
    assert done.returncode == 0, done.stderr
    found = verify(evening)
    assert found.returncode == 1
    assert f"tallies row {target['rowid']} (id {target['id']}): changed after it was recorded" in found.stdout
    assert "category='reference'" in found.stdout  # what the row says now
    assert "rules were changed outside Solo Shift" in found.stdout
    assert "trigger tallies_no_update is missing" in found.stdout
    assert re.search(r"^shifts +2 rows chain correctly$", found.stdout, re.M)  # the other tables are fine
    # INSERT OR REPLACE would delete the row it collides with past the delete trigger: refused.
    replaced = shell(evening, f"INSERT OR REPLACE INTO tallies SELECT * FROM tallies WHERE id = '{target['id']}'")
    assert replaced.returncode != 0 and "append-only" in replaced.stderr


def test_a_deleted_row_is_named_by_the_row_after_it(evening):
    rows = tallies(evening)
    shell(evening, f"DROP TRIGGER tallies_no_delete; DELETE FROM tallies WHERE id = '{rows[6]['id']}'")
    found = verify(evening)
    assert found.returncode == 1
    assert (f"tallies row {rows[7]['rowid']} (id {rows[7]['id']}): does not follow row {rows[5]['rowid']} "
            f"(id {rows[5]['id']}): a row recorded between them was deleted") in found.stdout
    # The first row, too: the chain starts from a fixed value, not from whatever row is first.
    shell(evening, f"DELETE FROM tallies WHERE id = '{rows[0]['id']}'")
    found = verify(evening).stdout
    assert f"tallies row {rows[1]['rowid']} (id {rows[1]['id']}): is not the table's first row" in found


def test_a_forged_row_is_named_as_inserted(evening):
    rows = tallies(evening)
    # Without a chain the database refuses it outright ...
    columns = "id, shift_id, occurred_at, recorded_at, category, channel, quantity, note"
    values = f"'forged', '{rows[0]['shift_id']}', 'x', 'x', 'reference', 'in_person', 5, ''"
    refused = shell(evening, f"INSERT INTO tallies ({columns}) VALUES ({values})")
    assert refused.returncode != 0 and "carry a chain" in refused.stderr
    # ... and with one copied from a real row, verify names it.
    done = shell(evening, f"INSERT INTO tallies ({columns}, chain) VALUES ({values}, '{rows[-1]['chain']}')")
    assert done.returncode == 0, done.stderr
    found = verify(evening)
    assert found.returncode == 1
    assert "tallies row 21 (id forged): inserted outside the desk: its chain is a copy of row 20" in found.stdout


def test_a_row_inserted_between_two_with_a_chain_that_fits_is_named(evening):
    # Someone who knows the scheme makes room in the rowids and computes the forged row's chain.
    rows = tallies(evening)
    forged = {**rows[3], "id": "forged", "quantity": 9}
    del forged["rowid"]
    forged["chain"] = seal(rows[3]["chain"][:64], forged)
    conn = sqlite3.connect(evening, isolation_level=None)
    conn.execute("DROP TRIGGER tallies_no_update")
    conn.execute("UPDATE tallies SET rowid = rowid + 100 WHERE rowid > ?", (rows[3]["rowid"],))
    conn.execute(f"INSERT INTO tallies (rowid, {', '.join(forged)}) VALUES (?, {', '.join('?' * len(forged))})",
                 (rows[3]["rowid"] + 1, *forged.values()))
    conn.close()
    found = verify(evening)
    assert found.returncode == 1
    assert f"tallies row {rows[3]['rowid'] + 1} (id forged): inserted out of order" in found.stdout


def test_a_change_with_its_chain_computed_again_is_named_at_the_row_after(evening):
    rows = tallies(evening)
    changed = {k: v for k, v in rows[2].items() if k not in ("rowid", "chain")} | {"quantity": 3}
    chain_value = seal(rows[1]["chain"][:64], changed)
    shell(evening, f"DROP TRIGGER tallies_no_update; UPDATE tallies SET quantity = 3, chain = '{chain_value}' "
                   f"WHERE id = '{rows[2]['id']}'")
    found = verify(evening)
    assert found.returncode == 1
    assert (f"tallies row {rows[3]['rowid']} (id {rows[3]['id']}): does not follow row {rows[2]['rowid']} "
            f"(id {rows[2]['id']}): a row recorded between them was deleted, or row {rows[2]['rowid']} was "
            "changed and its chain computed again") in found.stdout


def test_text_the_shell_wrote_as_invalid_utf8_is_a_change_not_a_crash(evening):
    target = tallies(evening)[8]
    shell(evening, f"DROP TRIGGER tallies_no_update; UPDATE tallies SET note = CAST(x'ff41' AS TEXT) "
                   f"WHERE id = '{target['id']}'")
    found = verify(evening)
    assert found.returncode == 1 and f"(id {target['id']}): changed after" in found.stdout
    assert "Traceback" not in found.stderr


def test_the_shift_report_says_whether_its_rows_chain(evening, site):
    with Store.open_read_only(evening) as store:
        first, second = [r["id"] for r in store.rows("SELECT id FROM shifts ORDER BY rowid")]
        # 1 shift + 10 tallies + 1 end + 1 report-email row (none here: no email) for each.
        assert "Record verified: 12 entries of this shift chain correctly." in report.render_text(
            report.build(store, site, first))
    target = tallies(evening)[12]  # the second shift's
    # A careful hand puts the rule back after the change: the chain still names the row.
    shell(evening, f"DROP TRIGGER tallies_no_update; UPDATE tallies SET channel = 'phone' WHERE id = '{target['id']}'; "
                   f"{append_only_triggers('tallies')[0]}")
    with Store.open_read_only(evening) as store:
        assert "Record verified: 12 entries" in report.render_text(report.build(store, site, first))
        text = report.render_text(report.build(store, site, second))
        assert f"RECORD NOT VERIFIED: tallies row {target['rowid']} changed" in text
        # At the desk the line has no count (a duress alarm's silent rows must not show).
        assert "RECORD NOT VERIFIED" in report.render_text(report.build(store, site, second, at_desk=True))


def test_rows_kept_waiting_while_storage_refused_are_chained_when_written(tmp_path, site, clock):
    path = tmp_path / "desk.db"
    with Store.open(path, clock=clock) as store:
        shift = start_shift(store, "Sam", "main")
        record(store, site.tally, shift, "directional")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another program holds the database: writes are refused
        for category in ("informational", "reference"):
            record(store, site.tally, shift, category)
        assert len(store.pending) == 2
        other.execute("COMMIT")
        assert store.flush_pending() == 0
        record(store, site.tally, shift, "directional")
        other.execute("BEGIN EXCLUSIVE")
        record(store, site.tally, shift, "reference")  # still waiting when the desk closes: a file
        assert store.pending and store.save_waiting() is not None
    other.execute("COMMIT")
    other.close()
    with Store.open(path, clock=clock) as store:
        assert store.write_saved_waiting() == 1
        assert [r["category"] for r in store.rows("SELECT category FROM tallies ORDER BY rowid")] == [
            "directional", "informational", "reference", "directional", "reference"]
        assert all(v.broken is None for v in chain.verify(store.conn))


def test_values_are_chained_as_sqlite_stores_them(store, shift):
    # True in an INTEGER column is 1, a number in a TEXT column is text, "2" in an INTEGER column is 2.
    store.insert("tallies", {"shift_id": shift.id, "occurred_at": 5, "recorded_at": "x", "category": "c",
                             "channel": "phone", "read_level": "2", "quantity": True, "note": 1.5})
    # A column left out takes its default (quantity 1, note '').
    store.insert("tallies", {"shift_id": shift.id, "occurred_at": "y", "recorded_at": "y", "category": True,
                             "channel": "phone"})
    assert store.rows("SELECT typeof(occurred_at) a, typeof(read_level) b, quantity, note, category FROM tallies") == [
        {"a": "text", "b": "integer", "quantity": 1, "note": "1.5", "category": "c"},
        {"a": "text", "b": "null", "quantity": 1, "note": "", "category": "1"}]
    assert all(v.broken is None for v in chain.verify(store.conn))


def test_a_database_from_before_the_chain_is_sealed_by_the_upgrade_and_verifies(tmp_path, site):
    from sqlite_utils import Database

    path = tmp_path / "desk.db"
    conn = sqlite3.connect(path)
    migrations().apply(Database(conn), stop_before="014_chain")  # a desk from before
    conn.execute("INSERT INTO shifts (id, started_at, worker, desk) VALUES ('s1', '2026-11-24T22:30:00.000000+00:00',"
                 " 'Sam', 'main')")
    for n in range(3):
        conn.execute("INSERT INTO tallies (id, shift_id, occurred_at, recorded_at, category, channel) VALUES "
                     f"('t{n}', 's1', '2026-11-24T23:0{n}:00.000000+00:00', 'x', 'directional', 'in_person')")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        assert all(r["chain"] for r in store.rows("SELECT chain FROM tallies"))
        record(store, site.tally, start_shift(store, "Priya", "main"), "reference")  # chained onto the old rows
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the update trigger is back
            store.execute("UPDATE tallies SET category = 'x'")
    done = verify(path)
    assert done.returncode == 0 and re.search(r"^tallies +4 rows chain correctly$", done.stdout, re.M)
    shell(path, "DROP TRIGGER tallies_no_update; UPDATE tallies SET category = 'reference' WHERE id = 't1'")
    assert "tallies row 2 (id t1): changed after it was recorded" in verify(path).stdout


def test_verify_reads_beside_an_open_desk_and_every_table_is_walked(evening, clock):
    with Store.open(evening, clock=clock):  # the desk, holding its lock
        done = verify(evening)
    assert done.returncode == 0, done.stderr
    listed = dict(re.findall(r"^(\w+) +(\d+) rows chain correctly$", done.stdout, re.M))
    assert list(listed) == list(APPEND_ONLY)
    assert (listed["shifts"], listed["tallies"], listed["shift_ends"]) == ("2", "20", "2")
    assert f"record verified, {sum(map(int, listed.values()))} rows in {len(APPEND_ONLY)} tables" in done.stdout


def test_a_table_rebuilt_without_its_chain_column_is_named_not_a_traceback(tmp_path):
    import sqlite3 as sql

    from shift.store import Store as DeskStore
    path = tmp_path / "desk.db"
    with DeskStore.open(path) as store:
        from shift.shifts import start_shift
        start_shift(store, "Sam", "main")
    conn = sql.connect(path)
    conn.execute("DROP TRIGGER shifts_chained")
    conn.execute("ALTER TABLE shifts DROP COLUMN chain")
    conn.commit()
    conn.close()
    done = subprocess.run([sys.executable, "main.py", "--db", str(path), "verify"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "shifts row 0" in done.stdout and "no chain column" in done.stdout


def test_a_lock_event_deleted_outside_the_desk_is_named(evening, clock):
    from shift import lock

    with Store.open(evening, clock=clock) as store:
        for kind in ("locked", "wrong_pin", "wrong_pin", "unlocked"):
            lock.record(store, kind, None, "key" if kind == "locked" else "", "Robin" if kind == "unlocked" else "")
            clock.advance(seconds=5)
    assert re.search(r"^lock_events +4 rows chain correctly$", verify(evening).stdout, re.M)
    # A wrong try removed, so the slowdown would restart: named, like a row of any other table.
    shell(evening, "DROP TRIGGER lock_events_no_delete; DELETE FROM lock_events WHERE rowid = 2")
    found = verify(evening)
    assert found.returncode == 1
    assert "lock_events row 3 (id " in found.stdout and "a row recorded between them was deleted" in found.stdout


def test_lock_events_from_before_their_chain_are_sealed_by_the_upgrade(tmp_path, clock):
    from sqlite_utils import Database

    from shift import lock

    path = tmp_path / "desk.db"
    conn = sqlite3.connect(path)
    migrations().apply(Database(conn), stop_before="016_chain_lock_events")  # a desk from before
    for n, kind in enumerate(("locked", "wrong_pin", "unlocked")):
        conn.execute("INSERT INTO lock_events (id, kind, at, how) VALUES (?, ?, ?, ?)",
                     (f"e{n}", kind, f"2026-11-24T23:0{n}:00.000000+00:00", "idle" if n == 0 else ""))
    conn.commit()
    # Read as it is (how restore checks a backup, never upgraded): the tables it chains verify.
    verdicts = chain.verify(conn)
    assert all(v.broken is None for v in verdicts) and "lock_events" not in [v.table for v in verdicts]
    conn.close()
    with Store.open(path, clock=clock) as store:
        assert all(r["chain"] for r in store.rows("SELECT chain FROM lock_events"))
        lock.record(store, "locked", None, "key")  # chained onto the old rows
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the update trigger is back
            store.execute("UPDATE lock_events SET who = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="carry a chain"):
            store.execute("INSERT INTO lock_events (id, kind, at) VALUES ('e9', 'locked', 'x')")
    done = verify(path)
    assert done.returncode == 0 and re.search(r"^lock_events +4 rows chain correctly$", done.stdout, re.M)


def test_a_rule_dropped_or_added_is_named_by_verify_the_report_and_the_desk(evening, site, clock):
    """Nothing changed yet, but a trigger dropped lets rows change without a trace (and one added
    can change what is written): verify, the shift's report and the desk at start say so."""
    assert verify(evening).returncode == 0
    done = shell(evening, "DROP TRIGGER shifts_no_delete; "
                          "CREATE TRIGGER quiet AFTER INSERT ON tallies BEGIN SELECT 1; END")
    assert done.returncode == 0, done.stderr
    found = verify(evening)
    assert found.returncode == 1
    assert "  trigger shifts_no_delete is missing" in found.stdout and "  trigger quiet was added" in found.stdout
    assert "record verified" not in found.stdout
    with Store.open(evening, clock=clock) as store:
        shift_id = store.rows("SELECT id FROM shifts ORDER BY rowid LIMIT 1")[0]["id"]
        line = report.build(store, site, shift_id).sections[0].lines[3]
        assert line.startswith("RECORD NOT VERIFIED: The database's rules were changed outside Solo Shift: ")
        said = store.rules_changed()
        assert said is not None and "trigger shifts_no_delete is missing (and 1 more)" in said


def test_every_migration_makes_exactly_what_it_describes(tmp_path):
    """A new database has no drift (so the desk never cries wolf), nor one upgraded step by step."""
    from shift.schema import drift, migrate

    conn = sqlite3.connect(tmp_path / "new.db", isolation_level=None)
    migrate(conn)
    assert drift(conn) == []
    conn.execute("ALTER TABLE tallies ADD COLUMN extra TEXT")
    assert drift(conn) == ["table tallies was changed"]


async def test_the_desk_says_a_dropped_rule_once_its_check_has_run(evening, site, clock):
    from tui.app import SoloShiftApp

    shell(evening, "DROP TRIGGER incidents_no_update")
    store = Store.open(evening, clock=clock)
    app = SoloShiftApp(store, site)
    try:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            for _ in range(50):  # the check runs on its own thread; the watch looks every 0.1 s
                await pilot.pause(0.1)
                if app._notifications:
                    break
            said = [n.message for n in app._notifications]
            assert any("rules were changed outside Solo Shift: trigger incidents_no_update is missing" in m
                       for m in said), said
            assert app.is_running  # the desk still records
    finally:
        store.close()


def test_a_problem_report_changed_or_its_failed_send_deleted_outside_the_desk_is_named(tmp_path, clock):
    from pathlib import Path

    from shift import problemreports
    from shift.knowledge import load_entry_file

    entry, _ = load_entry_file(Path(ROOT) / "knowledge" / "answers" / "broken-database-link.toml")
    path = tmp_path / "desk.db"
    with Store.open(path, clock=clock) as store:
        shift = start_shift(store, "Sam", "main")
        reported = problemreports.record(store, shift, entry, {"resource": "JSTOR", "link": "x", "what": "404"})
        problemreports.record_send(store, reported.id, False, "cannot reach the server")
        problemreports.record_send(store, reported.id, True, "emailed libsystems@example.edu")
        # The shift and its report; the attempts to send it (which may come after the report was
        # emailed) are walked by verify, like report_emails.
        assert report.build(store, _site(), shift.id).sections[0].lines[3].startswith("Record verified: 2 entries")
    done = verify(path)
    assert re.search(r"^problem_reports +1 rows chain correctly$", done.stdout, re.M)
    assert re.search(r"^problem_report_sends +2 rows chain correctly$", done.stdout, re.M)
    # A failed attempt removed, so the record would say it went out at the first try: named.
    shell(path, "DROP TRIGGER problem_report_sends_no_delete; DELETE FROM problem_report_sends WHERE rowid = 1")
    shell(path, "DROP TRIGGER problem_reports_no_update; UPDATE problem_reports SET send_to = 'x@y.z'")
    found = verify(path)
    assert found.returncode == 1
    assert "problem_reports row 1 (id " in found.stdout and "changed after it was recorded" in found.stdout
    assert "problem_report_sends row 2 (id " in found.stdout


def _site():
    from shift.site import load_site

    site, _ = load_site(ROOT / "data" / "site.toml")
    return site


def test_invalid_utf8_deep_in_a_table_is_read_once_in_order(tmp_path):
    """Rows are read with SQLite's own decoding; text that is not UTF-8 (in the third chunk here)
    makes the walk read again past what it gave, so every row comes once, in order."""
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("CREATE TABLE t (id TEXT, note TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(f"r{n}", "ok") for n in range(4500)])
    conn.execute("UPDATE t SET note = CAST(X'6F6BFF' AS TEXT) WHERE rowid = 4100")
    rows = list(chain.read_rows(conn, "t"))
    assert [r["rowid"] for r in rows] == list(range(1, 4501))
    assert rows[4099]["note"] == "ok\udcff" and rows[4098]["note"] == "ok"
    assert conn.text_factory is str  # the connection's own decoding is back


def test_verify_reads_a_file_from_an_earlier_version_without_upgrading_it(tmp_path):
    # A copy kept for an inquiry, or any desk not yet opened since an upgrade: verify is the tool
    # that must read it as it stands, never waiting for the desk to change it first.
    from shift.schema import MIGRATION_SET, no_replace_trigger

    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        start_shift(store, "Sam", "main")
    older = sqlite3.connect(path, isolation_level=None)
    older.execute("BEGIN")
    for table in APPEND_ONLY:  # as migration 019 left it, before 020
        older.execute(f"DROP TRIGGER {table}_no_replace")
        older.execute(no_replace_trigger(older, table))
    older.execute("DELETE FROM _sqlite_migrations WHERE migration_set = ? AND name = '020_no_replace_rowid'",
                  (MIGRATION_SET,))
    older.execute("COMMIT")
    older.close()
    before = path.read_bytes()
    done = subprocess.run([sys.executable, "main.py", "--db", str(path), "verify"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "record verified" in done.stdout
    assert path.read_bytes() == before
    shell = sqlite3.connect(path, isolation_level=None)
    shell.executescript("DROP TRIGGER shifts_no_update; UPDATE shifts SET worker = 'Mallory';")
    shell.close()
    done = subprocess.run([sys.executable, "main.py", "--db", str(path), "verify"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "shifts row 1" in done.stdout
    assert "trigger shifts_no_update is missing" in done.stdout


def test_a_changed_row_and_a_rule_left_dropped_are_both_on_the_report_line(evening, site):
    # The hand that changed a row and left the trigger dropped: the report named the row only,
    # so nobody reading it learnt that later changes could follow unrecorded.
    target = tallies(evening)[12]  # the second shift's
    shell(evening, f"DROP TRIGGER tallies_no_update; UPDATE tallies SET channel = 'phone' WHERE id = '{target['id']}'")
    with Store.open_read_only(evening) as store:
        second = store.rows("SELECT id FROM shifts ORDER BY rowid")[1]["id"]
        text = report.render_text(report.build(store, site, second))
        assert f"RECORD NOT VERIFIED: tallies row {target['rowid']} changed" in text
        assert "rules were changed outside Solo Shift: trigger tallies_no_update is missing" in text


def test_a_file_an_earlier_version_left_is_not_taken_for_one_whose_rules_were_changed(tmp_path):
    """Migration 013 added rules to tables the code before it made without them: a backup from
    then (at 012) has none, and is not "changed outside Solo Shift"; once the desk upgrades it,
    its rules are those of every file and compared."""
    from shift.schema import MIGRATION_SET, drift

    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        start_shift(store, "Sam", "main")
    conn = sqlite3.connect(path, isolation_level=None)
    later = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE name >= '013'")]
    conn.execute("DROP TRIGGER shifts_no_replace")  # as the code of 012 made it
    conn.executemany("DELETE FROM _sqlite_migrations WHERE migration_set = ? AND name = ?",
                     [(MIGRATION_SET, name) for name in later])
    assert drift(conn) == []
    conn.execute("DROP TRIGGER tallies_no_delete")  # a rule every version made: missed all the same
    assert drift(conn) == ["trigger tallies_no_delete is missing"]
    conn.close()


# What each migration makes, as a fingerprint: a file made by an earlier build is compared with what
# this build's migrations make (schema.drift), so a migration's output must never change. A new
# migration adds its line here; a changed line means files made before would read as tampered.
MIGRATION_FINGERPRINTS = {
    "001_shifts_and_tallies": "35f099e0f0319650", "002_procedure_runs": "2bebbd067798be9a",
    "003_prompts_and_checkins": "ed7457b60c8c2263", "004_drills": "91ec96a37030f18f",
    "005_sweeps": "627aa0bb7a0182a8", "006_incidents_and_circulation": "c2feec9a6b87f2e3",
    "007_circulation_item_index": "a4b0c85893734828", "008_report_emails": "483bcb1599cab31f",
    "009_unsaved_text": "20f09b058332af35", "010_shift_signins": "f694a8773cdf32ff",
    "011_incident_hurt": "7a2f63e4b774335a", "012_per_shift_indexes": "c57a1ca2a7e13c6a",
    "013_no_replace": "c57a1ca2a7e13c6a", "014_chain": "39107080f7185eb5",
    "015_lock_events": "9243cfc9abc6e0a3", "016_chain_lock_events": "f113394f8deecf46",
    "017_purges": "09b38223ce8a759f", "018_companion": "4187ae9ac07ec0d4",
    "019_problem_reports": "007dfa00bef3ad57", "020_no_replace_rowid": "afdab8cf89639ec3",
}


def test_no_migration_changes_what_it_makes():
    import hashlib
    import json

    from shift.schema import _expected, migration_names

    names = migration_names()
    found = {}
    for at, name in enumerate(names):
        made = _expected(tuple(names[:at + 1]))
        found[name] = hashlib.sha256(json.dumps(sorted([*k, v] for k, v in made.items())).encode()).hexdigest()[:16]
    assert found == MIGRATION_FINGERPRINTS

"""Storage: append-only tables, one copy at a time, bad files refused and never overwritten."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from conftest import ROOT
from shift.procedures import parse_procedure
from shift.runs import finish_run, record_answer, start_run
from shift.schema import APPEND_ONLY, MIGRATION_SET, migrations, pending
from shift.shifts import start_shift
from shift.store import CorruptDatabase, DatabaseBusy, NotADatabase, Store, StoreError, new_ids, resolve_db_path
from shift.tally import record


def test_records_are_committed_with_uuid_and_utc_times(store, site):
    shift = start_shift(store, "Sam", "main")
    entry = record(store, site.tally, shift, "directional")
    # Visible at once from a second, independent connection: committed, not pending.
    other = sqlite3.connect(store.path)
    row = other.execute("SELECT id, occurred_at FROM tallies").fetchone()
    other.close()
    assert row[0] == entry.id and uuid.UUID(row[0]).version == 4
    assert row[1] == "2026-11-25T00:30:00.000000+00:00"  # 19:30 in Toronto, stored in UTC


def test_ids_made_in_bulk_are_random_uuids_like_single_ones(store, site):
    made = new_ids(2000)
    assert len(set(made)) == 2000
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    # insert_all gives each row its own, in order, one statement per run of a table's rows.
    shift = start_shift(store, "Sam", "main")
    rows = store.insert_all([("followups", {"shift_id": shift.id, "created_at": "a", "text": "one"}),
                             ("followups", {"shift_id": shift.id, "created_at": "b", "text": "two"}),
                             ("tally_voids", {"tally_id": record(store, site.tally, shift, "directional").id,
                                              "shift_id": shift.id, "voided_at": "c"}),
                             ("followups", {"shift_id": shift.id, "created_at": "d", "text": "three"})])
    assert [r["text"] for r in store.rows("SELECT text FROM followups ORDER BY rowid")] == ["one", "two", "three"]
    assert [r["id"] for r in store.rows("SELECT id FROM followups ORDER BY rowid")] == [
        rows[0]["id"], rows[1]["id"], rows[3]["id"]]


def test_wal_and_full_sync(store):
    assert store.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


ONE_STEP = """
id = "tiny"
title = "Tiny"
kind = "routine"
owner = "Coordinator"
reviewed = 2026-10-01

[[steps]]
id = "only"
title = "The only step"
"""


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_append_only_triggers_refuse_update_and_delete(store, site, table):
    shift = start_shift(store, "Sam", "main")
    entry = record(store, site.tally, shift, "directional")
    store.insert("tally_voids", {"tally_id": entry.id, "shift_id": shift.id, "voided_at": store.now_iso()})
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(), "text": "x"})
    fid = store.rows("SELECT id FROM followups")[0]["id"]
    store.insert("followup_resolutions", {"followup_id": fid, "shift_id": shift.id, "resolved_at": store.now_iso()})
    procedure, _ = parse_procedure(ONE_STEP, Path("tiny.toml"))
    run = start_run(store, shift, procedure)
    run = record_answer(store, run, procedure.steps[0], note="a note")
    finish_run(store, run)
    store.insert("prompt_events", {"prompt_key": "k", "task_id": "t", "due_at": store.now_iso(),
                                   "event": "fired", "at": store.now_iso()})
    store.insert("checkin_events", {"shift_id": shift.id, "kind": "checkin", "at": store.now_iso()})
    store.insert("shift_signins", {"shift_id": shift.id, "worker": "Sam", "signed_in_at": store.now_iso()})
    store.insert("sweep_results", {"run_id": run.id, "zone_id": "lower", "status": "clear",
                                   "recorded_at": store.now_iso()})
    _one_row_in_each_record_table(store, shift.id, run.id)
    store.insert("lock_events", {"shift_id": shift.id, "kind": "locked", "at": store.now_iso(), "how": "key"})
    store.insert("shift_ends", {"shift_id": shift.id, "ended_at": store.now_iso(), "handover": ""})
    before = store.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    assert before == 1
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute(f"UPDATE {table} SET id = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute(f"DELETE FROM {table}")
    row = store.rows(f"SELECT * FROM {table}")[0]
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    for verb in ("INSERT OR REPLACE", "REPLACE"):  # the same id, or any other unique column, again
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.execute(f"{verb} INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))
        again = {**row, "id": "another-id"}
        if store.execute(f"SELECT COUNT(*) FROM pragma_index_list('{table}') WHERE \"unique\" "
                         "AND origin = 'u'").fetchone()[0]:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                store.execute(f"{verb} INTO {table} ({columns}) VALUES ({marks})", tuple(again.values()))
        # A new id on the recorded row's rowid, from the sqlite3 shell (no recursive triggers, so
        # REPLACE's delete meets no delete trigger): it would replace the recorded row.
        shell = sqlite3.connect(store.path, isolation_level=None)
        try:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                shell.execute(f"{verb} INTO {table} (rowid, {columns}) VALUES (1, {marks})",
                              tuple(({**row, "id": "a-new-id"}).values()))
        finally:
            shell.close()
    assert store.rows(f"SELECT * FROM {table}") == [row]


def test_second_copy_is_refused_naming_the_holder(tmp_path):
    path = tmp_path / "desk.db"
    first = Store.open(path)
    try:
        with pytest.raises(DatabaseBusy, match=f"process {os.getpid()}"):
            Store.open(path)
        # Another process is refused too, and says so without a traceback.
        result = subprocess.run(
            [sys.executable, "main.py", "--db", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 1
        assert "already open in another copy" in result.stderr and "Traceback" not in result.stderr
    finally:
        first.close()
    Store.open(path).close()  # released on close


def test_a_symlink_or_a_linked_folder_meets_the_same_lock(tmp_path):
    real = tmp_path / "desks" / "desk.db"
    real.parent.mkdir()
    (tmp_path / "link.db").symlink_to(real)
    (tmp_path / "linked").symlink_to(real.parent, target_is_directory=True)
    with Store.open(real) as first:
        start_shift(first, "Sam", "main")
        for other in (tmp_path / "link.db", tmp_path / "linked" / "desk.db"):
            with pytest.raises(DatabaseBusy, match="already open in another copy"):
                Store.open(other)
    with Store.open(tmp_path / "link.db") as second:  # one at a time, through any name
        assert second.rows("SELECT worker FROM shifts")[0]["worker"] == "Sam"


def test_a_hard_link_to_an_open_database_is_refused(tmp_path):
    real = tmp_path / "desk.db"
    other = tmp_path / "elsewhere"
    other.mkdir()
    with Store.open(real) as first:
        start_shift(first, "Sam", "main")
        os.link(real, other / "hard.db")
        with pytest.raises(DatabaseBusy, match="another name for the same file"):
            Store.open(other / "hard.db")
        done = subprocess.run([sys.executable, "main.py", "--db", str(other / "hard.db"), "import", "blocked",
                               str(tmp_path / "none.csv")], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and "another name for the same file" in done.stderr
        assert not (other / "hard.db-wal").exists()  # nothing written through the second name
    with Store.open(other / "hard.db") as second:  # once the first has let go
        assert second.rows("SELECT worker FROM shifts")[0]["worker"] == "Sam"


def test_non_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.db"
    content = b"These are my notes, not a database.\n" * 50
    path.write_bytes(content)
    with pytest.raises(NotADatabase, match="not a SQLite database"):
        Store.open(path)
    assert path.read_bytes() == content


def test_corrupt_database_is_refused_and_left_untouched(tmp_path, site):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        shift = start_shift(store, "Sam", "main")
        for _ in range(300):
            record(store, site.tally, shift, "directional", note="x" * 200)
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page: 6 * page] = b"\x5a" * (3 * page)  # scribble over b-tree pages
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabase, match="has not been changed"):
        Store.open(path, check="full")
    assert path.read_bytes() == bytes(data)
    # The default check runs beside start-up; the first write waits for it and is refused: kept in
    # memory (and in the waiting file beside it), never written, as storage refusing any write is.
    store = Store.open(path)
    try:
        with pytest.raises(CorruptDatabase):
            store.verify()
        assert store.checked() is False
        row = store.insert("shifts", {"started_at": "x", "worker": "x", "desk": "x"})
        assert store.pending == [("shifts", row)]
        store.insert_all([("shifts", {"started_at": "y", "worker": "y", "desk": "y"})])
        assert len(store.pending) == 2
        assert store.flush_pending() == 2  # still refused, however often it is tried
        with pytest.raises(CorruptDatabase), store.transaction():
            pass
        with pytest.raises(CorruptDatabase):
            store.insert("shifts", {"started_at": "z", "worker": "z", "desk": "z"}, keep_on_failure=False)
    finally:
        store.close()
    assert path.read_bytes() == bytes(data)
    # The desk starts the check once its first screen is shown; a write before that starts it.
    store = Store.open(path, defer_check=True)
    try:
        assert store.checked() is None  # not started yet
        with pytest.raises(CorruptDatabase):
            store.insert("shifts", {"started_at": "x", "worker": "x", "desk": "x"}, keep_on_failure=False)
        assert store.checked() is False
    finally:
        store.close()
    # The desk itself says so and exits with status 1, no traceback.
    result = subprocess.run([sys.executable, "main.py", "--db", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "It has not been changed" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert path.read_bytes() == bytes(data)


def test_reopening_keeps_data_and_migrations_run_once(tmp_path, site):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        start_shift(store, "Sam", "main")
        applied = store.rows("SELECT name FROM _sqlite_migrations ORDER BY id")
    assert applied[0]["name"] == "001_shifts_and_tallies"
    with Store.open(path) as store:
        assert store.rows("SELECT COUNT(*) AS n FROM shifts")[0]["n"] == 1
        assert store.rows("SELECT name FROM _sqlite_migrations ORDER BY id") == applied
        assert pending(store.conn) == []
        assert migrations().pending(store.db) == []


def test_db_path_from_option_then_environment(monkeypatch):
    monkeypatch.setenv("SOLO_SHIFT_DB", "/tmp/from-env.db")
    assert str(resolve_db_path(None)) == "/tmp/from-env.db"
    assert str(resolve_db_path("given.db")) == "given.db"
    monkeypatch.delenv("SOLO_SHIFT_DB")
    assert str(resolve_db_path(None)) == "data/desk.db"


def _one_row_in_each_record_table(store, shift_id, run_id):
    now = store.now_iso()
    incident = store.insert("incidents", {
        "shift_id": shift_id, "recorded_at": now, "occurred_at": now, "category": "Other",
        "what_happened": "x", "reporter": "Sam"})
    store.insert("incident_supplements", {"incident_id": incident["id"], "recorded_at": now,
                                          "author": "Sam", "text": "y"})
    store.insert("incident_drafts", {"shift_id": shift_id, "created_at": now, "run_id": run_id, "fields": "{}"})
    txn = store.insert("circ_transactions", {"shift_id": shift_id, "scanned_at": now, "action": "return",
                                             "item": "31234000000001"})
    store.insert("circ_voids", {"txn_id": txn["id"], "voided_at": now})
    export = store.insert("circ_exports", {"exported_at": now, "format": "csv", "path": "x.csv", "count": 1})
    store.insert("circ_exported", {"export_id": export["id"], "txn_id": txn["id"]})
    blocked = store.insert("blocked_lists", {"imported_at": now, "source": "b.csv", "count": 1})
    store.insert("blocked_patrons", {"list_id": blocked["id"], "patron": "21234000000001"})
    store.insert("fees", {"shift_id": shift_id, "recorded_at": now, "amount_cents": 250, "method": "cash"})
    store.insert("overrides", {"shift_id": shift_id, "recorded_at": now, "what": "block", "why": "paid",
                               "approved_by": "Manager"})
    store.insert("report_emails", {"shift_id": shift_id, "at": now, "outcome": "sent", "detail": "emailed x"})
    store.insert("purges", {"purge_id": "p", "purged_at": now, "kind": "export files", "action": "removed",
                            "rule": "r", "count": 0})
    store.insert("companion_tokens", {"shift_id": shift_id, "purpose": "pairing", "digest": "0" * 64,
                                      "issued_at": now})
    problem = store.insert("problem_reports", {"shift_id": shift_id, "recorded_at": now, "entry_id": "e",
                                               "entry_title": "E", "send_to": "a@b.c", "subject": "s", "fields": "[]"})
    store.insert("problem_report_sends", {"report_id": problem["id"], "at": now, "outcome": "failed", "detail": "x"})
    store.insert("copied_out", {"shift_id": shift_id, "copied_at": now, "entry_id": "e", "entry_title": "E",
                                "what": "text", "text": "t"})


def test_patron_identifiers_are_purged_only_after_export(store):
    shift = start_shift(store, "Sam", "main")
    now = store.now_iso()
    kept = store.insert("circ_transactions", {"shift_id": shift.id, "scanned_at": now, "action": "loan",
                                              "item": "31234000000001"})
    sent = store.insert("circ_transactions", {"shift_id": shift.id, "scanned_at": now, "action": "loan",
                                              "item": "31234000000002"})
    for txn in (kept, sent):
        store.insert("circ_patrons", {"txn_id": txn["id"], "patron": "21234000000001"})
    export = store.insert("circ_exports", {"exported_at": now, "format": "alma", "path": "x.dat", "count": 1})
    store.insert("circ_exported", {"export_id": export["id"], "txn_id": sent["id"]})
    with pytest.raises(sqlite3.IntegrityError, match="only after its transaction is exported"):
        store.execute("DELETE FROM circ_patrons WHERE txn_id = ?", (kept["id"],))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("UPDATE circ_patrons SET patron = 'x'")
    store.execute("DELETE FROM circ_patrons WHERE txn_id = ?", (sent["id"],))
    assert [r["txn_id"] for r in store.rows("SELECT txn_id FROM circ_patrons")] == [kept["id"]]


def test_shifts_ended_before_reports_were_emailed_are_not_sent_after_the_upgrade(tmp_path):
    from sqlite_utils import Database

    from shift import reportmail
    from shift.clock import UTC, FixedClock

    path = tmp_path / "desk.db"
    conn = sqlite3.connect(path)
    migrations().apply(Database(conn), stop_before="008_report_emails")  # a desk from before
    conn.execute("INSERT INTO shifts (id, started_at, worker, desk) VALUES (?, ?, ?, ?)",
                 ("s1", "2026-11-24T22:30:00.000000+00:00", "Sam", "main"))
    conn.execute("INSERT INTO shift_ends (id, shift_id, ended_at, handover) VALUES (?, ?, ?, ?)",
                 ("e1", "s1", "2026-11-25T03:00:00.000000+00:00", ""))  # within the week retries cover
    conn.commit()
    conn.close()
    with Store.open(path, clock=FixedClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))) as store:
        assert store.rows("SELECT shift_id, outcome FROM report_emails") == [{"shift_id": "s1", "outcome": "skipped"}]
        assert reportmail.unsent(store, store.clock.now()) == []


def test_a_desk_from_before_gets_the_per_shift_indexes_and_keeps_its_rows(tmp_path):
    from sqlite_utils import Database

    path = tmp_path / "desk.db"
    conn = sqlite3.connect(path)
    migrations().apply(Database(conn), stop_before="012_per_shift_indexes")  # a desk from before
    conn.execute("INSERT INTO shifts (id, started_at, worker, desk) VALUES ('s1', '2026-11-24T22:30:00.000000+00:00',"
                 " 'Sam', 'main')")
    conn.execute("INSERT INTO fees (id, shift_id, recorded_at, amount_cents, method) VALUES ('f1', 's1',"
                 " '2026-11-24T23:00:00.000000+00:00', 250, 'cash')")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        indexes = {r["name"] for r in store.rows("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"prompt_events_shift", "circ_transactions_shift", "fees_shift", "overrides_shift", "incidents_shift",
                "followup_resolutions_shift"} <= indexes
        assert store.rows("SELECT id FROM fees WHERE shift_id = 's1'") == [{"id": "f1"}]
        plan = store.execute("EXPLAIN QUERY PLAN SELECT * FROM fees WHERE shift_id = 's1'").fetchall()
        assert "USING INDEX fees_shift" in plan[0][3]


NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-all"]


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is not installed")
def test_a_folder_the_user_cannot_write_is_a_message_not_a_traceback(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o555)
    done = subprocess.run([*NO_OVERRIDE, sys.executable, str(ROOT / "main.py"), "--db", str(folder / "desk.db")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "cannot be written by this user" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is not installed")
def test_a_good_database_in_a_folder_the_user_cannot_write_is_not_called_damaged(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    with Store.open(folder / "desk.db") as store:
        start_shift(store, "Sam", "main")
    folder.chmod(0o555)
    before = (folder / "desk.db").read_bytes()
    for command in ([], ["export", "circ", "--format", "csv", "--output", str(tmp_path / "c.csv")]):
        done = subprocess.run([*NO_OVERRIDE, sys.executable, str(ROOT / "main.py"), "--db", str(folder / "desk.db"),
                               *command], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        assert f"folder {folder} cannot be written by this user" in done.stderr, done.stderr
        assert "damaged" not in done.stderr and "could not be opened as a desk database" not in done.stderr
        assert "Traceback" not in done.stderr
    assert (folder / "desk.db").read_bytes() == before
    report = subprocess.run([*NO_OVERRIDE, sys.executable, str(ROOT / "main.py"), "--db", str(folder / "desk.db"),
                             "report"], capture_output=True, text=True, timeout=60)
    assert report.returncode == 0 and "Sam" in report.stdout


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is not installed")
def test_a_read_only_file_that_needs_an_upgrade_is_a_message_not_a_traceback(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    db.chmod(0o444)
    done = subprocess.run([*NO_OVERRIDE, sys.executable, str(ROOT / "main.py"), "--db", str(db)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "read-only" in done.stderr and "has not been changed" in done.stderr and "Traceback" not in done.stderr


def test_a_database_from_a_newer_version_is_neither_opened_nor_changed(tmp_path):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        start_shift(store, "Sam", "main")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                 (MIGRATION_SET, "999_from_the_future", "2027-01-01"))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for opening in (Store.open, Store.open_read_only):
        with pytest.raises(StoreError, match="written by a newer version of Solo Shift .*'999_from_the_future'"):
            opening(path)
    assert path.read_bytes() == before
    done = subprocess.run([sys.executable, "main.py", "--db", str(path), "report"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "newer version" in done.stderr and "Traceback" not in done.stderr
    assert path.read_bytes() == before


def test_the_database_and_its_log_files_are_readable_by_their_owner_only(tmp_path, site):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        record(store, site.tally, start_shift(store, "Sam", "main"), "directional")
        files = [path, path.with_name("desk.db-wal"), path.with_name("desk.db-shm")]
        assert [f.stat().st_mode & 0o777 for f in files] == [0o600] * 3
    older = tmp_path / "older.db"  # made by an earlier version, readable by everyone
    shutil.copy(path, older)
    older.chmod(0o644)
    with Store.open(older):
        assert older.stat().st_mode & 0o777 == 0o600


def test_rows_waiting_for_storage_are_kept_in_a_file_only_their_owner_can_read(tmp_path, site, monkeypatch):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        shift = start_shift(store, "Sam", "main")
        monkeypatch.setattr(store, "_write", mock_refusing_write)
        record(store, site.tally, shift, "directional")
        kept = store.save_waiting()
        assert kept is not None and kept.stat().st_mode & 0o777 == 0o600


def mock_refusing_write(table, row):
    raise sqlite3.OperationalError("database or disk is full")


def test_commands_that_only_read_warn_about_a_damaged_file_and_do_not_exit_0(tmp_path, site):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        record(store, site.tally, start_shift(store, "Sam", "main"), "directional")
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[36:40] = (7).to_bytes(4, "big")  # the header's freelist count, wrong: the rows still read
    path.write_bytes(bytes(data))
    for command in (["report"], ["stats"], ["export", "incidents", "--format", "csv", "--output",
                                            str(tmp_path / "i.csv")]):
        done = subprocess.run([sys.executable, "main.py", "--db", str(path), *command], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, (command, done.stderr)
        assert f"WARNING: {path} failed its integrity check: Main freelist" in done.stderr
        assert "may be incomplete or wrong" in done.stderr and "Traceback" not in done.stderr
    assert "Sam" in subprocess.run([sys.executable, "main.py", "--db", str(path), "report"], cwd=ROOT,
                                   capture_output=True, text=True, timeout=60).stdout
    assert path.read_bytes() == bytes(data)


@pytest.mark.parametrize("content", [
    '[["tallies", {"id": "x"',  # cut short (a full disk, a kill in mid-write)
    '{"not": "a list"}',
    '[["tallies"]]',
    b"\xff\xfe garbage",
])
def test_a_waiting_file_that_cannot_be_read_is_set_aside_and_never_stops_the_desk(tmp_path, site, content):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        start_shift(store, "Sam", "main")
    waiting = tmp_path / "desk.db.waiting.json"
    waiting.write_bytes(content if isinstance(content, bytes) else content.encode())
    with Store.open(path) as store:
        assert store.write_saved_waiting() == 0
        assert store.pending == []
        record(store, site.tally, store_shift(store), "directional")  # the desk writes on as usual
        assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 1
    assert not waiting.exists()
    kept = list(tmp_path.glob("desk.db.waiting.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == (content if isinstance(content, bytes) else content.encode())


def test_a_waiting_row_the_database_can_never_take_does_not_hold_up_the_rows_behind_it(tmp_path, site):
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        shift = start_shift(store, "Sam", "main")
    good = {"id": "11111111-2222-4333-8444-555555555555", "shift_id": shift.id, "occurred_at": "2026-11-30T20:00:00Z",
            "recorded_at": "2026-11-30T20:00:00Z", "category": "directional", "channel": "in_person",
            "read_level": None, "quantity": 1, "note": "after the bad ones"}
    (tmp_path / "desk.db.waiting.json").write_text(json.dumps(
        [["nosuch_table", {"id": "a", "x": 1}], ["tallies", {"id": "b", "nosuch_column": 1}], ["tallies", good]]))
    with Store.open(path) as store:
        assert store.write_saved_waiting() == 1
        assert store.pending == []
        assert [r["note"] for r in store.rows("SELECT note FROM tallies")] == ["after the bad ones"]
        record(store, site.tally, store_shift(store), "directional")
        assert store.pending == []


def store_shift(store):
    from shift.shifts import open_shift

    return open_shift(store)


@pytest.mark.parametrize("how", ["writable by others", "a symlink", "another user's"])
def test_a_waiting_file_someone_else_could_have_written_is_never_taken_into_the_record(tmp_path, site, how):
    # The waiting file's fallback is in the shared temporary folder under a name anyone can work out:
    # rows put there by another user were chained into the record as the desk's own.
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        shift = start_shift(store, "Sam", "main")
    forged = {"id": "11111111-2222-4333-8444-555555555555", "shift_id": shift.id,
              "occurred_at": "2026-11-30T20:00:00Z", "recorded_at": "2026-11-30T20:00:00Z",
              "category": "directional", "channel": "in_person", "read_level": None, "quantity": 1,
              "note": "forged"}
    waiting = tmp_path / "desk.db.waiting.json"
    text = json.dumps([["tallies", forged]])
    if how == "a symlink":
        (tmp_path / "elsewhere.json").write_text(text)
        waiting.symlink_to(tmp_path / "elsewhere.json")
    else:
        waiting.write_text(text)
        if how == "writable by others":
            waiting.chmod(0o666)
        else:
            if os.getuid() != 0:
                pytest.skip("giving a file to another user needs root")
            os.chown(waiting, 65534, 65534)
    with Store.open(path) as store:
        assert store.write_saved_waiting() == 0
        assert store.pending == []
        assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 0
        record(store, site.tally, store_shift(store), "directional")  # the desk writes on as usual
        assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 1


def test_rows_waiting_under_a_symlinked_name_are_found_by_the_real_name(tmp_path, site, monkeypatch):
    # The lock is taken on the real file whatever name opens it; the waiting file must be found the same way.
    real = tmp_path / "real" / "desk.db"
    real.parent.mkdir()
    (tmp_path / "link").mkdir()
    named = tmp_path / "link" / "desk.db"
    with Store.open(real) as store:
        start_shift(store, "Sam", "main")
    named.symlink_to(real)
    with Store.open(named) as store:
        monkeypatch.setattr(store, "_write", mock_refusing_write)
        record(store, site.tally, store_shift(store), "directional")
        assert store.save_waiting() is not None
    monkeypatch.undo()
    with Store.open(real) as store:
        assert store.write_saved_waiting() == 1
        assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 1


def test_rows_that_cannot_wait_beside_the_database_wait_in_this_users_own_folder(tmp_path, site, monkeypatch):
    """Not in the shared temporary folder first: a file another user planted there under the
    predictable name would keep the desk from saving its own, and those rows would be lost."""
    from shift import store as store_module
    from shift.files import FileRefused
    from shift.store import waiting_paths

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "desk.db"
    beside, replace = waiting_paths(path)[0], store_module.replace_file

    def refusing_beside(target: Path, data: bytes) -> None:  # the folder takes nothing (a full disk)
        if target == beside:
            raise FileRefused(f"{target}: No space left on device")
        replace(target, data)

    monkeypatch.setattr(store_module, "replace_file", refusing_beside)
    with Store.open(path) as store:
        shift = start_shift(store, "Sam", "main")
        writable = store.conn
        store.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        try:
            kept = record(store, site.tally, shift, "directional")
            target = store.save_waiting()
        finally:
            store.conn.close()
            store.conn = writable
        store.pending.clear()  # as if the desk were killed here
    assert target == tmp_path / "home" / ".local" / "state" / "solo-shift" / target.name
    assert target.parent.stat().st_mode & 0o777 == 0o700 and target.stat().st_mode & 0o777 == 0o600
    with Store.open(path) as store:
        assert store.write_saved_waiting() == 1
        assert [r["id"] for r in store.rows("SELECT id FROM tallies")] == [kept.id]
    assert not target.exists()

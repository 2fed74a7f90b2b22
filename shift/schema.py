"""The database schema, as sqlite-utils migrations. Documented in docs/schema.md.

Every table a person writes to is append-only: triggers refuse UPDATE and
DELETE, so a correction is always a new row (a void, an amendment) and the
original stays as it was recorded. Two exceptions, each for a reason written
where it is made: circ_patrons rows may be deleted by the privacy purge, and
unsaved_text is a buffer of typing not yet saved, not a record.
"""

from __future__ import annotations

import functools
import sqlite3
import uuid
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

MIGRATION_SET = "solo_shift"
# (name, function) in order. sqlite-utils' Migrations applies them; it is only
# imported when one is pending, which keeps it out of every ordinary start-up.
_STEPS: list[tuple[str, Callable[["Database"], None]]] = []


def migration(name: str):
    def register(fn: Callable[["Database"], None]) -> Callable[["Database"], None]:
        _STEPS.append((name, fn))
        return fn
    return register


def migrations() -> "Migrations":
    from sqlite_utils import Migrations

    built = Migrations(MIGRATION_SET)
    for name, fn in _STEPS:
        built(name=name)(fn)
    return built


def migration_names() -> list[str]:
    """Every migration this version knows, in order."""
    return [name for name, _ in _STEPS]


def _applied(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if not exists:
        return []
    return [r[0] for r in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", (MIGRATION_SET,))]


def pending(conn: sqlite3.Connection) -> list[str]:
    """Names of migrations not yet applied, read with plain SQL."""
    applied = set(_applied(conn))
    return [name for name, _ in _STEPS if name not in applied]


def unknown(conn: sqlite3.Connection) -> list[str]:
    """Migrations the file records that this version does not know: a newer version wrote it."""
    known = set(migration_names())
    return [name for name in _applied(conn) if name not in known]


def newer_version_message(path: object, names: list[str]) -> str:
    return (f"{path} was written by a newer version of Solo Shift (it records the change '{names[0]}', "
            "which this version does not know), so this version could misread it or damage it. It has "
            "not been changed. Use the newer version of Solo Shift on it.")


def migrate(conn: sqlite3.Connection) -> None:
    if pending(conn):
        from sqlite_utils import Database

        migrations().apply(Database(conn, execute_plugins=False))

def _objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(type, name) -> its SQL with spacing made uniform, for every table, index, trigger and view
    the migrations make (SQLite's own and the migrations' record left out)."""
    return {(kind, name): " ".join(sql.split()) for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite^_%' ESCAPE '^' "
        "AND tbl_name != '_sqlite_migrations'")}


@functools.lru_cache(maxsize=4)
def _expected(applied: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """What the migrations a file records make, built in memory by running them (about 0.2 s,
    once per process): the one description of the schema there is."""
    from sqlite_utils import Database

    reference = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db = Database(reference, execute_plugins=False)
        for name, fn in _STEPS:
            if name in applied:
                fn(db)
        return _objects(reference)
    finally:
        reference.close()


def drift(conn: sqlite3.Connection) -> list[str]:
    """How the file's schema differs from what its migrations made: a trigger dropped (the rule
    that kept a table append-only gone), one added or changed, a column added. Empty when none.

    A file an earlier version left at an earlier migration was made by that version's code
    (migration 013, say, added rules to tables that code had made without them), which this one
    does not rebuild step by step: in it only the rules every version made are looked for (each
    append-only table's refusal of UPDATE and DELETE). The desk's upgrade brings every file to
    the one schema, compared whole from then on."""
    if pending(conn):
        found = _objects(conn)
        tables = {name for kind, name in found if kind == "table"}
        return [f"trigger {name} is missing" for table in APPEND_ONLY if table in tables
                for name in (f"{table}_no_update", f"{table}_no_delete") if ("trigger", name) not in found]
    expected = _expected(tuple(_applied(conn)))
    found = _objects(conn)
    said = []
    for (kind, name), sql in expected.items():
        if (kind, name) not in found:
            said.append(f"{kind} {name} is missing")
        elif found[(kind, name)] != sql:
            said.append(f"{kind} {name} was changed")
    said += [f"{kind} {name} was added" for kind, name in found if (kind, name) not in expected]
    return said


def drift_text(found: list[str]) -> str:
    """The one way a changed schema is said, wherever it is found."""
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return (f"The database's rules were changed outside Solo Shift: {found[0]}{more}. Entries may have been "
            "changed without a trace; tell the manager (python main.py verify lists every change).")


_SHIFT_TABLES = ("shifts", "shift_ends", "followups", "followup_resolutions", "tallies", "tally_voids")
_RUN_TABLES = ("procedure_versions", "procedure_runs", "step_outcomes", "step_notes", "run_ends")
_TIMER_TABLES = ("prompt_events", "checkin_events")
_SWEEP_TABLES = ("sweep_results",)
_REPORT_TABLES = ("report_emails",)
_SIGNIN_TABLES = ("shift_signins",)
_INCIDENT_TABLES = ("incidents", "incident_supplements", "incident_drafts")
_CIRC_TABLES = ("circ_transactions", "circ_voids", "circ_exports", "circ_exported",
                "blocked_lists", "blocked_patrons", "fees", "overrides")
# The append-only tables migrations 013 and 014 went over (kept as they were then: a migration
# never changes); those made later are chained by their own migration (016 for lock_events).
CHAINED_BY_014 = (_SHIFT_TABLES + _RUN_TABLES + _TIMER_TABLES + _SWEEP_TABLES
                  + _INCIDENT_TABLES + _CIRC_TABLES + _REPORT_TABLES + _SIGNIN_TABLES)
_LOCK_TABLES = ("lock_events",)
_PURGE_TABLES = ("purges",)
_COMPANION_TABLES = ("companion_tokens",)
_KNOWLEDGE_TABLES = ("problem_reports", "problem_report_sends", "copied_out")
# table -> the migration that chained it
CHAINED_LATER = {"lock_events": "016_chain_lock_events", "purges": "017_purges",
                 "companion_tokens": "018_companion",
                 **{t: "019_problem_reports" for t in _KNOWLEDGE_TABLES}}
# every append-only, chained table: what is sealed and verified
APPEND_ONLY = CHAINED_BY_014 + _LOCK_TABLES + _PURGE_TABLES + _COMPANION_TABLES + _KNOWLEDGE_TABLES
# The tables migration 020 went over, kept as they were then (a migration never changes: a table
# made later gets its rowid rule from _create).
_BY_020 = CHAINED_BY_014 + _LOCK_TABLES + _PURGE_TABLES + _COMPANION_TABLES + _KNOWLEDGE_TABLES


def chained_tables(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The tables of APPEND_ONLY that carry a chain in this file: all of them once it is up to date;
    a backup from an older version (read as it is, never migrated) has fewer."""
    applied = set(_applied(conn))

    def chained(table: str) -> bool:
        if (CHAINED_LATER.get(table, "014_chain")) in applied:
            return True
        # Or it has the column anyway (its migration's record removed by hand): walked all the same.
        return any(row[1] == "chain" for row in conn.execute(f"PRAGMA table_info({table})"))

    return tuple(t for t in APPEND_ONLY if chained(t))


def _create(db: "Database", statements: list[str], tables: tuple[str, ...], rowid: bool = False) -> None:
    """Run a migration's statements, then make its tables append-only. A migration after 020
    passes `rowid=True` (020 gave every table before it that rule); those before keep making
    what they made then, which is what `drift` compares a file with."""
    for table in tables:
        statements = statements + append_only_triggers(table)
    for sql in statements:
        db.execute(sql)
    for table in tables:
        db.execute(no_replace_trigger(db.conn, table, rowid))


def append_only_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END",
    ]


def no_replace_trigger(conn: sqlite3.Connection, table: str, rowid: bool = False) -> str:
    """`INSERT OR REPLACE` (or `REPLACE INTO`) deletes the row it collides with without firing
    the delete trigger: refuse any insert that would collide with a row already there, on its
    id or on any other unique column, before SQLite's conflict handling can run. `rowid`: on
    its rowid too (migration 020; a rowid not given reads as -1 here, which no row has)."""
    unique = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[5]]  # the primary key
    for index in conn.execute(f"PRAGMA index_list({table})"):
        if index[2]:  # unique
            columns = [c[2] for c in conn.execute(f"PRAGMA index_info({index[1]})")]
            if len(columns) == 1 and columns[0] not in unique:
                unique.append(columns[0])
    if rowid:
        unique.append("rowid")
    clash = " OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE {c} = NEW.{c})" for c in unique)
    return (f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} WHEN {clash} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a row like this is already recorded'); END")


@migration("001_shifts_and_tallies")
def _m001(db: "Database") -> None:
    statements = [
        """CREATE TABLE shifts (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            worker TEXT NOT NULL,
            desk TEXT NOT NULL
        )""",
        """CREATE TABLE shift_ends (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL UNIQUE REFERENCES shifts(id),
            ended_at TEXT NOT NULL,
            handover TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE followups (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            created_at TEXT NOT NULL,
            text TEXT NOT NULL
        )""",
        """CREATE TABLE followup_resolutions (
            id TEXT PRIMARY KEY,
            followup_id TEXT NOT NULL UNIQUE REFERENCES followups(id),
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            resolved_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE tallies (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            occurred_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            category TEXT NOT NULL,
            channel TEXT NOT NULL,
            read_level INTEGER CHECK (read_level BETWEEN 1 AND 6),
            quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity >= 1),
            note TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE tally_voids (
            id TEXT PRIMARY KEY,
            tally_id TEXT NOT NULL UNIQUE REFERENCES tallies(id),
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            voided_at TEXT NOT NULL
        )""",
        "CREATE INDEX tallies_occurred ON tallies(occurred_at)",
        "CREATE INDEX tallies_shift ON tallies(shift_id, recorded_at)",
        "CREATE INDEX shifts_started ON shifts(started_at)",
    ]
    _create(db, statements, _SHIFT_TABLES)


@migration("002_procedure_runs")
def _m002(db: "Database") -> None:
    statements = [
        # The exact text a run started with, so it finishes against its own version.
        """CREATE TABLE procedure_versions (
            id TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            procedure_id TEXT NOT NULL,
            path TEXT NOT NULL,
            text TEXT NOT NULL,
            first_seen_at TEXT NOT NULL
        )""",
        """CREATE TABLE procedure_runs (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            procedure_id TEXT NOT NULL,
            version_sha256 TEXT NOT NULL REFERENCES procedure_versions(sha256),
            started_at TEXT NOT NULL
        )""",
        """CREATE TABLE step_outcomes (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES procedure_runs(id),
            step_id TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('done', 'answered', 'skipped')),
            answer TEXT,
            reason TEXT NOT NULL DEFAULT '',
            out_of_range INTEGER NOT NULL DEFAULT 0,
            corrects TEXT REFERENCES step_outcomes(id)
        )""",
        """CREATE TABLE step_notes (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES procedure_runs(id),
            step_id TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            text TEXT NOT NULL
        )""",
        """CREATE TABLE run_ends (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL UNIQUE REFERENCES procedure_runs(id),
            ended_at TEXT NOT NULL
        )""",
        "CREATE INDEX procedure_runs_shift ON procedure_runs(shift_id, procedure_id)",
        "CREATE INDEX step_outcomes_run ON step_outcomes(run_id, recorded_at)",
        "CREATE INDEX step_notes_run ON step_notes(run_id)",
    ]
    _create(db, statements, _RUN_TABLES)


@migration("003_prompts_and_checkins")
def _m003(db: "Database") -> None:
    statements = [
        # One row per thing that happened to a timed prompt: fired, done, snoozed,
        # skipped, missed, escalated. The prompt's state is the latest of them.
        """CREATE TABLE prompt_events (
            id TEXT PRIMARY KEY,
            prompt_key TEXT NOT NULL,
            task_id TEXT NOT NULL,
            due_at TEXT NOT NULL,
            shift_id TEXT REFERENCES shifts(id),
            event TEXT NOT NULL CHECK (event IN ('fired', 'done', 'snoozed', 'skipped', 'missed', 'escalated')),
            at TEXT NOT NULL,
            until TEXT,
            reason TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX prompt_events_due ON prompt_events(due_at, prompt_key)",
        """CREATE TABLE checkin_events (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX checkin_events_shift ON checkin_events(shift_id, at)",
    ]
    _create(db, statements, _TIMER_TABLES)


@migration("004_drills")
def _m004(db: "Database") -> None:
    # A drill is recorded like a real event but kept apart by this flag.
    db.execute("ALTER TABLE procedure_runs ADD COLUMN drill INTEGER NOT NULL DEFAULT 0")


@migration("005_sweeps")
def _m005(db: "Database") -> None:
    _create(db, [
        # One row per zone result in a floor sweep; the latest per zone counts.
        """CREATE TABLE sweep_results (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES procedure_runs(id),
            zone_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('clear', 'refused', 'assistance', 'not_checked')),
            detail TEXT NOT NULL DEFAULT '',
            recorded_at TEXT NOT NULL
        )""",
        "CREATE INDEX sweep_results_run ON sweep_results(run_id, recorded_at)",
    ], _SWEEP_TABLES)


@migration("006_incidents_and_circulation")
def _m006(db: "Database") -> None:
    _create(db, [
        # An incident as first saved; it never changes. Only the four fields a
        # person must give are NOT NULL-with-content; the rest may be ''.
        """CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            recorded_at TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            category TEXT NOT NULL CHECK (category <> ''),
            zone_id TEXT NOT NULL DEFAULT '',
            location TEXT NOT NULL DEFAULT '',
            what_happened TEXT NOT NULL CHECK (what_happened <> ''),
            people TEXT NOT NULL DEFAULT '',
            witnesses TEXT NOT NULL DEFAULT '',
            refused_details TEXT NOT NULL DEFAULT '',
            actions TEXT NOT NULL DEFAULT '',
            security_called_at TEXT,
            police_called_at TEXT,
            ambulance_called_at TEXT,
            injury TEXT NOT NULL DEFAULT 'none' CHECK (injury IN ('none', 'first_aid', 'medical', 'critical')),
            injury_details TEXT NOT NULL DEFAULT '',
            severity TEXT NOT NULL DEFAULT 'low' CHECK (severity IN ('low', 'medium', 'high')),
            followup TEXT NOT NULL DEFAULT '',
            followup_by TEXT NOT NULL DEFAULT '',
            reporter TEXT NOT NULL CHECK (reporter <> ''),
            identifiers_confirmed INTEGER NOT NULL DEFAULT 0,
            draft_id TEXT,
            run_id TEXT REFERENCES procedure_runs(id)
        )""",
        "CREATE INDEX incidents_occurred ON incidents(occurred_at)",
        # Added later, never by rewriting the original.
        """CREATE TABLE incident_supplements (
            id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            shift_id TEXT REFERENCES shifts(id),
            recorded_at TEXT NOT NULL,
            author TEXT NOT NULL CHECK (author <> ''),
            text TEXT NOT NULL CHECK (text <> '')
        )""",
        "CREATE INDEX incident_supplements_incident ON incident_supplements(incident_id, recorded_at)",
        # A prefilled incident waiting to be completed (e.g. from an emergency
        # timeline). A newer row for the same run replaces it; an incident
        # with this draft_id files it.
        """CREATE TABLE incident_drafts (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            created_at TEXT NOT NULL,
            run_id TEXT REFERENCES procedure_runs(id),
            fields TEXT NOT NULL
        )""",
        # Offline circulation: one row per accepted scan, in scan order (rowid).
        """CREATE TABLE circ_transactions (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            scanned_at TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('loan', 'return', 'renew', 'in_house', 'payment')),
            item TEXT NOT NULL DEFAULT '',
            amount_cents INTEGER,
            warning TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX circ_transactions_scanned ON circ_transactions(scanned_at)",
        # Patron identifiers are personal information: kept apart so they can
        # be purged once uploaded (see the trigger below), nothing else can.
        """CREATE TABLE circ_patrons (
            id TEXT PRIMARY KEY,
            txn_id TEXT NOT NULL UNIQUE REFERENCES circ_transactions(id),
            patron TEXT NOT NULL
        )""",
        """CREATE TRIGGER circ_patrons_no_update BEFORE UPDATE ON circ_patrons
           BEGIN SELECT RAISE(ABORT, 'circ_patrons is append-only: record a correction instead'); END""",
        """CREATE TRIGGER circ_patrons_purge_only_exported BEFORE DELETE ON circ_patrons
           WHEN NOT EXISTS (SELECT 1 FROM circ_exported x WHERE x.txn_id = OLD.txn_id)
           BEGIN SELECT RAISE(ABORT, 'a patron identifier is purged only after its transaction is exported'); END""",
        """CREATE TABLE circ_voids (
            id TEXT PRIMARY KEY,
            txn_id TEXT NOT NULL UNIQUE REFERENCES circ_transactions(id),
            shift_id TEXT REFERENCES shifts(id),
            voided_at TEXT NOT NULL
        )""",
        """CREATE TABLE circ_exports (
            id TEXT PRIMARY KEY,
            exported_at TEXT NOT NULL,
            format TEXT NOT NULL,
            path TEXT NOT NULL,
            count INTEGER NOT NULL
        )""",
        """CREATE TABLE circ_exported (
            id TEXT PRIMARY KEY,
            export_id TEXT NOT NULL REFERENCES circ_exports(id),
            txn_id TEXT NOT NULL REFERENCES circ_transactions(id)
        )""",
        "CREATE INDEX circ_exported_txn ON circ_exported(txn_id)",
        # Each import of the blocked-patron list; the latest one is in force.
        """CREATE TABLE blocked_lists (
            id TEXT PRIMARY KEY,
            imported_at TEXT NOT NULL,
            source TEXT NOT NULL,
            count INTEGER NOT NULL
        )""",
        """CREATE TABLE blocked_patrons (
            id TEXT PRIMARY KEY,
            list_id TEXT NOT NULL REFERENCES blocked_lists(id),
            patron TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX blocked_patrons_list ON blocked_patrons(list_id, patron)",
        # Money taken at the desk and policy overrides, for the report and the cash count.
        """CREATE TABLE fees (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            recorded_at TEXT NOT NULL,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            method TEXT NOT NULL,
            receipt TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE overrides (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            recorded_at TEXT NOT NULL,
            what TEXT NOT NULL CHECK (what <> ''),
            why TEXT NOT NULL CHECK (why <> ''),
            approved_by TEXT NOT NULL CHECK (approved_by <> '')
        )""",
        # Follow-ups with a deadline (e.g. the 48-hour report after a critical injury).
        "ALTER TABLE followups ADD COLUMN due_at TEXT",
        "ALTER TABLE followups ADD COLUMN incident_id TEXT REFERENCES incidents(id)",
    ], _INCIDENT_TABLES + _CIRC_TABLES)


@migration("007_circulation_item_index")
def _m007(db: "Database") -> None:
    # Every scan looks up the item's latest transaction (the duplicate-scan rule); an
    # index entry holds the rowid too, so "latest" needs no sort.
    _create(db, ["CREATE INDEX circ_transactions_item ON circ_transactions(item)"], ())


@migration("008_report_emails")
def _m008(db: "Database") -> None:
    _create(db, [
        # One row per attempt to email a shift's report; the report was sent once a row
        # says so ('skipped': never to be sent, e.g. a demo's made-up shifts).
        """CREATE TABLE report_emails (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            at TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'failed', 'skipped')),
            detail TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX report_emails_shift ON report_emails(shift_id, outcome)",
    ], _REPORT_TABLES)
    # Shifts that ended before reports were emailed are not sent now, all at once.
    ended = db.execute("SELECT shift_id, ended_at FROM shift_ends").fetchall()
    for shift_id, ended_at in ended:
        db.execute("INSERT INTO report_emails (id, shift_id, at, outcome, detail) VALUES (?, ?, ?, 'skipped', ?)",
                   (str(uuid.uuid4()), shift_id, ended_at, "ended before this desk emailed shift reports"))


@migration("009_unsaved_text")
def _m009(db: "Database") -> None:
    # Not a record but a buffer (see shift/unsaved.py): what a form held a
    # moment ago, one row per shift and form, overwritten and then deleted.
    _create(db, [
        """CREATE TABLE unsaved_text (
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            form TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (shift_id, form)
        )""",
    ], ())


@migration("010_shift_signins")
def _m010(db: "Database") -> None:
    # A shift opened before anyone signed in (an emergency from the start screen) gets
    # its worker's name when they sign in: a new row, the shift itself unchanged.
    _create(db, [
        """CREATE TABLE shift_signins (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            worker TEXT NOT NULL,
            signed_in_at TEXT NOT NULL
        )""",
        "CREATE INDEX shift_signins_shift ON shift_signins(shift_id, signed_in_at)",
    ], _SIGNIN_TABLES)


@migration("011_incident_hurt")
def _m011(db: "Database") -> None:
    # Who was hurt (a worker, someone else, not sure yet): the law's duties differ.
    # Incidents filed before this say '' (not asked).
    _create(db, ["ALTER TABLE incidents ADD COLUMN hurt TEXT NOT NULL DEFAULT '' "
                 "CHECK (hurt IN ('', 'worker', 'other', 'unsure'))"], ())


@migration("012_per_shift_indexes")
def _m012(db: "Database") -> None:
    # Every key press, scan and timer tick reads the open shift's rows (the desk's log, the
    # fees taken, the scans so far): without these each read was a full scan of years of rows.
    # tests/test_query_plans.py explains every query the desk runs and fails on such a scan.
    _create(db, [
        "CREATE INDEX prompt_events_shift ON prompt_events(shift_id, at)",
        "CREATE INDEX circ_transactions_shift ON circ_transactions(shift_id)",  # rowid order within a shift
        "CREATE INDEX fees_shift ON fees(shift_id, recorded_at)",
        "CREATE INDEX overrides_shift ON overrides(shift_id, recorded_at)",
        "CREATE INDEX incidents_shift ON incidents(shift_id, recorded_at)",
        "CREATE INDEX followup_resolutions_shift ON followup_resolutions(shift_id)",
        # The last shift that ended with an alarm open (each start), the handover on the start screen,
        # the blocked list in force (each patron card scanned).
        "CREATE INDEX checkin_events_kind ON checkin_events(kind, at)",
        "CREATE INDEX shift_ends_ended ON shift_ends(ended_at)",
        "CREATE INDEX blocked_lists_imported ON blocked_lists(imported_at)",
        # Which drafts are filed (the end-of-shift screen): the few incidents that complete one.
        "CREATE INDEX incidents_draft ON incidents(draft_id) WHERE draft_id IS NOT NULL",
        "CREATE INDEX incidents_run ON incidents(run_id) WHERE run_id IS NOT NULL",
    ], ())


@migration("013_no_replace")
def _m013(db: "Database") -> None:
    # Found by trying: REPLACE INTO shifts rewrote a worker's name past the update trigger.
    for table in CHAINED_BY_014:
        db.execute(no_replace_trigger(db.conn, table))


@migration("014_chain")
def _m014(db: "Database") -> None:
    # Tamper evidence (shift/chain.py): a `chain` column on every append-only table, filled here
    # for the rows already there, in the order they were written. Filling is the one UPDATE these
    # tables ever take: the update trigger is lifted for it, inside this migration's transaction.
    for table in CHAINED_BY_014:
        _chain(db, table)
    # The shift's report checks its rows per table, found by shift: these had no index on it.
    for table in ("followups", "tally_voids", "circ_voids", "incident_supplements", "incident_drafts"):
        db.execute(f"CREATE INDEX {table}_shift ON {table}(shift_id)")


def _chain(db: "Database", table: str) -> None:
    from shift import chain

    db.execute(f"ALTER TABLE {table} ADD COLUMN chain TEXT")
    db.execute(f"DROP TRIGGER {table}_no_update")
    chain.fill(db.conn, table)
    db.execute(append_only_triggers(table)[0])
    db.execute(chained_trigger(table))


def chained_trigger(table: str) -> str:
    """A row written without its chain (by a program that does not know it) is refused at once,
    rather than found later as a break in the record."""
    return (f"CREATE TRIGGER {table}_chained BEFORE INSERT ON {table} WHEN NEW.chain IS NULL "
            f"BEGIN SELECT RAISE(ABORT, '{table} rows carry a chain: write them through the desk "
            f"(shift/chain.py)'); END")


@migration("015_lock_events")
def _m015(db: "Database") -> None:
    # The lock screen (shift/lock.py): when the desk locked (key or idle), who unlocked it, and each
    # wrong PIN (never the PIN typed). Wrong tries since the last unlock decide the slowdown, also
    # after a restart; a lock with no unlock after it opens the desk locked again.
    _create(db, [
        """CREATE TABLE lock_events (
            id TEXT PRIMARY KEY,
            shift_id TEXT REFERENCES shifts(id),
            kind TEXT NOT NULL CHECK (kind IN ('locked', 'unlocked', 'wrong_pin')),
            at TEXT NOT NULL,
            how TEXT NOT NULL DEFAULT '' CHECK (how IN ('', 'key', 'idle', 'start')),
            who TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX lock_events_kind ON lock_events(kind, at)",
        "CREATE INDEX lock_events_at ON lock_events(at)",
    ], ("lock_events",))


@migration("016_chain_lock_events")
def _m016(db: "Database") -> None:
    # lock_events came after 014 chained every append-only table: chained now, like them (the
    # locks, unlocks and wrong tries already recorded sealed in the order they were written).
    _chain(db, "lock_events")


@migration("017_purges")
def _m017(db: "Database") -> None:
    # The retention purge (shift/purge.py): what it removed, when and under which rule, one row per
    # table (or kind of file) per purge. Chained like every record, and what lets `verify` account
    # for the rows a purge redacted or deleted: `detail` holds, per row or run of rows, what the
    # chain needs (see docs/schema.md, "Retention").
    _create(db, [
        """CREATE TABLE purges (
            id TEXT PRIMARY KEY,
            purge_id TEXT NOT NULL,
            purged_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            tbl TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL CHECK (action IN ('redacted', 'deleted', 'removed')),
            rule TEXT NOT NULL,
            count INTEGER NOT NULL,
            oldest TEXT,
            newest TEXT,
            detail TEXT NOT NULL DEFAULT '',
            chain TEXT
        )""",
        "CREATE INDEX purges_tbl ON purges(tbl)",
        chained_trigger("purges"),
    ], _PURGE_TABLES)


@migration("018_companion")
def _m018(db: "Database") -> None:
    # The phone companion (shift/companion.py). Where a check-in, a panic, an answer or a step came
    # from: NULL at the desk's keys, 'phone' from the worker's paired phone, 'link' from a responder's
    # link in an alarm email. Nullable with no default, so the rows already chained keep their links
    # (a NULL is left out of what the chain hashes, shift/chain.py).
    # The companion's tokens, as SHA-256 digests only (a copy of the file opens nothing): the
    # pairing of a phone with a shift (the latest one counts; a new one revokes the old), and each
    # alarm email's acknowledgement link (valid while that alarm is open).
    _create(db, [
        "ALTER TABLE checkin_events ADD COLUMN origin TEXT",
        "ALTER TABLE step_outcomes ADD COLUMN origin TEXT",
        """CREATE TABLE companion_tokens (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            purpose TEXT NOT NULL CHECK (purpose IN ('pairing', 'alarm')),
            digest TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            alarm TEXT,
            chain TEXT
        )""",
        "CREATE INDEX companion_tokens_shift ON companion_tokens(shift_id, purpose)",
        chained_trigger("companion_tokens"),
    ], _COMPANION_TABLES)


@migration("019_problem_reports")
def _m019(db: "Database") -> None:
    # Desk knowledge (shift/problemreports.py): a problem report filled in from a ready answer (its
    # fields as JSON [[label, text], ...], the address the entry named), each attempt to email it
    # (sent or failed, as the server answered), and each entry copied out for a reply by email
    # (the text itself: where the worker finds it when the terminal's clipboard did not take it).
    # Chained from the start, like every record.
    _create(db, [
        """CREATE TABLE problem_reports (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            recorded_at TEXT NOT NULL,
            entry_id TEXT NOT NULL,
            entry_title TEXT NOT NULL,
            send_to TEXT NOT NULL,
            subject TEXT NOT NULL,
            fields TEXT NOT NULL,
            chain TEXT
        )""",
        "CREATE INDEX problem_reports_shift ON problem_reports(shift_id, recorded_at)",
        chained_trigger("problem_reports"),
        """CREATE TABLE problem_report_sends (
            id TEXT PRIMARY KEY,
            report_id TEXT NOT NULL REFERENCES problem_reports(id),
            at TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
            detail TEXT NOT NULL DEFAULT '',
            chain TEXT
        )""",
        "CREATE INDEX problem_report_sends_report ON problem_report_sends(report_id, at)",
        chained_trigger("problem_report_sends"),
        """CREATE TABLE copied_out (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL REFERENCES shifts(id),
            copied_at TEXT NOT NULL,
            entry_id TEXT NOT NULL,
            entry_title TEXT NOT NULL,
            what TEXT NOT NULL,
            text TEXT NOT NULL,
            chain TEXT
        )""",
        "CREATE INDEX copied_out_shift ON copied_out(shift_id, copied_at)",
        chained_trigger("copied_out"),
    ], _KNOWLEDGE_TABLES)


@migration("020_no_replace_rowid")
def _m020(db: "Database") -> None:
    # Found by trying: `INSERT OR REPLACE INTO tallies (rowid, id, ...) VALUES (1, 'new id', ...)`
    # from the sqlite3 shell replaced a recorded row: the rowid is a key of its own, which the
    # triggers of 013 did not look at. Each table's trigger now refuses a rowid already there.
    for table in _BY_020:
        db.execute(f"DROP TRIGGER {table}_no_replace")
        db.execute(no_replace_trigger(db.conn, table, rowid=True))

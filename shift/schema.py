"""The database schema, as sqlite-utils migrations. Documented in docs/schema.md.

Every table a person writes to is append-only: triggers refuse UPDATE and
DELETE, so a correction is always a new row (a void, an amendment) and the
original stays as it was recorded.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("solo_shift")

APPEND_ONLY = ("shifts", "shift_ends", "followups", "followup_resolutions", "tallies", "tally_voids")


def append_only_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END",
    ]


@migrations(name="001_shifts_and_tallies")
def _m001(db: Database) -> None:
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
    for table in APPEND_ONLY:
        statements += append_only_triggers(table)
    for sql in statements:
        db.execute(sql)

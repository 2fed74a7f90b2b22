"""The desk's SQLite file: opened safely, migrated, append-only.

Opening refuses, with a message a person can act on, a file that is not a
SQLite database, a database that fails its integrity check, and a database
already held by another copy of the app. None of these is ever overwritten.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from shift.clock import Clock, SystemClock, to_iso
from shift.schema import migrations

SQLITE_HEADER = b"SQLite format 3\x00"
DB_ENV = "SOLO_SHIFT_DB"
DEFAULT_DB = Path("data/desk.db")


class StoreError(Exception):
    """A problem opening the database, worded for the person at the desk."""


class DatabaseBusy(StoreError):
    pass


class NotADatabase(StoreError):
    pass


class CorruptDatabase(StoreError):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Store:
    """One open desk database and the lock that says this process holds it."""

    def __init__(self, db: Database, path: Path, lock_fd: int | None, clock: Clock) -> None:
        self.db = db
        self.path = path
        self._lock_fd = lock_fd
        self.clock = clock

    @classmethod
    def open(cls, path: Path | str, clock: Clock | None = None, check: str = "quick") -> "Store":
        path = Path(path)
        clock = clock or SystemClock()
        _refuse_non_sqlite(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = _take_lock(path)
        try:
            db = Database(path, execute_plugins=False)
            try:
                _check_integrity(db, path, check)
                # Durability first: every confirmed entry must survive a power cut.
                db.enable_wal()
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA foreign_keys=ON")
                db.execute("PRAGMA busy_timeout=2000")
                migrations.apply(db)
            except BaseException:
                db.close()
                raise
        except sqlite3.DatabaseError as exc:
            _release_lock(lock_fd)
            raise CorruptDatabase(
                f"{path} could not be opened as a desk database ({exc}). "
                "It has not been changed. Keep a copy and start with another --db file."
            ) from exc
        except BaseException:
            _release_lock(lock_fd)
            raise
        return cls(db, path, lock_fd, clock)

    def now_iso(self) -> str:
        return to_iso(self.clock.now())

    def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Insert one record and commit it before returning."""
        row = {"id": new_id(), **row}
        self.db[table].insert(row)
        return row

    def rows(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._lock_fd is None:
            return
        self.db.close()
        _release_lock(self._lock_fd)
        self._lock_fd = None


def _refuse_non_sqlite(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise NotADatabase(f"{path} is a folder, not a desk database.")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_HEADER))
    if head and head != SQLITE_HEADER:  # an empty file is a new database
        raise NotADatabase(
            f"{path} is not a SQLite database (it starts with {head[:8]!r}). "
            "It has not been changed. Check the --db path."
        )


def _check_integrity(db: Database, path: Path, check: str) -> None:
    if check == "none":
        return
    pragma = "quick_check" if check == "quick" else "integrity_check"
    result = [row[0] for row in db.conn.execute(f"PRAGMA {pragma}").fetchall()]
    if result != ["ok"]:
        raise CorruptDatabase(
            f"{path} failed its integrity check: {'; '.join(result[:3])}. "
            "It has not been changed. Keep a copy for recovery and start with another --db file."
        )


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _take_lock(path: Path) -> int:
    """An advisory lock beside the database; the kernel drops it when the process dies."""
    lp = lock_path(path)
    fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "an unknown process"
        os.close(fd)
        raise DatabaseBusy(
            f"{path} is already open in another copy of Solo Shift ({holder}). "
            "Switch to that window, or close it first."
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()}".encode(), 0)
    return fd


def _release_lock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def resolve_db_path(cli_value: str | None) -> Path:
    return Path(cli_value or os.environ.get(DB_ENV) or DEFAULT_DB)

"""The desk's SQLite file: opened safely, migrated, append-only.

Opening refuses, with a message a person can act on, a file that is not a
SQLite database, a database that fails its integrity check, and a database
already held by another copy of the app. None of these is ever overwritten.

Commands that only read (the report, the incident export) open it with
`open_read_only` instead: beside a running desk, without its lock, never
migrating and never writing (see ReadOnlyStore).

Migrations and bulk writes go through sqlite-utils (imported only when
needed); the hot path — one entry, one commit — uses the same connection with
a plain INSERT, which keeps a keypress-to-disk round trip short.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socket
import sqlite3
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import quote

from shift import chain
from shift.clock import Clock, SystemClock, to_iso
from shift.files import FileRefused, make_private, read_small_file, replace_file
from shift.schema import drift, drift_text, migrate, migration_names, newer_version_message, pending, unknown

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger("solo_shift.store")
SQLITE_HEADER = b"SQLite format 3\x00"
DB_ENV = "SOLO_SHIFT_DB"
BUSY_TIMEOUT_MS = 250  # the longest a write may wait for another process's lock
# The longest a reader waits for a lock that keeps even readers out (a desk that could make no
# shared-memory file holds the database exclusively), and a one-off writing command for the
# desk's single-instance lock (another command that holds it for a moment).
READ_BUSY_TIMEOUT_MS = 3000
LOCK_WAIT_SECONDS = 3.0
WAITING_LIMIT = 256_000_000  # rows kept through a whole offline evening fit many times over
DEFAULT_DB = Path("data/desk.db")


class StoreError(Exception):
    """A problem opening the database, worded for the person at the desk."""


class DatabaseBusy(StoreError):
    pass


class NotADatabase(StoreError):
    pass


class CorruptDatabase(StoreError):
    pass


class ReadOnly(StoreError):
    """A write asked of a store opened only for reading."""


def new_id() -> str:
    return str(uuid.uuid4())


def new_ids(count: int) -> list[str]:
    """`count` ids as new_id() makes them (random UUIDs, version 4), from one read of the system's
    randomness: a bulk write (an export marks thousands of scans) spends a third of its time on ids."""
    raw = bytearray(os.urandom(16 * count))
    ids = []
    for at in range(0, 16 * count, 16):
        raw[at + 6] = raw[at + 6] & 0x0F | 0x40  # version 4
        raw[at + 8] = raw[at + 8] & 0x3F | 0x80  # the RFC 4122 variant
        h = raw[at:at + 16].hex()
        ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return ids


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


class Store:
    """One open desk database and the lock that says this process holds it."""

    def __init__(self, conn: sqlite3.Connection, path: Path, lock_fd: int | None, clock: Clock,
                 check: "IntegrityCheck | None" = None) -> None:
        self.conn = conn
        self.path = path
        self._lock_fd = lock_fd
        self.clock = clock
        self._db: Database | None = None
        self._check = check
        self._drift: list[str] | None = None  # schema.drift as the integrity check read it
        # Rows that could not be written yet (read-only, locked, full), in order.
        self.pending: list[tuple[str, dict[str, Any]]] = []
        # Rows an earlier run left in the waiting files and not taken up here (read once).
        self._earlier: list[tuple[str, dict[str, Any]]] | None = None
        self._in_transaction = False
        self.set_aside = 0  # rows kept in memory that the database could never take (in the desk log)
        self._access = _access(path)  # SQLite opens a read-only file read-only, for good

    @classmethod
    def open(cls, path: Path | str, clock: Clock | None = None, check: str = "quick",
             lock_wait: float = 0.0, defer_check: bool = False) -> "Store":
        """Open (or create) the database for the desk or a command that writes, holding its
        single-instance lock; `lock_wait`: seconds to wait for another holder to let go.
        `defer_check`: the integrity check starts at start_check() (the desk: once its first
        screen is shown, so that it takes no processor time from the start-up) or at the
        first write, whichever comes first."""
        path = Path(path)
        clock = clock or SystemClock()
        if not path.parent.is_dir():
            raise StoreError(f"{path.parent} does not exist: check the --db path.")
        _refuse_non_sqlite(path)
        try:
            _make_private(path)  # made (0600) before the lock, which is also taken on the file itself
            lock_fd = _take_lock(path, lock_wait)
        except PermissionError:
            raise StoreError(_folder_refused(path)) from None
        background = None
        try:
            # Autocommit: each statement commits at once unless inside transaction().
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                if unknown(conn):
                    raise StoreError(newer_version_message(path, unknown(conn)))
                if pending(conn) or check == "full":
                    # About to write the schema (or asked to wait): check first, here.
                    _check_integrity(conn, path, check)
                elif check != "none":
                    # Reading a large file takes a while (0.4 s for five years): check on a
                    # second connection and thread, beside the app. Reads go ahead; every
                    # write waits for the verdict (see verify()).
                    background = IntegrityCheck(path, check, start=not defer_check)
                _configure(conn)
                migrate(conn)
            except BaseException:
                conn.close()
                raise
        except sqlite3.OperationalError as exc:
            try:
                conn = _open_exclusive(path)
            except sqlite3.Error:
                _release_lock(lock_fd)
                if path.exists() and not os.access(path.parent, os.W_OK):
                    raise StoreError(_folder_refused(path)) from exc  # the file may be fine: say so
                # Not the file's fault: say what stops it, and that nothing was changed.
                raise StoreError(
                    f"{path} could not be prepared for the desk ({exc}): the disk may be full, another "
                    "program may hold it, or it or its folder is read-only. It has not been changed. Free "
                    "some space, close the other program, or check the file's permissions, and start again."
                ) from exc
        except sqlite3.DatabaseError as exc:
            _release_lock(lock_fd)
            raise CorruptDatabase(
                f"{path} could not be opened as a desk database ({exc}). "
                "It has not been changed. Keep a copy and start with another --db file."
            ) from exc
        except BaseException:
            _release_lock(lock_fd)
            raise
        return cls(conn, path, lock_fd, clock, background)

    @staticmethod
    def open_read_only(path: Path | str, clock: Clock | None = None, older: bool = False) -> "ReadOnlyStore":
        """The one way a command that only reads opens the database: see ReadOnlyStore. `older`:
        a file from an earlier version is read as it stands (verify), not refused."""
        return ReadOnlyStore.open_file(Path(path), clock or SystemClock(), older)

    @property
    def read_only(self) -> bool:
        return False

    def verify(self) -> None:
        """Wait for the integrity check started at open; raise CorruptDatabase if it failed
        (again at every call: a file that failed its check is never written)."""
        check = self._check  # the app's watcher may clear it meanwhile (another thread)
        if check is not None:
            check.result()
            self._drift = check.drift
            self._check = None

    def rules_changed(self) -> str | None:
        """What the desk says when the file's schema is not what its migrations made (a trigger
        dropped, say): None when it is. The desk still records; the manager must know."""
        found = self._drift if self._drift is not None else drift(self.conn)  # read by the check, if one ran
        return drift_text(found) if found else None

    def start_check(self) -> None:
        """Start the integrity check deferred at open (nothing if it runs or has run)."""
        check = self._check
        if check is not None:
            check.start()

    def checked(self) -> bool | None:
        """The integrity check's verdict without waiting: True once it passed (or none was run),
        False if it failed, None while it runs (or waits to start)."""
        check = self._check
        if check is None:
            return True
        if not check.finished():
            return None
        try:
            self.verify()
        except CorruptDatabase:
            return False
        return True

    @property
    def db(self) -> "Database":
        """The same connection through sqlite-utils, for bulk work (demo data, migrations)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False)
        return self._db

    def now_iso(self) -> str:
        return to_iso(self.clock.now())

    def insert(self, table: str, row: dict[str, Any], keep_on_failure: bool = True) -> dict[str, Any]:
        """Insert one record and commit it (or its transaction) before returning.

        The one policy for a failed write: a write the disk refuses (read-only,
        full, locked; not a row its rules refuse, which is raised) is kept in
        memory (in order, behind any already waiting) and written by
        flush_pending(); the caller carries on, and nothing shown as done is
        lost (screens say "kept in memory", never "saved", while rows wait).
        Inside a transaction the error is raised (the caller's all-or-nothing).
        While rows wait, a kept write joins the queue without touching the
        database, so no key waits on a failing or locked database more than once.
        """
        row = {"id": new_id(), **row}
        if keep_on_failure and self.pending and not self._in_transaction:
            self._keep([(table, row)])
            return row
        try:
            self.verify()  # never write into a file that failed its check
            self._write(table, row)
        except (sqlite3.Error, CorruptDatabase) as exc:  # a file that failed its check refuses it, like a full disk
            if not keep_on_failure or self._in_transaction or _refused_row(exc):
                raise  # a row the rules refuse would be refused later too: said now, not kept
            self._keep([(table, row)])
        return row

    def _keep(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        """Hold rows the database refused, in order; also in a file beside it when the folder
        takes it (a read-only or locked database), so even a killed process loses nothing."""
        self.pending.extend(rows)
        self.save_waiting()

    def insert_all(self, rows: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Write rows together (all or nothing) or, if storage refuses, keep them all in order.
        Inside a caller's transaction they are written (or raise) with it, like insert()."""
        rows = [(table, {"id": made, **row}) for (table, row), made in zip(rows, new_ids(len(rows)), strict=True)]
        if not self.pending or self._in_transaction:
            try:
                self.verify()
                with self.transaction():
                    # One statement per run of a table's rows (an export marks thousands at once).
                    for (table, _), run in groupby(rows, lambda r: (r[0], tuple(r[1]))):
                        self._write(table, *(row for _, row in run))
                return [row for _, row in rows]
            except (sqlite3.Error, CorruptDatabase) as exc:
                # Inside a caller's transaction: theirs to handle; rows the rules refuse: said now.
                if self._in_transaction or _refused_row(exc):
                    raise
        self._keep(rows)
        return [row for _, row in rows]

    def _write(self, table: str, *rows: dict[str, Any]) -> None:
        """Rows of one table, each with the same columns, in one statement, chained (shift/chain.py)
        to the table's last row when really written: a row kept waiting is chained when it lands.
        Reading the last link and writing are one transaction (the caller's, if one is open on the
        connection), so nothing comes between."""
        if self.conn.in_transaction:
            self._insert_chained(table, rows)
        else:
            with self.transaction():
                self._insert_chained(table, rows)

    def _insert_chained(self, table: str, rows: tuple[dict[str, Any], ...]) -> None:
        sealed = chain.link(self.conn, table, rows)
        columns = ", ".join(sealed[0])
        marks = ", ".join("?" for _ in sealed[0])
        self.conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", [tuple(r.values()) for r in sealed])

    def write_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Bulk work (the demo, benchmarks): rows that have their ids, written now and in this order,
        chained like every other; an error is raised, nothing is kept waiting."""
        for _, run in groupby(rows, lambda r: list(r)):
            self._write(table, *run)

    def flush_pending(self) -> int:
        """Write what is waiting, oldest first; returns how many are still waiting.

        Called on a timer: it does not wait for another process's lock at all
        (the next try comes soon), so a locked database never stalls the desk.
        """
        if not self.pending:
            return 0
        if not self.checked():  # never into a file that failed its check; nor, without waiting, one being checked
            return len(self.pending)
        self._reopen_if_access_changed()
        self.conn.execute("PRAGMA busy_timeout=0")
        try:
            while self.pending:
                table, row = self.pending[0]
                try:
                    self._write(table, row)
                except sqlite3.Error as exc:
                    if not _refused_row(exc):
                        break  # storage still failing: the row waits, in order
                    if not self._written_before(table, row):
                        # A row this database can never take (its rules, or a waiting file from
                        # elsewhere): set aside, never silently: it is in the desk log in full, and
                        # the rows behind it are not held up by it.
                        log.error("a row kept in memory was refused by the database's rules (%s): %s %s",
                                  exc, table, json.dumps(row, default=str))
                        self.set_aside += 1
                    # else it was written before a failure was reported: nothing is lost
                self.pending.pop(0)
        finally:
            self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not self.pending and not self._earlier:
            for target in waiting_paths(self.path):  # everything is in the database now
                try:
                    target.unlink(missing_ok=True)
                except OSError:
                    pass  # another user's file in the shared temporary folder: never read (_read_waiting)
        return len(self.pending)

    def _written_before(self, table: str, row: dict[str, Any]) -> bool:
        try:
            return bool(self.rows(f"SELECT 1 AS x FROM {table} WHERE id = ?", (row.get("id"),)))
        except sqlite3.Error:
            return False

    def _reopen_if_access_changed(self) -> None:
        """A file that was read-only when opened stays read-only to that connection even once
        its permissions are restored: when they change, open it again."""
        now = _access(self.path)
        if not now or now == self._access:
            return
        # SQLite's -wal and -shm files were made read-only like the database was: they
        # follow the database's restored mode, or the new connection could not write either.
        mode = os.stat(self.path).st_mode & 0o666
        for side in (self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
            try:
                if side.exists() and side.stat().st_mode & 0o666 != mode:
                    os.chmod(side, mode)
            except OSError:
                pass  # not ours to change: the connection below will say whether it can write
        try:
            conn = sqlite3.connect(self.path, isolation_level=None)
            _configure(conn)
        except sqlite3.Error:
            return  # still not usable: the next try comes soon
        self._access = now
        self.conn.close()
        self.conn, self._db = conn, None

    def save_waiting(self) -> Path | None:
        """Write the rows still waiting for storage to a file, for when the desk closes (or dies)
        with storage still refusing them: the next start writes them in. Beside the database, or,
        when that folder takes nothing (a full disk), in the system's temporary folder. None when
        nothing waits, or when no file could be written."""
        if not self.pending:
            return None
        if self._earlier is None:
            self._earlier = [row for target in waiting_paths(self.path) for row in _read_waiting(target)]
        ids = {row["id"] for _, row in self.pending}
        earlier = [(t, r) for t, r in self._earlier if r["id"] not in ids]
        text = json.dumps([[table, row] for table, row in earlier + self.pending])
        for target in waiting_paths(self.path):
            try:
                if not target.parent.is_dir():  # this user's own folder, made on first need
                    target.parent.mkdir(mode=0o700, parents=True)
                replace_file(target, text.encode())  # whole or not at all, readable by the owner only
            except (OSError, FileRefused):
                continue
            return target
        return None

    def write_saved_waiting(self) -> int:
        """At start: take up the rows an earlier run left waiting and write them, in order.
        Those still refused stay waiting (and in the file); returns how many were written."""
        rows = [row for target in waiting_paths(self.path) for row in _read_waiting(target)]
        self._earlier = []  # taken up: they wait in self.pending from here on
        if not rows:
            return 0
        self.verify()  # never write into a file that failed its check
        self.pending.extend(rows)
        set_aside = self.set_aside
        still = self.flush_pending()  # the files go once everything is written
        return len(rows) - still - (self.set_aside - set_aside)

    def waiting(self, table: str, **match: Any) -> list[dict[str, Any]]:
        """Rows of `table` still waiting for storage whose columns equal `match`, oldest first.

        Readers that derive state from the log add these, so what the screen
        confirmed counts before the disk has it.
        """
        return [row for name, row in self.pending
                if name == table and all(row.get(k) == v for k, v in match.items())]

    def rows(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        cursor = self.conn.cursor()
        cursor.row_factory = _dict_row  # per cursor: sqlite-utils on the same connection wants tuples
        return cursor.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: committed together at the end, rolled back on any error."""
        if self._in_transaction:
            yield
            return
        self.verify()  # never write into a file that failed its check
        self.conn.execute("BEGIN IMMEDIATE")
        # Our own flag: SQLite may end a transaction by itself on an error (a full disk).
        self._in_transaction = True
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._in_transaction = False

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._lock_fd is None:
            return
        self.conn.close()
        _release_lock(self._lock_fd)
        self._lock_fd = None


class ReadOnlyStore(Store):
    """A desk database opened for reading only: the report and the incident export, also while
    a desk is open on the same file (SQLite's write-ahead log lets readers beside the writer).

    It takes no lock (a report printing never stops a desk from starting), runs no migration
    (a database that needs one says so: only the desk upgrades it) and never writes: not the
    database, not a waiting file, not a lock file, and it creates no -wal or -shm file.

    A desk keeps the database's -wal file while it is open. With none there, nobody is writing
    through the log, and the file is read as it stands (`immutable`): a plain read-only open of
    a WAL database would create the -wal and -shm files (and leave them, owned by whoever ran
    the report), and fails in a folder this user cannot write. One desk starting during such a
    read (well under a second) writes to its new log, not to the file read here; only its first
    checkpoint, after a thousand pages or when it closes, touches the file. With a -wal file
    there, the open goes through SQLite's shared memory like any reader: it sees every
    committed row, the desk's latest included, and never one still being written.
    """

    @classmethod
    def open_file(cls, path: Path, clock: Clock, older: bool = False) -> "ReadOnlyStore":
        if not path.exists():
            raise StoreError(f"{path} does not exist: there is no desk database there. Check the --db path.")
        _refuse_non_sqlite(path)
        if path.stat().st_size == 0:
            raise StoreError(f"{path} is empty: no desk has recorded anything in it yet.")
        # The log is found beside the real file: SQLite names it so, whatever link opened it.
        real = path.resolve()
        uri = f"file:{quote(str(real))}?mode=ro"
        wal = real.with_name(real.name + "-wal")
        if _wal_mode(real) and not wal.exists():
            if held_under_another_name(real):
                raise StoreError(
                    f"{path} is open in Solo Shift under another name for the same file (a hard link): the "
                    "desk's log, beside that name, holds entries not yet in this file, so what it read here "
                    "would be out of date. Give the name the desk was opened with, or close the desk first. "
                    "It has not been changed.")
            uri += "&immutable=1"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{path} could not be opened for reading ({exc}). It has not been changed.") from exc
        try:
            conn.execute("PRAGMA query_only=ON")
            conn.execute(f"PRAGMA busy_timeout={READ_BUSY_TIMEOUT_MS}")
            needed = pending(conn)
            newer = unknown(conn)
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseBusy(
                    f"{path} is held exclusively by the desk or another program, which keeps even readers "
                    "out (a desk that cannot make its shared-memory file, on a full disk, does). It has not "
                    "been changed. Try again in a moment, or once the desk is closed.") from exc
            shm = path.with_name(path.name + "-shm")
            if wal.exists() and not shm.exists():
                # SQLite reads a log only through its shared-memory file, which it could not make.
                raise StoreError(
                    f"{path} could not be read ({exc}): its log {wal.name} holds entries not yet in the file, "
                    f"and reading them needs a {shm.name} file, which could not be made in {path.parent}. "
                    "It has not been changed. Open the desk on it once (it takes the log in), or copy the "
                    "database with its -wal file to a folder you can write, then try again.") from exc
            raise StoreError(f"{path} could not be read ({exc}). It has not been changed.") from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptDatabase(f"{path} could not be read as a desk database ({exc}). "
                                  "It has not been changed.") from exc
        if newer:
            conn.close()
            raise StoreError(newer_version_message(path, newer))
        # Older, but from before the chain (014): nothing to walk until the desk seals it.
        if needed and (len(needed) == len(migration_names()) or not older or "014_chain" in needed):
            conn.close()
            if len(needed) == len(migration_names()):
                raise StoreError(f"{path} holds no desk records: it is not a Solo Shift database, or the "
                                 "desk has never opened it. Check the --db path.")
            raise StoreError(
                f"{path} was written by an earlier version of Solo Shift and needs an upgrade first, which "
                "only the desk makes: open the desk on it once (python main.py --db ...), then try again. "
                "It has not been changed.")
        store = cls(conn, path, None, clock)
        store.uri = uri
        return store

    uri = ""  # how it was opened: another reader attaches it the same way

    @property
    def read_only(self) -> bool:
        return True

    def damage(self) -> str | None:
        """What SQLite's quick check finds wrong with the file, for a warning above what is read
        from it (a report from a damaged file may be incomplete or wrong), or None."""
        try:
            _check_integrity(self.conn, self.path, "quick")
        except CorruptDatabase as exc:
            return str(exc).split(". It has not been changed")[0]
        except sqlite3.DatabaseError as exc:
            return f"{self.path} could not be checked ({exc})"
        return None

    def attach(self, other: "ReadOnlyStore", schema: str) -> None:
        """Read `other` (already opened, so checked) through this connection as `schema`, exactly
        as it was opened: read-only, and as it stands when no desk writes through its log."""
        self.conn.execute("ATTACH DATABASE ? AS " + schema, (other.uri,))

    def _refuse(self) -> ReadOnly:
        return ReadOnly(f"{self.path} is open for reading only: nothing can be recorded from here.")

    def insert(self, table: str, row: dict[str, Any], keep_on_failure: bool = True) -> dict[str, Any]:
        raise self._refuse()  # never kept in memory nor in a waiting file: nothing is written

    def insert_all(self, rows: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        raise self._refuse()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raise self._refuse()
        yield  # pragma: no cover

    def flush_pending(self) -> int:
        return 0

    def save_waiting(self) -> Path | None:
        return None

    def write_saved_waiting(self) -> int:
        return 0

    def close(self) -> None:
        self.conn.close()


def held_under_another_name(path: Path) -> bool:
    """A desk holds this file (its flock, _lock_the_file_itself) and it has other names."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        if os.fstat(fd).st_nlink < 2:
            return False
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # let go when the descriptor closes
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _wal_mode(path: Path) -> bool:
    """Whether the file's header says write-ahead logging (read and write versions 2)."""
    with path.open("rb") as fh:
        head = fh.read(20)
    return len(head) == 20 and head[18] == 2 and head[19] == 2


def _configure(conn: sqlite3.Connection) -> None:
    # Durability first: every confirmed entry must survive a power cut.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    # Short: a lock held by another process must never hold up a key for
    # long; a write it refuses waits in memory (see insert()).
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _open_exclusive(path: Path) -> sqlite3.Connection:
    """The desk on an up-to-date database whose folder takes no new file (a full disk: SQLite
    cannot make its shared-memory file): this process is the only user anyway (the lock file),
    so WAL works from private memory. Writes then wait in memory like any refused write."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        _configure(conn)
        if pending(conn):
            raise sqlite3.OperationalError("the database needs an upgrade, which needs room to write")
    except BaseException:
        conn.close()
        raise
    return conn


def _access(path: Path) -> tuple[int, ...]:
    """What decides whether the file can be written: its and its folder's mode and owner."""
    try:
        found = [os.stat(path), os.stat(path.parent)]
    except OSError:
        return ()
    return tuple(n for st in found for n in (st.st_mode, st.st_uid, st.st_gid))


def _refuse_non_sqlite(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise NotADatabase(f"{path} is a folder, not a desk database.")
    if not path.is_file():  # a FIFO would wait for ever for a writer, a device never end
        raise NotADatabase(f"{path} is not a regular file (a device or a pipe), not a desk database.")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_HEADER))
    if head and head != SQLITE_HEADER:  # an empty file is a new database
        raise NotADatabase(
            f"{path} is not a SQLite database (it starts with {head[:8]!r}). "
            "It has not been changed. Check the --db path."
        )


def _check_integrity(conn: sqlite3.Connection, path: Path, check: str) -> None:
    if check == "none":
        return
    pragma = "quick_check" if check == "quick" else "integrity_check"
    result = [row[0].replace("*** in database main ***\n", "") for row in conn.execute(f"PRAGMA {pragma}")]
    if result != ["ok"]:
        raise CorruptDatabase(
            f"{path} failed its integrity check: {'; '.join(result[:3])}. "
            "It has not been changed. Keep a copy for recovery and start with another --db file."
        )


class IntegrityCheck:
    """PRAGMA quick_check on its own connection and thread (SQLite releases the GIL)."""

    def __init__(self, path: Path, check: str, start: bool = True) -> None:
        self._error: BaseException | None = None
        self.drift: list[str] | None = None  # schema.drift, read on this thread too (None: not read)
        self._thread = threading.Thread(target=self._run, args=(path, check), daemon=True)
        self._started = False
        if start:
            self.start()

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def _run(self, path: Path, check: str) -> None:
        try:
            conn = sqlite3.connect(path)
            try:
                _check_integrity(conn, path, check)
                # Built by running the migrations in memory: here, not on the desk's own loop.
                self.drift = drift(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            self._error = CorruptDatabase(f"{path} could not be read ({exc}). It has not been changed.")
        except CorruptDatabase as exc:
            self._error = exc

    def finished(self) -> bool:
        return self._started and not self._thread.is_alive()

    def result(self) -> None:
        self.start()  # a write before the deferred start: checked now
        self._thread.join()
        if self._error is not None:
            raise self._error


def _refused_row(exc: Exception) -> bool:
    """The row itself cannot be written (a rule, an unknown table or column, a value of no
    SQL type), as against storage refusing every write for now (read-only, full, locked)."""
    if isinstance(exc, (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError)):
        return True
    return any(words in str(exc) for words in ("no such table", "no column named", "has no column"))


def _read_waiting(target: Path) -> list[tuple[str, dict[str, Any]]]:
    """The rows a waiting file holds. A file that cannot be read as such (cut short by a full
    disk, edited by hand) is set aside under another name, and said in the desk log, so that
    it never stops the desk from starting and nothing in it is lost."""
    try:
        found = json.loads(read_small_file(target, WAITING_LIMIT, own=True).decode("utf-8"))
        rows = [(table, row) for table, row in found]
        if all(isinstance(table, str) and isinstance(row, dict) for table, row in rows):
            return rows
        raise ValueError("not a list of [table, row] pairs")
    except FileNotFoundError:
        return []
    except FileRefused as exc:
        # Rows from a file someone else could have written would be chained into the record as the
        # desk's own: never read, left where it is (in a shared temporary folder it is not ours to move).
        log.error("entries waiting for storage were not taken from %s: %s", target, exc)
        return []
    except (OSError, ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        aside = target.with_name(f"{target.name}.unreadable-{int(time.time())}")
        try:
            os.replace(target, aside)
        except OSError:
            aside = target
        log.error("entries waiting for storage could not be read from %s (%s): set aside as %s", target, exc, aside)
        return []


def waiting_paths(path: Path) -> list[Path]:
    """Where rows that never reached the database wait for the next start: beside it, or, when
    that folder takes nothing, in this user's own folder for it (~/.local/state/solo-shift, made
    0700: nobody else can plant a file there or take the place), or in the temporary folder,
    each under a name made from the database's path."""
    real = path.resolve()  # beside the real file: every name for it (a symlink, a linked folder) finds it
    digest = hashlib.sha256(str(real).encode()).hexdigest()[:16]
    return [real.with_name(real.name + ".waiting.json"),
            Path.home() / ".local" / "state" / "solo-shift" / f"{digest}.waiting.json",
            Path(tempfile.gettempdir()) / f"solo-shift-{digest}.waiting.json"]


def write_refused(path: Path, exc: BaseException) -> str:
    """Why a command's write to the database failed, for the person, and what to do."""
    return (f"{path} could not be written ({exc}): it or its folder may be read-only, the disk may be "
            "full, or another program may hold it. Nothing was changed in it. Check the file's "
            "permissions and the free space, close the other program, and try again.")


def _folder_refused(path: Path) -> str:
    found = f"{path} is there, but its" if path.exists() else "The"
    return (f"{found} folder {path.parent} cannot be written by this user, and the desk keeps its working "
            "files beside the database (its log, its lock). Nothing was changed. Ask for write access to "
            "the folder, or choose another --db path (a copy of the database in a folder you can write). "
            "The report and the incident export can read it where it is.")


def _make_private(path: Path) -> None:
    """The database holds card numbers and incident reports: readable by its owner only.
    A new file is made 0600 before SQLite opens it (its -wal and -shm files take the
    database's mode); an existing one of ours that others could read is tightened."""
    make_private(path)
    for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        make_private(side, create=False)


def lock_path(path: Path) -> Path:
    # Beside the real file: a symlink to the database, or a path through a linked folder,
    # must meet the same lock, or two desks would write into one open shift.
    real = path.resolve()
    return real.with_name(real.name + ".lock")


def _take_lock(path: Path, wait: float = 0.0) -> int:
    """An advisory lock beside the database; the kernel drops it when the process dies.
    `wait`: seconds to keep trying while another process holds it."""
    lp = lock_path(path)
    fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "an unknown process"
            os.close(fd)
            raise DatabaseBusy(
                f"{path} is already open in another copy of Solo Shift ({holder}). "
                "Switch to that window, or close it first."
            ) from None
    try:
        _lock_the_file_itself(fd, path)
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()}".encode(), 0)
    return fd


# The lock file is found by name; a hard link is another name for the same file. So the
# database file itself is locked too (flock, which SQLite's own POSIX locks never meet),
# through a descriptor kept until the lock is released, after the connection is closed:
# closing a descriptor of the file would drop SQLite's locks held in this process.
_FILE_LOCKS: dict[int, int] = {}  # lock file descriptor -> database file descriptor


def _lock_the_file_itself(lock_fd: int, path: Path) -> None:
    if not path.exists():
        return  # nothing to share a name with yet (restore checks for the file under the lock)
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseBusy(
            f"{path} is already open in another copy of Solo Shift, under another name for the same "
            "file (a hard link). Switch to that window, or close it first.") from None
    _FILE_LOCKS[lock_fd] = fd


@contextmanager
def holding_lock(path: Path, wait: float = 0.0) -> Iterator[None]:
    """The desk's single-instance lock without opening the database (restoring a backup over
    it): DatabaseBusy while a desk or a command holds it."""
    fd = _take_lock(path, wait)
    try:
        yield
    finally:
        _release_lock(fd)


def _release_lock(fd: int | None) -> None:
    if fd is not None:
        held = _FILE_LOCKS.pop(fd, None)
        if held is not None:
            os.close(held)
        os.close(fd)


def resolve_db_path(cli_value: str | None) -> Path:
    return Path(cli_value or os.environ.get(DB_ENV) or DEFAULT_DB)

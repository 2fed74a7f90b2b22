"""Backups of the desk database: rotating copies made with SQLite's backup API.

A copy is made at the end of each shift and at least once a day while the desk runs,
and by `python main.py backup`. Each copy is a whole, consistent database (the backup
API copies the pages as of one moment, also while the desk writes), written 0600 under
a temporary name and renamed into place, so a half-written copy never looks like a
backup. The newest `keep` copies are kept in the backup folder, and in a second folder
(a network share) when the site names one. `restore` puts a copy back, only after
checking it and never over the live database unless asked.

    [backup]
    folder = "backups"        # beside the database unless absolute
    keep = 14                 # copies kept in each folder
    copy_to = ""              # a second folder, e.g. a mounted network share
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import sqlite3
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator, NamedTuple
from urllib.parse import quote

from shift import chain
from shift.files import unused_path
from shift.tomlsrc import Section

DAILY = timedelta(hours=24)
_NAME = re.compile(r"^(?P<stem>.+)-(?P<at>\d{8}-\d{6})\.db$")


def backup_stem(db_path: Path) -> str:
    """The start of this database's copies' names: its name and a short mark of the file and
    the machine, so that two desks' `desk.db` sharing a folder never rotate away each other's."""
    mark = hashlib.sha256(f"{socket.gethostname()}:{db_path.resolve()}".encode()).hexdigest()[:8]
    return f"{db_path.stem}-{mark}"


class BackupSettings(NamedTuple):
    folder: str = "backups"
    keep: int = 14
    copy_to: str = ""

    def folders(self, db_path: Path) -> list[Path]:
        """Where copies go: the backup folder (beside the database unless absolute), then the
        second folder if any."""
        found = [db_path.parent / self.folder]
        if self.copy_to:
            found.append(Path(self.copy_to))
        return found


def read_backup(root: Section) -> BackupSettings:
    sec = root.table("backup")
    if sec is None:
        return BackupSettings()
    folder = sec.text("folder", "backups", required=False) or "backups"
    keep = sec.get("keep", (int,), "a whole number of copies, such as 14", 14)
    if isinstance(keep, int) and not 1 <= keep <= 1000:
        sec.error("keep", f"{keep} copies: keep between 1 and 1000")
        keep = 14
    copy_to = sec.text("copy_to", "")
    if copy_to and not Path(copy_to).is_absolute():
        sec.error("copy_to", f"'{copy_to}' is not an absolute path (a second folder, such as a network share)")
        copy_to = ""
    sec.finish()
    return BackupSettings(folder, keep, copy_to)


class Backup(NamedTuple):
    path: Path
    at: datetime  # when it was made (local time of the machine, from its name)


def backups(folder: Path, stem: str) -> list[Backup]:
    """The copies of the database named `stem` in `folder`, newest first."""
    found = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = _NAME.match(name)
        if match and match["stem"] == stem:
            found.append(Backup(folder / name, datetime.strptime(match["at"], "%Y%m%d-%H%M%S")))
    return sorted(found, key=lambda b: b.at, reverse=True)


def due(settings: BackupSettings, db_path: Path, last_shift_end: datetime | None, now: datetime) -> bool:
    """A copy is due when a shift has ended since the newest copy (or there is none yet), and
    when the newest is a day old. `now` and `last_shift_end` are aware; names carry the
    machine's local time."""
    newest = backups(db_path.parent / settings.folder, backup_stem(db_path))
    made = newest[0].at.astimezone() if newest else None  # naive local time, as in the name
    if last_shift_end is not None and (made is None or last_shift_end > made):
        return True
    return made is not None and now - made >= DAILY


class Outcome(NamedTuple):
    written: list[Path]
    problems: list[str]  # one line per folder that did not get its copy

    @property
    def ok(self) -> bool:
        return bool(self.written) and not self.problems

    def summary(self) -> str:
        done = [f"Backup written: {p}" for p in self.written]
        return "\n".join(done + [f"Backup NOT written: {p}" for p in self.problems])


def make_backup(db_path: Path, settings: BackupSettings, now: datetime | None = None) -> Outcome:
    """Copy the database into each backup folder, then keep only the newest `keep` there.
    Never raises: what failed is in the outcome, for the screen or the command to say."""
    stamp = (now or datetime.now()).astimezone().strftime("%Y%m%d-%H%M%S")
    stem = backup_stem(db_path)
    name = f"{stem}-{stamp}.db"
    written, problems = [], []
    unfit = _not_restorable(db_path)
    if unfit:  # a copy of a damaged file is no backup: the earlier ones are kept as they are
        return Outcome([], [f"{db_path}: not copied: {unfit}"])
    first: Path | None = None
    for number, folder in enumerate(settings.folders(db_path)):
        target = folder / name
        try:
            if number == 0:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            elif not folder.is_dir():  # an unmounted share must not quietly become a local folder
                raise OSError(f"{folder} is not there (is the share mounted?)")
            if first is None:
                _copy_database(db_path, target)
                first = target
            else:
                _copy_file(first, target)
        except (OSError, sqlite3.Error) as exc:
            problems.append(f"{folder}: {getattr(exc, 'strerror', None) or exc}")
            continue
        written.append(target)
        _rotate(folder, stem, settings.keep)
    return Outcome(written, problems)


def _copy_database(db_path: Path, target: Path) -> None:
    """SQLite's backup API from the read-only connection the report uses: a consistent copy
    while the desk writes, and nothing left beside the database when none does."""
    with _written_beside(target) as tmp:
        source = sqlite3.connect(_read_only_uri(db_path), uri=True)
        try:
            copy = sqlite3.connect(tmp)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        finally:
            source.close()


def _read_only_uri(path: Path) -> str:
    """As ReadOnlyStore reads (an earlier version's file too): through the log while a desk
    writes, else the file as it stands, making no -wal or -shm beside it. Raises an
    OperationalError for a hard link to a file a desk holds (its log is under the other name)."""
    from shift.store import held_under_another_name

    real = path.resolve()  # the log is beside the real file, whatever link names it
    writing = real.with_name(real.name + "-wal").exists()
    if not writing and held_under_another_name(real):
        raise sqlite3.OperationalError("a desk holds it under another name (a hard link), with its log beside "
                                       "that name: back it up by that name")
    return f"file:{quote(str(real))}?mode=ro" + ("" if writing else "&immutable=1")


def _copy_file(source: Path, target: Path) -> None:
    with _written_beside(target) as tmp:
        shutil.copyfile(source, tmp)


@contextmanager
def _written_beside(target: Path, before_rename: Callable[[], None] = lambda: None) -> Iterator[str]:
    """A temporary file (0600) beside `target` to write; once written, fsynced and renamed into
    place (after `before_rename`), so a half-written file never has the name. Gone on failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        _fsync(Path(tmp))
        before_rename()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _rotate(folder: Path, stem: str, keep: int) -> None:
    for old in backups(folder, stem)[keep:]:
        try:
            old.path.unlink()
        except OSError:
            pass  # a copy that cannot be removed is only one more kept


CHAINED = "014_chain"  # the migration from which every row carries its chain


def _not_restorable(path: Path) -> str | None:
    """Why a file is not a backup this version can put back, or None. An earlier version's
    backup is fine: the desk upgrades it when it opens it."""
    from shift.schema import drift, migration_names, pending, unknown

    if not path.exists():
        return "there is no such file"
    if not path.is_file():
        return "it is not a regular file (a folder, a device or a pipe)"
    try:
        with open(path, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return "it is not a SQLite database"
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True)
        try:
            checked = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if checked != ["ok"]:
                return f"it fails its integrity check ({'; '.join(checked[:2])})"
            if unknown(conn):
                return f"it was written by a newer version of Solo Shift ({unknown(conn)[0]})"
            needed = pending(conn)
            if len(needed) == len(migration_names()):
                return "it holds no desk records (not a Solo Shift database)"
            changed = drift(conn)
            if changed:  # a rule dropped (a trigger) lets rows change without a trace
                return f"its rules were changed outside Solo Shift ({'; '.join(changed[:3])})"
            if CHAINED not in needed:  # sealed: a copy changed outside the desk is not put back
                broken = [v.broken for v in chain.verify(conn) if v.broken]
                if broken:
                    return f"its record does not verify ({broken[0].text()})"
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"it cannot be read ({exc})"
    return None


class RestoreRefused(Exception):
    """The backup was not restored; the message says why and what to do."""


def restore(backup_file: Path, db_path: Path, force: bool = False, now: datetime | None = None) -> str:
    """Put a backup in place of the desk database, after checking it is a whole desk database
    this version can read. A live database is never overwritten without `force`; with it, the
    live file (and its -wal and -shm, which may hold entries not yet in it) is kept beside as
    `<name>.before-restore-<time>`. Refused while a desk or a command holds the database."""
    from shift.store import DatabaseBusy, holding_lock

    problem = _not_restorable(backup_file)
    if problem:
        raise RestoreRefused(f"{backup_file} cannot be restored: {problem}. Nothing was changed.")
    # The real file, not a symlink naming it: replacing the link would leave the database every
    # other name opens as it was, and the restored one beside it.
    db_path = db_path.resolve()
    stamp = (now or datetime.now()).astimezone().strftime("%Y%m%d-%H%M%S")
    aside = unused_path(db_path.parent, f"{db_path.name}.before-restore-{stamp}", "")
    try:
        with holding_lock(db_path):
            if db_path.exists() and not force:
                raise RestoreRefused(
                    f"{db_path} exists: restoring would replace it. Run again with --force to restore; "
                    f"the current file is then kept beside it as {aside.name}.")
            def keep_the_live_one() -> None:  # with its -wal and -shm, which may hold entries
                for suffix in ("", "-wal", "-shm"):
                    live = db_path.with_name(db_path.name + suffix)
                    if live.exists():
                        os.replace(live, aside.with_name(aside.name + suffix))

            with _written_beside(db_path, before_rename=keep_the_live_one) as tmp:
                shutil.copyfile(backup_file, tmp)
    except DatabaseBusy as exc:
        raise RestoreRefused(f"{exc} A backup is restored only while no desk is open on the database.") from exc
    except OSError as exc:
        raise RestoreRefused(f"{db_path} could not be replaced: {exc.strerror or exc}. Nothing was changed.") from exc
    before = f" The database it replaced is kept as {aside.name}." if aside.exists() else ""
    return f"Restored {backup_file} as {db_path}.{before}"

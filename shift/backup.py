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

import os
import re
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from shift import chain
from shift.tomlsrc import Section

DAILY = timedelta(hours=24)
_NAME = re.compile(r"^(?P<stem>.+)-(?P<at>\d{8}-\d{6})\.db$")


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
    newest = backups(db_path.parent / settings.folder, db_path.stem)
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
    name = f"{db_path.stem}-{stamp}.db"
    written, problems = [], []
    first: Path | None = None
    for folder in settings.folders(db_path):
        target = folder / name
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if first is None:
                _copy_database(db_path, target)
                first = target
            else:
                _copy_file(first, target)
        except (OSError, sqlite3.Error) as exc:
            problems.append(f"{folder}: {getattr(exc, 'strerror', None) or exc}")
            continue
        written.append(target)
        _rotate(folder, db_path.stem, settings.keep)
    return Outcome(written, problems)


def _copy_database(db_path: Path, target: Path) -> None:
    """SQLite's backup API from the read-only connection the report uses: a consistent copy
    while the desk writes, and nothing left beside the database when none does."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)  # 0600
    os.close(fd)
    try:
        # As ReadOnlyStore reads (an earlier version's file too): through the log while a desk
        # writes, else the file as it stands, making no -wal or -shm beside it.
        writing = db_path.with_name(db_path.name + "-wal").exists()
        uri = f"file:{quote(str(db_path.absolute()))}?mode=ro" + ("" if writing else "&immutable=1")
        source = sqlite3.connect(uri, uri=True)
        try:
            copy = sqlite3.connect(tmp)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        finally:
            source.close()
        _fsync(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_file(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        _fsync(Path(tmp))
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
    from shift.schema import migration_names, pending, unknown

    if not path.is_file():
        return "there is no such file"
    with open(path, "rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return "it is not a SQLite database"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro&immutable=1", uri=True)
        try:
            checked = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if checked != ["ok"]:
                return f"it fails its integrity check ({'; '.join(checked[:2])})"
            if unknown(conn):
                return f"it was written by a newer version of Solo Shift ({unknown(conn)[0]})"
            needed = pending(conn)
            if len(needed) == len(migration_names()):
                return "it holds no desk records (not a Solo Shift database)"
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
    stamp = (now or datetime.now()).astimezone().strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    try:
        with holding_lock(db_path):
            if db_path.exists() and not force:
                raise RestoreRefused(
                    f"{db_path} exists: restoring would replace it. Run again with --force to restore; "
                    f"the current file is then kept beside it as {aside.name}.")
            fd, tmp = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".part", dir=db_path.parent)
            os.close(fd)
            try:
                shutil.copyfile(backup_file, tmp)
                _fsync(Path(tmp))
                kept = []
                for suffix in ("", "-wal", "-shm"):
                    live = db_path.with_name(db_path.name + suffix)
                    if live.exists():
                        os.replace(live, aside.with_name(aside.name + suffix))
                        kept.append(aside.name + suffix)
                os.replace(tmp, db_path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except DatabaseBusy as exc:
        raise RestoreRefused(f"{exc} A backup is restored only while no desk is open on the database.") from exc
    except OSError as exc:
        raise RestoreRefused(f"{db_path} could not be replaced: {exc.strerror or exc}. Nothing was changed.") from exc
    before = f" The database it replaced is kept as {aside.name}." if aside.exists() else ""
    return f"Restored {backup_file} as {db_path}.{before}"

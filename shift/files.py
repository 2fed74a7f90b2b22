"""Writing files all or nothing: a file a person asked for never over an existing one;
the desk's own small files (its settings) replaced whole."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


class FileRefused(Exception):
    """The file was not written (or read); the message says why, for the person."""


def read_small_file(path: Path, limit: int, own: bool = False) -> bytes:
    """A file the desk is given (site, procedure, law, blocked list), read whole, but only a
    regular file of at most `limit` bytes: a FIFO would wait forever for a writer, /dev/zero
    never ends, and a mistaken multi-gigabyte file would fill memory. Raises FileNotFoundError,
    or FileRefused saying what is wrong. `own`: a file the desk wrote for itself, read only if it
    is still this user's and nobody else could have written it (not a symlink either): one in a
    shared folder such as /tmp could have been put there by anyone."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | (os.O_NOFOLLOW if own else 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("not a regular file (a folder, a device or a pipe): give the path of a file")
        if own and (info.st_uid != os.getuid() or info.st_mode & 0o022):
            raise FileRefused(f"not read: owned by user {info.st_uid} with mode {stat.S_IMODE(info.st_mode):04o}, "
                              "so someone else could have written it")
        data = handle.read(limit + 1)
    if len(data) > limit:
        size = f"{limit // 1_000_000} MB" if limit >= 1_000_000 else f"{limit // 1000} KB"  # a pins file: 200 KB
        raise FileRefused(f"larger than {size}: not a file meant for this (check the path)")
    return data


def make_private(path: Path, create: bool = True) -> None:
    """Readable by its owner only: made 0600 when missing (`create`), and an existing one of
    this user's that others could read is tightened. Quiet when it cannot be: a folder that
    takes nothing, or a file that is not ours to change, is said by whatever opens it next."""
    if create:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return
        except FileExistsError:
            pass
        except OSError:
            return
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            os.chmod(path, info.st_mode & 0o700)
    except OSError:
        pass  # missing, or not ours to change


def unused_path(folder: Path, stem: str, suffix: str) -> Path:
    """`folder/stem.suffix`, or with -2, -3 … when that name is taken (suggested names never clash)."""
    candidate = folder / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def write_new_file(path: Path, data: bytes, create_folder: bool = False) -> None:
    """All or nothing: a temporary file in the same folder, fsynced, renamed into place."""
    try:
        if create_folder:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # its files hold card numbers
        if path.is_dir():
            raise FileRefused(f"{path} is a folder: give a file name")
        if path.exists():
            # An earlier export not yet uploaded would be lost with no trace.
            raise FileRefused(f"{path} already exists: choose another name (nothing was written)")
        if not path.parent.is_dir():
            raise FileRefused(f"{path.parent} does not exist: choose another folder (nothing was written)")
    except OSError as exc:
        raise FileRefused(f"Cannot write {path}: {exc.strerror or exc} (nothing was written)") from exc
    _write_whole(path, data)


def replace_file(path: Path, data: bytes) -> None:
    """All or nothing over an existing file: a crash leaves the old file or the new, never half."""
    if path.is_dir():
        raise FileRefused(f"{path} is a folder: give a file name")
    if not path.parent.is_dir():
        raise FileRefused(f"{path.parent} does not exist (nothing was written)")
    _write_whole(path, data)


def _write_whole(path: Path, data: bytes) -> None:
    """A temporary file in the same folder, fsynced, renamed into place."""
    try:
        # mkstemp makes it readable by its owner only: it holds card numbers.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise FileRefused(f"Cannot write {path}: {exc.strerror or exc} (nothing was written)") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise FileRefused(f"Cannot write {path}: {exc.strerror or exc} (nothing was written)") from exc


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut (not possible on every file system)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

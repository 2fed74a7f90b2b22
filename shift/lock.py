"""The lock screen's rules: staff PINs, the slowdown after wrong tries, the idle lock, the record.

The desk runs on a shared terminal in a public building and shows card numbers and
incident reports: when the worker walks away it locks (a key, or after the site's
idle minutes) until a staff PIN is entered. The PINs live in a file beside the site
file (`data/pins.toml`, mode 0600, like the mail password file), written only by
`python main.py pin set NAME` / `pin remove NAME`. A file rather than rows in the
desk database: the coordinator manages staff, not the desk; one file serves every
desk database on the machine; it can be changed while the desk is open (the desk
reads it at each try); and removing a person's PIN really removes it, which an
append-only table never would. Each entry is an scrypt hash with its own random
salt and its parameters: the PIN itself is kept nowhere.

Locks, unlocks and wrong tries are recorded (append-only, `lock_events`), never
the PIN typed. Nothing here imports Textual: tui/lock.py renders these decisions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, NamedTuple

from shift.clock import from_iso, to_iso
from shift.files import FileRefused, read_small_file, replace_file

if TYPE_CHECKING:
    from shift.store import Store

# scrypt as recommended for interactive logins: 16 MiB of memory, a few tens of ms a try.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
DIGEST_BYTES = 32
_MAXMEM = 64 * 1024 * 1024  # refuses parameters from a tampered file that would eat the machine
PIN_DIGITS = (4, 12)
NAME_LONGEST = 40
PINS_LIMIT = 200_000  # a pins file is a few kilobytes

FREE_TRIES = 3  # wrong tries before the desk starts to wait
LONGEST_WAIT = timedelta(seconds=60)
IDLE_LONGEST = 240.0  # minutes: longer, and the lock would hardly ever come on by itself
DEFAULT_IDLE = 5.0


class LockConfig(NamedTuple):
    """[lock] in the site file."""
    idle_minutes: float = DEFAULT_IDLE  # 0: only the lock key locks
    pins_file: str = ""  # resolved by the site loader; "" (no site file read): no PINs

    @property
    def idle(self) -> timedelta | None:
        return timedelta(minutes=self.idle_minutes) if self.idle_minutes > 0 else None


class PinHash(NamedTuple):
    name: str
    salt: bytes
    digest: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P
    set_at: str = ""


# -- PINs -----------------------------------------------------------------------


def pin_problem(pin: str) -> str:
    """Why a PIN is refused when it is set, or "" when it may be used."""
    low, high = PIN_DIGITS
    if not re.fullmatch(r"[0-9]+", pin):
        return "a PIN is digits only (the lock screen's field takes nothing else)"
    if not low <= len(pin) <= high:
        return f"a PIN has {low} to {high} digits"
    if len(set(pin)) == 1:
        return "every digit is the same: anyone would guess it"
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {-1}):
        return "digits in a row (like 1234 or 9876): anyone would guess it"
    return ""


def name_problem(name: str) -> str:
    if not name.strip():
        return "give the person's name"
    if len(name) > NAME_LONGEST:
        return f"a name has at most {NAME_LONGEST} characters"
    if not name.isprintable():
        return "a name cannot hold control characters"
    return ""


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=DIGEST_BYTES)


def hash_pin(name: str, pin: str, now: datetime | None = None) -> PinHash:
    salt = secrets.token_bytes(SALT_BYTES)
    return PinHash(name, salt, _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P), set_at=to_iso(now) if now else "")


def matches(entry: PinHash, pin: str) -> bool:
    try:
        digest = _scrypt(pin, entry.salt, entry.n, entry.r, entry.p)
    except (ValueError, MemoryError):  # parameters scrypt refuses: that entry opens nothing
        return False
    return hmac.compare_digest(digest, entry.digest)


def verify(pins: Iterable[PinHash], pin: str) -> str | None:
    """Whose PIN this is, or None. Slow on purpose (scrypt): call it off the desk's loop."""
    found = None
    for entry in pins:  # every entry is tried, so the time taken does not say whose it was
        if matches(entry, pin) and found is None:
            found = entry.name
    return found


# -- the pins file ----------------------------------------------------------------


def pins_file_problem(path: str) -> tuple[str, bool]:
    """What `check` says about the pins file, and whether it is an error: ("", False) when it
    holds at least one PIN and only its owner can read it."""
    from shift.problems import display_path

    if not path:
        return "no site file read: the lock is off", False
    shown = display_path(Path(path))
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return (f"no staff PIN is set ({shown} does not exist): the lock key only says so and the screen "
                "never locks by itself; set one with: python main.py pin set NAME"), False
    except OSError as exc:
        return f"cannot look at {shown} ({exc.strerror})", True
    if not stat.S_ISREG(info.st_mode):
        return f"{shown} is not a regular file", True
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        return f"{shown} can be read or changed by others (mode {mode:04o}): run chmod 600 {shown}", True
    try:
        pins = read_pins(Path(path))
    except FileRefused as exc:
        return str(exc), True
    if not pins:
        return (f"no staff PIN is set in {shown}: the lock key only says so and the screen never locks by "
                "itself; set one with: python main.py pin set NAME"), False
    return "", False


def read_pins(path: Path) -> list[PinHash]:
    """The PINs in the file ([] when it does not exist); FileRefused when it cannot be used."""
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            raise FileRefused(f"{path} can be read or changed by others: run chmod 600 {path}")
        data = read_small_file(path, PINS_LIMIT)
    except FileNotFoundError:
        return []
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FileRefused(f"{path} is not a pins file written by `pin set` ({exc})") from None
    table = parsed.get("pins", {})
    pins = []
    try:
        for name, entry in table.items():
            pins.append(PinHash(name, bytes.fromhex(entry["salt"]), bytes.fromhex(entry["hash"]),
                                int(entry["n"]), int(entry["r"]), int(entry["p"]), str(entry.get("set_at", ""))))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise FileRefused(f"{path}: an entry is damaged ({type(exc).__name__}: {exc}); set that PIN again") from None
    return pins


def write_pins(path: Path, pins: Iterable[PinHash]) -> None:
    """The whole file, replaced at once (mode 0600: mkstemp makes it so)."""
    lines = ["# Staff PINs for the desk's lock screen. Written by `python main.py pin set NAME`",
             "# and `pin remove NAME`; do not edit. Each is an scrypt hash with its own salt:",
             "# the PINs themselves are not kept anywhere. Keep this file mode 0600.", ""]
    for entry in pins:
        # json.dumps of printable text is also a valid TOML string (names with control characters are refused).
        lines += [f"[pins.{json.dumps(entry.name, ensure_ascii=False)}]",
                  f"n = {entry.n}", f"r = {entry.r}", f"p = {entry.p}",
                  f'salt = "{entry.salt.hex()}"', f'hash = "{entry.digest.hex()}"']
        if entry.set_at:
            lines.append(f'set_at = "{entry.set_at}"')
        lines.append("")
    replace_file(path, "\n".join(lines).encode("utf-8"))


def set_pin(path: Path, name: str, pin: str, now: datetime) -> bool:
    """Set (or change) one person's PIN; True when it replaced one. Raises ValueError for a
    refused name or PIN (the message says why), FileRefused when the file cannot be used."""
    problem = name_problem(name) or pin_problem(pin)
    if problem:
        raise ValueError(problem)
    pins = read_pins(path)
    others = [p for p in pins if p.name != name]
    if verify(others, pin) is not None:
        raise ValueError("someone else has this PIN: choose another (each PIN says who unlocked)")
    write_pins(path, others + [hash_pin(name, pin, now)])
    return len(others) != len(pins)


def remove_pin(path: Path, name: str) -> bool:
    pins = read_pins(path)
    kept = [p for p in pins if p.name != name]
    if len(kept) == len(pins):
        return False
    write_pins(path, kept)
    return True


# -- the slowdown after wrong tries -----------------------------------------------


def wait_after(wrong: int) -> timedelta:
    """How long the next try waits after `wrong` wrong tries in a row: nothing for the first
    three, then 2, 4, 8 … seconds, at most a minute."""
    if wrong < FREE_TRIES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (wrong - FREE_TRIES + 1)), LONGEST_WAIT)


@dataclass
class Tries:
    """Wrong tries since the last unlock. The wait runs from the last wrong try on the desk's
    clock: pressing keys (or Enter again) neither shortens nor restarts it, and a try made
    during it is not checked at all, so it cannot be used to guess faster."""
    wrong_at: list[datetime] = field(default_factory=list)

    @property
    def wrong(self) -> int:
        return len(self.wrong_at)

    def wait_left(self, now: datetime) -> timedelta:
        """Never more than wait_after allows: a last wrong try later than `now` (the clock was set
        back, by hand or NTP, or the desk restarted with an earlier one) counts from `now`, so the
        wait still ends within a minute rather than when the clock catches up."""
        if not self.wrong_at:
            return timedelta(0)
        if self.wrong_at[-1] > now:
            self.wrong_at[-1] = now
        return max(timedelta(0), self.wrong_at[-1] + wait_after(self.wrong) - now)

    def failed(self, now: datetime) -> None:
        self.wrong_at.append(now)

    def clear(self) -> None:
        self.wrong_at.clear()


def wait_text(left: timedelta) -> str:
    seconds = max(1, int(-(-left.total_seconds() // 1)))  # rounded up: never "0 s" while waiting
    return f"Wait {seconds} s before the next try."


# -- the idle lock -----------------------------------------------------------------


def idle_due(last_activity: datetime, now: datetime, config: LockConfig) -> bool:
    """Whether the desk locks itself now: idle (no key, no mouse) for the site's idle minutes."""
    idle = config.idle
    return idle is not None and now - last_activity >= idle


# -- the record ---------------------------------------------------------------------

TABLE = "lock_events"
KINDS = ("locked", "unlocked", "wrong_pin")


def record(store: "Store", kind: str, shift_id: str | None, how: str = "", who: str = "") -> None:
    """One lock event, written before the screen changes (kept in memory if storage refuses).
    `how`: "key" or "idle" for a lock; `who`: the name whose PIN unlocked. Never the PIN."""
    if kind not in KINDS:
        raise ValueError(f"unknown lock event {kind!r}")
    store.insert(TABLE, {"shift_id": shift_id, "kind": kind, "at": store.now_iso(), "how": how, "who": who})


def _events_since_unlock(store: "Store") -> list[dict]:
    # In the order written (rowid), not by time: a clock set back must not drop wrong tries made
    # after the last unlock out of the count.
    last = store.rows(f"SELECT max(rowid) AS n FROM {TABLE} WHERE kind = 'unlocked'")[0]["n"] or 0
    rows = store.rows(f"SELECT kind, at FROM {TABLE} WHERE rowid > ? ORDER BY rowid", (last,))
    rows += store.waiting(TABLE)  # kept in memory while storage refuses: still the desk's state
    for index in range(len(rows) - 1, -1, -1):
        if rows[index]["kind"] == "unlocked":
            return rows[index + 1:]
    return rows


def left_locked(store: "Store") -> bool:
    """The desk closed (or was killed) while locked: it opens locked again."""
    return any(r["kind"] == "locked" for r in _events_since_unlock(store))


def tries_since_unlock(store: "Store") -> Tries:
    """The wrong tries since the last unlock: a restart does not reset the slowdown."""
    return Tries([from_iso(r["at"]) for r in _events_since_unlock(store) if r["kind"] == "wrong_pin"])

"""Offline circulation: loans, returns, renewals and in-house use while the LSP is down.

Every accepted scan is one circ_transactions row, committed (with its patron
card in circ_patrons, kept apart because it is personal information) before
the function returns. Scan order is rowid order. Undo is a circ_voids row.

A scan is refused, with the reason, when it is not a barcode of this site;
it is *not recorded again* when it repeats the item's latest live
transaction (a double scan). Warnings (a blocked card, an item on loan to
another card) never stop the desk: the person decides.

Nothing in a warning names a patron: warnings live in circ_transactions,
which is never purged, while card numbers are (see purge_patrons).
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from shift.barcodes import BarcodePattern
from shift.clock import from_iso, to_iso
from shift.files import FileRefused, read_small_file
from shift.shifts import Shift
from shift.siterecords import CirculationConfig
from shift.store import Store

SCAN_MODES = ("loan", "return", "renew", "in_house")
ACTIONS = SCAN_MODES + ("payment",)
NEEDS_PATRON = frozenset({"loan", "renew"})
ACTION_NAMES = {"loan": "Loan", "return": "Return", "renew": "Renewal",
                "in_house": "In-house use", "payment": "Payment"}

# Which actions each export format has a line for. Exporting "settles" the
# others too (see shift.circexport), and only card numbers that were really
# written to an LSP file are purged.
CARRIED = {
    "alma": ("loan", "renew", "return"),
    "koha": ("loan", "renew", "return", "payment"),
    "evergreen": ("loan", "renew", "return", "in_house"),
    "csv": ACTIONS,
}
LSP_FORMATS = ("alma", "koha", "evergreen")

CARD_COLUMNS = ("patron", "card", "cardnumber", "barcode")
BLOCKED_LIMIT = 50_000_000  # a list of a million cards is ~20 MB; more is not a blocked list
REASON_COLUMNS = ("reason", "note", "why")


class BadScan(ValueError):
    """A scan that was not recorded, with the reason in words for the desk."""


class Transaction(NamedTuple):
    id: str
    shift_id: str
    scanned_at: datetime
    action: str
    item: str
    patron: str | None  # None: no card (return, in-house use) or purged after upload
    amount_cents: int | None
    warning: str
    voided: bool = False


class ScanResult(NamedTuple):
    """What a scan did. kind: 'patron' (the current card changed), 'recorded' or 'duplicate'."""

    kind: str
    transaction: Transaction | None
    patron: str | None
    warnings: tuple[str, ...] = ()
    blocked: str | None = None  # the reason, when the card is on the blocked list


@dataclass
class ScanSession:
    """The scan screen's state: the mode and the card scanned last (not stored)."""

    mode: str = "loan"
    patron: str | None = None


class BlockedList(NamedTuple):
    imported_at: datetime
    source: str
    cards: int  # how many cards it blocks (not `count`, which would hide tuple.count)


# -- reading a scan ---------------------------------------------------------


def shown(code: str, limit: int = 40) -> str:
    """A scan as it can be shown in a message: control characters as \\xNN, quoted."""
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in code)
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"'{text}'"


def junk(code: str) -> str | None:
    """Why `code` cannot be any barcode at all (a stray key, a paste), or None."""
    if any(not ch.isprintable() for ch in code):
        return f"{shown(code)} contains control characters"
    if any(ch.isspace() for ch in code):
        return f"{shown(code)} contains spaces"
    if not code.isascii():
        return f"{shown(code)} contains characters a barcode cannot have (not plain ASCII)"
    return None


def classify(config: CirculationConfig, code: str, expecting_patron: bool) -> str:
    """'patron' or 'item' for a scan (surrounding whitespace ignored); BadScan otherwise."""
    code = code.strip()
    if not code:
        raise BadScan("Empty scan: nothing recorded")
    problem = junk(code)
    if problem:
        raise BadScan(f"Not recorded: {problem}")
    patron_problem = config.patron.problem(code)
    item_problem = config.item.problem(code)
    if patron_problem is None and item_problem is None:
        return "patron" if expecting_patron else "item"
    if patron_problem is None:
        return "patron"
    if item_problem is None:
        return "item"
    first, second = (patron_problem, item_problem) if expecting_patron else (item_problem, patron_problem)
    raise BadScan(f"Not recorded: neither a patron card nor an item barcode: {first}; {second}")


def mask(patron: str | None) -> str:
    """A card number as shown on screen: only its last 4 characters."""
    if not patron:
        return ""
    if len(patron) <= 4:
        return "•" * len(patron)
    return "•" * (len(patron) - 4) + patron[-4:]


def scan(store: Store, config: CirculationConfig, zone: ZoneInfo, shift: Shift,
         session: ScanSession, raw: str) -> ScanResult:
    """One scan in the session's mode: a card becomes the current patron, an item is recorded."""
    expecting_patron = session.mode in NEEDS_PATRON and session.patron is None
    code = raw.strip()
    if classify(config, code, expecting_patron) == "patron":
        session.patron = code
        reason = blocked_reason(store, code)
        warnings = (f"BLOCKED card {mask(code)}: {reason}",) if reason is not None else ()
        return ScanResult("patron", None, code, warnings, reason)
    if session.mode in NEEDS_PATRON and session.patron is None:
        raise BadScan(f"Not recorded: scan the patron's card first ({ACTION_NAMES[session.mode].lower()} "
                      f"of {shown(code)} needs a patron)")
    patron = session.patron if session.mode in NEEDS_PATRON else None
    return record(store, shift, session.mode, code, zone, patron)


# -- recording ----------------------------------------------------------------


def record(store: Store, shift: Shift, action: str, item: str, zone: ZoneInfo,
           patron: str | None = None) -> ScanResult:
    """Record one item transaction unless it repeats the item's latest one; commit before returning."""
    if action not in SCAN_MODES:
        raise ValueError(f"'{action}' is not a circulation action")
    if action in NEEDS_PATRON and not patron:
        raise BadScan(f"A {ACTION_NAMES[action].lower()} needs a patron card")
    latest = _latest_live(store, item)
    if latest is not None and not latest["uploaded"] and latest["action"] == action and (
            action not in NEEDS_PATRON or latest["patron"] == patron):
        when = _local_hm(latest["scanned_at"], zone)
        return ScanResult("duplicate", None, patron, (
            f"{ACTION_NAMES[action]} of {item} already recorded at {when}: not recorded again",))
    warnings = []
    blocked = None
    if action in NEEDS_PATRON:
        blocked = blocked_reason(store, patron)
        if blocked is not None:
            warnings.append(f"patron blocked: {blocked}")
        if (latest is not None and not latest["uploaded"] and latest["action"] in NEEDS_PATRON
                and latest["patron"] != patron):
            warnings.append(f"on loan to another card since {_local_hm(latest['scanned_at'], zone)}")
    txn = _insert(store, shift, action, item, patron, None, "; ".join(warnings))
    return ScanResult("recorded", txn, patron, tuple(warnings), blocked)


def record_payment(store: Store, shift: Shift, patron: str, amount_cents: int) -> Transaction:
    """A payment taken offline (written by the fee form), with its card, in one transaction."""
    patron = patron.strip()
    if not patron or junk(patron):
        raise ValueError(f"{shown(patron)} is not a patron card number")
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError("A payment must be more than $0.00")
    return _insert(store, shift, "payment", "", patron, amount_cents, "")


def _insert(store: Store, shift: Shift, action: str, item: str, patron: str | None,
            amount_cents: int | None, warning: str) -> Transaction:
    with store.transaction():
        row = store.insert("circ_transactions", {
            "shift_id": shift.id, "scanned_at": store.now_iso(), "action": action,
            "item": item, "amount_cents": amount_cents, "warning": warning,
        })
        if patron is not None:
            store.insert("circ_patrons", {"txn_id": row["id"], "patron": patron})
    return Transaction(row["id"], shift.id, from_iso(row["scanned_at"]), action, item, patron,
                       amount_cents, warning)


def _local_hm(stored: str, zone: ZoneInfo) -> str:
    return f"{from_iso(stored).astimezone(zone):%H:%M}"


def _uploaded_sql(alias: str) -> str:
    """SQL: the transaction was already written to an LSP file (the LSP's record has moved on)."""
    carried = " OR ".join(
        f"(e.format = '{fmt}' AND {alias}.action IN ({', '.join(repr(a) for a in CARRIED[fmt])}))"
        for fmt in LSP_FORMATS)
    return (f"EXISTS (SELECT 1 FROM circ_exported x JOIN circ_exports e ON e.id = x.export_id "
            f"WHERE x.txn_id = {alias}.id AND ({carried}))")


def _latest_live(store: Store, item: str) -> dict | None:
    """The item's latest transaction that is not voided, with its card and whether it was uploaded.

    Once a transaction is in an uploaded LSP file, the LSP knows better than
    this desk (the item may have circulated there since), so it no longer
    makes the next scan a duplicate.
    """
    rows = store.rows(
        f"""SELECT t.action, t.scanned_at, p.patron, {_uploaded_sql('t')} AS uploaded
            FROM circ_transactions t
            LEFT JOIN circ_voids v ON v.txn_id = t.id
            LEFT JOIN circ_patrons p ON p.txn_id = t.id
            WHERE t.item = ? AND v.id IS NULL ORDER BY t.rowid DESC LIMIT 1""",
        (item,),
    )
    return rows[0] if rows else None


def void_last(store: Store, shift: Shift) -> Transaction | None:
    """Undo the shift's last live scan not yet exported (payments are the fee form's to correct)."""
    rows = store.rows(
        f"""{_SELECT} WHERE t.shift_id = ? AND v.id IS NULL AND t.action <> 'payment'
            AND NOT EXISTS (SELECT 1 FROM circ_exported x WHERE x.txn_id = t.id)
            ORDER BY t.rowid DESC LIMIT 1""",
        (shift.id,),
    )
    if not rows:
        return None
    store.insert("circ_voids", {"txn_id": rows[0]["id"], "shift_id": shift.id, "voided_at": store.now_iso()})
    return _transaction(rows[0])


# -- reading back -------------------------------------------------------------

_SELECT = """SELECT t.id, t.shift_id, t.scanned_at, t.action, t.item, t.amount_cents, t.warning,
                    p.patron, v.id IS NOT NULL AS voided
             FROM circ_transactions t
             LEFT JOIN circ_patrons p ON p.txn_id = t.id
             LEFT JOIN circ_voids v ON v.txn_id = t.id"""


def _transaction(row: dict) -> Transaction:
    return Transaction(row["id"], row["shift_id"], from_iso(row["scanned_at"]), row["action"], row["item"],
                       row["patron"], row["amount_cents"], row["warning"], bool(row["voided"]))


def transactions(store: Store, start: datetime, end: datetime, include_voided: bool = False) -> list[Transaction]:
    """Transactions scanned between two moments, in scan order (for the shift report)."""
    live = "" if include_voided else "AND v.id IS NULL"
    rows = store.rows(f"{_SELECT} WHERE t.scanned_at >= ? AND t.scanned_at < ? {live} ORDER BY t.rowid",
                      (to_iso(start), to_iso(end)))
    return [_transaction(r) for r in rows]


def recent(store: Store, shift: Shift, limit: int = 50) -> list[Transaction]:
    """The shift's live transactions, newest first (for the scan screen)."""
    rows = store.rows(f"{_SELECT} WHERE t.shift_id = ? AND v.id IS NULL ORDER BY t.rowid DESC LIMIT ?",
                      (shift.id, limit))
    return [_transaction(r) for r in rows]


def counts_by_action(store: Store, start: datetime, end: datetime) -> Counter:
    """Live (not voided) transactions by action between two moments."""
    rows = store.rows(
        """SELECT t.action, COUNT(*) AS n FROM circ_transactions t
           LEFT JOIN circ_voids v ON v.txn_id = t.id
           WHERE v.id IS NULL AND t.scanned_at >= ? AND t.scanned_at < ? GROUP BY t.action""",
        (to_iso(start), to_iso(end)),
    )
    return Counter({r["action"]: r["n"] for r in rows})


def exportable(store: Store, fmt: str, include_all: bool = False) -> list[Transaction]:
    """Live transactions in scan order; without include_all, only those not yet exported in `fmt`."""
    done = "" if include_all else (
        "AND NOT EXISTS (SELECT 1 FROM circ_exported x JOIN circ_exports e ON e.id = x.export_id "
        "WHERE x.txn_id = t.id AND e.format = :fmt)")
    rows = store.rows(f"{_SELECT} WHERE v.id IS NULL {done} ORDER BY t.rowid", {"fmt": fmt})
    return [_transaction(r) for r in rows]


# -- patron cards: purge after upload ------------------------------------------


# The transactions whose card number was written to an LSP file before :cutoff. Only LSP files
# count: a CSV for people is not an upload, and a card purged before its upload could never be uploaded.
_UPLOADED = "SELECT x.txn_id FROM circ_exported x JOIN circ_exports e ON e.id = x.export_id " \
            "JOIN circ_transactions t ON t.id = x.txn_id WHERE e.exported_at < :cutoff AND ({carried})".format(
                carried=" OR ".join(f"(e.format = '{fmt}' AND t.action IN ({', '.join(repr(a) for a in CARRIED[fmt])}))"
                                    for fmt in LSP_FORMATS))


def purge_cutoff(store: Store, config: CirculationConfig) -> str:
    """Files and card numbers exported before this moment (UTC ISO) are kept no longer."""
    return to_iso(store.clock.now() - timedelta(days=config.purge_after_days))


def purgeable_patrons(store: Store, config: CirculationConfig) -> list[dict]:
    """The card numbers purge_patrons would delete now: rowid, and the transaction's scanned_at."""
    return store.rows(f"""SELECT p.rowid AS rowid, t.scanned_at FROM circ_patrons p
                          JOIN circ_transactions t ON t.id = p.txn_id
                          WHERE p.txn_id IN ({_UPLOADED}) ORDER BY p.rowid""",
                      {"cutoff": purge_cutoff(store, config)})


def purge_patrons(store: Store, config: CirculationConfig) -> int:
    """Delete card numbers of transactions written to an LSP file more than purge_after_days ago."""
    with store.transaction():
        cursor = store.execute(f"DELETE FROM circ_patrons WHERE txn_id IN ({_UPLOADED})",
                               {"cutoff": purge_cutoff(store, config)})
    return cursor.rowcount


# -- blocked patrons ---------------------------------------------------------


def blocked_list(store: Store) -> BlockedList | None:
    """The blocked-patron list in force: the latest import."""
    rows = store.rows("SELECT * FROM blocked_lists ORDER BY imported_at DESC, rowid DESC LIMIT 1")
    if not rows:
        return None
    return BlockedList(from_iso(rows[0]["imported_at"]), rows[0]["source"], rows[0]["count"])


def blocked_reason(store: Store, patron: str | None) -> str | None:
    """Why the card is blocked in the list in force ('no reason given' if none), or None."""
    if not patron:
        return None
    rows = store.rows(
        """SELECT b.reason FROM blocked_patrons b
           WHERE b.list_id = (SELECT id FROM blocked_lists ORDER BY imported_at DESC, rowid DESC LIMIT 1)
           AND b.patron = ? LIMIT 1""",
        (patron,),
    )
    if not rows:
        return None
    return rows[0]["reason"] or "no reason given"


def import_blocked(store: Store, path: Path | str, patron: BarcodePattern | None = None) -> tuple[int, list[str]]:
    """Read a CSV of blocked cards into a new list in force; (cards imported, problems).

    The header names the card column (patron, card, cardnumber or barcode)
    and may have a reason column. All or nothing: the new list replaces the
    one in force, so a file with any bad row (each reported as
    'file:line: what is wrong') changes nothing, rather than leave the desk
    with part of a list. `patron`: the site's card pattern; a value it refuses
    could never be scanned, so never warn (a wrong column, a wrong file), and is
    a bad row. Never raises for a bad or unreadable file.
    """
    path = Path(path)
    name = str(path)
    try:
        raw = read_small_file(path, BLOCKED_LIMIT)
        text = raw.decode("utf-8-sig")
    except FileRefused as exc:
        return 0, [f"{name}: cannot be read: {exc}"]
    except OSError as exc:
        return 0, [f"{name}: cannot be read: {exc.strerror or exc}"]
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return 0, [f"{name}:{line}: not UTF-8 text (save the file as UTF-8 CSV)"]
    cards, problems = _read_blocked(name, text, patron)
    if problems or not cards:
        found = "nothing imported" if problems else "no blocked card found"
        problems.append(f"{name}: {found}: the list in force is unchanged")
        return 0, problems
    with store.transaction():
        listing = store.insert("blocked_lists", {"imported_at": store.now_iso(), "source": path.name,
                                                  "count": len(cards)})
        for card, reason in cards.items():
            store.insert("blocked_patrons", {"list_id": listing["id"], "patron": card, "reason": reason})
    return len(cards), problems


def _read_blocked(name: str, text: str, patron: BarcodePattern | None) -> tuple[dict[str, str], list[str]]:
    problems: list[str] = []
    cards: dict[str, str] = {}
    # strict: a quote left open is an error, not the rest of the file read as one card.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    record_start = 1  # where a record that cannot be read began
    try:
        header = next(reader, None)
        if header is None:
            return cards, [f"{name}: the file is empty"]
        names = [h.strip().lower() for h in header]
        card_col = next((names.index(c) for c in CARD_COLUMNS if c in names), None)
        if card_col is None:
            return cards, [f"{name}:1: no card column: the header must name one of {', '.join(CARD_COLUMNS)}"]
        reason_col = next((names.index(c) for c in REASON_COLUMNS if c in names), None)
        record_start = reader.line_num + 1
        for row in reader:
            line = reader.line_num
            record_start = line + 1
            if not any(cell.strip() for cell in row):
                continue  # blank lines are harmless
            if card_col >= len(row) or not row[card_col].strip():
                problems.append(f"{name}:{line}: no card number in column '{header[card_col].strip()}'")
                continue
            card = row[card_col].strip()
            problem = junk(card)
            if problem:
                problems.append(f"{name}:{line}: card {problem}")
                continue
            problem = patron.problem(card) if patron is not None else None
            if problem:
                problems.append(f"{name}:{line}: {problem}")
                continue
            reason = row[reason_col].strip() if reason_col is not None and reason_col < len(row) else ""
            if any(not ch.isprintable() for ch in reason):
                reason = "".join(ch if ch.isprintable() else " " for ch in reason).strip()
            cards.setdefault(card, reason)
    except csv.Error as exc:
        problems.append(f"{name}:{record_start}: not readable as CSV from this line ({exc})")
    return cards, problems

"""Tamper evidence: each row of an append-only table carries a hash chained to the row before it.

The triggers refuse UPDATE and DELETE, but anyone with the sqlite3 shell can drop them. The
chain makes such a change visible afterwards: `python main.py verify` walks every table and
names the first row that was changed, deleted or inserted out of order, and each shift's report
says whether its own rows still chain.

Per table, in insertion (rowid) order:

    link  = sha256(previous row's link + "\\n" + canonical(row)), as 64 hex digits
    chain = link + ":" + the first 16 hex digits of the previous row's link

The first row's previous link is sha256("solo-shift chain:" + table name). canonical(row) is the
row's columns except `chain`, NULLs left out (so a nullable column added later keeps old rows'
links valid), as JSON with sorted keys, no whitespace and ASCII escapes; integers as numbers,
text as strings, exactly as SQLite stores them. The previous link's short copy is not needed
to detect a change, only to say what kind it was (see `_diagnose`).

What it cannot do: someone who knows this scheme can recompute every link after the row they
change, and removing the newest rows of a table leaves a shorter chain that still verifies.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from shift.schema import APPEND_ONLY, chained_tables, drift, drift_text, pending

TAG = 16  # hex digits of the previous link kept on each row
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
# table -> column -> (its SQLite affinity, its default as stored or None): the schema's, per name.
_columns: dict[str, dict[str, tuple[str, Any]]] = {}


def genesis(table: str) -> str:
    return hashlib.sha256(f"solo-shift chain:{table}".encode()).hexdigest()


# json.dumps with these arguments builds a new encoder on every call: one, made once (a third of
# the time of a long shift's record line).
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def canonical(row: dict[str, Any]) -> bytes:
    values = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in row.items()
              if v is not None and k not in ("chain", "rowid")}
    return _encode(values).encode("ascii")


def link_of(previous: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(row)).hexdigest()


def seal(previous: str, row: dict[str, Any]) -> str:
    """The chain value of `row` written after the row whose link is `previous`."""
    return f"{link_of(previous, row)}:{previous[:TAG]}"


def last_link(conn: sqlite3.Connection, table: str) -> str:
    """The link of the table's last row: one indexed read (max(rowid) is a lookup, where
    ORDER BY rowid DESC LIMIT 1 plans as a scan)."""
    found = conn.execute(f"SELECT chain FROM {table} WHERE rowid = (SELECT max(rowid) FROM {table})").fetchone()
    return found[0][:64] if found and found[0] else genesis(table)


def link(conn: sqlite3.Connection, table: str, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of `rows` with their `chain`, for writing next into `table` in this order, on this
    connection and in the same transaction (no other writer between: the desk's lock).
    A table that carries no chain gets the rows back unchanged."""
    rows = list(rows)
    if table not in APPEND_ONLY:
        return rows
    previous = last_link(conn, table)
    sealed = []
    for row in rows:
        stored = _as_stored(conn, table, row)
        chain = seal(previous, stored)
        previous = chain[:64]
        sealed.append({**row, "chain": chain})
    return sealed


def _as_stored(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row's values as SQLite will store them, which is what a later reading hashes: a column
    left out takes its default, and each value its column's affinity (True is 1, a number in a
    TEXT column is text, "3" in an INTEGER column is 3)."""
    columns = _columns.get(table)
    if columns is None or any(c not in columns for c in row):
        columns = _columns[table] = {}
        for _, name, declared, _, default, _ in conn.execute(f"PRAGMA table_info({table})").fetchall():
            kind = _affinity_of(declared)
            # The schema's defaults are constants ('', 0, 'none', 'low'): evaluated once.
            value = None if default is None else conn.execute(f"SELECT {default}").fetchone()[0]
            columns[name] = (kind, None if value is None else _stored(conn, kind, value))
    out = {name: default for name, (_, default) in columns.items() if default is not None and name not in row}
    for column, value in row.items():
        out[column] = _stored(conn, columns[column][0] if column in columns else "BLOB", value)
    return out


def _stored(conn: sqlite3.Connection, kind: str, value: Any) -> Any:
    """A value as SQLite stores it in a column of this affinity (its datatype page, section 3)."""
    if isinstance(value, bool):
        value = int(value)
    if kind == "TEXT" and isinstance(value, (int, float)):
        return conn.execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0]
    if kind in ("INTEGER", "NUMERIC") and isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2 ** 63 else value  # only if exact
    if kind == "REAL" and isinstance(value, int):
        return float(value)
    if kind in ("INTEGER", "NUMERIC", "REAL") and isinstance(value, str) and _NUMBER.fullmatch(value):
        return conn.execute(f"SELECT CAST(? AS {'REAL' if kind == 'REAL' else 'NUMERIC'})", (value,)).fetchone()[0]
    return value


def _affinity_of(declared: str) -> str:
    """SQLite's rules (section 3.1 of its datatype page), in their order."""
    declared = declared.upper()
    if "INT" in declared:
        return "INTEGER"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in declared or not declared:
        return "BLOB"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def fill(conn: sqlite3.Connection, table: str) -> int:
    """Seal the rows already in `table` (its `chain` still NULL), in rowid order: the upgrade that
    brings the chain. The caller lifts the update trigger around it. Returns how many."""
    previous, after, count = genesis(table), -(2 ** 63), 0
    while True:
        # A batch at a time, each read to the end before it is written (never beside an open read).
        batch = list(_rows(conn, table, "WHERE rowid > ? ORDER BY rowid LIMIT 5000", (after,)))
        if not batch:
            return count
        sealed = []
        for row in batch:
            chain = seal(previous, row)
            previous = chain[:64]
            sealed.append((chain, row["rowid"]))
        conn.executemany(f"UPDATE {table} SET chain = ? WHERE rowid = ?", sealed)
        after, count = batch[-1]["rowid"], count + len(batch)


def read_rows(conn: sqlite3.Connection, table: str, where: str = "ORDER BY rowid",
              params: tuple = ()) -> Iterator[dict[str, Any]]:
    """Rows (with their rowid) exactly as verification reads and hashes them."""
    return _rows(conn, table, where, params)


def _rows(conn: sqlite3.Connection, table: str, where: str = "ORDER BY rowid",
          params: tuple = ()) -> Iterator[dict[str, Any]]:
    sql = f"SELECT rowid, * FROM {table} {where}"
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    done = 0
    try:
        while chunk := cursor.fetchmany(2000):
            for values in chunk:
                done += 1
                yield dict(zip(names, values, strict=True))
        return
    except sqlite3.OperationalError as exc:
        if "decode" not in str(exc):
            raise
    # Text a shell wrote as invalid UTF-8 is read (and found changed), not an error: read again,
    # past the rows already given, decoding in Python (slower: only when such text is there).
    # The connection's own way is back before anything else can use it.
    factory = conn.text_factory
    cursor = conn.execute(sql, params)
    while True:
        conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
        try:
            chunk = cursor.fetchmany(2000)
        finally:
            conn.text_factory = factory
        if not chunk:
            return
        for values in chunk[done:]:
            yield dict(zip(names, values, strict=True))
        done = max(0, done - len(chunk))


# -- verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first row of a table whose chain does not hold, and what it looks like."""

    table: str
    rowid: int
    id: str
    kind: str  # "changed", "deleted", "inserted", "out of order"
    detail: str
    row: dict[str, Any]

    def text(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.row.items() if k not in ("rowid", "chain"))
        if len(shown) > 400:
            shown = shown[:399] + "…"
        return f"{self.table} row {self.rowid} (id {self.id}): {self.detail}\n    it reads: {shown}"


@dataclass(frozen=True)
class TableVerdict:
    table: str
    verified: int  # rows that chain correctly (before the break, if any)
    broken: Break | None
    last: str  # the last verified link
    redacted: int = 0  # of the verified rows, those a recorded purge redacted
    deleted: int = 0  # rows a recorded purge deleted, walked over


def verify_table(conn: sqlite3.Connection, table: str, first: int | None = None,
                 last: int | None = None) -> TableVerdict:
    """Walk the table's chain (or rowids first..last, from the link of the row before `first`)
    and stop at the first row that does not chain."""
    if "chain" not in [column[1] for column in conn.execute(f"PRAGMA table_info({table})")]:
        gone = Break(table, 0, "", "changed", "the table has no chain column: it was rebuilt outside the desk", {})
        return TableVerdict(table, 0, gone, "")
    earlier = ""  # the link before `previous`
    held: dict | None = None  # the row whose link is `previous`
    if first is not None:
        found = conn.execute(f"SELECT rowid, id, chain FROM {table} WHERE rowid = "
                             f"(SELECT max(rowid) FROM {table} WHERE rowid < ?)", (first,)).fetchone()
        held = dict(zip(("rowid", "id", "chain"), found, strict=True)) if found else None
    previous = _parts(held)[0] or genesis(table)
    count = redacted = deleted = 0
    redactions, deletions = purged(conn, table)
    rows = (_rows(conn, table) if first is None
            else _rows(conn, table, "WHERE rowid BETWEEN ? AND ? ORDER BY rowid", (first, last)))
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        previous, skipped = resume_after_deletions(deletions, previous, held["rowid"] if held else None,
                                                   current["rowid"])
        if skipped:
            earlier, deleted = "", deleted + skipped
        digest = redactions.get(current["rowid"])
        fits = current["chain"] == seal(previous, current)
        if not fits and digest is not None and _parts(current)[1] == previous[:TAG]:
            if digest != redaction_digest(current):
                found = Break(table, current["rowid"], str(current["id"]), "changed",
                              "changed after a recorded purge redacted it (python main.py purge): its columns "
                              "are no longer those the purge recorded", current)
                return TableVerdict(table, count, found, previous, redacted, deleted)
            fits = True
            redacted += 1
        if fits:
            earlier, held = previous, current
            previous = current["chain"][:64]
            count += 1
            current = following
            continue
        found = _diagnose(table, current, following, previous, earlier, held)
        return TableVerdict(table, count if found.rowid == current["rowid"] else count - 1, found, previous,
                            redacted, deleted)
    return TableVerdict(table, count, None, previous, redacted, deleted)


# -- what a recorded purge did (shift/purge.py) ----------------------------------------------


@dataclass(frozen=True)
class DeletedRun:
    """Rows first..last (by rowid) a purge deleted: `count` rows, the last of which had link `after`."""

    first: int
    last: int
    count: int
    after: str


def resume_after_deletions(deletions: dict[str, DeletedRun], previous: str, after_rowid: int | None,
                           before_rowid: int | None) -> tuple[str, int]:
    """The link the chain goes on from when the runs a recorded purge deleted lay between the row
    `after_rowid` (None: the table's start), whose link is `previous`, and the row `before_rowid`
    (None: the end); and how many rows those runs held."""
    floor = -(2 ** 63) if after_rowid is None else after_rowid
    skipped = 0
    while (run := deletions.get(previous)) is not None and floor < run.first and (
            before_rowid is None or run.last < before_rowid):
        previous, floor, skipped = run.after, run.last, skipped + run.count
    return previous, skipped


def redaction_digest(row: dict[str, Any]) -> str:
    """What a purge records of a row it redacted: its chain (left as it was, so the next row still
    follows it) and its columns as they are after the redaction."""
    return hashlib.sha256(str(row.get("chain")).encode("utf-8", "surrogateescape") + b"\n"
                          + canonical(row)).hexdigest()


def purged(conn: sqlite3.Connection, table: str) -> tuple[dict[int, str], dict[str, DeletedRun]]:
    """What the purges recorded in `purges` did to `table`: {rowid: redaction digest} of the rows
    they redacted, and {the link before the run: the run} of the runs of rows they deleted.
    A purge row that cannot be read is left out: its own chain says it was changed."""
    redactions: dict[int, str] = {}
    deletions: dict[str, DeletedRun] = {}
    if table not in APPEND_ONLY or not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'purges'").fetchone():
        return redactions, deletions
    for action, detail in conn.execute("SELECT action, detail FROM purges WHERE tbl = ? ORDER BY rowid", (table,)):
        try:
            found = json.loads(detail)
            if action == "redacted":
                redactions.update((int(rowid), str(digest)) for rowid, digest in found["rows"])
            elif action == "deleted":
                for first, last, count, before, after in found["runs"]:
                    deletions[str(before)] = DeletedRun(int(first), int(last), int(count), str(after))
        except (ValueError, KeyError, TypeError):
            continue
    return redactions, deletions


def _parts(row: dict | None) -> tuple[str, str]:
    """(its link, the previous link's tag it claims) from a row's chain, or ("", "") if unreadable."""
    chain = row.get("chain") if row else None
    if isinstance(chain, str) and re.fullmatch(rf"[0-9a-f]{{64}}:[0-9a-f]{{{TAG}}}", chain):
        return chain[:64], chain[65:]
    return "", ""


def _diagnose(table: str, row: dict, following: dict | None, previous: str, earlier: str,
              held: dict | None) -> Break:
    """What kind of break the first row that does not chain shows. `previous`: the link of the
    last row that chained (or the table's start); `earlier`: the link before that one;
    `held`: the row that chained last (None at the start)."""
    own, claims = _parts(row)
    _, next_claims = _parts(following)
    before = f"row {held['rowid']} (id {held['id']})" if held else "the start of the table"

    def broke(kind: str, detail: str, at: dict = row) -> Break:
        return Break(table, at["rowid"], str(at["id"]), kind, detail, at)

    if not own:
        return broke("inserted", "inserted outside the desk: it carries no chain of the desk's "
                                 "(an INSERT by the sqlite3 shell or another program)")
    if following is not None and next_claims == previous[:TAG]:
        return broke("inserted", f"inserted out of order: the row after it chains from {before}, "
                                 "as if this row were not there")
    if claims == previous[:TAG]:
        return broke("changed", f"changed after it was recorded: it follows {before}, but its columns "
                                "are no longer those its chain was computed from")
    if held is not None and earlier and claims == earlier[:TAG] and own != previous:
        return broke("inserted", "inserted out of order: the row after it chains from the row before it, "
                                 "as if this row were not there (its own chain was computed to fit)", held)
    if own == previous:
        return broke("inserted", f"inserted outside the desk: its chain is a copy of {before}'s")
    if following is None:
        return broke("out of order", f"does not follow {before}: it was inserted outside the desk, or a row "
                                     "recorded before it was deleted, or the row before it was changed and its "
                                     "chain computed again")
    if next_claims == own[:TAG]:
        return broke("deleted", f"does not follow {before}: a row recorded between them was deleted, or "
                                f"row {held['rowid'] if held else '?'} was changed and its chain computed again"
                     if held else "is not the table's first row: the rows before it were deleted")
    return broke("out of order", f"does not follow {before}, and the row after it does not follow it: "
                                 "inserted out of order, or its chain was changed")


def verify(conn: sqlite3.Connection) -> list[TableVerdict]:
    """Every chained table of the database, walked in full."""
    return [verify_table(conn, table) for table in chained_tables(conn)]


# -- one shift, for its report --------------------------------------------------------------

_RUN_CHILDREN = ("step_outcomes", "step_notes", "run_ends", "sweep_results")


def _shift_ranges(conn: sqlite3.Connection, shift_id: str) -> Iterator[tuple[str, int, int, int]]:
    """(table, first rowid, last rowid, rows) of the shift's own rows, per table that has some:
    rows naming it (or its procedure runs); the tables of no one shift are not walked here."""
    runs = "(SELECT id FROM procedure_runs WHERE shift_id = :s)"
    for table in APPEND_ONLY:
        if table == "report_emails":
            continue  # written after the report, about sending it: the report is the same before and after
        if table == "shifts":
            where = "id = :s"
        elif table in _RUN_CHILDREN:
            where = f"run_id IN {runs}"
        elif any(r[1] == "shift_id" for r in conn.execute(f"PRAGMA table_info({table})")):
            where = "shift_id = :s"
        else:
            continue
        first, last, count = conn.execute(
            f"SELECT min(rowid), max(rowid), count(*) FROM {table} WHERE {where}", {"s": shift_id}).fetchone()
        if count:
            yield table, first, last, count


def shift_line(conn: sqlite3.Connection, shift_id: str, at_desk: bool = False) -> str:
    """The report's line on the shift's record: in each table, the rows from the shift's first to
    its last, checked from the link on the row before (a few indexed reads and the shift's rows).
    `at_desk`: without the count, which would betray the rows a silent duress alarm adds."""
    total = 0
    broken = []
    for table, first, last, count in _shift_ranges(conn, shift_id):
        verdict = verify_table(conn, table, first, last)
        if verdict.broken:
            broken.append(verdict.broken)
        total += count
    changed = drift(conn)
    if broken:
        found = broken[0]
        more = f" (and in {len(broken) - 1} more table{'s' if len(broken) > 2 else ''})" if len(broken) > 1 else ""
        # A rule left dropped is said too: what follows may change without a trace.
        rules = f" {drift_text(changed)}" if changed else ""
        return (f"RECORD NOT VERIFIED: {found.table} row {found.rowid} {found.kind}{more}, outside the desk. "
                f"python main.py verify names it.{rules}")
    if changed:  # every row chains, but nothing stopped a change: not verified either
        return f"RECORD NOT VERIFIED: {drift_text(changed)}"
    if at_desk:
        return "Record verified: the entries of this shift chain correctly."
    return f"Record verified: {total} entries of this shift chain correctly."


def verify_text(conn: sqlite3.Connection, path: object) -> tuple[str, bool]:
    """What `main.py verify` prints: a line per table, then the verdict; and whether all held."""
    verdicts = verify(conn)
    width = max(len(v.table) for v in verdicts)
    lines = []
    for v in verdicts:
        if v.broken:
            lines.append(f"{v.table:<{width}}  BROKEN after {v.verified} rows that chain correctly")
        else:
            purged_rows = ", ".join(f"{n} {what}" for n, what in ((v.redacted, "redacted"), (v.deleted, "deleted"))
                                    if n)
            lines.append(f"{v.table:<{width}}  {v.verified} rows chain correctly"
                         + (f" ({purged_rows} by recorded purges)" if purged_rows else ""))
    broken = [v.broken for v in verdicts if v.broken]
    changed = drift(conn)
    if changed:
        lines.append(f"\n{path}: {drift_text(changed)}")
        lines += [f"  {what}" for what in changed]
    if broken:
        lines.append(f"\n{path}: the record was changed outside the desk. The first row that does not chain, "
                     "per table:")
        lines += [f"  {b.text()}" for b in broken]
    elif not changed:
        lines.append(f"\n{path}: record verified, {sum(v.verified for v in verdicts)} rows in {len(verdicts)} "
                     "tables chain correctly.")
        if pending(conn):  # see schema.drift
            lines.append("Written by an earlier version of Solo Shift: its append-only rules were checked; the "
                         "rest of its schema is compared once the desk has opened it.")
    return "\n".join(lines), not broken and not changed

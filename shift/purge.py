"""The retention purge: personal data the site keeps no longer, removed in one transaction and recorded.

`python main.py purge [--dry-run]` follows site.toml:

- incidents that occurred more than `[incidents] retention_years` ago: their text fields (people,
  witnesses, what happened, the reporter: privacy.INCIDENT_TEXT) are replaced by "(removed after the
  retention period)"; the row stays with its category, times, zone, injury level and severity, so
  the years' statistics and the law's counts still add up and a request for the file can be answered
  "destroyed under the schedule on <date>". Their supplements lose author and text; incident drafts
  kept that long lose their text fields.
- card numbers of transactions uploaded more than `[circulation] purge_after_days` ago (the desk's
  own purge_patrons, which every export also runs).
- the blocked-patron lists no longer in force: their cards and reasons are deleted (the list's date,
  file name and count stay in blocked_lists).
- offline-circulation files the app wrote into the `exports/` folder beside the database (recorded
  in circ_exports) more than purge_after_days ago: they hold card numbers.

The record is append-only and chained (shift/chain.py). A purge lifts the table's update or delete
trigger inside its transaction, changes or deletes exactly the rows of its plan, puts the trigger back
and writes a `purges` row per table naming what it did, with what `verify` needs to walk the chain
across it: for a redacted row its rowid and a digest of its chain and new columns (its chain is left
as it was, so the next row still follows it); for a run of deleted rows its rowids, the link before
it and the last deleted row's link. Any other change still breaks the chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shift import chain, circulation, privacy
from shift.clock import from_iso, to_iso
from shift.schema import APPEND_ONLY
from shift.site import Site
from shift.store import Store, new_id


@dataclass(frozen=True)
class Step:
    """One kind of thing to purge: rows of one table, or files."""

    kind: str  # what a person calls it: "incidents", "card numbers", ...
    table: str  # "" for files
    action: str  # "redacted", "deleted" or "removed" (files)
    rule: str  # the site's rule, in words
    rowids: tuple[int, ...] = ()
    paths: tuple[str, ...] = ()
    dates: tuple[datetime, ...] = ()  # when each thing happened (occurred, scanned, imported, exported)

    @property
    def count(self) -> int:
        return len(self.paths) if self.table == "" else len(self.rowids)

    def text(self, zone: ZoneInfo) -> str:
        span = ""
        if self.dates:
            first, last = (f"{d.astimezone(zone):%Y-%m-%d}" for d in (min(self.dates), max(self.dates)))
            span = f", from {first}" + (f" to {last}" if last != first else "")
        return f"{self.kind}: {self.count} {self.action}{span} ({self.rule})"


@dataclass
class Plan:
    now: datetime
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is left, and why

    def lines(self, zone: ZoneInfo, done: bool) -> list[str]:
        if not self.steps:
            return ["Nothing to purge: nothing is older than the site's retention."] + self.notes
        head = "Purged:" if done else "Would purge (dry run: nothing was changed):"
        return [head] + [f"  {s.text(zone)}" for s in self.steps] + self.notes


def years_before(moment: datetime, years: int) -> datetime:
    """The same date and time `years` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def plan(store: Store, site: Site) -> Plan:
    """What a purge would do now. Only reads."""
    now = store.clock.now()
    found = Plan(now)
    cutoff = years_before(now, site.incidents.retention_years)
    day = f"{cutoff.astimezone(site.zone):%Y-%m-%d}"
    rule = f"[incidents] retention_years = {site.incidents.retention_years}: before {day}"
    done = {t: chain.purged(store.conn, t)[0] for t in ("incidents", "incident_supplements", "incident_drafts")}
    old = "SELECT id FROM incidents WHERE occurred_at < :cutoff"
    for kind, table, sql in (
        ("incidents", "incidents", f"SELECT rowid, occurred_at AS at FROM incidents WHERE id IN ({old})"),
        ("incident supplements", "incident_supplements",
         f"SELECT rowid, recorded_at AS at FROM incident_supplements WHERE incident_id IN ({old})"),
        ("incident drafts", "incident_drafts",
         "SELECT rowid, created_at AS at, fields FROM incident_drafts WHERE created_at < :cutoff"),
    ):
        rows = [r for r in store.rows(sql + " ORDER BY rowid", {"cutoff": to_iso(cutoff)})
                if r["rowid"] not in done[table]]
        if table == "incident_drafts":  # one with nothing typed in it has nothing to remove
            rows = [r for r in rows if privacy.redacted_draft(r["fields"]) != r["fields"]]
        if rows:
            found.steps.append(Step(kind, table, "redacted", rule, tuple(r["rowid"] for r in rows),
                                    dates=tuple(from_iso(r["at"]) for r in rows)))
    config = site.circulation
    days = f"[circulation] purge_after_days = {config.purge_after_days}"
    cards = circulation.purgeable_patrons(store, config)
    if cards:
        found.steps.append(Step("card numbers", "circ_patrons", "deleted", f"{days} after their upload",
                                tuple(r["rowid"] for r in cards),
                                dates=tuple(from_iso(r["scanned_at"]) for r in cards)))
    old_lists = store.rows(
        """SELECT p.rowid, l.imported_at FROM blocked_patrons p JOIN blocked_lists l ON l.id = p.list_id
           WHERE l.id IS NOT (SELECT id FROM blocked_lists ORDER BY imported_at DESC, rowid DESC LIMIT 1)
           ORDER BY p.rowid""")
    if old_lists:
        found.steps.append(Step("blocked cards of earlier lists", "blocked_patrons", "deleted",
                                "lists no longer in force", tuple(r["rowid"] for r in old_lists),
                                dates=tuple(from_iso(r["imported_at"]) for r in old_lists)))
    # What a patron gave for a reply to a problem report: kept as long as card numbers are.
    since = to_iso(now - timedelta(days=config.purge_after_days))
    done_reports = chain.purged(store.conn, "problem_reports")[0]
    reports = [r for r in store.rows("SELECT rowid, recorded_at, fields FROM problem_reports WHERE recorded_at < ? "
                                     "ORDER BY rowid", (since,))
               if r["rowid"] not in done_reports
               and privacy.redacted_problem_fields(r["fields"], privacy.RETENTION_REMOVED) != r["fields"]]
    if reports:
        found.steps.append(Step("problem reports", "problem_reports", "redacted", f"{days} after the report",
                                tuple(r["rowid"] for r in reports),
                                dates=tuple(from_iso(r["recorded_at"]) for r in reports)))
    files, elsewhere = _export_files(store, site)
    if files:
        found.steps.append(Step("export files", "", "removed", f"{days} after they were written",
                                paths=tuple(p for p, _ in files), dates=tuple(at for _, at in files)))
    if elsewhere:
        found.notes.append(f"Not removed: {len(elsewhere)} export file(s) written outside {_exports(store)} "
                           "(with --output); remove them by hand once uploaded:")
        found.notes += [f"  {p}" for p in elsewhere]
    return found


def _exports(store: Store) -> Path:
    """The folder beside the database where the desk writes its export files."""
    return store.path.absolute().parent / "exports"


def _export_files(store: Store, site: Site) -> tuple[list[tuple[str, datetime]], list[str]]:
    """Circulation files recorded in circ_exports, written before the cutoff and still there: those
    in the exports folder (to remove), and those elsewhere (to say)."""
    folder = _exports(store).resolve()
    mine, elsewhere = [], []
    for r in store.rows("SELECT path, exported_at FROM circ_exports WHERE path != '' AND exported_at < ? "
                        "ORDER BY rowid", (circulation.purge_cutoff(store, site.circulation),)):
        path = Path(r["path"])
        if not path.is_file() or path.is_symlink():
            continue  # gone already (uploaded and moved, or an earlier purge), or not a file the app wrote
        if path.resolve().is_relative_to(folder):
            mine.append((r["path"], from_iso(r["exported_at"])))
        else:
            elsewhere.append(r["path"])
    return mine, elsewhere


def apply(store: Store, found: Plan) -> None:
    """Carry out the plan: all of it in one transaction, or nothing (files included: each is moved
    aside first and removed only once the transaction has committed; put back if it fails)."""
    if not found.steps:
        return
    purge_id, at = new_id(), store.now_iso()
    moved: list[tuple[Path, Path]] = []
    try:
        with store.transaction():
            for step in found.steps:
                detail: dict[str, Any]
                if step.table == "":
                    for name in step.paths:
                        aside = Path(name).with_name(Path(name).name + ".purging")
                        os.replace(name, aside)
                        moved.append((Path(name), aside))
                    detail = {"paths": list(step.paths)}
                elif step.action == "redacted":
                    detail = {"rows": _redact(store, step)}
                elif step.table in APPEND_ONLY:
                    detail = {"runs": _delete_runs(store, step)}
                else:  # circ_patrons: not chained; its own trigger allows the delete of an uploaded card only
                    _in_chunks(store, "DELETE FROM circ_patrons WHERE rowid IN ({})", step.rowids)
                    detail = {"runs": [[a, b] for a, b, *_ in _runs(step.rowids)]}
                store.insert("purges", {
                    "purge_id": purge_id, "purged_at": at, "kind": step.kind, "tbl": step.table,
                    "action": step.action, "rule": step.rule, "count": step.count,
                    "oldest": to_iso(min(step.dates)) if step.dates else None,
                    "newest": to_iso(max(step.dates)) if step.dates else None,
                    "detail": _json(detail)}, keep_on_failure=False)
    except BaseException:
        for back, aside in moved:
            os.replace(aside, back)
        raise
    for _, aside in moved:
        aside.unlink(missing_ok=True)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass
class _Lifted:
    """A table's append-only trigger, lifted inside the caller's transaction and put back as it was."""

    store: Store
    name: str
    sql: str = ""

    def __enter__(self) -> None:
        self.sql = self.store.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                      (self.name,)).fetchone()[0]
        self.store.execute(f"DROP TRIGGER {self.name}")

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:  # on an error the transaction's rollback brings the trigger back
            self.store.execute(self.sql)


def _in_chunks(store: Store, sql: str, rowids: tuple[int, ...] | list[int]) -> None:
    for at in range(0, len(rowids), 500):
        chunk = rowids[at:at + 500]
        store.execute(sql.format(", ".join("?" * len(chunk))), tuple(chunk))


def _redact(store: Store, step: Step) -> list[list[Any]]:
    """Replace the personal columns of the step's rows; [rowid, digest] of each, for verify."""
    table = step.table
    with _Lifted(store, f"{table}_no_update"):
        if table in ("incident_drafts", "problem_reports"):  # text inside JSON: rewritten here
            marks = ", ".join("?" * len(step.rowids))
            for rowid, fields in store.execute(f"SELECT rowid, fields FROM {table} WHERE rowid IN ({marks})",
                                               step.rowids).fetchall():
                if table == "incident_drafts":
                    store.execute("UPDATE incident_drafts SET fields = ? WHERE rowid = ?",
                                  (privacy.redacted_draft(fields), rowid))
                else:  # the subject quotes the first field
                    store.execute("UPDATE problem_reports SET fields = ?, subject = ? WHERE rowid = ?",
                                  (privacy.redacted_problem_fields(fields, privacy.RETENTION_REMOVED),
                                   privacy.RETENTION_REMOVED, rowid))
        else:
            columns = privacy.INCIDENT_TEXT if table == "incidents" else privacy.SUPPLEMENT_TEXT
            _in_chunks(store, f"UPDATE {table} SET " + ", ".join(
                f"{c} = CASE WHEN {c} = '' THEN '' ELSE '{privacy.RETENTION_REMOVED}' END" for c in columns)
                + " WHERE rowid IN ({})", step.rowids)
    digests = []
    for at in range(0, len(step.rowids), 500):
        chunk = step.rowids[at:at + 500]
        for row in chain.read_rows(store.conn, table, f"WHERE rowid IN ({', '.join('?' * len(chunk))})", chunk):
            digests.append([row["rowid"], chain.redaction_digest(row)])
    return digests


def _runs(rowids: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """Rowids (ascending) as runs of consecutive numbers: (first, last, count)."""
    runs: list[tuple[int, int, int]] = []
    for rowid in rowids:
        if runs and runs[-1][1] == rowid - 1:
            runs[-1] = (runs[-1][0], rowid, runs[-1][2] + 1)
        else:
            runs.append((rowid, rowid, 1))
    return runs


def _delete_runs(store: Store, step: Step) -> list[list[Any]]:
    """Delete the step's rows of a chained table; per run of rows with no kept row between them:
    [first rowid, last rowid, count, the link before it, the last deleted row's link], for verify."""
    table = step.table
    _, deletions = chain.purged(store.conn, table)
    chosen = set(step.rowids)
    runs: list[list[Any]] = []
    current: list[Any] | None = None
    held: tuple[int, str] | None = None  # the last kept row: rowid, link
    for row in chain.read_rows(store.conn, table, "WHERE rowid BETWEEN ? AND ? ORDER BY rowid",
                               (min(chosen), max(chosen))):
        link = str(row["chain"])[:64]
        if row["rowid"] not in chosen:
            held, current = (row["rowid"], link), None
            continue
        if current is None:
            if held is None:  # the row before the first chosen one, which lies before this walk
                before = store.execute(f"SELECT rowid, chain FROM {table} WHERE rowid = "
                                       f"(SELECT max(rowid) FROM {table} WHERE rowid < ?)", (row["rowid"],)).fetchone()
                held = (before[0], str(before[1])[:64]) if before else None
            start = held[1] if held else chain.genesis(table)
            start, _ = chain.resume_after_deletions(deletions, start, held[0] if held else None, row["rowid"])
            current = [row["rowid"], row["rowid"], 0, start, link]
            runs.append(current)
        current[1], current[2], current[4] = row["rowid"], current[2] + 1, link
    with _Lifted(store, f"{table}_no_delete"):
        _in_chunks(store, f"DELETE FROM {table} WHERE rowid IN ({{}})", step.rowids)
    return runs

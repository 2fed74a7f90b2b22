"""Offline circulation files for the LSP (Alma .dat, Koha .koc, Evergreen) and a CSV for people.

Byte for byte (DOMAIN.md, "Offline circulation files"):

* Alma `.dat`: one line per transaction in scan order, CRLF after every
  line: local `YYYYMMDDHHmm` + `L` or `R` + the item barcode left-aligned and
  space-padded to 80 characters, then for a loan the patron identifier. A
  return line is exactly 93 characters. Renewals are written as loans (Alma
  renews an item already on loan to the same patron); in-house use and
  payments have no line.

* Koha `.koc` version 1.0. What Koha's reader does (offline_circ/
  process_koc.pl and enqueue_koc.pl, Koha-Community/Koha): it reads lines
  with Perl's `<$fh>` (split on LF), `chomp`s them and then deletes every
  CR, so LF and CRLF both work; we write LF. The header is split on tabs,
  then each field on '=' (so no '=' or tab in values: site.toml refuses
  them in the generator name); a Version other than 1.0 is reported as an
  error on the upload page, though the rows are still processed. Each row
  is split on tabs into timestamp, command and arguments: issue =
  cardnumber, barcode; return = barcode; payment = cardnumber, amount. The
  timestamp is split on whitespace into date, time and an id (our
  milliseconds); date and time go to Koha as the issue or return date. An
  unknown command (an empty line is one) is skipped with a warning, or
  queued as junk by enqueue_koc.pl: so no blank lines, and the file ends
  with the last row's LF. Payment amounts are decimals (2.50). Renewals
  are written as issues (Koha renews an item already issued to the same
  card); in-house use has no line.

* Evergreen: one JSON object per line (LF), as Evergreen's offline client
  writes its pending transactions and its offline.pl reads them (one
  JSON.parse per line, commands ordered by `timestamp`): `timestamp` (Unix
  seconds), `type` (`checkout`, `renew`, `checkin`, `in_house_use`), `delta`
  0, `barcode`; checkout and renew add `patron_barcode` and `checkout_time`,
  a checkin its `backdate`, an in-house use its `count` (1) and `use_time`,
  each time as JavaScript's toISOString writes it (UTC, milliseconds, Z). No
  `due_date`: Evergreen's own circulation policy sets it on upload. Payments
  have no line.

* CSV for people: a header and one row per transaction, every cell
  neutralised (control characters made visible, a leading = + - @ made
  text with a ').

Export writes a temporary file beside the target, fsyncs it and renames it
into place (never a half file, never over an existing file), then records
the export and the transactions it settled in one database transaction.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from shift import circulation
from shift.circulation import CARRIED, Transaction
from shift.files import FileRefused, unused_path, write_new_file
from shift.site import Site
from shift.store import Store, StoreError, write_refused
from shift.text import not_a_formula, printable

FORMATS = {"alma": ".dat", "koha": ".koc", "evergreen": ".jsonl", "csv": ".csv"}
FORMAT_NAMES = {"alma": "Alma offline circulation", "koha": "Koha offline circulation",
                "evergreen": "Evergreen offline transactions", "csv": "CSV for people"}
EVERGREEN_TYPES = {"loan": "checkout", "renew": "renew", "return": "checkin", "in_house": "in_house_use"}
KOC_VERSION = "1.0"
ALMA_ITEM_WIDTH = 80
CSV_HEADER = ("local_time", "action", "patron", "item", "amount", "warning", "id")


# An export that could not be written (bad format, file refused), worded for the person at the desk.
ExportError = FileRefused


@dataclass(frozen=True)
class Rendered:
    data: bytes
    written: tuple[str, ...]  # ids of the transactions that have a line in the file
    settled: tuple[str, ...]  # ids the format has no line for (recorded as dealt with)
    left_out: Counter = field(default_factory=Counter)  # reason -> how many could not be exported


@dataclass(frozen=True)
class ExportResult:
    format: str
    path: Path | None  # None: nothing to write, no file made
    written: int
    left_out: dict[str, int]
    purged: int

    def summary(self) -> list[str]:
        lines = []
        if self.path is None:
            lines.append(f"Nothing new to export as {FORMAT_NAMES[self.format]}: no file written.")
        else:
            lines.append(f"Wrote {self.written} transaction(s) to {self.path} ({FORMAT_NAMES[self.format]}).")
        for reason, count in self.left_out.items():
            lines.append(f"Left out: {reason}: {count}.")
        if self.purged:
            lines.append(f"Purged {self.purged} patron card number(s) uploaded long enough ago.")
        return lines


# -- the formats -------------------------------------------------------------


def render_alma(txns: list[Transaction], zone: ZoneInfo) -> Rendered:
    lines: list[str] = []
    written: list[str] = []
    carried, settled, left_out = _carried(txns, "alma", "Alma")
    for t in carried:
        if len(t.item) > ALMA_ITEM_WIDTH:
            left_out["item barcodes longer than 80 characters"] += 1
            continue
        stamp = f"{t.scanned_at.astimezone(zone):%Y%m%d%H%M}"
        if t.action == "return":
            line = f"{stamp}R{t.item.ljust(ALMA_ITEM_WIDTH)}"
        elif t.patron is None:
            left_out[_PURGED] += 1
            continue
        else:
            line = f"{stamp}L{t.item.ljust(ALMA_ITEM_WIDTH)}{t.patron}"
        lines.append(line + "\r\n")
        written.append(t.id)
    return Rendered("".join(lines).encode("ascii"), tuple(written), tuple(settled), left_out)


def render_koha(txns: list[Transaction], zone: ZoneInfo, generator: str, version: str) -> Rendered:
    lines = [f"Version={KOC_VERSION}\tGenerator={generator}\tGeneratorVersion={version}\n"]
    written: list[str] = []
    carried, settled, left_out = _carried(txns, "koha", "Koha")
    for t in carried:
        local = t.scanned_at.astimezone(zone)
        stamp = f"{local:%Y-%m-%d %H:%M:%S} {local.microsecond // 1000:03d}"
        if t.action == "return":
            fields = ["return", t.item]
        elif t.patron is None:
            left_out[_PURGED] += 1
            continue
        elif t.action == "payment":
            fields = ["payment", t.patron, _amount(t.amount_cents or 0)]
        else:
            fields = ["issue", t.patron, t.item]
        lines.append("\t".join([stamp, *fields]) + "\n")
        written.append(t.id)
    return Rendered("".join(lines).encode("utf-8"), tuple(written), tuple(settled), left_out)


def render_evergreen(txns: list[Transaction]) -> Rendered:
    lines: list[str] = []
    written: list[str] = []
    carried, settled, left_out = _carried(txns, "evergreen", "Evergreen")
    for t in carried:
        when = _js_iso(t.scanned_at)
        command = {"timestamp": int(t.scanned_at.timestamp()), "type": EVERGREEN_TYPES[t.action], "delta": 0}
        if t.action == "return":
            command.update(barcode=t.item, backdate=when)
        elif t.action == "in_house":
            command.update(barcode=t.item, count=1, use_time=when)
        elif t.patron is None:
            left_out[_PURGED] += 1
            continue
        else:
            command.update(patron_barcode=t.patron, barcode=t.item, checkout_time=when)
        lines.append(json.dumps(command, ensure_ascii=False, separators=(",", ":")) + "\n")
        written.append(t.id)
    return Rendered("".join(lines).encode("utf-8"), tuple(written), tuple(settled), left_out)


def _js_iso(moment: datetime) -> str:
    """As JavaScript's Date.toISOString(): 2026-11-25T00:30:00.000Z."""
    utc = moment.astimezone(timezone.utc)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def render_csv(txns: list[Transaction], zone: ZoneInfo) -> Rendered:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for t in txns:
        local = t.scanned_at.astimezone(zone).isoformat(sep=" ", timespec="seconds")
        patron = t.patron if t.patron is not None else ("(purged)" if t.action in ("loan", "renew", "payment") else "")
        amount = _amount(t.amount_cents) if t.amount_cents is not None else ""
        writer.writerow([safe_cell(v) for v in (local, t.action, patron, t.item, amount, t.warning, t.id)])
    # With a BOM, so that a spreadsheet opens accented reasons as UTF-8.
    return Rendered(out.getvalue().encode("utf-8-sig"), tuple(t.id for t in txns), (), Counter())


def safe_cell(value: str) -> str:
    """A CSV cell that a spreadsheet shows as text: no control characters, no formula."""
    return not_a_formula(printable(value))


_PURGED = "loans or payments whose patron card was purged after an earlier upload (cannot be exported again)"


def _carried(txns: list[Transaction], fmt: str, name: str) -> tuple[list[Transaction], list[str], Counter]:
    """The transactions `fmt` has a line for; the ids of the rest (settled by the export) and why."""
    carried: list[Transaction] = []
    settled: list[str] = []
    left_out: Counter[str] = Counter()
    for t in txns:
        if t.action in CARRIED[fmt]:
            carried.append(t)
        else:
            settled.append(t.id)
            left_out[f"{_plural(t.action)} ({name} files have no line for them)"] += 1
    return carried, settled, left_out


def _plural(action: str) -> str:
    return {"in_house": "in-house uses", "payment": "payments"}.get(action, action + "s")


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def generator_version() -> str:
    try:
        from importlib.metadata import version

        return version("solo-shift")
    except Exception:  # not installed (a bare checkout): the version in pyproject.toml
        return "0.1.0"


def render(site: Site, fmt: str, txns: list[Transaction]) -> Rendered:
    if fmt == "alma":
        return render_alma(txns, site.zone)
    if fmt == "koha":
        return render_koha(txns, site.zone, site.circulation.generator, generator_version())
    if fmt == "evergreen":
        return render_evergreen(txns)
    if fmt == "csv":
        return render_csv(txns, site.zone)
    raise ValueError(f"'{fmt}' is not an export format ({', '.join(FORMATS)})")


# -- writing ----------------------------------------------------------------


def default_path(folder: Path, fmt: str, moment: datetime, zone: ZoneInfo, desk: str = "") -> Path:
    """`folder/circ-DESK-YYYYMMDD-HHMM.ext` (local time), with -2, -3 … if that name is taken.

    The desk is in the name so that files from several desks gathered in one
    shared folder for the upload neither collide nor get mixed up."""
    desk_part = re.sub(r"[^A-Za-z0-9_-]+", "-", desk).strip("-")
    stem = "-".join(part for part in ("circ", desk_part, f"{moment.astimezone(zone):%Y%m%d-%H%M}") if part)
    return unused_path(folder, stem, FORMATS[fmt])


def export(store: Store, site: Site, fmt: str, path: Path | str, include_all: bool = False,
           create_folder: bool = False) -> ExportResult:
    """Write the file, then record what it holds, then purge card numbers uploaded long enough ago.

    Without include_all, only transactions not yet exported *in this format*
    (an Alma file does not stop a CSV for the coordinator, nor the reverse).
    Voided transactions are never exported. Raises ExportError with a
    message for people when the file cannot be written.
    """
    if fmt not in FORMATS:
        raise ExportError(f"'{fmt}' is not an export format: choose {', '.join(FORMATS)}")
    path = Path(path)
    rendered = render(site, fmt, circulation.exportable(store, fmt, include_all))
    if not rendered.written and not rendered.settled:
        return ExportResult(fmt, None, 0, dict(rendered.left_out), circulation.purge_patrons(store, site.circulation))
    if rendered.written:
        write_new_file(path, rendered.data, create_folder)
    try:
        with store.transaction():
            export_row = store.insert("circ_exports", {
                "exported_at": store.now_iso(), "format": fmt,
                "path": str(path.absolute()) if rendered.written else "", "count": len(rendered.written),
            })
            store.insert_all([("circ_exported", {"export_id": export_row["id"], "txn_id": txn_id})
                              for txn_id in rendered.written + rendered.settled])
    except (sqlite3.Error, StoreError) as exc:
        # A file whose transactions are not marked would be exported, and uploaded, again.
        if rendered.written:
            path.unlink(missing_ok=True)
        why = str(exc) if isinstance(exc, StoreError) else write_refused(store.path, exc)
        raise ExportError(f"Nothing exported: {why}") from exc
    purged = circulation.purge_patrons(store, site.circulation)
    return ExportResult(fmt, path if rendered.written else None, len(rendered.written),
                        dict(rendered.left_out), purged)

"""A .koc reader written from Koha's own (offline_circ/process_koc.pl, enqueue_koc.pl).

What Koha does, line by line: split the file on LF; chomp; delete every CR.
Header: split on tabs, each field on '=' into key and value; a Version other
than 1.0 is an error. Rows: split on tabs into timestamp, command and
arguments; the timestamp splits on whitespace into date, time and an id.
issue takes cardnumber and barcode, return takes barcode, payment takes
cardnumber and amount; any other command is not processed.

Koha itself is lenient about what it then hands to the database; this
reader is strict where Koha would silently store junk (a missing field, a
date MySQL would not take, an amount that is not a number), so a row it
accepts is one Koha processes as meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SUPPORTED_VERSION = "1.0"
ARGUMENTS = {"issue": ("cardnumber", "barcode"), "return": ("barcode",), "payment": ("cardnumber", "amount")}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}$")
_MILLIS = re.compile(r"^\d{3}$")
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


@dataclass
class KocFile:
    header: dict[str, str]
    accepted: list[dict[str, str]] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, line, why)
    error: str = ""  # the whole file is refused


def read_koc(data: bytes) -> KocFile:
    text = data.decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # Perl's <$fh> gives no empty line after the last LF
    if not lines:
        return KocFile({}, error="empty file")
    header = _header(lines[0])
    result = KocFile(header)
    if header.get("Version") != SUPPORTED_VERSION:
        result.error = f"file version {header.get('Version')!r} is not {SUPPORTED_VERSION}"
        return result
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.replace("\r", "")
        row, why = _row(line)
        if row is None:
            result.rejected.append((number, raw, why))
        else:
            result.accepted.append(row)
    return result


def _header(line: str) -> dict[str, str]:
    info: dict[str, str] = {}
    for item in line.replace("\r", "").split("\t"):
        parts = item.split("=")
        if len(parts) != 2:  # Perl's map would pair the wrong keys and values
            info.setdefault("_malformed", item)
            continue
        info[parts[0]] = parts[1]
    return info


def _row(line: str) -> tuple[dict[str, str] | None, str]:
    fields = line.split("\t")
    if len(fields) < 2:
        return None, "no command"
    timestamp, command, *args = fields
    if command not in ARGUMENTS:
        return None, f"unknown command {command!r}"
    names = ARGUMENTS[command]
    if len(args) != len(names):
        return None, f"{command} takes {len(names)} field(s), got {len(args)}"
    parts = timestamp.split()
    if len(parts) != 3 or not _DATE.match(parts[0]) or not _TIME.match(parts[1]) or not _MILLIS.match(parts[2]):
        return None, f"timestamp {timestamp!r} is not 'YYYY-MM-DD HH:MM:SS mmm'"
    named = dict(zip(names, args, strict=True))  # the count was checked above
    row = {"date": parts[0], "time": parts[1], "id": parts[2], "command": command, **named}
    if any(not row[name] or row[name] != row[name].strip() for name in names):
        return None, "an empty field or surrounding spaces"
    if command == "payment" and not _AMOUNT.match(row["amount"]):
        return None, f"amount {row['amount']!r} is not a decimal"
    return row, ""

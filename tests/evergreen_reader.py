"""An Evergreen offline-transaction reader written from Evergreen's own
(Open-ILS/src/offline/offline.pl, evergreen-library-system/Evergreen).

What offline.pl does with an uploaded file: JSON-parse each line
(ol_file_to_perl), drop commands without a `type`, order the rest by
`timestamp` (plus the upload's time delta), then hand each to the circulation
service by type: checkout and renew take `barcode`, `patron_barcode`,
`checkout_time` and `due_date`; checkin takes `barcode` and `backdate`;
in_house_use takes `barcode`, `count` and `use_time`; any other type is not
processed. This reader is strict where Evergreen would pass junk on (a
missing barcode, a time that is not an ISO-8601 instant).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

NEEDS = {"checkout": ("barcode", "patron_barcode"), "renew": ("barcode",),
         "checkin": ("barcode",), "in_house_use": ("barcode",)}
TIMES = ("checkout_time", "backdate", "use_time", "due_date")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@dataclass
class Upload:
    commands: list[dict] = field(default_factory=list)  # in the order Evergreen runs them
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, why)


def read_offline(data: bytes) -> Upload:
    upload = Upload()
    accepted = []
    for number, line in enumerate(data.decode("utf-8").split("\n"), start=1):
        if not line:
            continue
        try:
            command = json.loads(line)
        except ValueError:
            upload.rejected.append((number, line, "not JSON"))
            continue
        why = _problem(command)
        if why:
            upload.rejected.append((number, line, why))
        else:
            accepted.append(command)
    upload.commands = sorted(accepted, key=lambda c: c["timestamp"])  # Perl's sort is stable too
    return upload


def _problem(command) -> str:
    if not isinstance(command, dict) or not command.get("type"):
        return "no type"
    if command["type"] not in NEEDS:
        return f"unknown type {command['type']!r}"
    if not isinstance(command.get("timestamp"), int):
        return "timestamp is not whole Unix seconds"
    for name in NEEDS[command["type"]]:
        if not isinstance(command.get(name), str) or not command[name]:
            return f"no {name}"
    for name in TIMES:
        if name in command and not _INSTANT.match(str(command[name])):
            return f"{name} is not an ISO-8601 instant"
    if command["type"] == "in_house_use" and not (isinstance(command.get("count"), int) and command["count"] > 0):
        return "count is not a positive whole number"
    return ""

"""Copying an entry out for a reply by email, and where the copied text can be found again.

The desk hands the text to the terminal's clipboard (OSC 52), but it cannot know whether the
terminal took it: many refuse, or need a setting (tmux: set-clipboard on). So every copy is also
recorded, whole, in copied_out: the desk's log says what was copied and the shift's report (Ctrl+R
at the desk, and the manager's copy) holds the text, where the worker writing the email finds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from shift.clock import from_iso
from shift.knowledge import Entry
from shift.shifts import Shift
from shift.site import Site
from shift.store import Store
from shift.text import printable


class Copied(NamedTuple):
    id: str
    copied_at: datetime
    entry_title: str
    what: str  # "contact details" or "text"
    text: str


def record(store: Store, shift: Shift, entry: Entry) -> Copied | None:
    """Record what copying this entry gives (None: a notice, or an entry with nothing to copy).
    Storage failing keeps it in memory like every entry."""
    what, text = entry.copy_text()
    if not text:
        return None
    row = store.insert("copied_out", {"shift_id": shift.id, "copied_at": store.now_iso(), "entry_id": entry.id,
                                      "entry_title": entry.title, "what": what, "text": text})
    return _copied(row)


def _copied(row: dict) -> Copied:
    return Copied(row["id"], from_iso(row["copied_at"]), row["entry_title"], row["what"], row["text"])


def of_shift(store: Store, shift_id: str) -> list[Copied]:
    rows = store.rows("SELECT * FROM copied_out WHERE shift_id = ? ORDER BY copied_at, rowid", (shift_id,))
    return [_copied(r) for r in rows + store.waiting("copied_out", shift_id=shift_id)]


def report_lines(store: Store, site: Site, shift_id: str) -> list[str]:
    """The shift report's lines: when, what, then the text as copied, line by line."""
    lines: list[str] = []
    for copied in of_shift(store, shift_id):
        lines.append(f"Copied {copied.copied_at.astimezone(site.zone):%H:%M}: {copied.what} of {copied.entry_title}")
        # The coordinator's text, shown as text: a control character in a file is not obeyed by the
        # terminal `report` prints to.
        lines += [f"  {printable(line.strip())}" for line in copied.text.splitlines() if line.strip()]
        lines.append("")
    return lines

"""Desk knowledge: referrals, ready answers, policies and notices, one TOML file per entry.

The coordinator keeps them in `knowledge/` like the procedures (see knowledge/README.md);
`check` validates them, the desk searches them with one key (shift/knowledgesearch.py).
A notice (someone suspended or trespassed) is a file too, written by the manager from an
incident: it names the incident's id and the dates it runs; it is never in the database, so
no statistics export or report can carry it, and from its `until` date it is no longer shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from shift.alertconfig import is_address
from shift.problems import Problem, display_path
from shift.text import printable
from shift.tomlsrc import Section, Source

KINDS = {"referral": "Referral", "answer": "Ready answer", "policy": "Policy", "notice": "Notice"}
CONTACT_FIELDS = ("handles", "where", "hours", "phone", "email", "web")
CONTACT_NAMES = {"handles": "Handles", "where": "Where", "hours": "Hours", "phone": "Phone",
                 "email": "Email", "web": "Web"}
STALE_AFTER = timedelta(days=365)  # "old": nobody has confirmed it for more than a year
# A problem report form fits an 80x24 screen: a few short fields, each one line.
FORM_FIELDS_MAX = 6
LABEL_MAX = 60
_FIELD_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    required: bool = False
    hint: str = ""  # shown in the empty field


@dataclass(frozen=True)
class ReportForm:
    """A ready answer's problem report: what the desk asks, and the address it is emailed to."""

    send_to: str
    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class Entry:
    id: str  # the file name without .toml
    path: str  # as shown to people (relative to the working directory)
    kind: str  # one of KINDS
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    checked: date | None = None
    sample: bool = False  # its local facts are the sample site's, not yet this library's
    tally: str = ""  # the statistics type logged from the entry ("" = none offered)
    contact: tuple[tuple[str, str], ...] = ()  # (field, text) in CONTACT_FIELDS order, filled ones only
    # Notices only.
    starts: date | None = None
    until: date | None = None
    conditions: str = ""
    incident: str = ""
    form: ReportForm | None = None  # ready answers only: a problem report to fill in and email
    lines: tuple[tuple[str, int], ...] = ()  # top-level key -> its line in the file, for `check`

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]

    def line_of(self, key: str) -> int | None:
        return dict(self.lines).get(key)

    def copy_text(self) -> tuple[str, str]:
        """(what it is, the text) to copy for a reply by email: a referral's contact details
        (under its title), otherwise the entry's text; ("", "") for a notice, which describes a person."""
        if self.kind == "notice":
            return "", ""
        if self.kind == "referral" and self.contact:
            return "contact details", f"{self.title}\n{self.contact_text()}"
        if self.body.strip():
            return "text", self.body.strip()
        return ("contact details", f"{self.title}\n{self.contact_text()}") if self.contact else ("", "")

    def is_old(self, today: date) -> bool:
        return self.checked is not None and today - self.checked > STALE_AFTER

    def expired(self, today: date) -> bool:
        """A notice ends on its `until` date: from that day it is not shown."""
        return self.kind == "notice" and self.until is not None and today >= self.until

    def contact_text(self) -> str:
        """The contact details as lines, for reading out or copying into an email."""
        return "\n".join(f"{CONTACT_NAMES[name]}: {text}" for name, text in self.contact)


def load_entry_file(path: Path) -> tuple[Entry | None, list[Problem]]:
    """One entry, or None and the problems (every problem located as file:line)."""
    src = Source.read(path)
    if not src.ok:
        return None, src.problems
    entry = _read(src.root(), path)
    return (None if src.has_errors else entry), src.problems


def _read(sec: Section, path: Path) -> Entry:
    kind = sec.text("kind", required=True) or ""
    if kind and kind not in KINDS:
        sec.error("kind", f"'{kind}' is not a kind of entry; use one of: {', '.join(KINDS)}")
    title = _one_line(sec, "title")
    body = sec.text("body", "")
    tags = tuple(sec.texts("tags"))
    checked = sec.get("checked", (date,), "a date such as 2026-05-01 (no quotes)", required=True)
    sample = sec.flag("sample")
    tally = sec.text("tally", "")
    contact: list[tuple[str, str]] = []
    table = sec.table("contact")
    if table is not None:
        for name in CONTACT_FIELDS:
            text = table.line(name, "")
            if text.strip():
                contact.append((name, text.strip()))
        table.finish()
    starts = until = None
    conditions = incident = ""
    if kind == "notice":
        starts = sec.get("from", (date,), "the first day, a date such as 2026-05-01", required=True)
        until = sec.get("until", (date,), "the day it ends, a date such as 2026-11-01", required=True)
        conditions = sec.text("conditions", "")
        incident = _one_line(sec, "incident")
        if starts and until and until <= starts:
            sec.error("until", f"{until} is not after from = {starts}")
    form = None
    if sec.has("report"):
        form = _form(sec, kind)
    sec.finish()
    lines = tuple((key, line) for key in sec.data if (line := sec.src.line((key,))) is not None)
    return Entry(path.stem, display_path(path), kind, title, body, tags, checked, sample, tally,
                 tuple(contact), starts, until, conditions, incident, form, lines)


def _form(sec: Section, kind: str) -> ReportForm | None:
    """The [report] table: where the report goes, and its fields (every problem located)."""
    table = sec.table("report")
    if table is None:
        return None
    if kind and kind != "answer":
        sec.error("report", f"only a ready answer (kind = \"answer\") can carry a problem report form, "
                            f"not a {kind}")
    send_to = table.line("send_to", "", required=True).strip()
    if send_to and not is_address(send_to):
        table.error("send_to", f"'{send_to}' is not one email address (e.g. libsystems@example.edu)")
    title = table.line("title", "Report the problem").strip()
    fields: list[FormField] = []
    seen: set[str] = set()
    items = table.tables("fields", required=True)
    if len(items) > FORM_FIELDS_MAX:
        table.error("fields", f"{len(items)} fields: at most {FORM_FIELDS_MAX} fit on the desk's screen")
    for item in items:
        ident = item.line("id", "", required=True)
        if ident and not _FIELD_ID.match(ident):
            item.error("id", f"'{ident}' is not a field id: lower-case letters, digits, - and _, "
                             "starting with a letter")
        elif ident in seen:
            item.error("id", f"'{ident}' is already the id of another field")
        seen.add(ident)
        label = item.line("label", "", required=True).strip()
        if len(label) > LABEL_MAX:
            item.error("label", f"{len(label)} characters: at most {LABEL_MAX}, so it fits beside the field")
        fields.append(FormField(ident, label, item.flag("required"), item.line("hint", "").strip()))
        item.finish()
    table.finish()
    return ReportForm(send_to, title, tuple(fields))


def _one_line(sec: Section, key: str) -> str:
    """A required one-line text (a missing key is one problem, not two)."""
    return sec.line(key, "", required=True) if sec.has(key) else (sec.text(key, required=True) or "")


def load_knowledge(directory: Path) -> tuple[list[Entry], list[Problem]]:
    """Every valid entry under `directory` (subfolders included) and all problems; a broken
    file is left out, as a broken procedure is."""
    if not directory.is_dir():
        return [], [Problem(display_path(directory), None, "", "knowledge folder not found", "warning")]
    entries: list[Entry] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.rglob("*.toml")):
        entry, found = load_entry_file(path)
        problems += found
        if entry is None:
            continue
        if entry.id in seen:  # the id is the file name: two folders may hold the same name
            problems.append(Problem(entry.path, None, "", f"the name '{entry.id}' is already used by "
                                    f"{seen[entry.id]}; skipped"))
            continue
        seen[entry.id] = entry.path
        entries.append(entry)
    return entries, problems


def review_problems(entries: list[Entry], today: date, categories: set[str] | None) -> list[Problem]:
    """What `check` says beyond the format: old entries (or checked on a day still to come), expired
    notices, an unknown statistics type."""
    found = []
    for entry in entries:
        def problem(key: str, message: str, severity: str = "error", entry: Entry = entry) -> Problem:
            return Problem(entry.path, entry.line_of(key), key, message, severity)  # at the key's line

        if entry.is_old(today):
            found.append(problem("checked", f"last checked {entry.checked}, more than a year ago: confirm it is "
                                            "still right, then set checked = <today's date>", "warning"))
        elif entry.checked is not None and entry.checked > today:
            # A typo (2062 for 2026) would otherwise keep the entry from ever being flagged old.
            found.append(problem("checked", f"{entry.checked} is after today: nobody has checked it yet; "
                                            "put the day it was really checked", "warning"))
        if entry.expired(today):
            found.append(problem("until", f"notice ended on {entry.until}: no longer shown at the desk; "
                                          "delete the file", "warning"))
        if entry.tally and categories is not None and entry.tally not in categories:
            found.append(problem("tally", f"'{entry.tally}' is not one of the site's statistics types "
                                          f"({', '.join(sorted(categories))})"))
    return found


def shown(entries: list[Entry], today: date) -> list[Entry]:
    """The entries the desk offers today: a notice only from its first day until it ends."""
    return [e for e in entries if not e.expired(today) and not (e.kind == "notice" and e.starts and today < e.starts)]


def log_note(entry: Entry) -> str:
    """The note a tally logged from an entry carries: what the desk did with the question."""
    verb = "referred to" if entry.kind == "referral" else "answered with"
    return f"{verb}: {entry.title}"


READ_SCALE_ID = "read-scale"  # the entry whose text defines the READ levels, one "N  definition" line each
_LEVEL_LINE = re.compile(r"^\s*([1-6])\s+(\S.*)$")


def read_levels(entries: list[Entry]) -> dict[int, str]:
    """The READ levels' definitions as the READ scale entry gives them (none without it), so
    the scale shown when logging is the one the coordinator keeps."""
    entry = next((e for e in entries if e.id == READ_SCALE_ID), None)
    found = {}
    for line in (entry.body.splitlines() if entry else []):
        level = _LEVEL_LINE.match(line)
        if level:
            found[int(level.group(1))] = printable(level.group(2).strip())  # shown on the desk's line
    return found


def read_scale(directory: Path | None) -> dict[int, str]:
    """The READ levels' definitions from the READ scale entry alone (one small file, read when the
    desk's READ prefix is first typed), wherever it is under `directory`; none without it."""
    if directory is None or not directory.is_dir():
        return {}
    for path in sorted(directory.rglob(f"{READ_SCALE_ID}.toml")):
        entry, _ = load_entry_file(path)
        if entry is not None:
            return read_levels([entry])
    return {}

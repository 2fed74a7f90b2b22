"""Keeping patron identifiers out of incident reports, and a nudge toward neutral words.

Incident reports may one day be read by the person described (FIPPA), and a
library card number is personal information that never belongs in one. Before
an incident or a supplement is saved, its text is searched for anything that
looks like an identifier:

- a word matching the site's patron card pattern (`[circulation.patron]`),
  when the pattern is specific enough to mean something (digits only, a
  prefix, a check digit or at least 5 characters) and the word has 4 digits;
- 7 or more digits in a row (a card, a student number: "21234567890123",
  "1234567");
- digits in groups joined by single spaces or dashes, when there are 10 or
  more, or 8 or more with a group of 4 (a number read aloud or copied with
  spaces: "2 1234 5678 9012 34", "1234 5678", "1234-567-890"); a short list
  such as "rooms 301 302 303" is not one.

Not flagged: North American phone numbers written with separators
("705-555-0123", "(705) 555-0123", "1-800-555-0199"), dates ("2026-11-24",
"24-11-2026"), clock times ("19:30") and 24-hour ranges ("1930-2000").
A phone number written as 10 plain digits is flagged: the person can say it
is not a patron identifier and keep it.

Words that judge rather than describe ("crazy", "drunk") are only a reminder:
they never stop a save, and words inside quotation marks (what someone said,
quoted verbatim) are not counted.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from shift.barcodes import BarcodePattern

REPLACEMENT = "(card number removed)"
PLAIN_DIGITS = 7  # a plain run this long is a student or card number until shown otherwise
GROUPED_DIGITS = 8  # digits in groups joined by single spaces or dashes


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    text: str  # exactly as it appears in the text
    why: str


# Shapes that are numbers but not identifiers; masked before digit runs are counted.
# A phone number is not part of a longer run of digit groups ("2 123 456 7890 123" is a card).
_PHONE = re.compile(
    r"(?<![\w-])(?<!\d[ .-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])(?![ .-]\d{3})",
    re.ASCII)
_DATE = re.compile(
    r"(?<![\w-])(?:(?:19|20)\d\d-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])-(?:0?[1-9]|1[0-2])-(?:19|20)\d\d"
    r"|(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])-(?:19|20)\d\d)(?![\w-])", re.ASCII)
_TIME_RANGE = re.compile(r"(?<![\w-])(?:[01]\d|2[0-3])[0-5]\d-(?:[01]\d|2[0-3])[0-5]\d(?![\w-])", re.ASCII)
# Digits in groups joined by exactly one space or dash (Unicode digits too).
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*(?!\d)")
_WORD = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")
_MASK = "\x00"


def _masked(text: str) -> str:
    """The text with phone numbers, dates and time ranges blanked out (same length)."""
    for shape in (_PHONE, _DATE, _TIME_RANGE):
        text = shape.sub(lambda m: _MASK * len(m.group()), text)
    return text


def _specific(pattern: BarcodePattern | None) -> bool:
    """Whether a card pattern says enough to tell a card from an ordinary word."""
    if pattern is None:
        return False
    return bool(pattern.digits_only or pattern.prefixes or pattern.check_digit != "none"
                or pattern.min_length >= 5)


def _read_out(run: str, digits: str) -> bool:
    """Grouped digits that look like a number read out, not a list ("301 302 303")."""
    longest = max(len(group) for group in re.split(r"[ -]", run))
    return len(digits) >= 10 or (len(digits) >= GROUPED_DIGITS and longest >= 4)


def _grow(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to the whole word around it ("ID12345678", not "12345678")."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def find_identifiers(text: str, patron_pattern: BarcodePattern | None = None) -> list[Finding]:
    """Everything in `text` that looks like a patron identifier, in order, not overlapping."""
    if not text:
        return []
    masked = _masked(text)
    spans: list[tuple[int, int, int, str]] = []  # start, rank (card pattern first), end, why
    card = patron_pattern if _specific(patron_pattern) else None
    if card is not None:
        for m in _WORD.finditer(masked):
            word = m.group()
            if sum(ch.isdigit() for ch in word) >= 4 and card.matches(word):
                spans.append((m.start(), 0, m.end(), f"looks like a {card.what} number"))
    for m in _DIGIT_RUN.finditer(masked):
        run = m.group()
        digits = "".join(ch for ch in run if ch.isdigit())
        grouped = len(digits) != len(run)
        if card is not None and grouped and digits.isascii() and card.matches(digits):
            spans.append((m.start(), 0, m.end(),
                          f"looks like a {card.what} number (with spaces or dashes)"))
        elif not grouped and len(digits) >= PLAIN_DIGITS:
            spans.append((m.start(), 1, m.end(), f"{len(digits)} digits in a row: a card or student number?"))
        elif grouped and _read_out(run, digits):
            spans.append((m.start(), 1, m.end(),
                          f"{len(digits)} digits in groups: a card or student number read out?"))
    findings: list[Finding] = []
    for start, _rank, end, why in sorted(spans):
        start, end = _grow(text, start, end)
        if findings and start < findings[-1].end:
            last = findings[-1]
            if end > last.end:
                findings[-1] = Finding(last.start, end, text[last.start:end], last.why)
            continue
        findings.append(Finding(start, end, text[start:end], why))
    return findings


def remove_identifiers(text: str, findings: list[Finding]) -> str:
    """`text` with each finding replaced by "(card number removed)"."""
    out: list[str] = []
    at = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < at or text[f.start:f.end] != f.text:
            raise ValueError("these findings do not belong to this text")
        out.append(text[at:f.start])
        out.append(REPLACEMENT)
        at = f.end
    out.append(text[at:])
    return "".join(out)


# Words that judge a person rather than describe what was seen or heard.
JUDGEMENT_WORDS = (
    "crazy", "insane", "psycho", "psychotic", "lunatic", "nutjob", "nutcase", "nuts", "deranged",
    "mental", "hysterical", "unhinged", "drunk", "drunken", "wasted", "stoned", "junkie", "druggie",
    "crackhead", "addict", "creepy", "creep", "weird", "weirdo", "freak", "bum", "vagrant",
    "disgusting", "gross", "smelly", "filthy", "scary", "idiot", "stupid", "loser", "thug",
    "sketchy", "shady", "lazy", "obnoxious",
)
_JUDGEMENT = re.compile(r"\b(" + "|".join(JUDGEMENT_WORDS) + r")\b", re.IGNORECASE)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»")


def judgement_words(text: str) -> list[str]:
    """Judging words in `text` (outside quotation marks), each once, as first written."""
    unquoted = _QUOTED.sub(lambda m: " " * len(m.group()), text)
    seen: dict[str, str] = {}
    for m in _JUDGEMENT.finditer(unquoted):
        seen.setdefault(m.group().lower(), m.group())
    return list(seen.values())


# -- what is personal in the record: one set of rules for the retention purge and --redact ----------

# An incident's text fields (shift/incidents.py TEXT_FIELDS: a test keeps the two the same):
# names and descriptions of people, and free text that may hold either. The retention purge
# blanks these and keeps the rest (category, times, zone, injury level, who was hurt as a kind,
# severity, the calls made): the fact of the incident for the statistics and the law's counts,
# without the person.
INCIDENT_TEXT = ("location", "what_happened", "people", "witnesses", "refused_details", "actions",
                 "injury_details", "followup", "followup_by", "reporter")
SUPPLEMENT_TEXT = ("author", "text")
RETENTION_REMOVED = "(removed after the retention period)"

# What a report made with --redact leaves out: every name of a person (workers, who approved,
# who answered an alarm or unlocked the desk) and everything typed as free text, which may name
# or describe someone. Kept: times, categories, counts, zones, statuses, amounts, procedure and
# task titles (the library's own words), step answers that are numbers and choices (which later
# steps show depends on them); a text step's answer is free text (_redact_typed_answers).
REDACTED = "[redacted]"
REPORT_REDACTED: dict[str, tuple[str, ...]] = {
    "shifts": ("worker",),
    "shift_signins": ("worker",),
    "shift_ends": ("handover",),
    "followups": ("text",),
    "followup_resolutions": ("note",),
    "tallies": ("note",),
    "step_outcomes": ("reason",),
    "step_notes": ("text",),
    "prompt_events": ("reason",),
    "sweep_results": ("detail",),
    "checkin_events": ("detail",),
    "incidents": INCIDENT_TEXT,
    "incident_supplements": SUPPLEMENT_TEXT,
    "fees": ("receipt", "reason"),
    "overrides": ("what", "why", "approved_by"),
    "lock_events": ("who",),
    "problem_report_sends": ("detail",),  # a refusal may quote the addresses
}


def redacted_problem_fields(fields: str, replacement: str) -> str:
    """A problem report's fields (JSON [[label, text], ...]) with each text given as `replacement`:
    the labels are the coordinator's; what was typed may name a patron or give their email."""
    return json.dumps([[label, replacement if text else text] for label, text in json.loads(fields)],
                      ensure_ascii=False)


def redacted_draft(fields: str, replacement: str = "") -> str:
    """An incident draft's fields (JSON) without its text fields, or with each given as `replacement`."""
    found = json.loads(fields)
    if replacement:
        return json.dumps({k: (replacement if k in INCIDENT_TEXT and v else v) for k, v in found.items()},
                          ensure_ascii=False)
    return json.dumps({k: v for k, v in found.items() if k not in INCIDENT_TEXT}, ensure_ascii=False)


def redact_copy(source: sqlite3.Connection) -> sqlite3.Connection:
    """A copy of the database in memory with REPORT_REDACTED's columns replaced (an empty one
    stays empty: "[redacted]" where nothing was written would say something was), for a report
    that may be shown to others. The file itself is only read."""
    copy = sqlite3.connect(":memory:", isolation_level=None)
    source.backup(copy)
    present = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    copy.execute("BEGIN")
    # Only this copy's triggers: a redaction is a change, which the record refuses.
    for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        copy.execute(f'DROP TRIGGER "{name}"')
    for table, columns in REPORT_REDACTED.items():
        if table in present:
            copy.execute(f"UPDATE {table} SET " + ", ".join(
                f"{c} = CASE WHEN {c} IS NULL OR {c} = '' THEN {c} ELSE :r END" for c in columns), {"r": REDACTED})
    if {"step_outcomes", "procedure_runs", "procedure_versions"} <= present:
        _redact_typed_answers(copy)
    if "problem_reports" in present:  # the labels are the coordinator's; what was typed may name a patron
        for rowid, fields in copy.execute("SELECT rowid, fields FROM problem_reports").fetchall():
            copy.execute("UPDATE problem_reports SET fields = ?, subject = ? WHERE rowid = ?",
                         (redacted_problem_fields(fields, REDACTED), REDACTED, rowid))
    if "incident_drafts" in present:
        for rowid, fields in copy.execute("SELECT rowid, fields FROM incident_drafts").fetchall():
            copy.execute("UPDATE incident_drafts SET fields = ? WHERE rowid = ?",
                         (redacted_draft(fields, REDACTED), rowid))
    copy.execute("COMMIT")
    return copy


def _redact_typed_answers(copy: sqlite3.Connection) -> None:
    """A text step's answer was typed by the worker (an emergency asks them to describe the
    person and quote their words), and a notice step's holds text answers: redacted, found by
    the step's kind in the version of the procedure each run followed. Numbers, choices and
    yes/no stay. A version that no longer reads has every answer redacted: what it asked cannot
    be told."""
    from shift.procedures import parse_procedure

    for sha, path, text in copy.execute("SELECT sha256, path, text FROM procedure_versions").fetchall():
        procedure, _ = parse_procedure(text, Path(path), pinned=True)
        # A notice step keeps the notice as posted: a template filled with text answers.
        typed = None if procedure is None else [step.id for step in procedure.steps
                                                if step.kind == "text" or step.notice]
        if typed == []:
            continue
        which = "" if typed is None else f" AND step_id IN ({', '.join('?' for _ in typed)})"
        copy.execute(
            "UPDATE step_outcomes SET answer = ? WHERE answer IS NOT NULL AND answer <> '' AND run_id IN "
            f"(SELECT id FROM procedure_runs WHERE version_sha256 = ?){which}", (REDACTED, sha, *(typed or [])))

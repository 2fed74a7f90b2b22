"""Problem reports: a ready answer's small form, filled in at the desk, recorded and emailed.

The entry (knowledge/, see knowledge/README.md) declares the form's fields and the address it
goes to. Recording is one row in problem_reports; each attempt to email it is one row in
problem_report_sends, written once the mail server has answered: 'sent' only when the server
accepted the message, 'failed' with its reason otherwise. A report whose latest attempt failed
(or that was never tried, the desk closed while it was sending) is tried again while the desk
runs, and the worker can try it again at once. The mail goes through the alerts' own SMTP code
(shift/alerts.py: STARTTLS, certificates, the password kept out of reach), to the entry's address.

Everything typed is text: kept with control characters shown as visible symbols (so no line
break reaches a mail header and no escape sequence a terminal), and escaped wherever it is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

from shift.alertconfig import AlertError, EmailSettings
from shift.clock import from_iso, to_iso
from shift.knowledge import Entry, ReportForm
from shift.shifts import WORKER, Shift
from shift.site import Site
from shift.store import Store
from shift.text import printable

PURPOSE = "problem reports"  # how the mail code names the recipients in what it says
FIELD_LIMIT = 2000  # characters per field: a URL, an error message, a paragraph at most
SUBJECT_LIMIT = 120
RETRY_FOR = timedelta(days=7)  # an older report still unsent is left to the shift report's reader


@dataclass(frozen=True)
class ProblemReport:
    id: str
    shift_id: str
    recorded_at: datetime
    entry_id: str
    entry_title: str
    send_to: str
    subject: str
    fields: tuple[tuple[str, str], ...]  # (label, text) in the form's order; "" for a field left empty


class SendState(NamedTuple):
    outcome: str  # "sent", "failed", or "" when no attempt has finished yet
    detail: str  # what the mail code said: "emailed x@y" or why not
    at: datetime | None
    tries: int

    def text(self, zone) -> str:
        """One line for the screen and the report: the truth about the email, never more."""
        if self.outcome == "sent":
            return f"emailed {self.at.astimezone(zone):%H:%M}" if self.at else "emailed"
        if self.outcome == "failed":
            tries = f", {self.tries} tries" if self.tries > 1 else ""
            return f"NOT SENT ({self.detail}{tries})"
        return "not sent yet"


def clean(text: str) -> str:
    """A field as kept: trimmed, every control character shown as a visible symbol (one line)."""
    return printable(text.strip())


def problems(form: ReportForm, values: dict[str, str]) -> list[str]:
    """What stops the report from being recorded: a required field left empty, a field too long."""
    found = []
    for field in form.fields:
        text = values.get(field.id, "").strip()
        if field.required and not text:
            found.append(f"{field.label}: required")
        elif len(text) > FIELD_LIMIT:
            found.append(f"{field.label}: {len(text)} characters, at most {FIELD_LIMIT}")
    return found


def subject_of(form: ReportForm, fields: tuple[tuple[str, str], ...]) -> str:
    """The email's subject: the form's title and the first field given (the resource, say), on one line."""
    first = next((text for _, text in fields if text), "")
    subject = f"Problem report: {form.title}" + (f" — {first}" if first else "")
    return subject if len(subject) <= SUBJECT_LIMIT else subject[:SUBJECT_LIMIT - 1] + "…"


def record(store: Store, shift: Shift, entry: Entry, values: dict[str, str]) -> ProblemReport:
    """Record the filled form (ValueError with every problem when it cannot be). Storage failing
    keeps it in memory like every entry (store.waiting("problem_reports") holds it; the screen says so)."""
    form = entry.form
    if form is None:
        raise ValueError(f"{entry.title} has no problem report form")
    found = problems(form, values)
    if found:
        raise ValueError("; ".join(found))
    fields = tuple((field.label, clean(values.get(field.id, ""))) for field in form.fields)
    subject = subject_of(form, fields)
    row = store.insert("problem_reports", {
        "shift_id": shift.id, "recorded_at": store.now_iso(), "entry_id": entry.id, "entry_title": entry.title,
        "send_to": form.send_to, "subject": subject,
        "fields": json.dumps([list(f) for f in fields], ensure_ascii=False)})
    return _report(row)


def _report(row: dict) -> ProblemReport:
    return ProblemReport(row["id"], row["shift_id"], from_iso(row["recorded_at"]), row["entry_id"],
                         row["entry_title"], row["send_to"], row["subject"],
                         tuple((str(label), str(text)) for label, text in json.loads(row["fields"])))


def get(store: Store, report_id: str) -> ProblemReport | None:
    rows = store.rows("SELECT * FROM problem_reports WHERE id = ?", (report_id,)) or store.waiting(
        "problem_reports", id=report_id)
    return _report(rows[0]) if rows else None


def of_shift(store: Store, shift_id: str) -> list[ProblemReport]:
    rows = store.rows("SELECT * FROM problem_reports WHERE shift_id = ? ORDER BY recorded_at, rowid", (shift_id,))
    return [_report(r) for r in rows + store.waiting("problem_reports", shift_id=shift_id)]


# -- the email ------------------------------------------------------------------------------------

class Mail(NamedTuple):
    settings: EmailSettings
    subject: str
    body: str


def mail(store: Store, site: Site, report_id: str) -> Mail:
    """Everything sending needs, read on the desk's thread (AlertError: no such report, or no mail
    server in the site file)."""
    report = get(store, report_id)
    if report is None:
        raise AlertError(f"no problem report {report_id}")
    rows = store.rows(f"SELECT {WORKER} AS worker, s.desk FROM shifts s WHERE s.id = ?", (report.shift_id,))
    row = rows[0] if rows else next(iter(store.waiting("shifts", id=report.shift_id)), {"worker": "", "desk": ""})
    subject, body = message(report, site, row["worker"], row["desk"])
    return Mail(settings_for(site, report), subject, body)


def message(report: ProblemReport, site: Site, worker: str, desk: str) -> tuple[str, str]:
    """(subject, plain-text body) of the email. The subject goes into a header: one line already
    (`clean`), and the mail code collapses any line break again."""
    local = report.recorded_at.astimezone(site.zone)
    lines = [
        f"Problem report from {site.name}, {site.desk_name(desk)} (Solo Shift)",
        f"Recorded: {local:%a %d %b %Y %H:%M} ({site.zone.key})",
        f"On duty: {printable(worker)}",
        f"From the desk's ready answer: {printable(report.entry_title)}",
        "",
        *(f"{label}: {text or '(not given)'}" for label, text in report.fields),
        "",
        f"Report id: {report.id}",
    ]
    return report.subject, "\n".join(lines) + "\n"


def settings_for(site: Site, report: ProblemReport) -> EmailSettings:
    """The site's mail server and sender, with the entry's address as the one recipient;
    AlertError when the site has no [email] settings (recorded, but nothing can send it)."""
    if site.email is None:
        raise AlertError("no [email] settings in site.toml, so the desk cannot email it")
    return site.email._replace(recipients=MappingProxyType({PURPOSE: (report.send_to,)}))


def deliver(settings: EmailSettings, subject: str, body: str) -> str:
    """Send it (blocking: off the desk's thread); 'emailed <address>' once the server accepted
    it, or AlertError with the reason."""
    from shift.alerts import send_email

    return f"emailed {', '.join(send_email(settings, PURPOSE, subject, body))}"


def record_send(store: Store, report_id: str, ok: bool, detail: str) -> None:
    """One attempt, once the server has answered (from the desk's thread). The detail may quote the
    server's reply: kept as visible text, like everything shown from outside."""
    store.insert("problem_report_sends", {"report_id": report_id, "at": store.now_iso(),
                                          "outcome": "sent" if ok else "failed", "detail": printable(detail)})


def state(store: Store, report_id: str) -> SendState:
    rows = store.rows("SELECT at, outcome, detail FROM problem_report_sends WHERE report_id = ? "
                      "ORDER BY at, rowid", (report_id,)) + store.waiting("problem_report_sends", report_id=report_id)
    if not rows:
        return SendState("", "", None, 0)
    sent = next((r for r in rows if r["outcome"] == "sent"), None)
    last = sent or rows[-1]
    return SendState(last["outcome"], last["detail"], from_iso(last["at"]), len(rows))


def unsent(store: Store, now: datetime) -> list[str]:
    """Reports recorded within RETRY_FOR that no attempt has sent: the latest failed, or none
    finished (the desk closed while it was sending), oldest first. A 'sent' still waiting for
    storage counts as sent: never emailed twice because the disk is full."""
    rows = store.rows(
        """SELECT p.id FROM problem_reports p WHERE p.recorded_at >= ?
           AND NOT EXISTS (SELECT 1 FROM problem_report_sends s WHERE s.report_id = p.id AND s.outcome = 'sent')
           ORDER BY p.recorded_at, p.rowid""", (to_iso(now - RETRY_FOR),))
    sent = {r["report_id"] for r in store.waiting("problem_report_sends", outcome="sent")}
    return [r["id"] for r in rows if r["id"] not in sent]


def report_lines(store: Store, site: Site, shift_id: str) -> list[str]:
    """The shift report's lines: each report, where it went and whether it was emailed, then its fields."""
    lines: list[str] = []
    for report in of_shift(store, shift_id):
        said = state(store, report.id).text(site.zone)
        lines.append(f"Problem report {report.recorded_at.astimezone(site.zone):%H:%M}: {report.entry_title} "
                     f"→ {report.send_to}: {said}")
        lines += [f"  {label}: {text or '(not given)'}" for label, text in report.fields]
        lines.append("")
    return lines

"""The end-of-shift report by email, to the addresses under [email.recipients] reports.

Every attempt is a row in report_emails. A report not yet sent is tried again
while the desk runs (and when it next starts), so a mail server that is down at
closing time loses nothing; `python main.py report --email` sends one by hand.
Building the message reads the database (the desk's thread); sending blocks on
the network (a worker thread); the outcome is written from the desk's thread.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import NamedTuple

from shift import report, reportpage
from shift.alertconfig import AlertError, EmailSettings
from shift.clock import to_iso
from shift.site import Site
from shift.store import Store

PURPOSE = "reports"
RETRY_FOR = timedelta(days=7)  # an older report still unsent is left to `report --email`


def configured(site: Site) -> EmailSettings | None:
    """The email settings, when the site names anyone to receive shift reports."""
    if site.email is None or not site.email.recipients.get(PURPOSE):
        return None
    return site.email


class Mail(NamedTuple):
    subject: str
    text: str  # the report exactly as the report screen and `report` show it
    html: str  # the same report as a printable page (`report --format html`)
    made_at: str  # when the report was built (UTC ISO): recorded as the attempt's `at`


def message(store: Store, site: Site, shift_id: str) -> Mail:
    """The report as one email: plain text and HTML, two parts of one multipart/alternative message.
    A shift still open has a report so far, said in the subject and the title: its own report
    goes out once it ends (`report.EMAIL_OUTCOME` does not count this one as sent)."""
    made_at = store.now_iso()
    built = report.build(store, site, shift_id)
    so_far = " so far" if built.ended_at is None else ""
    if so_far:
        built = dataclasses.replace(built, title=f"{built.title} (so far: the shift is still open)")
    started = built.shift.started_at.astimezone(site.zone)
    # Short, so a mail program shows the date and the person before it cuts the line.
    return Mail(f"Shift report{so_far} {started:%a %d %b}: {built.shift.worker}, {site.desk_name(built.shift.desk)}",
                report.render_text(built), reportpage.html([built]), made_at)


def deliver(settings: EmailSettings, subject: str, body: str, html: str | None = None) -> str:
    """Send it (blocking: off the desk's thread); what happened, or AlertError."""
    from shift.alerts import send_email

    return f"emailed {', '.join(send_email(settings, PURPOSE, subject, body, html))}"


class NotToBeSent(AlertError):
    """The shift's report is marked never to be emailed (a demo's made-up shift)."""


def never_sent(store: Store, shift_id: str) -> str:
    """Why this shift's report is never to be emailed ('skipped', e.g. a demo's made-up
    shift), or '' when it may be."""
    rows = store.rows("SELECT detail FROM report_emails WHERE shift_id = ? AND outcome = 'skipped' LIMIT 1",
                      (shift_id,))
    return (rows[0]["detail"] or "marked not to be emailed") if rows else ""


def record(store: Store, shift_id: str, sent: bool, detail: str, made_at: str) -> None:
    """One attempt, at the moment its report was made (`Mail.made_at`): a report made before
    the shift ended is not the shift's report, even when the sending finished after."""
    store.insert("report_emails", {"shift_id": shift_id, "at": made_at,
                                   "outcome": "sent" if sent else "failed", "detail": detail})


def refusal(store: Store, site: Site, shift_id: str) -> str:
    """Why this report cannot be emailed now ('' when it can): nobody to send it to, or a report
    marked never to be sent (NotToBeSent's reason)."""
    why = never_sent(store, shift_id)
    if why:
        return f"this shift's report is never emailed ({why})"
    return f"no [email.recipients] {PURPOSE} in the site file" if configured(site) is None else ""


def send_now(store: Store, site: Site, shift_id: str) -> str:
    """Build, send and record in one go (the command line); raises AlertError when not sent
    (NotToBeSent, with nothing recorded, for a report never to be emailed)."""
    why = refusal(store, site, shift_id)
    settings = configured(site)
    if why or settings is None:
        raise (NotToBeSent if never_sent(store, shift_id) else AlertError)(why)
    mail = message(store, site, shift_id)
    try:
        detail = deliver(settings, mail.subject, mail.text, mail.html)
    except AlertError as exc:
        record(store, shift_id, False, str(exc), mail.made_at)
        raise
    record(store, shift_id, True, detail, mail.made_at)
    return detail


def unsent(store: Store, now: datetime) -> list[str]:
    """Shifts that ended within RETRY_FOR and whose report has not been sent (nor is never to be):
    a report so far, sent while the shift was open, does not count."""
    since = to_iso(now - RETRY_FOR)
    outcome = report.EMAIL_OUTCOME.format(shift="e.shift_id", ended="e.ended_at")
    rows = store.rows(
        f"""SELECT e.shift_id FROM shift_ends e
           WHERE e.ended_at >= ? AND COALESCE({outcome}, '') NOT IN ('sent', 'skipped')
           ORDER BY e.ended_at""", (since,))
    return [r["shift_id"] for r in rows]


def status(store: Store, shift_id: str) -> str:
    """The latest attempt: 'emailed ...', 'not sent: ...', or '' when never tried."""
    rows = store.rows("SELECT at, outcome, detail FROM report_emails WHERE shift_id = ? "
                      "ORDER BY at DESC, rowid DESC LIMIT 1", (shift_id,))
    if not rows:
        return ""
    return rows[0]["detail"] if rows[0]["outcome"] == "sent" else f"not sent: {rows[0]['detail']}"

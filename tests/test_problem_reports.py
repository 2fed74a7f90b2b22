"""Problem reports without the screen: the form's file format and its located errors, what is
recorded, the email a real SMTP server receives (hostile text included), and where it shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shift import copyout, problemreports, report, reportpage
from shift.alertconfig import AlertError, EmailSettings
from shift.knowledge import load_entry_file
from test_alerts import free_port, parsed, start_server

ROOT = Path(__file__).resolve().parent.parent
BROKEN_LINK = ROOT / "knowledge" / "answers" / "broken-database-link.toml"

FORM = """kind = "answer"
title = "Broken link"
checked = 2026-05-01
body = "Report it."

[report]
send_to = "{send_to}"

[[report.fields]]
id = "resource"
label = "Resource"
required = true

[[report.fields]]
id = "what"
label = "What happened"
"""


def entry_from(tmp_path, text: str):
    path = tmp_path / "e.toml"
    path.write_text(text, encoding="utf-8")
    return load_entry_file(path)


def test_the_sample_form_loads():
    entry, problems = load_entry_file(BROKEN_LINK)
    assert problems == [] and entry is not None and entry.form is not None
    assert entry.form.send_to == "libsystems@example.edu"
    assert [(f.id, f.required) for f in entry.form.fields] == [
        ("resource", True), ("link", True), ("what", True), ("contact", False)]


def test_form_errors_are_located_by_line(tmp_path):
    text = FORM.format(send_to="libsystems at example.edu") + """
[[report.fields]]
id = "Resource!"
label = "A label far too long to fit beside its field on the desk's eighty columns"
requried = true
"""
    entry, problems = entry_from(tmp_path, text)
    assert entry is None
    said = {(p.line, p.where): p.message for p in problems}
    assert "'libsystems at example.edu' is not one email address" in said[(7, "report.send_to")]
    assert "'Resource!' is not a field id" in said[(19, "report.fields[3].id")]
    assert "at most 60" in said[(20, "report.fields[3].label")]
    assert "unknown key 'requried' (did you mean 'required'?)" in said[(21, "report.fields[3].requried")]


def test_a_header_breaking_address_and_a_form_on_a_referral_are_refused(tmp_path):
    _, problems = entry_from(tmp_path, FORM.format(send_to="a@b.c\\r\\nBcc: x@evil.example"))
    assert any(p.where == "report.send_to" and "one line" in p.message for p in problems)
    for several in ("a@b.c, d@e.f", "a@b.c,d", "Desk <a@b.c>"):  # one address: nobody added in the header
        _, problems = entry_from(tmp_path, FORM.format(send_to=several))
        assert any(p.where == "report.send_to" and "not one email address" in p.message for p in problems)
    _, problems = entry_from(tmp_path, FORM.replace('kind = "answer"', 'kind = "referral"').format(send_to="a@b.c"))
    assert [p.message for p in problems if p.where == "report"] == [
        'only a ready answer (kind = "answer") can carry a problem report form, not a referral']


def test_check_names_the_form_problem_with_file_and_line(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "bad.toml").write_text(FORM.format(send_to="nobody"), encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "--knowledge", str(folder)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "knowledge/bad.toml:7: error: report.send_to: 'nobody' is not one email address" in result.stdout


def test_required_fields_and_length_are_checked_before_anything_is_recorded(store, shift):
    entry, _ = load_entry_file(BROKEN_LINK)
    with pytest.raises(ValueError, match="URL or citation: required"):
        problemreports.record(store, shift, entry, {"resource": "JSTOR", "what": "x", "link": "   "})
    with pytest.raises(ValueError, match="at most 2000"):
        problemreports.record(store, shift, entry, {"resource": "J" * 2001, "link": "x", "what": "x"})
    assert store.rows("SELECT * FROM problem_reports") == []


HOSTILE = {
    "resource": "JSTOR\r\nBcc: everyone@evil.example\r\nSubject: hi",
    "link": "<script>alert(1)</script> [b]x[/b] **bold** # heading",
    "what": "\x1b]52;c;ZXZpbA==\x07\x1b[2J" + "long " * 300,
    "contact": "patron@example.org",
}


def test_hostile_text_is_kept_as_visible_text_and_never_reaches_a_header(request, store, site, shift):
    handler, port = start_server(request)
    site = site._replace(email=EmailSettings("127.0.0.1", port, "none", sender="desk@lib.example.org", timeout=3))
    entry, _ = load_entry_file(BROKEN_LINK)
    reported = problemreports.record(store, shift, entry, HOSTILE)
    fields = dict(reported.fields)
    assert "\r" not in fields["Resource (database, journal or e-book)"]
    assert not any(c in "\x1b\x07" for text in fields.values() for c in text)  # shown, never obeyed: ␛ ␇
    mail = problemreports.mail(store, site, reported.id)
    assert problemreports.deliver(mail.settings, mail.subject, mail.body) == "emailed libsystems@example.edu"
    (envelope,) = handler.envelopes
    assert envelope.rcpt_tos == ["libsystems@example.edu"]  # the Bcc typed in a field went nowhere
    received = parsed(envelope)
    # One Subject, one line: the typed line break is shown as the symbols ␍␊, inside it.
    assert received["Bcc"] is None and len(received.get_all("Subject")) == 1
    assert "JSTOR␍␊Bcc: everyone@evil.example␍␊Subject: hi" in received["Subject"]
    assert len(received["Subject"]) <= problemreports.SUBJECT_LIMIT
    assert "<script>alert(1)</script>" in received.get_content()  # plain text: as typed
    problemreports.record_send(store, reported.id, True, "emailed libsystems@example.edu")

    built = report.build(store, site, shift.id)
    page = reportpage.render([built], "html")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    markdown = reportpage.render([built], "md")
    assert "\\<script\\>" in markdown and "\\*\\*bold\\*\\*" in markdown
    text = report.render_text(built)
    assert "\x1b" not in text and "Patron's email, if they want a reply: patron@example.org" in text
    redacted = report.render_text(report.build(store, site, shift.id, redact=True))
    assert "patron@example.org" not in redacted and "JSTOR" not in redacted
    assert "Patron's email, if they want a reply: [redacted]" in redacted


def test_a_server_that_refuses_or_is_down_is_a_failure_with_its_reason(request, store, site, shift):
    entry, _ = load_entry_file(BROKEN_LINK)
    reported = problemreports.record(store, shift, entry, {"resource": "JSTOR", "link": "x", "what": "404"})
    with pytest.raises(AlertError, match="no \\[email\\] settings"):
        problemreports.mail(store, site, reported.id)
    down = site._replace(email=EmailSettings("127.0.0.1", free_port(), "none", sender="desk@lib.example.org",
                                             timeout=3))
    mail = problemreports.mail(store, down, reported.id)
    with pytest.raises(AlertError, match="email to problem reports not sent: cannot reach 127.0.0.1"):
        problemreports.deliver(mail.settings, mail.subject, mail.body)
    problemreports.record_send(store, reported.id, False, "cannot reach 127.0.0.1")
    state = problemreports.state(store, reported.id)
    assert (state.outcome, state.tries) == ("failed", 1)
    assert problemreports.unsent(store, store.clock.now()) == [reported.id]
    problemreports.record_send(store, reported.id, True, "emailed libsystems@example.edu")
    assert problemreports.unsent(store, store.clock.now()) == []
    assert problemreports.state(store, reported.id).text(site.zone) == "emailed 19:30"


def test_a_report_kept_in_memory_while_storage_fails_is_never_said_recorded(store, site, shift, monkeypatch):
    import sqlite3

    entry, _ = load_entry_file(BROKEN_LINK)

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store, "_write", refuse)
    reported = problemreports.record(store, shift, entry, {"resource": "JSTOR", "link": "x", "what": "404"})
    assert store.waiting("problem_reports", id=reported.id)  # in memory, in order, written when storage returns
    assert [r.id for r in problemreports.of_shift(store, shift.id)] == [reported.id]  # the report counts it
    monkeypatch.undo()
    assert store.flush_pending() == 0
    assert [r["id"] for r in store.rows("SELECT id FROM problem_reports")] == [reported.id]


def test_copying_records_the_text_for_the_report(store, site, shift):
    referral, _ = load_entry_file(ROOT / "knowledge" / "referrals" / "accessibility-services.toml")
    notice, _ = load_entry_file(ROOT / "knowledge" / "notices" / "example-trespass.toml")
    copied = copyout.record(store, shift, referral)
    assert copied is not None and copied.what == "contact details" and "Phone: 705-555-0120" in copied.text
    assert copyout.record(store, shift, notice) is None  # a notice describes a person: never copied out
    lines = copyout.report_lines(store, site, shift.id)
    assert lines[0] == "Copied 19:30: contact details of Student Accessibility Services"


def test_a_sent_attempt_waiting_for_storage_is_never_sent_again(store, shift, monkeypatch):
    import sqlite3

    entry, _ = load_entry_file(BROKEN_LINK)
    reported = problemreports.record(store, shift, entry, {"resource": "JSTOR", "link": "x", "what": "404"})
    problemreports.record_send(store, reported.id, False, "cannot reach the server")
    assert problemreports.unsent(store, store.clock.now()) == [reported.id]

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "_write", refuse)
    problemreports.record_send(store, reported.id, True, "emailed libsystems@example.edu")  # kept in memory
    assert problemreports.state(store, reported.id).outcome == "sent"
    assert problemreports.unsent(store, store.clock.now()) == []  # the desk's retry leaves it alone


def test_what_a_server_or_a_file_says_is_shown_never_obeyed(store, site, shift, tmp_path):
    entry, _ = load_entry_file(BROKEN_LINK)
    reported = problemreports.record(store, shift, entry, {"resource": "JSTOR", "link": "x", "what": "404"})
    problemreports.record_send(store, reported.id, False, "550 \x1b[2J\x1b]0;owned\x07 refused")
    assert problemreports.state(store, reported.id).detail == "550 ␛[2J␛]0;owned␇ refused"
    (tmp_path / "a.toml").write_text('kind = "answer"\ntitle = "A"\nchecked = 2026-05-01\n'
                                     'body = "Say \\u001b[31mthis\\u001b[0m."\n', encoding="utf-8")
    answer, problems = load_entry_file(tmp_path / "a.toml")
    assert problems == [] and answer is not None
    copyout.record(store, shift, answer)
    text = report.render_text(report.build(store, site, shift.id))
    assert "\x1b" not in text and "Say ␛[31mthis␛[0m." in text

"""The shift report by email: a real SMTP conversation, every attempt recorded, unsent ones kept for retry."""

import subprocess
import sys

import pytest
import trustme

from conftest import ROOT, SITE_FILE, local
from shift import report, reportmail
from shift.alertconfig import AlertError, EmailSettings
from shift.shifts import end_shift, start_shift
from test_alerts import free_port, parsed, server_context, start_server, start_tls_server, write_ca_file

MANAGER = ("library-manager@lib.example.org",)


@pytest.fixture(scope="module")
def campus_ca():
    return trustme.CA()


def mail_site(site, port):
    email = EmailSettings("127.0.0.1", port, "none", sender="desk@lib.example.org",
                          recipients={"reports": MANAGER}, timeout=3)
    return site._replace(email=email)


@pytest.fixture
def ended(store, clock):
    """Sam's shift from 17:30, ended at 19:30 with a handover in brackets and tags."""
    clock.moment = local(2026, 11, 24, 17, 30)
    shift = start_shift(store, "Sam", "main")
    clock.moment = local(2026, 11, 24, 19, 30)
    end_shift(store, shift, "Printer 2 jammed [tray 3] <b>again</b>")
    return shift


def test_the_report_is_emailed_exactly_as_shown_and_recorded(request, store, site, ended):
    handler, port = start_server(request)
    site = mail_site(site, port)
    assert reportmail.unsent(store, store.clock.now()) == [ended.id]
    detail = reportmail.send_now(store, site, ended.id)
    assert detail == "emailed library-manager@lib.example.org"
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == list(MANAGER)
    message = parsed(envelope)
    assert message["Subject"] == "Shift report Tue 24 Nov: Sam, Bata Library Service Desk"
    # One message, two parts: the text exactly as shown, then the same report as a page.
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert (text_part.get_content_type(), html_part.get_content_type()) == ("text/plain", "text/html")
    shown = report.render_text(report.build(store, site, ended.id))
    assert text_part.get_content().replace("\r\n", "\n") == shown  # lines end in CRLF on the wire
    assert "Printer 2 jammed [tray 3] <b>again</b>" in text_part.get_content()
    page = html_part.get_content()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "Printer 2 jammed [tray 3] &lt;b&gt;again&lt;/b&gt;" in page
    assert reportmail.unsent(store, store.clock.now()) == []
    assert reportmail.status(store, ended.id) == detail


def test_with_the_server_down_the_attempt_is_recorded_and_the_report_stays_unsent(request, store, site, ended):
    down = mail_site(site, free_port())  # nothing listens there
    with pytest.raises(AlertError, match="email to reports not sent"):
        reportmail.send_now(store, down, ended.id)
    assert reportmail.status(store, ended.id).startswith("not sent: email to reports not sent")
    assert reportmail.unsent(store, store.clock.now()) == [ended.id]
    handler, port = start_server(request)
    reportmail.send_now(store, mail_site(site, port), ended.id)
    assert len(handler.envelopes) == 1
    assert [r["outcome"] for r in store.rows("SELECT outcome FROM report_emails ORDER BY rowid")] == ["failed", "sent"]


def test_nobody_to_send_to_is_said_and_nothing_is_recorded(store, site, ended):
    assert reportmail.configured(site) is None  # the test site has no email settings
    with pytest.raises(AlertError, match=r"no \[email.recipients\] reports"):
        reportmail.send_now(store, site, ended.id)
    assert store.rows("SELECT * FROM report_emails") == []


def test_only_ended_shifts_of_the_last_week_wait_to_be_sent(store, clock, ended):
    start_shift(store, "Jo", "main")  # still open: no report to send yet
    clock.advance(days=7, minutes=-1)
    assert reportmail.unsent(store, clock.now()) == [ended.id]
    clock.advance(minutes=2)
    assert reportmail.unsent(store, clock.now()) == []  # left to `report --email`


def run_report(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "report", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_report_list_and_email_from_the_command_line(request, tmp_path, store, ended):
    handler, port = start_server(request)
    text = SITE_FILE.read_text()
    email = text[text.index("[email]\n"): text.index("[email.recipients]")]
    site_file = tmp_path / "site.toml"
    site_file.write_text(text.replace(email, f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                                             'sender = "desk@lib.example.org"\n\n'))
    db = store.path
    store.close()
    listed = run_report("--list", "--db", str(db), "--site", str(site_file), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == f"Tue 2026-11-24 17:30–19:30  Sam (Bata Library Service Desk)  {ended.id}\n"
    sent = run_report("--email", "--shift", ended.id, "--db", str(db), "--site", str(site_file), cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout == "The report was emailed library-manager@library.example.\n"
    assert parsed(handler.envelopes[0])["To"] == "library-manager@library.example"
    listed = run_report("--list", "--db", str(db), "--site", str(site_file), cwd=tmp_path)
    assert "  emailed  " in listed.stdout


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_the_report_goes_out_over_tls_to_a_server_signed_by_the_sites_ca(request, tmp_path, campus_ca, mode):
    handler, port = start_tls_server(request, mode, server_context(campus_ca))
    ca_file = write_ca_file(campus_ca, tmp_path)
    settings = EmailSettings("localhost", port, mode, sender="desk@lib.example.org",
                             recipients={"reports": MANAGER}, timeout=5, ca_file=ca_file)
    assert reportmail.deliver(settings, "Shift report", "All quiet.\n") == f"emailed {MANAGER[0]}"
    assert handler.encrypted == [True]
    assert parsed(handler.envelopes[0]).get_content().replace("\r\n", "\n") == "All quiet.\n"


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_an_untrusted_mail_server_leaves_the_report_unsent_with_the_reason(request, campus_ca, store, site, ended,
                                                                          mode):
    handler, port = start_tls_server(request, mode, server_context(campus_ca))
    email = EmailSettings("localhost", port, mode, sender="desk@lib.example.org",
                          recipients={"reports": MANAGER}, timeout=5)  # no ca_file: the system's store
    with pytest.raises(AlertError, match="certificate is not trusted"):
        reportmail.send_now(store, site._replace(email=email), ended.id)
    assert "set [email] ca_file to your organisation's CA" in reportmail.status(store, ended.id)
    assert reportmail.unsent(store, store.clock.now()) == [ended.id]
    assert handler.envelopes == []


def test_report_email_from_the_command_line_over_starttls_with_a_ca_beside_the_site_file(
        request, tmp_path, campus_ca, store, ended):
    handler, port = start_tls_server(request, "starttls", server_context(campus_ca))
    folder = tmp_path / "config"
    folder.mkdir()
    write_ca_file(campus_ca, folder)
    text = SITE_FILE.read_text()
    email = text[text.index("[email]\n"): text.index("[email.recipients]")]
    site_file = folder / "site.toml"
    # A relative ca_file is found beside the site file, wherever the command runs from.
    settings = (f'[email]\nhost = "localhost"\nport = {port}\nsecurity = "starttls"\nca_file = "campus-ca.pem"\n'
                'sender = "desk@lib.example.org"\n')
    db = store.path
    store.close()
    # An absurd timeout is refused with its line, never a crash (it once raised OverflowError).
    site_file.write_text(text.replace(email, settings + "timeout = 1e300\n\n"))
    refused = run_report("--email", "--shift", ended.id, "--db", str(db), "--site", str(site_file), cwd=tmp_path)
    assert refused.returncode == 1
    assert "error: email.timeout: 1e+300 s is too long to wait for a mail server" in refused.stderr
    assert "Traceback" not in refused.stderr
    site_file.write_text(text.replace(email, settings + "timeout = 30\n\n"))
    sent = run_report("--email", "--shift", ended.id, "--db", str(db), "--site", str(site_file), cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout == "The report was emailed library-manager@library.example.\n"
    assert handler.encrypted == [True]


def test_a_report_so_far_sent_while_the_shift_is_open_is_not_its_report(request, store, site, clock):
    """Emailed early (past shifts' e, or report --email), the shift's own report still goes out
    when it ends, with what came later and the handover; the early one says it is a report so far."""
    handler, port = start_server(request)
    site = mail_site(site, port)
    clock.moment = local(2026, 11, 24, 17, 30)
    sam = start_shift(store, "Sam", "main")
    clock.moment = local(2026, 11, 24, 18, 0)
    reportmail.send_now(store, site, sam.id)
    early = parsed(handler.envelopes[0])
    assert early["Subject"] == "Shift report so far Tue 24 Nov: Sam, Bata Library Service Desk"
    text = early.get_body(("plain",)).get_content()
    assert "(so far: the shift is still open)" in text.splitlines()[0]
    assert "emailed" not in report.shift_list(store, site)[0]
    # Made before the end, recorded after: still a report so far (the send took its time).
    clock.moment = local(2026, 11, 24, 19, 29)
    slow = reportmail.message(store, site, sam.id)
    clock.moment = local(2026, 11, 24, 19, 30)
    end_shift(store, sam, "Keys with security.")
    reportmail.record(store, sam.id, True, "emailed " + MANAGER[0], slow.made_at)
    assert reportmail.unsent(store, clock.now()) == [sam.id]  # the desk still sends it
    assert "  only a report so far sent  " in report.shift_list(store, site)[0]
    reportmail.send_now(store, site, sam.id)
    final = parsed(handler.envelopes[1])
    assert final["Subject"] == "Shift report Tue 24 Nov: Sam, Bata Library Service Desk"
    assert "Keys with security." in final.get_body(("plain",)).get_content()
    assert reportmail.unsent(store, clock.now()) == []
    assert "  emailed  " in report.shift_list(store, site)[0]

"""A ready answer's problem report and an entry copied out, driven with Pilot: the form is filled in,
recorded and emailed to a real SMTP server (aiosmtpd on 127.0.0.1); a server that is down is shown
as NOT SENT and Ctrl+S sends it once it is back; a copy goes to the terminal's clipboard and into
the shift's report."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from conftest import shown
from shift import problemreports, report
from shift.alertconfig import EmailSettings
from test_alerts import free_port, parsed, start_server
from tui.app import SoloShiftApp
from tui.knowledge import EntryScreen, ProblemFormScreen

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
SENDER = "desk@lib.example.org"


def mail_site(site, port: int):
    # No shift-report recipients: the only mail is the problem report.
    return site._replace(email=EmailSettings("127.0.0.1", port, "none", sender=SENDER, recipients={}, timeout=3))


async def open_entry(pilot, words: str) -> None:
    await pilot.press("slash", *words)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, EntryScreen)


async def wait_for(pilot, condition, tries: int = 60) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.1)


async def fill(pilot, *values: str) -> None:
    """Type each value into the next field (Tab between them)."""
    for number, value in enumerate(values):
        if number:
            await pilot.press("tab")
        if value:
            await pilot.press(*value)


async def test_a_broken_link_is_reported_recorded_and_emailed(request, store, site, shift):
    handler, port = start_server(request)
    app = SoloShiftApp(store, mail_site(site, port), knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.timers is not None)
        await open_entry(pilot, "broken link")
        assert "! report the problem to libsystems@example.edu" in shown(app, "#entry-keys")
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, ProblemFormScreen)
        await pilot.press("ctrl+s")  # nothing typed: the required fields are named, nothing recorded
        await pilot.pause()
        assert "Not recorded: Resource (database, journal or e-book): required" in shown(app, "#form-said")
        assert store.rows("SELECT * FROM problem_reports") == []
        await fill(pilot, "JSTOR", "https://example.org/x?a=1&b=<2>", "[b]Access denied[/b]", "")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Sent" in shown(app, "#form-said"))
        assert shown(app, "#form-said") == "Recorded 19:30. Sent 19:30: emailed libsystems@example.edu."
        assert all(field.disabled for field in app.screen.query(Input))

    (envelope,) = handler.envelopes
    assert envelope.rcpt_tos == ["libsystems@example.edu"]
    mail = parsed(envelope)
    assert mail["Subject"] == "Problem report: Broken link or e-resource access — JSTOR"
    body = mail.get_content()
    assert "URL or citation: https://example.org/x?a=1&b=<2>" in body
    assert "What happened (the error message): [b]Access denied[/b]" in body
    assert "Patron's email, if they want a reply: (not given)" in body and "On duty: Sam" in body
    (row,) = store.rows("SELECT outcome, detail FROM problem_report_sends")
    assert row == {"outcome": "sent", "detail": "emailed libsystems@example.edu"}
    text = report.render_text(report.build(store, site, shift.id))
    assert ("Problem report 19:30: A database or e-resource link does not work → libsystems@example.edu: "
            "emailed 19:30") in text


async def test_a_mail_server_that_is_down_shows_not_sent_and_ctrl_s_sends_it_when_it_is_back(request, store, site,
                                                                                              shift):
    port = free_port()  # nothing listens here yet
    app = SoloShiftApp(store, mail_site(site, port), knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.timers is not None)
        await open_entry(pilot, "broken link")
        await pilot.press("exclamation_mark")
        await pilot.pause()
        await fill(pilot, "Scopus", "doi:10.1000/182", "proxy error")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "NOT SENT" in shown(app, "#form-said"))
        said = shown(app, "#form-said")
        assert said.startswith("Recorded 19:30. NOT SENT (19:30): email to problem reports not sent: cannot reach "
                               f"127.0.0.1:{port}")
        assert "Ctrl+S tries again" in shown(app, "#form-keys")
        (reported,) = problemreports.of_shift(store, shift.id)
        assert problemreports.state(store, reported.id).outcome == "failed"
        assert "NOT SENT (email to problem reports not sent" in report.render_text(report.build(store, site, shift.id))

        handler, _ = start_server_on(request, port)  # the server is back
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Sent" in shown(app, "#form-said"))
        assert "Sent 19:30: emailed libsystems@example.edu." in shown(app, "#form-said")
        await pilot.press("ctrl+s")  # sent once: never twice
        await pilot.pause(0.3)
    assert len(handler.envelopes) == 1
    assert [r["outcome"] for r in store.rows("SELECT outcome FROM problem_report_sends ORDER BY rowid")] == [
        "failed", "sent"]


def start_server_on(request, port: int):
    from aiosmtpd.controller import Controller

    from test_alerts import Recorder

    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    request.addfinalizer(controller.stop)
    return handler, port


async def test_without_a_mail_server_the_report_is_recorded_and_says_why_it_was_not_sent(store, site, shift):
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)  # site: no [email]
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.timers is not None)
        await open_entry(pilot, "broken link")
        await pilot.press("exclamation_mark")
        await pilot.pause()
        await fill(pilot, "Web of Science", "https://example.org", "404")
        await pilot.press("enter", "enter")  # Enter goes to the next field; on the last it sends
        await wait_for(pilot, lambda: "NOT SENT" in shown(app, "#form-said"))
        assert "NOT SENT (19:30): no [email] settings in site.toml" in shown(app, "#form-said")


async def test_esc_with_text_typed_asks_once_and_records_nothing(store, site, shift):
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_entry(pilot, "broken link")
        await pilot.press("exclamation_mark")
        await pilot.pause()
        await fill(pilot, "JSTOR")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProblemFormScreen)
        assert "Esc again leaves without it" in shown(app, "#form-said")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)
    assert store.rows("SELECT * FROM problem_reports") == []


async def test_copy_sends_to_the_clipboard_and_writes_the_text_to_the_shift_report(store, site, shift):
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_entry(pilot, "acces")
        assert "Ctrl+C copy the contact details" in shown(app, "#entry-keys")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard.startswith("Student Accessibility Services\nHandles: Academic accommodations")
        assert "Phone: 705-555-0120" in app.clipboard
        said = shown(app, "#entry-said")
        assert said == ("Copied the contact details to the terminal's clipboard (if your terminal allows it), "
                        "and into this shift's report (Ctrl+R at the desk) and log.")
        assert isinstance(app.screen, EntryScreen)  # still open: one more key logs the referral
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert "copied: contact details of Student Accessibility Services" in shown(app, "#log")
    text = report.render_text(report.build(store, site, shift.id))
    assert "Copied 19:30: contact details of Student Accessibility Services" in text
    assert "Phone: 705-555-0120" in text


async def test_an_answer_copies_its_text_and_a_notice_offers_no_copy(store, site, shift):
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_entry(pilot, "printing")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard == app.screen.entry.body.strip()
        await pilot.press("escape", "escape")
        await open_entry(pilot, "green parka")
        assert "copy" not in shown(app, "#entry-keys")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert shown(app, "#entry-said") == ""
    assert len(store.rows("SELECT * FROM copied_out")) == 1

"""Incident reports driven with Pilot: the form, the privacy check, the browser, supplements."""

import dataclasses
import html
import sqlite3
from unittest import mock

from textual import events
from textual.widgets import Input, Label, OptionList, Select, TextArea

from conftest import local, shown
from shift import incidents
from shift.barcodes import luhn_digit
from shift.privacy import REPLACEMENT
from tui.app import SoloShiftApp
from tui.desk import DeskScreen
from tui.emergency import EmergencyPicker
from tui.incident import IdentifiersDialog, IncidentFormScreen, LeaveDialog, SavedNotice
from tui.incidents import IncidentBrowser, IncidentDetailScreen, SupplementDialog

CARD = "2123456789012" + luhn_digit("2123456789012")
HOSTILE = "Said <script>alert(1)</script> then [red] and [/b] "


def screen_text(app) -> str:
    """What the terminal shows, as text (from the SVG screenshot)."""
    return html.unescape(app.export_screenshot()).replace("\u00a0", " ")


def saved(store):
    return store.rows("SELECT * FROM incidents ORDER BY rowid")


async def open_form(app, pilot):
    await pilot.press("f6")
    await pilot.pause()
    assert isinstance(app.screen, IncidentFormScreen)
    return app.screen


async def fill_required(form, pilot, what="Water on the floor by the printers."):
    """The four required fields, by keyboard: category, time, zone, what happened."""
    assert form.focused.id == "category"
    await pilot.press("enter", "down", "enter")  # the first category
    await pilot.press("tab", *"19:10")
    await pilot.press("tab", "enter", "down", "down", "enter")  # the second zone
    await pilot.press("tab", "tab")
    assert form.focused.id == "what_happened"
    form.query_one("#what_happened", TextArea).insert(what)


def one_incident(store, site, shift, **changes):
    base = incidents.IncidentForm(category="Hazardous condition", occurred_at=local(2026, 11, 24, 19, 10),
                                  zone_id="main-floor", what_happened="Water on the floor.\nFacilities called.",
                                  reporter="Sam")
    return incidents.file_incident(store, site, shift, dataclasses.replace(base, **changes))


async def test_f6_opens_the_form_and_the_four_required_fields_save_it(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        assert "Never write a library card number" in shown(app, "#incident-reminder")
        assert form.query_one("#reporter", Input).value == "Sam"  # the person on duty
        await fill_required(form, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        (row,) = saved(store)
        assert row["category"] == site.incidents.categories[0]
        assert row["occurred_at"] == "2026-11-25T00:10:00.000000+00:00"  # 19:10 Toronto
        assert row["zone_id"] == site.zones[1].id
        assert row["what_happened"] == "Water on the floor by the printers."
        assert (row["reporter"], row["shift_id"], row["injury"]) == ("Sam", shift.id, "none")


async def test_missing_fields_are_marked_and_the_first_has_the_cursor(store, site, shift, clock):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        # "When" starts at the moment the form opened: an incident is written as it happens.
        assert form.query_one("#when", Input).value == "2026-11-24 19:30"
        form.query_one("#people", TextArea).insert("Two students")
        form.query_one("#people", TextArea).focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, IncidentFormScreen)
        assert shown(app, "#incident-error").startswith("Not saved: 3 fields to fill in")
        marked = {w.id for w in form.query(".missing") if not isinstance(w, Label)}
        assert marked == {"category", "zone", "what_happened"}  # not "when": it has its default
        assert "\u2190 Choose a category." in str(form.query_one("#label-category", Label).content)
        assert "\u2190 Describe what happened." in str(form.query_one("#label-what_happened", Label).content)
        assert form.focused.id == "category"  # the first missing field has the cursor...
        assert form.focused.region.bottom <= app.size.height - 1  # ...and is on screen at 80x24
        form.query_one("#what_happened", TextArea).insert("Water on the floor.")
        await pilot.pause()
        assert not form.query_one("#what_happened").has_class("missing")  # filled: no longer marked
        assert str(form.query_one("#label-what_happened", Label).content).startswith("What happened? *")
        form.query_one("#when", Input).value = "25:99"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert form.query_one("#when").has_class("missing") and form.focused.id == "category"
        assert "\u2190 When: '25:99' is not a real time of day" in str(form.query_one("#label-when", Label).content)
        assert saved(store) == []
        assert form.query_one("#people", TextArea).text == "Two students"
    async with SoloShiftApp(store, site).run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot.app, pilot)
        await fill_required(form, pilot)
        form.query_one("#when", Input).value = incidents.when_text(form._start.occurred_at, site.zone)
        await pilot.press("ctrl+s")  # "when" left at its default: the moment the form opened
        await pilot.pause()
    assert saved(store)[0]["occurred_at"] == "2026-11-25T00:30:00.000000+00:00"  # 19:30 Toronto


async def test_a_card_number_opens_the_privacy_check_and_r_removes_it(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        await fill_required(form, pilot, what=f"Patron showed card {CARD} and left")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, IdentifiersDialog)
        listed = shown(app, "#privacy-findings")
        assert f"What happened: \u201c{CARD}\u201d" in listed and "patron card" in listed
        assert saved(store) == []
        await pilot.press("escape")  # back to editing: nothing lost, nothing saved
        assert app.screen is form
        assert CARD in form.query_one("#what_happened", TextArea).text
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        (row,) = saved(store)
        assert row["what_happened"] == f"Patron showed card {REPLACEMENT} and left"
        assert row["identifiers_confirmed"] == 0
        assert CARD not in str(store.rows("SELECT * FROM incidents"))


async def test_k_keeps_a_number_that_is_not_a_patron_identifier(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        await fill_required(form, pilot, what="Facilities work order 88812345 raised")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        (row,) = saved(store)
        assert row["what_happened"] == "Facilities work order 88812345 raised"
        assert row["identifiers_confirmed"] == 1


async def test_markup_and_escapes_are_saved_and_shown_exactly_as_typed(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(150, 40)) as pilot:
        form = await open_form(app, pilot)
        await fill_required(form, pilot, what="")
        await pilot.press(*HOSTILE)  # typed, key by key
        # An escape key would leave the field, so the ANSI sequence arrives pasted.
        app.post_message(events.Paste("\x1b[31mred"))  # as the terminal delivers a paste
        await pilot.pause()
        typed = HOSTILE + "\x1b[31mred"
        area = form.query_one("#what_happened", TextArea)
        assert area.text == typed
        assert "Said <script>alert(1)</script> then [red] and [/b] " in screen_text(app)  # as typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert saved(store)[0]["what_happened"] == typed

        visible = "Said <script>alert(1)</script> then [red] and [/b] \u241b[31mred"
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, IncidentBrowser)
        results = app.screen.query_one("#browser-results", OptionList)
        assert visible in str(results.get_option_at_index(0).prompt)
        assert visible in screen_text(app)

        await pilot.press("enter")  # from the text filter to the list
        await pilot.press("enter")  # open
        await pilot.pause()
        assert isinstance(app.screen, IncidentDetailScreen)
        assert f"What happened: {visible}" in shown(app, "#detail-original")
        assert f"What happened: {visible}" in screen_text(app)

        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("ctrl+r")  # the shift's report, as the manager will read it
        await pilot.pause()
        assert visible in shown(app, "#report-text")


async def test_a_critical_injury_shows_the_obligations_and_the_follow_ups(store, site, shift):
    from shift.shifts import open_followups

    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        await fill_required(form, pilot, what="Fell on stairwell B; appears to have a broken leg")
        assert not form.query_one("#obligations").display
        assert not form.query_one("#hurt").display  # asked only when someone was hurt
        form.query_one("#injury", Select).value = "critical"
        await pilot.pause()
        panel = form.query_one("#obligations")
        assert panel.display and form.query_one("#hurt").display
        text = shown(app, "#obligations")
        assert text.startswith("ONTARIO: A CRITICAL INJURY") and "Say who was hurt" in text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Who was hurt" in str(form.query_one("#hurt-label", Label).content) and not open_followups(store)
        assert form.focused.id == "hurt"
        form.query_one("#hurt", Select).value = "worker"
        await pilot.pause()
        text = shown(app, "#obligations")
        assert "Make sure the manager on call knows NOW (" in text and "the union at once" in text
        assert "Do not disturb the scene" in text and "within 48 hours" in text
        assert "(Occupational Health and Safety Act, s. 51)" in text  # each duty with its source
        assert "wrist, hand, ankle or foot" in text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SavedNotice)
        notice = shown(app, "#notice-text")
        assert ("Incident 24 Nov 19:10, Injury: Keep the scene undisturbed until a Ministry inspector releases it "
                "\u2014 no deadline" in notice)
        assert "Manager on call told of the critical injury" in notice and "\u2014 due NOW" in notice
        assert ("Written report of the critical injury to the Ministry, the JHSC (or representative) and the "
                "union \u2014 due by Thu 26 Nov 2026 19:10" in notice)
        assert "WSIB Form 7 for the injured worker \u2014 due by Fri 27 Nov 2026 19:10" in notice
        assert len(open_followups(store)) == 4  # written before it said so
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)


async def test_judging_words_get_a_reminder_but_still_save(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        assert not form.query_one("#judgement").display
        await fill_required(form, pilot, what="A crazy man shouted \"you are a psycho\"")
        await pilot.pause()
        reminder = shown(app, "#judgement")
        assert "\u201ccrazy\u201d judges rather than describes" in reminder and "psycho" not in reminder
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert len(saved(store)) == 1


async def test_a_failed_write_keeps_everything_typed(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        await fill_required(form, pilot)
        with mock.patch("shift.incidents.file_incident", side_effect=sqlite3.OperationalError("disk I/O error")):
            await pilot.press("ctrl+s")
            await pilot.pause()
        assert app.screen is form
        assert shown(app, "#incident-error").startswith("NOT saved: disk I/O error. Everything you typed is still here")
        assert form.query_one("#what_happened", TextArea).text == "Water on the floor by the printers."
        assert form.query_one("#when", Input).value == "19:10"
        await pilot.press("ctrl+s")  # the disk is back
        await pilot.pause()
        assert len(saved(store)) == 1


async def test_f8_opens_the_emergency_picker_from_the_form(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        await fill_required(form, pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, EmergencyPicker)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#what_happened", TextArea).text == "Water on the floor by the printers."


async def test_esc_asks_first_and_d_keeps_a_draft_to_complete_from_the_browser(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        await pilot.press("escape")  # nothing typed: leaves at once
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        form = await open_form(app, pilot)
        await fill_required(form, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeaveDialog)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form
        await pilot.press("escape", "d")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert saved(store) == []
        (draft,) = incidents.open_drafts(store)
        assert draft.fields["what_happened"] == "Water on the floor by the printers."

        await pilot.press("ctrl+f")
        await pilot.pause()
        drafts = app.screen.query_one("#browser-drafts", OptionList)
        assert "Water on the floor by the printers." in str(drafts.get_option_at_index(0).prompt)
        drafts.focus()
        await pilot.press("c")
        await pilot.pause()
        completing = app.screen
        assert isinstance(completing, IncidentFormScreen)
        assert completing.query_one("#when", Input).value == "2026-11-24 19:10"
        assert completing.query_one("#what_happened", TextArea).text == "Water on the floor by the printers."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, IncidentBrowser)
        assert saved(store)[0]["draft_id"] == draft.id
        assert incidents.open_drafts(store) == []
        assert not app.screen.query_one("#browser-drafts").display


async def test_browser_search_and_a_supplement_after_the_original(store, site, shift, clock):
    first = one_incident(store, site, shift)
    one_incident(store, site, shift, category="False alarm", what_happened="Alarm on the third floor",
                 occurred_at=local(2026, 11, 23, 20, 0))
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("ctrl+f")
        await pilot.pause()
        browser = app.screen
        assert isinstance(browser, IncidentBrowser)
        results = browser.query_one("#browser-results", OptionList)
        assert results.option_count == 2
        assert str(results.get_option_at_index(0).prompt) == (  # one line, in aligned columns
            "Tue 24 Nov 2026 19:10             Hazardous condition       Water on the floor. \u00b7 "
            "Main floor (desk, computers, printers)")
        await pilot.press(*"third")
        await pilot.pause()
        assert results.option_count == 1 and "Alarm on the third floor" in str(results.get_option_at_index(0).prompt)
        browser.query_one("#filter-text", Input).value = ""
        browser.query_one("#filter-since", Input).value = "2026-11-24"
        await pilot.pause()
        assert results.option_count == 1 and results.get_option_at_index(0).id == first.id

        await pilot.press("tab", "enter")  # Tab leaves the filters, Enter opens
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, IncidentDetailScreen)
        assert shown(app, "#detail-supplements") == "No supplements. a adds one."
        original = shown(app, "#detail-original")
        clock.advance(hours=1)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, SupplementDialog)
        assert app.screen.query_one("#supplement-author", Input).value == "Sam"
        app.screen.query_one("#supplement-text", TextArea).insert(f"Mopped. Card {CARD} found nearby")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, IdentifiersDialog)  # a supplement is checked too
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is detail
        assert shown(app, "#detail-original") == original  # the original as recorded
        assert shown(app, "#detail-supplements") == (
            f"Supplement 1 \u00b7 Tue 24 Nov 2026 20:30 \u00b7 Sam\nMopped. Card {REPLACEMENT} found nearby")
        assert "What happened: Water on the floor.\n    Facilities called." in original
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is browser
        assert str(results.get_option_at_index(0).prompt).endswith("(+1 supplement)")
        assert incidents.get(store, first.id).what_happened == "Water on the floor.\nFacilities called."


async def test_the_form_and_browser_keys_are_in_help_and_the_palette(store, site, shift):
    from tui.help import HelpScreen

    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_form(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = shown(app, "#help-keys")
        assert "Save report" in keys and "Leave" in keys
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form
        titles = [c.title for c in app.get_system_commands(form)]
        assert "incident: save report" in titles
        await pilot.press("escape")
        await pilot.press("ctrl+f")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"incident: open", "incident: add a supplement", "incident: search text"} <= set(titles)


async def test_a_draft_keeps_its_exact_times_unless_they_are_changed(store, site, shift):
    started = local(2026, 11, 24, 19, 2, 41)
    draft = incidents.save_draft(store, shift, {
        "category": "Medical emergency", "occurred_at": started, "zone_id": "third",
        "what_happened": "Medical emergency: walkthrough started at 19:02:41.",
        "ambulance_called_at": local(2026, 11, 24, 19, 3, 5)})
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("ctrl+f")
        await pilot.pause()
        await pilot.press("tab", "tab", "c")  # to the drafts list, complete
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IncidentFormScreen)
        assert form.query_one("#when", Input).value == "2026-11-24 19:02"
        form.query_one("#ambulance_called_at", Input).value = "19:04"
        await pilot.press("ctrl+s")
        await pilot.pause()
    (row,) = saved(store)
    assert row["occurred_at"] == "2026-11-25T00:02:41.000000+00:00"  # to the second, as recorded
    assert row["ambulance_called_at"] == "2026-11-25T00:04:00.000000+00:00"  # as retyped
    assert row["draft_id"] == draft.id


async def test_ctrl_o_exports_what_the_browser_shows(store, site, shift):
    from tui.incidents import IncidentExportScreen

    one_incident(store, site, shift, what_happened="Said [red] then \x1b[31m <b>x</b>")
    one_incident(store, site, shift, category="Injury", what_happened="Twisted ankle on stairs")
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+f")
        await pilot.pause()
        await pilot.press(*"ankle")  # the text filter has the focus
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, IncidentExportScreen)
        path = app.screen.query_one("#path", Input).value
        assert path.endswith("exports/incidents-20261124-1930.txt")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, IncidentBrowser)
        assert f"Exported 1 incident report(s) to {path}" in shown(app, "#browser-status")
        written = open(path, encoding="utf-8").read()
        assert "Twisted ankle on stairs" in written and "[red]" not in written
        app.screen.query_one("#filter-text", Input).value = ""  # no filter: everything
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.screen.query_one("#path", Input).value.endswith("incidents-20261124-1930-2.txt")  # no clash
        await pilot.press("ctrl+s")
        await pilot.pause()
        written = open(path.replace(".txt", "-2.txt"), encoding="utf-8").read()
        assert "Said [red] then \x1b[31m <b>x</b>" in written  # every character as written


async def test_a_draft_kept_while_storage_is_locked_is_listed_and_reopened_at_once(store, site, shift):
    """Another process holds the database's write lock: the draft waits in memory, the toast
    says so, and Ctrl+F lists it and reopens it before the lock is released."""
    app = SoloShiftApp(store, site)
    holder = sqlite3.connect(store.path, isolation_level=None)
    async with app.run_test(size=(80, 24)) as pilot:
        with mock.patch.object(app, "notify", wraps=app.notify) as notify:
            form = await open_form(app, pilot)
            await fill_required(form, pilot, what="Smoke smell near the elevator.")
            holder.execute("BEGIN IMMEDIATE")  # the lock a second process would hold
            try:
                await pilot.press("escape", "d")
                await pilot.pause()
                assert isinstance(app.screen, DeskScreen)
                assert store.rows("SELECT COUNT(*) AS n FROM incident_drafts")[0]["n"] == 0  # still in memory
                toast = notify.call_args.args[0]
                assert "IN MEMORY" in toast and "Ctrl+F" in toast
                await pilot.press("ctrl+f")
                await pilot.pause()
                drafts = app.screen.query_one("#browser-drafts", OptionList)
                assert drafts.display and drafts.option_count == 1
                assert "Smoke smell near the elevator." in str(drafts.get_option_at_index(0).prompt)
                drafts.focus()
                await pilot.press("c")
                await pilot.pause()
                assert isinstance(app.screen, IncidentFormScreen)
                assert app.screen.query_one("#what_happened", TextArea).text == "Smoke smell near the elevator."
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            # Storage is back: the draft reaches the disk once, and is listed once.
            assert store.flush_pending() == 0
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, IncidentBrowser)
            app.screen.reload()
            assert app.screen.query_one("#browser-drafts", OptionList).option_count == 1
            assert len(incidents.open_drafts(store)) == 1

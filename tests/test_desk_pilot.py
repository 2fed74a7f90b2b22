"""The desk, driven with Textual's Pilot: keys write rows, undo voids, late entries, text as typed."""

import gc
import sqlite3
from unittest import mock

import pytest
from textual.widgets import Input, Select, Static, TextArea

import main
from conftest import local, shown
from shift.shifts import end_shift, open_shift, start_shift
from shift.store import StoreError
from tui.app import SoloShiftApp
from tui.desk import DeskScreen
from tui.endshift import EndShiftScreen
from tui.entry import DetailEntryScreen
from tui.help import HelpScreen
from tui.report import ReportScreen
from tui.start import StartShiftScreen


def tallies(store):
    return store.rows("SELECT * FROM tallies ORDER BY recorded_at, rowid")


def header_of(app):
    return app.screen.query_one("#header").text()


async def test_start_a_shift_from_the_start_screen(store, site):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, StartShiftScreen)
        await pilot.press("enter")  # no name yet
        assert "name is needed" in shown(app, "#start-error")
        await pilot.press(*"Priya N")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert open_shift(store).worker == "Priya N"
        assert "On duty: Priya N" in header_of(app)
        assert "closes in 3 h 30 min · solo shift" in header_of(app)


async def test_a_very_long_handover_leaves_the_name_field_on_screen_at_80x24(store, site, shift):
    note = "\n".join(f"Line {n}: printer jammed again [b]twice[/b]" for n in range(3000))  # ~130 KB
    end_shift(store, shift, note, ["Microfilm reader 2 stuck"] * 40)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, StartShiftScreen)
        field = app.screen.query_one("#worker", Input)
        assert app.focused is field
        assert 0 <= field.region.y and field.region.bottom <= 24 - 1  # above the key bar
        assert shown(app, "#handover-note").startswith("Line 0: printer jammed again [b]twice[/b]")
        await pilot.press(*"Jo")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen) and open_shift(store).worker == "Jo"


async def test_an_open_shift_is_resumed(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)):
        assert isinstance(app.screen, DeskScreen)
        assert app.screen.shift == shift


async def test_tally_keys_write_rows_before_the_screen_says_saved(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d", "i", "r")
        rows = tallies(store)
        assert [r["category"] for r in rows] == ["directional", "informational", "reference"]
        assert {r["channel"] for r in rows} == {"in_person"}
        assert "Saved 19:30:00: Reference" in shown(app, "#saved")
        counts = shown(app, "#counts")
        assert "d  Directional          1      1" in counts and "Total                3      3" in counts
        assert counts.startswith("Desk statistics       shift  today")  # this shift beside today, labelled


async def test_channel_and_read_prefix_apply_to_the_next_entry_only(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p", "3")
        assert shown(app, "#pending") == "Next entry: Phone · READ 3  (Esc clears)"
        await pilot.press("r", "d")
        rows = tallies(store)
        assert (rows[0]["channel"], rows[0]["read_level"]) == ("phone", 3)
        assert (rows[1]["channel"], rows[1]["read_level"]) == ("in_person", None)
        await pilot.press("e", "escape", "t")
        assert tallies(store)[2]["channel"] == "in_person"


async def test_undo_voids_the_last_entry(store, site, shift, clock):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        clock.advance(seconds=3)
        await pilot.press("c", "u")
        voids = store.rows("SELECT tally_id FROM tally_voids")
        assert [v["tally_id"] for v in voids] == [tallies(store)[1]["id"]]
        assert len(tallies(store)) == 2  # nothing deleted
        assert "Total                1      1" in shown(app, "#counts")
        assert "undone: Circulation" in shown(app, "#saved")


async def test_fast_typing_loses_no_keystroke(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*("d" * 30 + "i" * 20 + "c" * 25))
        rows = tallies(store)
        assert len(rows) == 75
        assert [r["category"] for r in rows].count("informational") == 20


async def test_late_entry_with_note_shows_text_exactly_as_typed(store, site, shift):
    note = "Room [A-12] [/b] <b>x</b> \x1b[31mred"
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        assert isinstance(app.screen, DetailEntryScreen)
        dialog = app.screen
        dialog.query_one("#category", Select).value = "directional"
        dialog.query_one("#channel", Select).value = "phone"
        dialog.query_one("#quantity", Input).value = "3"
        dialog.query_one("#at", Input).value = "19:00"
        dialog.query_one("#note", Input).value = note  # as pasted
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        row = tallies(store)[0]
        assert (row["quantity"], row["channel"], row["note"]) == (3, "phone", note)
        assert row["occurred_at"] == "2026-11-25T00:00:00.000000+00:00"
        log = shown(app, "#log")
        assert "3 × Directional (Phone) (late entry for 19:00) — Room [A-12] [/b] <b>x</b> ␛[31mred" in log
        svg = app.export_screenshot()
        assert "[A-12]" in svg and "&lt;b&gt;x&lt;/b&gt;" in svg


async def test_details_saved_at_the_time_offered_are_logged_now(store, site, clock):
    clock.advance(seconds=40)
    start_shift(store, "Sam", "main")  # 19:30:40: the dialog offers 19:30, before the shift began
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        clock.advance(seconds=75)  # a note takes a while to type
        app.screen.query_one("#note", Input).value = "Asked where the printers are"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        row = tallies(store)[0]
        assert row["occurred_at"] == row["recorded_at"]  # now, not 19:30:00
        assert "late entry" not in shown(app, "#log")


async def test_late_entry_before_the_shift_is_refused_with_a_message(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        app.screen.query_one("#at", Input).value = "16:00"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, DetailEntryScreen)
        assert "within this shift" in shown(app, "#entry-error")
        assert tallies(store) == []


async def test_a_failed_write_is_never_shown_as_saved(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        with mock.patch.object(type(store), "insert", side_effect=sqlite3.OperationalError("disk I/O error")):
            await pilot.press("d")
        assert shown(app, "#saved") == "NOT saved: disk I/O error"
        assert tallies(store) == []
        await pilot.press("d")
        assert len(tallies(store)) == 1


async def test_help_lists_every_key(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        keys = shown(app, "#help-keys")
        for expected in ("Directional", "Room bookings", "Void the last desk-statistics entry", "Late entry",
                         "Write the handover note", "Next entry: Phone", "Next entry: READ 6", "List every key",
                         "See and resolve", "Record an incident"):
            assert expected in keys, expected
        assert "Focus Next" not in keys and "super+c" not in keys  # Textual's own, not the desk's
        await pilot.press("escape")
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_command_palette_has_namespaced_commands(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for expected in ("tally: log directional", "tally: undo last entry", "tally: next entry: phone",
                         "shift: end shift", "app: help", "app: toggle high contrast",
                         "emergency: emergency protocols", "checkin: check in", "checkin: panic alarm"):
            assert expected in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"log reference")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert [r["category"] for r in tallies(store)] == ["reference"]


async def test_keys_can_be_remapped_by_the_site(store, site, shift):
    remapped = site._replace(keys={"tally.undo": "backspace"})
    app = SoloShiftApp(store, remapped)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d", "u")
        assert store.rows("SELECT COUNT(*) AS n FROM tally_voids")[0]["n"] == 0
        await pilot.press("backspace")
        assert store.rows("SELECT COUNT(*) AS n FROM tally_voids")[0]["n"] == 1


async def test_end_shift_hands_over_to_the_next_person(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, EndShiftScreen)
        app.screen.query_one("#handover", TextArea).text = "Quiet night [really]."
        app.screen.query_one("#followups-text", TextArea).text = "Microfilm reader 2 stuck"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)  # the finished shift's report comes first
        assert "Quiet night [really]." in shown(app, "#report-text")
        assert "Microfilm reader 2 stuck" in shown(app, "#report-text")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StartShiftScreen)
        assert open_shift(store) is None
        assert shown(app, "#handover-note") == "Quiet night [really]."
        assert "Microfilm reader 2 stuck" in shown(app, "#followups")


async def test_high_contrast_theme_toggles(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        assert app.theme == "high-contrast"
        await pilot.press("f9")
        assert app.theme == "desk-dark"


async def test_followups_can_be_resolved_and_added_from_the_desk(store, site, shift):
    from shift.shifts import add_followup, open_followups
    from tui.followups import FollowUpsScreen

    add_followup(store, shift, "Hold shelf: two items [overdue]")
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        assert isinstance(app.screen, FollowUpsScreen)
        await pilot.press("r", *"Both items back on the shelf", "enter")
        await pilot.pause()
        assert open_followups(store) == []
        await pilot.press("tab", *"Umbrella at the desk", "enter")
        assert [f.text for f in open_followups(store)] == ["Umbrella at the desk"]
        await pilot.press("escape")
        assert isinstance(app.screen, DeskScreen)
        assert "follow-up resolved: Hold shelf: two items [overdue]" in shown(app, "#log")


async def test_names_and_notes_with_markup_and_escapes_crash_nothing(store, site):
    name = "Jo [/b] <i>\x1b[2J"
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#worker", Input).value = name
        await pilot.press("enter")
        await pilot.pause()
        assert open_shift(store).worker == name  # stored exactly as typed
        assert "On duty: Jo [/b] <i>␛[2J  closes" in header_of(app)
        await pilot.press("ctrl+e")
        app.screen.query_one("#handover", TextArea).text = "[/b] closed <b>early</b> \x1b[31m"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "[/b] closed <b>early</b> ␛[31m" in shown(app, "#report-text")
        await pilot.press("enter")
        await pilot.pause()
        assert shown(app, "#handover-note") == "[/b] closed <b>early</b> ␛[31m"
        assert any("Jo [/b] <i>␛[2J, ended" in str(s.content) for s in app.screen.query(Static))


async def test_high_contrast_toggles_back_when_it_is_the_site_theme(store, site, shift):
    app = SoloShiftApp(store, site._replace(theme="high-contrast"))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "high-contrast"
        await pilot.press("f9")
        assert app.theme == "desk-dark"
        await pilot.press("f9")
        assert app.theme == "high-contrast"


async def test_two_handovers_in_one_sitting(store, site, shift, clock):
    """Resumed desk -> end -> next person starts -> ends: each screen shows the right shift."""
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        for worker, note in (("Priya", "First handover"), ("Jordan", "Second handover")):
            await pilot.press("ctrl+e")
            app.screen.query_one("#handover", TextArea).text = note
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, ReportScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, StartShiftScreen)
            assert shown(app, "#handover-note") == note
            clock.advance(minutes=5)
            app.screen.query_one("#worker", Input).value = worker
            await pilot.press("enter")
            for _ in range(100):  # the desk is put up after the start screen goes (call_later)
                await pilot.pause(0.02)
                if isinstance(app.screen, DeskScreen) and app.screen.query("#header"):
                    break
            assert isinstance(app.screen, DeskScreen)
            assert f"On duty: {worker}  closes" in header_of(app)
            await pilot.press("d")
            assert tallies(store)[-1]["shift_id"] == open_shift(store).id
        assert len(app.screen_stack) <= 2


async def test_desk_counts_circulation_and_fees_and_keeps_deadlines_in_view(store, site, shift, clock):
    from conftest import local
    from shift import circulation, incidents, money
    from shift.incidents import IncidentForm
    from tui.followups import FollowUpsScreen

    zone = site.zone
    circulation.record(store, shift, "loan", "30000000000017", zone, patron="20000000000018")
    circulation.record(store, shift, "loan", "30000000000025", zone, patron="20000000000018")
    circulation.record(store, shift, "return", "30000000000033", zone)
    money.record_fee(store, site.circulation, shift, "2.50", "cash", receipt="R-1")
    incidents.file_incident(store, site, shift, IncidentForm(
        category="Injury", occurred_at=local(2026, 11, 24, 19, 0), zone_id="main-floor",
        what_happened="Fell on the stairs.", reporter="Sam", injury="critical", hurt="worker"))
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        counts = shown(app, "#counts")
        assert "Loan                2" in counts and "Return              1" in counts
        assert "Fees this shift $2.50" in counts
        log = shown(app, "#log")
        # Telling the manager was due when it happened: overdue at once; the written report in 48 h.
        assert "OVERDUE since Tue 24 Nov 19:00: Incident 24 Nov 19:00, Injury: Manager on call told" in log
        assert "due Thu 26 Nov 19:00: Incident 24 Nov 19:00, Injury: Written report of the critical" in log
        await pilot.press("f")
        assert isinstance(app.screen, FollowUpsScreen)
        await pilot.press("escape")
        clock.advance(hours=48, minutes=1)
        app.screen.tick()
        assert "OVERDUE since Thu 26 Nov 19:00: Incident 24 Nov 19:00, Injury: Written report" in shown(app, "#log")


async def test_the_garbage_collector_is_paused_only_until_the_first_paint(tmp_path):
    store, app = main.open_desk(main.parse_args(["--db", str(tmp_path / "desk.db")]))
    try:
        assert not gc.isenabled()  # paused for the start-up
        with store:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                assert isinstance(app.screen, StartShiftScreen)
                assert gc.isenabled()
                # What start-up built is frozen, so no collection rescans it.
                assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_refused_database_does_not_leave_the_garbage_collector_paused(tmp_path):
    not_a_database = tmp_path / "desk.db"
    not_a_database.write_text("shopping list\n")
    with pytest.raises(StoreError):
        main.open_desk(main.parse_args(["--db", str(not_a_database)]))
    assert gc.isenabled()


async def test_the_key_bar_is_one_line_safety_keys_first_and_the_help_key_always(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(240, 40)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one("KeyBar")
        wide = str(bar.content)
        assert wide.startswith("F8 EMERGENCY  F5 Check in") and "Ctrl+P palette" in wide
        assert wide.endswith("F1 all keys") and bar.size.height == 1
        await pilot.resize_terminal(70, 40)
        await pilot.pause()
        narrow = str(bar.content)
        assert "\n" not in narrow and len(narrow) <= 68 and bar.size.height == 1
        assert narrow.startswith("F8 EMERGENCY  F5 Check in") and narrow.endswith("F1 all keys")
        kept = narrow.removesuffix("  F1 all keys").split("  ")
        assert kept == wide.split("  ")[:len(kept)]  # whole keys, in order, none cut in half


async def test_a_resize_under_a_dialog_reaches_the_desk_beneath(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(240, 40)) as pilot:
        await pilot.pause()
        desk = app.screen
        wide = str(desk.query_one("KeyBar").content)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.resize_terminal(70, 30)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is desk and desk.outer_size == (70, 30)
        narrow = str(desk.query_one("KeyBar").content)
        assert len(narrow) <= 68 < len(wide)  # laid out again for the new width


async def test_a_narrow_terminal_keeps_the_header_to_its_three_lines(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        header = app.screen.query_one("#header")
        lines = header.render().split("\n")
        assert len(lines) == 3 and all(line.cell_length <= header.content_region.width for line in lines)
        assert lines[0].plain.startswith("Bata Library") and "…" in lines[0].plain
        assert lines[0].plain.endswith("19:30:00") and lines[1].plain.startswith("On duty: Sam")
        assert "Today:" in app.export_screenshot()


async def test_typing_ahead_across_tab_lands_in_the_next_field(store, site, shift):
    from textual import events

    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, EndShiftScreen)
        # As a terminal delivers a fast burst (or a scanner with a Tab suffix): all queued at once.
        for key in [*"Quiet", "tab", *"IT", "shift+tab", *"!"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause()
        assert app.screen.query_one("#handover", TextArea).text == "Quiet!"
        assert app.screen.query_one("#followups-text", TextArea).text == "IT"


async def test_due_now_lists_the_most_pressing_first_and_x_acts_on_the_selected_row(store, full_site, clock):
    """At 22:47 on a Tuesday: the 22:30 announcement is escalated, the 22:45 one just due, the
    19:00 hold shelf and 19:30 returns bin long open. x does the selected one, not the oldest."""
    site = full_site._replace(checkins=None, email=None)
    clock.moment = local(2026, 11, 24, 18, 0)
    shift = start_shift(store, "Sam", "main")
    clock.moment = local(2026, 11, 24, 22, 47)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.core.tick(clock.now())
        app.screen.show_timers()
        titles = [s.prompt.task.id for s in app.core.due_items(shift, clock.now())]
        assert titles == ["announce-30", "announce-15", "returns-bin", "hold-shelf"]
        due = shown(app, "#due")
        assert due.index("22:30  MISSED Closing announcement: 30") < due.index("22:45  MISSED Closing announcement: 15")
        assert "+1 more" in due and "19:00" not in due  # capped: three rows at 80x24
        await pilot.press("down")
        assert "▶ 22:45  MISSED Closing announcement: 15 minutes" in shown(app, "#due")
        await pilot.press("x")
        await pilot.pause()
        done = [r["task_id"] for r in store.rows("SELECT task_id FROM prompt_events WHERE event = 'done'")]
        assert done == ["announce-15"]
        assert "done: Closing announcement: 15 minutes" in shown(app, "#saved")
        assert "▶ 22:30  MISSED Closing announcement: 30 minutes" in shown(app, "#due")  # back to the first
        await pilot.press("down", "down", "down")  # past the third row: the list scrolls with it
        assert "▶ 19:00  MISSED Check the hold shelf" in shown(app, "#due")

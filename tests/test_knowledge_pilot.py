"""The desk knowledge search, driven with Pilot: one key, a few letters, Enter, one key logs."""

from pathlib import Path

from textual.widgets import OptionList

from conftest import shown
from tui.app import SoloShiftApp
from tui.desk import DeskScreen
from tui.knowledge import EntryScreen, KnowledgeScreen

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


def tallies(store):
    return store.rows("SELECT category, channel, read_level, note FROM tallies ORDER BY recorded_at, rowid")


def first_result(app) -> str:
    listing = app.screen.query_one("#knowledge-results", OptionList)
    return str(listing.get_option_at_index(0).prompt)


async def test_search_open_and_log_a_referral_by_phone(store, site, shift):
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("slash", *"acces")
        await pilot.pause()
        assert isinstance(app.screen, KnowledgeScreen)
        assert first_result(app).startswith("Student Accessibility Services  (Referral)")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)
        contact = shown(app, "#entry-contact")
        assert "Phone: 705-555-0120" in contact and "Hours: Mon-Fri 08:30-16:30" in contact
        assert "p Phone" in shown(app, "#entry-keys")
        await pilot.press("2")  # a READ level first: its definition, from the READ scale entry, is shown
        assert "READ 2: A little knowledge or a quick look-up" in shown(app, "#entry-keys")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert tallies(store) == [{"category": "accessibility", "channel": "phone", "read_level": 2,
                                   "note": "referred to: Student Accessibility Services"}]
        assert "Accessibility (Phone) READ 2 — referred to: Student Accessibility Services" in shown(app, "#saved")


async def test_a_typo_finds_microfilm_and_esc_logs_nothing(store, site, shift):
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"microflim")
        await pilot.pause()
        assert first_result(app).startswith("Microfilm and microfiche readers")
        await pilot.press("enter")
        await pilot.pause()
        body = shown(app, "#entry-body")
        # Lines the coordinator wrapped by hand are joined, so the text wraps cleanly at 80 columns;
        # numbered steps still start their own lines.
        assert "fiche: slide it into the carrier, text upside down." in body
        assert "\n2. Film: thread the reel" in body
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen) and tallies(store) == []


async def test_entry_text_is_shown_as_typed_and_old_entries_are_flagged(store, site, shift, tmp_path):
    (tmp_path / "odd.toml").write_text('kind = "policy"\ntitle = "Odd [b]bold[/b]"\nchecked = 2025-01-02\n'
                                       'body = "Text with [red]markup[/red]"\n', encoding="utf-8")
    (tmp_path / "broken.toml").write_text('kind = "policy"\n', encoding="utf-8")
    app = SoloShiftApp(store, site, knowledge_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"odd")
        await pilot.pause()
        assert first_result(app) == "Odd [b]bold[/b]  (Policy)  — OLD (checked 2025-01-02)"
        assert "1 knowledge file(s) have errors" in shown(app, "#knowledge-problems")
        await pilot.press("enter")
        await pilot.pause()
        assert shown(app, "#entry-body") == "Text with [red]markup[/red]"
        await pilot.press("p")  # no statistics type named: nothing to log
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen) and tallies(store) == []


async def test_the_read_prefix_shows_its_definition_and_question_mark_lists_all_six(store, site, shift):
    from tui.help import HelpScreen
    from tui.knowledge import ReadScaleScreen

    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p", "3")
        pending = shown(app, "#pending")
        # One line at 80 columns: the level, the start of its definition, and how to see them all.
        assert pending.startswith("Next entry: Phone · READ 3: Some time and ready-ref")
        assert pending.endswith("… (? all six · Esc clears)") and len(pending) == 78
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, ReadScaleScreen)
        levels = shown(app, "#read-levels").splitlines()
        assert len(levels) == 6 and levels[2] == "→ 3  Some time and ready-reference sources; minimal instruction."
        assert levels[0] == "  1  Under 5 minutes, no resources: directions, hours, printer help."
        await pilot.press("5")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert shown(app, "#pending").startswith("Next entry: Phone · READ 5: Substantial research")
        await pilot.press("r")
        assert tallies(store)[-1]["read_level"] == 5
        await pilot.press("question_mark")  # no READ level typed: ? is help, as everywhere
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_escape_sequences_in_an_entry_are_shown_never_sent_to_the_terminal(store, site, shift, tmp_path):
    (tmp_path / "esc.toml").write_text(
        'kind = "notice"\ntitle = "Person"\nchecked = 2026-05-01\nfrom = 2026-01-01\nuntil = 2099-01-01\n'
        'incident = "abc"\nconditions = "Call \\u001b]0;TITLE\\u0007 security"\n'
        'body = """\nLine one \\u001b[2J\\u001b[H cleared?\nLine two"""\n', encoding="utf-8")
    app = SoloShiftApp(store, site, knowledge_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"person", "enter")
        await pilot.pause()
        assert shown(app, "#entry-body") == "Line one ␛[2J␛[H cleared? Line two"
        assert "Call ␛]0;TITLE␇ security" in shown(app, "#entry-notice")
        assert "\x1b" not in shown(app, "#entry-body") + shown(app, "#entry-notice")


async def test_the_read_scale_entry_keeps_one_line_per_level(store, site, shift):
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"read scale", "enter")
        await pilot.pause()
        lines = shown(app, "#entry-body").splitlines()
        assert "3  Some time and ready-reference sources; minimal instruction." in lines
        assert sum(line[:1] in "123456" and line[1:3] == "  " for line in lines) == 6


async def test_a_read_level_on_a_type_the_site_does_not_score_is_said_not_kept(store, site, shift):
    assert not site.tally.category("circulation").read  # the loan periods policy logs circulation
    app = SoloShiftApp(store, site, knowledge_dir=KNOWLEDGE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"loan periods", "enter")
        await pilot.pause()
        assert "READ level" not in shown(app, "#entry-keys")
        await pilot.press("4")
        keys = shown(app, "#entry-keys")
        assert "READ 4 not kept: Circulation questions are not scored" in keys
        assert "Several resources" not in keys
        await pilot.press("p")
        await pilot.pause()
        assert tallies(store) == [{"category": "circulation", "channel": "phone", "read_level": None,
                                   "note": "answered with: Loan periods"}]

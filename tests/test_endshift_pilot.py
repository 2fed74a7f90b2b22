"""Ending a shift at 80×24: what is still open is listed, an empty handover alone is refused
until "nothing to hand over" is chosen; resolving a follow-up asks what was done."""

from textual.widgets import TextArea

from conftest import ROOT, local, shown
from shift import incidents
from shift.clock import to_iso
from shift.procedures import load_procedures
from shift.runs import start_run
from shift.shifts import NOTHING_TO_HAND_OVER, add_followup, open_followups, open_shift
from tui.app import SoloShiftApp
from tui.ask import AskText
from tui.endshift import EndShiftScreen
from tui.followups import FollowUpsScreen
from tui.report import ReportScreen
from tui.start import StartShiftScreen

SMALL = (80, 24)


def fits(app, *selectors: str) -> None:
    """Each widget is laid out whole inside the dialog's padding and border, and the dialog
    inside the 80×24 screen: nothing is cut off."""
    screen = app.screen
    dialog = screen.query_one("#dialog").region
    assert dialog.y >= 0 and dialog.bottom <= SMALL[1] and dialog.right <= SMALL[0]
    inside = dialog.shrink((2, 2, 2, 2))  # a thick border and a padding row above and below
    for selector in selectors:
        region = screen.query_one(selector).region
        assert region.height > 0 and region.y >= inside.y and region.bottom <= inside.bottom, \
            (selector, region, inside)


def leave_things_open(store, shift, clock):
    procedures, _ = load_procedures(ROOT / "procedures")
    start_run(store, shift, next(p for p in procedures if p.id == "floor-walk"))
    clock.advance(hours=4)  # 23:30: the library closed at 23:00, and no closing procedure was run
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(), "text": "Call [the] manager",
                               "due_at": to_iso(local(2026, 11, 24, 21, 0))})
    incidents.save_draft(store, shift, {"category": "Injury"})
    clock.advance(minutes=1)
    incidents.save_draft(store, shift, {"category": "Facilities problem"})


async def test_the_end_of_the_shift_lists_what_is_still_open_and_wants_a_handover(store, site, shift, clock):
    leave_things_open(store, shift, clock)
    app = SoloShiftApp(store, site)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, EndShiftScreen)
        assert shown(app, "#open-heading").startswith("Still open (5)")
        assert shown(app, "#open-heading").endswith("1 more below: Shift+Tab, then ↓")  # never hidden unsaid
        listed = shown(app, "#open-list").splitlines()
        assert listed == [
            "• Not finished: Floor walk (step 1 of 12)",
            "• Closing procedure not run: the library closed at 23:00",
            "• Follow-up OVERDUE since Tue 24 Nov 21:00: Call [the] manager",
            "• Incident report still to complete (draft from Tue 24 Nov 23:31)",
            "• Incident report still to complete (draft from Tue 24 Nov 23:30)",
        ]
        # Five items in four rows: the list scrolls, and the rest of the dialog stays whole.
        fits(app, "#open-heading", "#open-items", "#handover", "#followups-text", ".note", "#end-error")
        assert app.screen.query_one("#open-items").region.height == 4
        assert app.focused is app.screen.query_one("#handover", TextArea)

        await pilot.press("ctrl+s")  # an empty note alone
        await pilot.pause()
        assert isinstance(app.screen, EndShiftScreen) and open_shift(store) == shift
        assert shown(app, "#end-error") == "Write a handover note, or press Ctrl+N: nothing to hand over."
        fits(app, "#handover", "#followups-text", ".note", "#end-error")
        await pilot.press("space", "space", "enter", "ctrl+s")  # blank is still empty
        await pilot.pause()
        assert isinstance(app.screen, EndShiftScreen) and open_shift(store) == shift
        app.screen.query_one("#handover", TextArea).text = ""

        await pilot.press("ctrl+n")
        assert shown(app, "#end-error").startswith("Nothing to hand over: Ctrl+S ends the shift")
        fits(app, "#handover", "#followups-text", ".note", "#end-error")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert open_shift(store) is None
        assert store.rows("SELECT handover FROM shift_ends") == [{"handover": NOTHING_TO_HAND_OVER}]
        assert "Closing procedure not run: the library closed at 23:00" in shown(app, "#report-text")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StartShiftScreen)
        assert shown(app, "#handover-note") == NOTHING_TO_HAND_OVER


async def test_nothing_to_hand_over_can_be_taken_back(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert shown(app, "#open-heading") == "Nothing is left open."
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, EndShiftScreen) and open_shift(store) == shift
        await pilot.press(*"Quiet night.", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert store.rows("SELECT handover FROM shift_ends") == [{"handover": "Quiet night."}]


async def test_resolving_a_follow_up_asks_what_was_done(store, site, shift):
    add_followup(store, shift, "Microfilm reader 2 [stuck]")
    app = SoloShiftApp(store, site)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f")
        assert isinstance(app.screen, FollowUpsScreen)
        fits(app, "#followup-list", "#new-followup", ".note", "#followup-status")
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        assert "Resolve: Microfilm reader 2 [stuck]" in str(app.screen.query_one(".title").render())
        fits(app, "#answer", ".note")
        await pilot.press("enter")  # no note: refused, still asked
        await pilot.pause()
        assert isinstance(app.screen, AskText) and len(open_followups(store)) == 1
        await pilot.press("escape")  # given up: it stays open, and says so
        await pilot.pause()
        assert isinstance(app.screen, FollowUpsScreen) and len(open_followups(store)) == 1
        assert shown(app, "#followup-status") == "Not resolved: it stays open."

        await pilot.press("r", *"Reset it; works now", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpsScreen)
        assert open_followups(store) == []
        assert store.rows("SELECT note FROM followup_resolutions") == [{"note": "Reset it; works now"}]
        assert shown(app, "#followup-status") == "Resolved."

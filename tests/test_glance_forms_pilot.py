"""At a glance at 80x24: the incident form and browser, and the READ rule, as the desk worker meets them."""

from textual.widgets import Input, OptionList, TextArea

from conftest import local, shown
from shift import incidents, tally
from shift.incidents import IncidentForm
from tui.app import SoloShiftApp
from tui.incident import IncidentFormScreen, LeaveDialog
from tui.incidents import IncidentBrowser

CARD = "21234000123457"  # a patron card of the sample site's pattern (Luhn-valid)


def tallies(store):
    return store.rows("SELECT category, read_level FROM tallies ORDER BY recorded_at, rowid")


def test_a_read_level_is_kept_only_where_the_site_scores_it(store, site, shift):
    config = site.tally
    assert not config.category("directional").read and config.category("reference").read
    assert tally.read_level_kept(config, "reference", 3) == (3, "")
    kept, said = tally.read_level_kept(config, "directional", 3)
    assert kept is None and said == "READ 3 not kept: Directional questions are not scored on the READ scale"
    tally.record(store, config, shift, "directional", read_level=3)  # still counted, without the level
    tally.record(store, config, shift, "reference", read_level=3)
    assert tallies(store) == [{"category": "directional", "read_level": None},
                              {"category": "reference", "read_level": 3}]


async def test_the_desk_says_a_read_level_was_not_kept(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "d")
        await pilot.pause()
        saved = shown(app, "#saved")
        assert "Directional" in saved and "READ 3 not kept" in saved
        await pilot.press("4", "r")
        await pilot.pause()
        assert "Reference READ 4" in shown(app, "#saved") and "not kept" not in shown(app, "#saved")
    assert tallies(store) == [{"category": "directional", "read_level": None},
                              {"category": "reference", "read_level": 4}]


async def test_a_discarded_report_comes_back_until_the_shift_ends_without_card_numbers(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IncidentFormScreen)
        assert not form.query_one("#incident-discarded").display  # nothing discarded yet
        form.query_one("#what_happened", TextArea).insert(f"Water by the printers; patron card {CARD} found")
        form.query_one("#location", Input).value = "by the printers"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeaveDialog)
        await pilot.press("y")  # the reflexive y
        await pilot.pause()
        assert not isinstance(app.screen, IncidentFormScreen)
        await pilot.press("f6")
        await pilot.pause()
        form = app.screen
        offer = shown(app, "#incident-discarded")
        assert offer.startswith("A report discarded at 19:30") and "Ctrl+O brings it back" in offer
        await pilot.press("ctrl+o")
        await pilot.pause()
        what = form.query_one("#what_happened", TextArea).text
        assert what.startswith("Water by the printers; patron card ")
        assert CARD not in what  # incidents never keep card numbers: not even a discarded one
        assert form.query_one("#location", Input).value == "by the printers"
        assert not form.query_one("#incident-discarded").display
    assert incidents.discarded(store, shift) is None  # brought back: no second copy waits


async def test_ending_the_shift_forgets_a_discarded_report(store, site, shift):
    incidents.keep_discarded(store, site, shift.id, {"what_happened": "Spilled coffee"})
    assert incidents.discarded(store, shift)[0] == {"what_happened": "Spilled coffee"}
    app = SoloShiftApp(store, site)
    app.core.end_shift(shift, "Quiet night.", [])
    assert incidents.discarded(store, shift) is None


async def test_the_browser_lists_one_aligned_line_per_incident_with_the_injury_marked(store, site, shift):
    base = IncidentForm(category="Injury", occurred_at=local(2026, 11, 24, 18, 5), zone_id="main-floor",
                        what_happened="Fell on the stairs near the east exit and could not stand up again; "
                                      "ambulance called and the patron was taken to hospital.\nSecond line.",
                        reporter="Sam", injury="critical", hurt="other")
    incidents.file_incident(store, site, shift, base)
    incidents.file_incident(store, site, shift, IncidentForm(
        category=site.incidents.categories[0], occurred_at=local(2026, 11, 24, 19, 0), zone_id="main-floor",
        what_happened="Water on the floor.", reporter="Sam"))
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, IncidentBrowser)
        assert "Tab or Enter: to the list" in shown(app, "#results-title")  # a types into the filter here
        results = app.screen.query_one("#browser-results", OptionList)
        assert results.option_count == 2
        lines = [str(results.get_option_at_index(n).prompt) for n in range(2)]
        water, fall = lines
        assert fall.startswith("Tue 24 Nov 2026 18:05  CRITICAL ")
        assert water.startswith("Tue 24 Nov 2026 19:00            ")  # no injury: the column stays blank
        assert water.index(site.incidents.categories[0]) == fall.index("Injury")  # aligned columns
        assert "\n" not in fall and "Second line" not in fall
        # Each incident takes one row on screen, however long its first line.
        assert results.virtual_size.height == 2
        await pilot.press("enter")  # from the filter to the list
        await pilot.pause()
        assert results.has_focus
        assert shown(app, "#results-title") == "Newest first \u00b7 Enter opens \u00b7 a adds a supplement"

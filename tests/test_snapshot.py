"""One picture of the desk screen, at a fixed moment, to catch layout regressions."""

from shift.shifts import start_shift
from shift.tally import record
from tui.app import SoloShiftApp


def test_desk_screen_snapshot(snap_compare, store, site, clock):
    clock.advance(hours=-2)
    shift = start_shift(store, "Sam Okafor", "main")
    clock.advance(hours=1)
    for category in ("directional", "directional", "technology", "circulation"):
        record(store, site.tally, shift, category)
        clock.advance(minutes=7)
    record(store, site.tally, shift, "reference", channel="phone", read_level=3, note="Room [A-12] <b>")
    clock.advance(minutes=32)
    assert snap_compare(SoloShiftApp(store, site), terminal_size=(120, 40))

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


def test_procedure_step_snapshot(snap_compare, store, site, clock):
    from pathlib import Path

    from shift.procedures import parse_procedure
    from test_runs import CLOSING

    procedure, _ = parse_procedure(CLOSING, Path("procedures/closing-test.toml"))
    clock.advance(hours=-2)
    start_shift(store, "Sam Okafor", "main")
    clock.advance(hours=5, minutes=20)  # 22:50: the 22:45 announcement is late
    app = SoloShiftApp(store, site, procedures=[procedure])
    assert snap_compare(app, press=["f4"], terminal_size=(100, 30))

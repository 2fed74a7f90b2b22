"""The safety keys with storage failing: read-only, locked by another process, full.

Each condition is SQLite's own refusal, not a mock: a read-only connection,
another process holding the write lock, a database at its page limit. The
screen must come up at once and nothing confirmed may be lost once storage
returns.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from contextlib import contextmanager

import pytest

from conftest import ROOT, shown
from shift import checkins
from shift.procedures import load_procedures
from shift.shifts import open_shift
from shift.store import CorruptDatabase, Store
from tmux_terminal import WriteLock, fill_disk
from tui.app import SoloShiftApp
from tui.checkin import PanicScreen
from tui.desk import DeskScreen
from tui.emergency import EmergencyScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")


@contextmanager
def read_only(store):
    writable = store.conn
    store.conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, isolation_level=None)
    try:
        yield
    finally:
        store.conn.close()
        store.conn = writable


@contextmanager
def locked(store):
    """Another process holds the write lock until the block ends."""
    with WriteLock(store.path):
        yield


@contextmanager
def full(store):
    """The disk is full: a filler file takes the rest of the small tmpfs the database lives on."""
    filler = store.path.parent / "filler"
    fill_disk(store.path.parent)
    try:
        yield
    finally:
        filler.unlink()


CONDITIONS = {"read-only": read_only, "locked": locked, "full": full}


@pytest.fixture
def store(tmp_path, clock, request):
    """The desk's database; for the full-disk case, on a small tmpfs of its own."""
    folder = tmp_path
    mounted = False
    if getattr(request, "param", None) == "full" or "full]" in request.node.name:
        folder = tmp_path / "small-disk"
        folder.mkdir()
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                                               capture_output=True).returncode != 0:
            pytest.skip("a full disk needs a tmpfs mount (root; CI runs as root)")
        mounted = True
    opened = Store.open(folder / "desk.db", clock=clock)
    yield opened
    opened.close()
    if mounted:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("condition", CONDITIONS)
async def test_the_emergency_key_on_the_start_screen(store, site, condition):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        with CONDITIONS[condition](store):
            await pilot.press("f8", "f")
            await pilot.pause()
            assert isinstance(app.screen, EmergencyScreen), condition
            assert shown(app, "#emergency-dial").startswith("DIAL 9-911")
            assert "waiting for storage" in shown(app, "#emergency-clock")
            assert shown(app, "#run-progress").startswith("Step 1 of ")
            await pilot.press("enter")  # step 1 done, still kept in memory
            await pilot.pause()
            assert store.pending
        app._flush_pending()  # storage is back
        assert not store.pending
    shift = open_shift(store)
    assert shift is not None and shift.worker == "(not signed in)"
    assert store.rows("SELECT procedure_id, drill FROM procedure_runs") == [{"procedure_id": "fire-alarm", "drill": 0}]
    assert len(store.rows("SELECT * FROM step_outcomes")) == 1


@pytest.mark.parametrize("condition", CONDITIONS)
async def test_panic_with_storage_failing_keeps_the_desk_running(store, full_site, shift, condition):
    checkins.record(store, shift, "checkin")  # on time: the only alarm is the panic
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()), procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        with CONDITIONS[condition](store):
            await pilot.press("f12")
            await pilot.pause()
            assert isinstance(app.screen, PanicScreen)
            app.screen.left = 1
            app.screen.tick()  # the countdown ends
            await pilot.pause()
            assert app.is_running and not isinstance(app.screen, PanicScreen)
            assert "ALARM (panic)" in shown(app, "#checkin-line")
        app._flush_pending()
    kinds = [r["kind"] for r in store.rows("SELECT kind FROM checkin_events ORDER BY at, rowid")
             if not r["kind"].startswith("channel")]
    assert kinds[:3] == ["checkin", "panic", "escalation"]


@pytest.mark.parametrize("condition", CONDITIONS)
async def test_starting_a_shift_with_storage_failing(store, site, condition):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        with CONDITIONS[condition](store):
            await pilot.press(*"Sam", "enter")
            await pilot.pause()
            assert isinstance(app.screen, DeskScreen) and app.screen.shift.worker == "Sam"
            await pilot.press("d")  # a directional question, kept in memory
            await pilot.pause()
            assert shown(app, "#saved").startswith("Kept in memory")
        app._flush_pending()
        await pilot.press("d")
        await pilot.pause()
        assert shown(app, "#saved").startswith("Saved")
    assert store.rows("SELECT worker FROM shifts") == [{"worker": "Sam"}]
    assert len(store.rows("SELECT * FROM tallies")) == 2


async def test_the_desk_says_how_many_entries_wait_until_storage_returns(store, site, shift):
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        with read_only(store):
            await pilot.press("d", "r")
            await pilot.pause()
            assert shown(app, "#saved").startswith("Kept in memory")
            app.screen.query_one("#saved").update("")
            app.screen.tick()
            assert shown(app, "#saved").startswith("Entries waiting for storage")
        app._flush_pending()
        app.screen.tick()
        assert shown(app, "#saved").startswith("Storage is back")
    assert len(store.rows("SELECT * FROM tallies")) == 2


def test_undo_while_storage_fails_voids_the_entry_just_kept(store, site, shift):
    from shift import tally

    kept_first = tally.record(store, site.tally, shift, "directional")
    with read_only(store):
        waiting = tally.record(store, site.tally, shift, "reference")
        assert tally.void_last(store, shift).id == waiting.id
        assert tally.void_last(store, shift).id == kept_first.id
        assert tally.void_last(store, shift) is None
    assert store.flush_pending() == 0
    assert {r["tally_id"] for r in store.rows("SELECT tally_id FROM tally_voids")} == {waiting.id, kept_first.id}


def test_a_prompt_fired_while_storage_fails_fires_once(store, full_site, clock):
    from conftest import local
    from shift.desk import DeskCore

    core = DeskCore(store, full_site._replace(email=None, checkins=None), clock)
    clock.moment = local(2026, 11, 24, 17, 30)
    core.start_shift("Sam", "main")
    clock.moment = local(2026, 11, 24, 19, 0)
    with read_only(store):
        fired = [e.text for e in core.tick(clock.now()) if e.kind == "notify"]
        assert fired == ["Check the hold shelf for expired holds"]
        clock.advance(minutes=1)
        assert [e for e in core.tick(clock.now()) if e.kind == "notify"] == []  # kept, so not fired again
        assert [s.state for s in core.due_items(core.shift(), clock.now())] == ["due"]
    assert store.flush_pending() == 0
    assert [r["event"] for r in store.rows("SELECT event FROM prompt_events")] == ["fired"]


SCREENS = {"desk": (), "details dialog": ("l",), "closing procedure": ("f4",), "incident form": ("f6",),
           "circulation": ("f7",), "help": ("f1",)}


@pytest.mark.parametrize("where", SCREENS)
async def test_check_in_and_emergency_from_every_screen_with_storage_read_only(store, full_site, shift, where):
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()), procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press(*SCREENS[where])
        await pilot.pause()
        under = type(app.screen)
        with read_only(store):
            await pilot.press("f5")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert type(app.screen) is under, where
            await pilot.press("f8", "m")  # medical emergency
            await pilot.pause()
            assert isinstance(app.screen, EmergencyScreen), where
            assert shown(app, "#emergency-dial").startswith("DIAL 9-911")
        app._flush_pending()
    kinds = [r["kind"] for r in store.rows("SELECT kind FROM checkin_events")]
    assert "checkin" in kinds
    assert store.rows("SELECT 1 FROM procedure_runs WHERE procedure_id = 'medical'") == [{"1": 1}]


def test_entries_kept_in_memory_are_counted_at_once(store, site, shift, clock):
    from shift import tally

    start, end = tally.day_bounds(clock.now(), site.zone)
    tally.record(store, site.tally, shift, "directional")
    with read_only(store):
        tally.record(store, site.tally, shift, "directional", quantity=3)
        tally.record(store, site.tally, shift, "reference")
        tally.void_last(store, shift)  # the reference entry, still waiting
        assert tally.counts(store, start, end) == {"directional": 4}
        assert sum(tally.counts_by_hour(store, start, end, site.zone).values()) == 4
    store.flush_pending()
    assert tally.counts(store, start, end) == {"directional": 4}


def test_rows_kept_at_closing_wait_in_a_file_until_a_start_can_write_them(store, site, shift):
    from shift import tally
    from shift.store import waiting_paths

    with read_only(store):
        kept = tally.record(store, site.tally, shift, "directional")
        assert store.save_waiting() == waiting_paths(store.path)[0]
        store.pending.clear()  # the desk closed
        assert store.write_saved_waiting() == 0  # still refused: waiting again, file kept
        assert [row["id"] for _, row in store.pending] == [kept.id] and waiting_paths(store.path)[0].exists()
        store.save_waiting()  # closing again does not write it twice
        store.pending.clear()
    assert store.write_saved_waiting() == 1
    assert not any(p.exists() for p in waiting_paths(store.path)) and not store.pending
    assert [r["id"] for r in store.rows("SELECT id FROM tallies")] == [kept.id]


def test_an_emergency_started_twice_while_storage_fails_is_one_run(store, site, shift):
    from shift.desk import DeskCore
    from shift.procedures import emergency_protocols

    fire = next(p for p in emergency_protocols(PROCEDURES)[0] if p.id == "fire-alarm")
    core = DeskCore(store, site)
    with read_only(store):
        drill = core.start_emergency(fire, drill=True)
        assert core.start_emergency(fire, drill=True).id == drill.id  # resumed, not doubled
        real = core.start_emergency(fire, drill=False)  # ends the abandoned drill, in memory
        assert real.id != drill.id and not real.drill
        assert core.start_emergency(fire, drill=False).id == real.id
    assert store.flush_pending() == 0
    runs = store.rows("SELECT r.id, r.drill, e.id AS ended FROM procedure_runs r "
                      "LEFT JOIN run_ends e ON e.run_id = r.id ORDER BY r.rowid")
    assert [(r["id"], r["drill"], r["ended"] is not None) for r in runs] == [(drill.id, 1, True), (real.id, 0, False)]


def test_the_desk_opens_on_a_full_disk_and_writes_once_there_is_room(tmp_path, clock, site, monkeypatch):
    from shift.desk import DeskCore
    from shift.procedures import emergency_protocols
    from shift.store import waiting_paths

    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # where this user's waiting file goes
    folder = tmp_path / "small-disk"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("a full disk needs a tmpfs mount (root; CI runs as root)")
    try:
        Store.open(folder / "desk.db", clock=clock).close()  # a clean close leaves no -wal or -shm file
        filler = folder / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        store = Store.open(folder / "desk.db", clock=clock)  # SQLite cannot make its -shm file here
        fire = next(p for p in emergency_protocols(PROCEDURES)[0] if p.id == "fire-alarm")
        run = DeskCore(store, site).start_emergency(fire, drill=False)
        assert run.procedure.id == "fire-alarm" and store.pending
        beside, mine, _ = waiting_paths(store.path)
        assert not beside.exists() and mine.exists()  # kept where there is room, should the desk die
        assert mine.is_relative_to(tmp_path / "home")
        filler.unlink()
        assert store.flush_pending() == 0
        assert not mine.exists()
        assert store.rows("SELECT id FROM procedure_runs") == [{"id": run.id}]
        store.close()
    finally:
        subprocess.run(["umount", str(folder)], check=True)


# -- a database still being checked, or failing its check ---------------------------------------


class HeldCheck:
    """The integrity check of a large file (PRAGMA quick_check takes 0.4 s on five years of records),
    held until the test lets it end, passing or failing."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: CorruptDatabase | None = None
        self.drift: list[str] | None = None  # not read: the store reads it itself

    def start(self) -> None:
        pass  # held from the start: it ends when the test says

    def finished(self) -> bool:
        return self.done.is_set()

    def result(self) -> None:
        assert self.done.wait(10), "the check was never let finish"
        if self.error is not None:
            raise self.error

    def finish(self, after: float, failed: bool = False) -> None:
        if failed:
            self.error = CorruptDatabase("desk.db failed its integrity check: Tree 5 page 5 cell 0: invalid page "
                                         "number. It has not been changed. Keep a copy for recovery and start "
                                         "with another --db file.")
        threading.Timer(after, self.done.set).start()


def tallies(store):
    return [r["category"] for r in store.rows("SELECT category FROM tallies")]


async def test_the_first_screen_does_not_wait_for_the_check_and_a_key_waits_for_its_verdict(store, site, shift):
    store._check = held = HeldCheck()
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen) and not held.finished()  # on screen while the check runs
        held.finish(after=0.2)
        await pilot.press("d")  # recorded once the file passed its check, a moment later
        assert held.finished() and tallies(store) == ["directional"] and not store.pending
        await pilot.pause(0.3)
        assert app.is_running


async def test_a_check_that_fails_after_the_first_screen_closes_the_desk_and_nothing_is_written(store, site, shift):
    store._check = held = HeldCheck()
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        held.finish(after=0.2, failed=True)
        await pilot.press("d")  # waits for the verdict, then is refused: kept in memory, as on a failing disk
        assert tallies(store) == [] and [t for t, _ in store.pending] == ["tallies"]
        await pilot.pause(0.3)
    assert app.return_code == 1  # closed with the message, as when the check held the first screen
    assert store.flush_pending() == 1 and tallies(store) == []  # never written into the damaged file


async def test_an_emergency_open_when_the_check_fails_stays_open_and_says_so(store, site):
    store._check = held = HeldCheck()
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        held.finish(after=0.2, failed=True)
        await pilot.press("f8", "f")  # the fire alarm: its run waits for the verdict, then is kept in memory
        await pilot.pause(0.3)
        assert app.is_running and isinstance(app.screen, EmergencyScreen)
        assert shown(app, "#emergency-dial").startswith("DIAL 9-911")
        assert "failed its integrity check" in shown(app, "#run-message")
        await pilot.press("enter")  # the walkthrough goes on, in memory
        await pilot.pause()
        assert app.is_running and shown(app, "#run-progress").startswith("Step 2 of ")
        await pilot.press("escape", "y")  # left: now the desk closes, as it would have at once
        await pilot.pause(0.3)
    assert app.return_code == 1
    assert store.rows("SELECT * FROM procedure_runs") == [] and store.rows("SELECT * FROM shifts") == []
    assert {t for t, _ in store.pending} >= {"shifts", "procedure_runs", "step_outcomes"}


async def test_a_panic_under_way_when_the_check_fails_raises_its_alarm_and_the_desk_stays_until_answered(
        store, full_site, shift):
    checkins.record(store, shift, "checkin")  # on time: the only alarm is the panic
    store._check = held = HeldCheck()
    app = SoloShiftApp(store, full_site._replace(email=None, tasks=()), procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause()
        held.finish(after=0, failed=True)
        await pilot.pause(0.3)
        assert app.is_running and isinstance(app.screen, PanicScreen)  # the countdown is not cut short
        app.screen.left = 1
        app.screen.tick()  # the countdown ends: the alarm is raised, kept in memory
        await pilot.pause(0.3)
        assert app.is_running and "ALARM (panic)" in shown(app, "#checkin-line")  # and the desk stays for it
        await pilot.press("ctrl+g", *"Kim", "enter")  # answered: nothing keeps the desk open any more
        await pilot.pause(0.3)
    assert app.return_code == 1
    assert [r["kind"] for r in store.rows("SELECT kind FROM checkin_events")] == ["checkin"]  # from before
    kept = [r["kind"] for t, r in store.pending if t == "checkin_events"]
    assert kept.index("panic") < kept.index("acknowledged")  # kept in memory, in order, for the waiting file


async def test_the_desk_starts_the_check_once_its_first_screen_is_shown(tmp_path, site, clock):
    Store.open(tmp_path / "desk.db", clock=clock).close()  # made and migrated
    store = Store.open(tmp_path / "desk.db", clock=clock, defer_check=True)  # as main.open_desk opens it
    try:
        assert store.checked() is None  # nothing takes processor time from the start-up
        app = SoloShiftApp(store, site)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(40):
                await pilot.pause(0.05)
                if store.checked():
                    break
            assert store.checked() is True and app.is_running
    finally:
        store.close()


@pytest.mark.parametrize("condition", CONDITIONS)
async def test_a_tally_and_an_incident_confirmed_while_storage_fails_land_once_each(store, site, shift, condition):
    """Issue #18's must-show: read-only (or locked, or full) mid-shift, a tally and an incident
    report (with its follow-ups) are confirmed on screen, and are in the database once each
    when storage returns."""
    from textual.widgets import Select, TextArea

    from shift.shifts import open_followups
    from tui.incident import IncidentFormScreen, SavedNotice

    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(110, 40), notifications=True) as pilot:
        await pilot.pause()
        with CONDITIONS[condition](store):
            await pilot.press("d")
            await pilot.pause()
            assert shown(app, "#saved").startswith("Kept in memory")
            await pilot.press("f6")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, IncidentFormScreen)
            await pilot.press("enter", "down", "enter", "tab", *"19:10", "tab", "enter", "down", "down", "enter")
            form.query_one("#what_happened", TextArea).insert("Fell on stairwell B [red]<b>")
            form.query_one("#injury", Select).value = "critical"
            await pilot.pause()
            form.query_one("#hurt", Select).value = "worker"
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, SavedNotice), "the incident was confirmed"
            notice = shown(app, "#notice-text")
            assert notice.startswith("Incident kept IN MEMORY (") and "storage refused the write" in notice
            assert "WSIB Form 7 for the injured worker" in notice  # its follow-ups, listed from memory
            assert len(open_followups(store)) == 4  # and the desk shows them before the disk has them
            await pilot.press("enter")
            await pilot.pause()
            assert store.rows("SELECT * FROM incidents") == [] and store.rows("SELECT * FROM tallies") == []
            from shift import report
            text = report.render_text(report.build(store, site, shift.id))
            assert "Fell on stairwell B [red]<b>" in text  # the report has it before the disk does
        app._flush_pending()  # storage is back
        assert not store.pending
    (incident,) = store.rows("SELECT * FROM incidents")
    assert incident["what_happened"] == "Fell on stairwell B [red]<b>"
    assert len(store.rows("SELECT * FROM tallies")) == 1
    assert len(store.rows("SELECT * FROM followups WHERE incident_id = ?", (incident["id"],))) == 4
    assert len(open_followups(store)) == 4  # once each: the waiting ones are gone from memory


@pytest.mark.parametrize("condition", ["read-only", "locked"])
def test_a_duress_check_in_reads_as_a_check_in_while_storage_fails(tmp_path, full_site, clock, condition):
    """With storage failing a duress check-in keeps more rows waiting (its alarm's) than a
    check-in: what the desk and the phone say must not show the difference."""
    from shift.desk import WAITING_TEXT, DeskCore

    site = full_site._replace(email=None, tasks=(), checkins=full_site.checkins._replace(duress_code="7319"))
    said, waiting = {}, {}
    for code in ("", "7319"):
        store = Store.open(tmp_path / f"desk-{code or 'normal'}.db", clock=clock)
        try:
            core = DeskCore(store, site, clock)
            core.start_shift("Sam", "main")
            with CONDITIONS[condition](store):
                first = core.check_in(code).text
                core.tick(clock.now())  # the duress alarm's chain starts: its rows kept waiting too
                said[code] = (first, core.check_in("").text)
                waiting[code] = core.waiting()
        finally:
            store.close()
    assert waiting["7319"] > waiting[""]  # the difference is there, in memory
    assert said[""] == said["7319"]  # and not in what is said
    assert said[""][1].endswith("(kept in memory: storage is failing)")
    assert not any(ch.isdigit() for ch in WAITING_TEXT)  # the desk's line while entries wait

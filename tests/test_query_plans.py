"""Every query the desk runs on a key press, a scan or a timer tick uses an index.

The queries are not listed by hand: the desk is driven through its keys (the start screen,
tally keys, undo, a check-in, a prompt done, follow-ups, scans and an undone scan, an
emergency, a procedure, the incident form, the end-of-shift screen) and its timers tick,
while SQLite's trace callback records every statement run on the store's connection. Each
is then explained (EXPLAIN QUERY PLAN): a full SCAN of a table that grows with the desk's
history fails the test, so a query added later without an index fails here rather than on
a desk five years on. The few scans that are fine are in ALLOWED_SCANS, each with its reason.
Browsing and searching every incident (Ctrl+F) and the reports read whole periods by design:
they are not driven here.
"""

from __future__ import annotations

import re

from conftest import ROOT, local
from shift import checkins, circulation, incidents, money, tally
from shift.incidents import IncidentForm
from shift.procedures import load_procedures
from shift.shifts import end_shift, start_shift
from test_circulation import card, item
from tui.app import SoloShiftApp
from tui.circ import ScanInput
from tui.desk import DeskScreen
from tui.start import StartShiftScreen

PROCEDURES, _ = load_procedures(ROOT / "procedures")

# Tables that do not grow with the desk's history.
SMALL_TABLES = {
    "_sqlite_migrations": "one row per migration",
    "sqlite_master": "the schema",
    "unsaved_text": "a buffer: at most one row per form of the open shift",
}
# (table, a piece of the statement) -> why that SCAN is fine.
ALLOWED_SCANS = {
    ("shifts", "WHERE e.id IS NULL ORDER BY s.started_at DESC LIMIT 1"):
        "the open shift: newest first through shifts_started, stopping at the first with no end (the "
        "newest, while a shift is open); with none open (the start screen) one index entry per shift",
    ("followups", "LEFT JOIN followup_resolutions r ON r.followup_id = f.id"):
        "open follow-ups are those with no resolution, which no index can hold: one row per follow-up, "
        "a few a week",
    ("shift_ends", "ORDER BY e.ended_at DESC LIMIT 1"):
        "the last handover: the first entry of shift_ends_ended read backwards",
    ("incident_drafts", "FROM incident_drafts ORDER BY created_at"):
        "drafts still to complete: one per emergency run with a timeline or form kept as a draft, a few a year",
    ("blocked_lists", "ORDER BY imported_at DESC, rowid DESC LIMIT 1"):
        "the list in force: the newest import, the first entry of blocked_lists_imported read backwards",
}


def history(store, site, clock) -> None:
    """An earlier shift with a row in every table the desk reads, through the desk's own functions."""
    clock.moment = local(2026, 11, 23, 17, 30)
    earlier = start_shift(store, "Priya", "main")
    zone = site.zone
    for category in ("directional", "informational", "reference"):
        tally.record(store, site.tally, earlier, category)
    tally.void_last(store, earlier)
    circulation.record(store, earlier, "loan", item(1), zone, patron=card(1))
    circulation.record(store, earlier, "return", item(2), zone)
    circulation.void_last(store, earlier)
    money.record_fee(store, site.circulation, earlier, "2.50", "cash", receipt="R-1")
    money.record_override(store, earlier, "Renewed a lost item", "Manager asked", "Kim")
    clock.moment = local(2026, 11, 23, 18, 30)
    incidents.file_incident(store, site, earlier, IncidentForm(
        category="Injury", occurred_at=local(2026, 11, 23, 18, 0), zone_id="main-floor",
        what_happened="Tripped on a mat.", reporter="Priya", injury="first_aid", hurt="other"))
    checkins.record(store, earlier, "checkin")
    clock.moment = local(2026, 11, 23, 22, 59)
    end_shift(store, earlier, "Quiet.", ["Printer 2 jams"])


def tables_named(sql: str) -> dict[str, str]:
    """Each name a plan may give a table of this statement (the table or its alias) -> the table."""
    named = {}
    for table, alias in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(?!WHERE|ON|JOIN|LEFT|ORDER|GROUP"
                                   r"|LIMIT)(\w+))?", sql, re.IGNORECASE):
        named[table] = table
        if alias:
            named[alias] = table
    return named


def full_scans(store, sql: str) -> list[str]:
    """The plan lines that read a table in full ("SCAN t", "SCAN t USING INDEX i"), as "table: line"."""
    named = tables_named(sql)
    found = []
    for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall():
        scan = re.match(r"SCAN (\w+)", row[3])
        if scan and row[3] != "SCAN CONSTANT ROW":  # SELECT '' (a column's default, read once): no table
            found.append(f"{named.get(scan.group(1), scan.group(1))}: {row[3]}")
    return found


async def scan(pilot, code: str) -> None:
    """A barcode as a scanner gives it: the code at once, then Enter."""
    pilot.app.screen.query_one(ScanInput).value = code
    await pilot.press("enter")


async def drive_the_desk(app, pilot, clock) -> None:
    """One evening at the desk, through its keys."""
    await pilot.pause()
    assert isinstance(app.screen, StartShiftScreen)
    await pilot.press(*"Sam", "enter")
    await pilot.pause()
    assert isinstance(app.screen, DeskScreen)
    app.timers.check() if app.timers else app.core.tick(clock.now())  # prompts fire, check-ins fall due
    await pilot.press("d", "i", "2", "r", "u")  # tally keys, a READ level, undo
    await pilot.press("f5", "enter")  # a check-in (no code)
    await pilot.pause()
    await pilot.press("x")  # the first Due now prompt done
    await pilot.press("f")  # follow-ups: resolve one
    await pilot.pause()
    await pilot.press("r", *"Fixed", "enter")
    await pilot.pause()
    await pilot.press("escape")
    await pilot.pause()
    # Scans: a card and two loans, an undone scan, a return; then back to the desk.
    await pilot.press("f7")
    for code in (card(2), item(3), item(4)):
        await scan(pilot, code)
    await pilot.press("ctrl+u", "ctrl+r")
    await scan(pilot, item(1))
    await pilot.press("escape")
    await pilot.pause()
    await pilot.press("f3", "enter", "escape")  # the opening procedure: one step, then leave it
    await pilot.pause()
    await pilot.press("f8", "m", "enter")  # a medical emergency, its first step
    await pilot.pause()
    await pilot.press("escape", "y")
    await pilot.pause()
    await pilot.press("f6", "escape")  # the incident form, left empty
    await pilot.pause()
    await pilot.press("ctrl+e")  # the end-of-shift screen, then back
    await pilot.pause()
    await pilot.press("escape")
    await pilot.pause()
    for minutes in (5, 15, 60):  # the timers, as the evening goes on
        clock.advance(minutes=minutes)
        app.core.tick(clock.now())
        app.core.next_decision(clock.now())
        app.core.still_so("checkin", clock.now())
        await pilot.pause()


async def test_every_query_of_keys_scans_and_ticks_uses_an_index(store, full_site, clock):
    site = full_site._replace(email=None)
    history(store, site, clock)
    clock.moment = local(2026, 11, 24, 19, 30)
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(120, 40)) as pilot:
        await drive_the_desk(app, pilot, clock)
    store.conn.set_trace_callback(None)
    # The keys above did what they say.
    assert {r["procedure_id"] for r in store.rows("SELECT procedure_id FROM procedure_runs")} == {"opening", "medical"}
    assert [r["kind"] for r in store.rows("SELECT kind FROM checkin_events WHERE kind = 'checkin'")] == ["checkin"] * 2
    assert len(store.rows("SELECT 1 FROM followup_resolutions")) == 1
    assert len(store.rows("SELECT 1 FROM circ_voids")) == 2 and len(store.rows("SELECT 1 FROM circ_transactions")) == 5
    assert len(store.rows("SELECT 1 FROM prompt_events WHERE event = 'done'")) == 1

    statements = list(dict.fromkeys(" ".join(s.split()) for s in seen
                                    if s.lstrip().upper().startswith(("SELECT", "WITH"))))
    # The driving really reached the desk's queries (the last written of each kind included).
    for piece in ("FROM tallies t", "FROM prompt_events", "FROM checkin_events", "FROM circ_transactions t",
                  "FROM fees", "FROM overrides", "FROM incidents", "FROM followup_resolutions r",
                  "FROM procedure_runs r", "FROM blocked_patrons"):
        assert any(piece in sql for sql in statements), piece
    bad = []
    for sql in statements:
        for scan in full_scans(store, sql):
            table = scan.split(":")[0]
            if table in SMALL_TABLES or any(t == table and piece in sql for t, piece in ALLOWED_SCANS):
                continue
            bad.append(f"{scan}\n    in: {sql[:400]}")
    assert not bad, "full scans of tables that grow with history:\n" + "\n".join(bad)


def test_the_check_finds_a_full_scan(store):
    # The test above can fail: a query on a column with no index is a full scan.
    assert full_scans(store, "SELECT * FROM fees f WHERE f.method = 'cash'") == ["fees: SCAN f"]
    assert full_scans(store, "SELECT * FROM fees WHERE shift_id = 'x'") == []

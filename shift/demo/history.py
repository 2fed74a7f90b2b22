"""The whole made-up history, shift by shift, in the order the desk would have written it.

Shifts follow the site's opening hours (a day shift, then a solo evening shift, one shift at
weekends); each shift gets its procedures, timed prompts, check-ins and desk questions, and
now and then fees, overrides, incidents, an offline-circulation session or an emergency.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shift.clock import to_iso
from shift.demo.base import Demo, DemoShift
from shift.demo.circulation import Circulation
from shift.demo.emergencies import pick_real, write_emergency
from shift.demo.handovers import end_shift, resolve_followups
from shift.demo.incidents import write_incident
from shift.demo.money import Receipts, write_money
from shift.demo.plan import plan_shifts
from shift.demo.routines import Routines
from shift.demo.tallies import write_tallies
from shift.demo.timers import Timers
from shift.hours import local_moment
from shift.procedures import Procedure, emergency_protocols
from shift.site import Site
from shift.store import Store

# What the summary counts, in its order: (label, table, condition).
COUNTED = (
    ("shifts", "shifts", ""),
    ("desk-statistics entries", "tallies", ""),
    ("procedure steps recorded", "step_outcomes", ""),
    ("timed-prompt events", "prompt_events", ""),
    ("  of which missed", "prompt_events", "event = 'missed'"),
    ("  of which escalated", "prompt_events", "event = 'escalated'"),
    ("check-in events", "checkin_events", ""),
    ("  check-ins", "checkin_events", "kind = 'checkin'"),
    ("  reminders (late)", "checkin_events", "kind = 'reminder'"),
    ("  alarms raised", "checkin_events", "kind = 'escalation' AND detail LIKE '0:%'"),
    ("incidents", "incidents", ""),
    ("incident supplements", "incident_supplements", ""),
    ("sweep results", "sweep_results", ""),
    ("circulation transactions", "circ_transactions", ""),
    ("circulation exports", "circ_exports", ""),
    ("fees", "fees", ""),
    ("overrides", "overrides", ""),
    ("follow-ups", "followups", ""),
    ("follow-ups resolved", "followup_resolutions", ""),
)


def _counts(store: Store) -> dict[str, int]:
    found = {label: store.rows(f"SELECT COUNT(*) AS n FROM {table}" + (f" WHERE {where}" if where else ""))[0]["n"]
             for label, table, where in COUNTED}
    for row in store.rows("SELECT procedure_id, drill, COUNT(*) AS n FROM procedure_runs GROUP BY procedure_id, drill"):
        found[f"runs of {row['procedure_id']}{' (drill)' if row['drill'] else ''}"] = row["n"]
    return found


def write_demo(store: Store, site: Site, days: int, seed: int = 7,
               procedures: list[Procedure] | None = None, exports: Path | None = None) -> str:
    """Write `days` days of history ending yesterday; returns what was written, kind by kind.

    `procedures`: the site's procedures (none: no procedure runs); `exports`: the folder for
    offline-circulation files (default: `exports` beside the database, as the desk uses).
    """
    demo = Demo(store, site, seed)
    today = site.hours.local_date(store.clock.now())
    demo.until = local_moment(today, 0, site.zone)
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    before = _counts(store)
    shifts = plan_shifts(demo, first, last) if days > 0 else []
    routines = Routines(demo, procedures or [])
    timers = Timers(demo, first, last)
    keep_open_after = demo.until - timedelta(days=7)
    circ = Circulation(demo, exports or store.path.parent / "exports", export_until=keep_open_after)
    receipts = Receipts()
    emergencies = _emergencies(demo, shifts, procedures or [], days)
    # Any history of two weeks or more has an offline session exported and one still waiting.
    long_enough = [s.id for s in shifts if s.open_until - max(s.start, s.open_from) > timedelta(hours=3)]
    offline = {demo.pick(long_enough[:len(long_enough) // 2]), demo.pick(long_enough[-4:])} if days >= 14 else set()
    real_clock, store.clock = store.clock, demo.clock
    # Years of rows with random ids land all over the indexes: keep them in memory while writing.
    cache = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    store.conn.execute("PRAGMA cache_size = -262144")  # 256 MB at most, given back below
    try:
        with store.transaction():
            store.write_rows(
                "shifts", [{"id": s.id, "started_at": to_iso(s.start), "worker": s.worker, "desk": s.desk}
                           for s in shifts])
            for planned in shifts:
                resolve_followups(demo, planned, keep_open_after)
                walked = routines.write(planned)
                write_tallies(demo, planned)
                demo.flush()  # what the desk's functions below read (shifts' runs) is written first
                timers.write_prompts(planned, walked)
                timers.write_checkins(planned, walked)
                write_money(demo, planned, receipts)
                circ.write(planned, receipts, force=planned.id in offline)
                write_incident(demo, planned)
                for procedure, drill in emergencies.get(planned.id, []):
                    write_emergency(demo, planned, procedure, drill)
                end_shift(demo, planned)
                demo.flush()
    finally:
        store.clock = real_clock
        store.conn.execute(f"PRAGMA cache_size = {int(cache)}")
    after = _counts(store)
    lines = [f"wrote {days} days of demo history (seed {seed}) into {store.path}:"]
    lines += [f"  {label}: {after[label] - before.get(label, 0)}" for label in after]
    if circ.files:
        lines.append(f"  offline-circulation files written: {len(circ.files)}, in {circ.folder}")
    return "\n".join(lines)


def _emergencies(demo: Demo, shifts: list[DemoShift], procedures: list[Procedure],
                 days: int) -> dict[str, list[tuple[Procedure, bool]]]:
    """A few real emergencies a year, and a fire drill or two (at least one of each in any
    history of two weeks or more), on shifts with a few open hours."""
    if not procedures or days < 14:
        return {}
    protocols = {p.id: p for p in emergency_protocols(procedures)[0]}
    long_enough = [s for s in shifts if s.open_until - max(s.start, s.open_from) >= timedelta(hours=2)]
    daytime = [s for s in long_enough if not s.solo] or long_enough
    chosen: dict[str, list[tuple[Procedure, bool]]] = {}
    for _ in range(max(1, round(days * 6 / 365))):
        procedure = pick_real(demo, protocols)
        if procedure is not None and long_enough:
            chosen.setdefault(demo.pick(long_enough).id, []).append((procedure, False))
    drill = protocols.get("fire-alarm")
    if drill is not None and daytime:
        for _ in range(max(1, round(days * 1.5 / 365))):
            chosen.setdefault(demo.pick(daytime).id, []).append((drill, True))
    return chosen

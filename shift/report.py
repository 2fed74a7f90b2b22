"""The end-of-shift report: one clear page for the manager the next morning.

Built only from the database (so it can be rebuilt for any past shift) as
sections of plain lines (and a few tables); `render_text` lays them out as text,
`shift/reportpage.py` as Markdown and, from that Markdown, a printable HTML page.
What needs attention comes first; everything a person typed is kept exactly as typed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from shift import chain, checkins, circulation, copyout, incidents, money, privacy, problemreports, prompts
from shift.clock import from_iso, to_iso
from shift.hours import duration_text, local_moment
from shift.jurisdiction import drill_note
from shift.runs import RunState, last_drill
from shift.shifts import WORKER, FollowUp, Shift, deadline_text, open_followups
from shift.site import Site
from shift.store import Store
from shift.sweep import run_summary
from shift.text import hang
from shift.timeline import run_timeline, shift_runs


class Table(NamedTuple):
    """Rows of cells: a table in Markdown and HTML, aligned columns in text (first cell left, the rest right)."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass
class Section:
    title: str
    lines: list[str | Table] = field(default_factory=list)
    key: str = ""  # a stable name: the HTML section's id
    prose: bool = False  # lines of a text (the shift's head, the handover note), not a list of items


@dataclass
class Report:
    shift: Shift
    title: str
    sections: list[Section]
    ended_at: datetime | None = None  # None: the shift is still open, this is its report so far


def _shift_row(store: Store, shift_id: str) -> dict:
    rows = store.rows(
        f"""SELECT s.id, s.started_at, {WORKER} AS worker, s.desk, e.ended_at, e.handover FROM shifts s
           LEFT JOIN shift_ends e ON e.shift_id = s.id WHERE s.id = ?""", (shift_id,))
    if not rows:
        raise ValueError(f"no shift with id {shift_id}")
    return rows[0]


def last_shift_id(store: Store) -> str | None:
    """The most recently started shift (the open one, if any)."""
    rows = store.rows("SELECT id FROM shifts ORDER BY started_at DESC, rowid DESC LIMIT 1")
    return rows[0]["id"] if rows else None


def shifts_on(store: Store, site: Site, day: date) -> list[str]:
    """The shifts that started on this local date, in the order they started."""
    # At either end of the calendar (0001-01-01, 9999-12-31) the day's bound can fall outside
    # what a datetime holds: there is then no bound on that side.
    try:
        start = to_iso(local_moment(day, 0, site.zone))
    except OverflowError:
        start = ""
    try:
        end = to_iso(local_moment(day + timedelta(days=1), 0, site.zone))
    except OverflowError:
        end = "\uffff"
    rows = store.rows("SELECT id FROM shifts WHERE started_at >= ? AND started_at < ? ORDER BY started_at, rowid",
                      (start, end))
    return [r["id"] for r in rows]


# How a shift's report went by email, in SQL for every shift at once (the shift list, past
# shifts, the desk deciding which reports still go out): 'sent' once the report was sent after
# the shift ended, 'skipped' when it is never to be sent; else the latest attempt: 'failed', or
# 'so far' — sent while the shift was still open, which is not the shift's report (it lacks what
# came later and the handover) — or NULL when never tried. `{shift}` and `{ended}` name the
# shift's id and end (NULL: open) in the enclosing query; an attempt's `at` is when the report
# it sent was made.
EMAIL_OUTCOME = """(SELECT CASE WHEN r.outcome = 'sent' AND ({ended} IS NULL OR r.at < {ended})
                                THEN 'so far' ELSE r.outcome END AS how
                    FROM report_emails r WHERE r.shift_id = {shift}
                    ORDER BY how IN ('sent', 'skipped') DESC, r.at DESC, r.rowid DESC LIMIT 1)"""


def shift_list(store: Store, site: Site) -> list[str]:
    """Every shift, newest first, one line each: when, who, where, whether its report was emailed, id."""
    rows = store.rows(
        f"""SELECT s.id, s.started_at, {WORKER} AS worker, s.desk, e.ended_at,
                  {EMAIL_OUTCOME.format(shift="s.id", ended="e.ended_at")} AS emailed
           FROM shifts s LEFT JOIN shift_ends e ON e.shift_id = s.id
           ORDER BY s.started_at DESC, s.rowid DESC""")
    lines = []
    for r in rows:
        start = from_iso(r["started_at"]).astimezone(site.zone)
        end = f"{from_iso(r['ended_at']).astimezone(site.zone):%H:%M}" if r["ended_at"] else "open "
        mail = {"sent": "emailed", "failed": "not emailed", "skipped": "not to be emailed",
                "so far": "only a report so far sent"}.get(r["emailed"], "")
        lines.append(f"{day_text(start.date())} {start:%H:%M}–{end}  {r['worker']} ({site.desk_name(r['desk'])})"
                     f"{'  ' + mail if mail else ''}  {r['id']}")
    return lines


REDACTED_NOTE = ("Redacted: names of people and everything typed as free text are replaced by "
                 f"{privacy.REDACTED} (python main.py report --redact).")


def build(store: Store, site: Site, shift_id: str, at_desk: bool = False, redact: bool = False) -> Report:
    """The shift's report. `at_desk`: as shown on the desk's screen, where a duress alarm
    stays silent; the emailed and printed report (for the manager) tells it. `redact`: for
    readers beyond the manager, without names and free text (privacy.REPORT_REDACTED), built
    from a redacted copy of the database in memory; its record line is the file's own."""
    if not redact:
        return _build(store, site, shift_id, at_desk, chain.shift_line(store.conn, shift_id, at_desk))
    _shift_row(store, shift_id)  # no such shift: said before anything is copied
    record = chain.shift_line(store.conn, shift_id, at_desk)
    copy = Store(privacy.redact_copy(store.conn), store.path, None, store.clock)
    try:
        built = _build(copy, site, shift_id, at_desk, record)
    finally:
        copy.conn.close()
    built.sections[0].lines.append(REDACTED_NOTE)
    return built


def _build(store: Store, site: Site, shift_id: str, at_desk: bool, record: str) -> Report:
    row = _shift_row(store, shift_id)
    shift = Shift(row["id"], from_iso(row["started_at"]), row["worker"], row["desk"])
    now = store.clock.now()
    end = from_iso(row["ended_at"]) if row["ended_at"] else None
    zone = site.zone
    start_local = shift.started_at.astimezone(zone)
    ended = f"{end.astimezone(zone):%H:%M}" if end else "still open"
    # In the minutes shown (15:00 – 15:01 is 1 min), not the seconds behind them.
    length = duration_text(_minute(end or now) - _minute(shift.started_at))
    title = f"Shift report: {site.name}, {site.desk_name(shift.desk)}"
    day = site.hours.local_date(shift.started_at)
    opens, closes = site.hours.opening(day), site.hours.closing(day)
    hours = (f"{opens.astimezone(zone):%H:%M}–{closes.astimezone(zone):%H:%M}" if opens and closes else "closed")
    head = Section("Shift", [
        f"On duty: {shift.worker}",
        f"{start_local:%a %d %b %Y} {start_local:%H:%M} – {ended} ({length})",
        f"Library hours that day: {hours}",
        record,  # tamper evidence: whether this shift's rows still chain
    ], "shift", prose=True)
    until = end or now
    runs = shift_runs(store, shift.id)
    # Read once: several sections speak of the same incidents, drafts, follow-ups and drill.
    found = incidents.in_period(store, shift.started_at, until + timedelta(seconds=1),
                                site.incidents.supplement_hours)
    drafts = incidents.open_drafts(store)
    waiting = open_followups(store)
    drill = last_drill(store)
    left = still_open(store, site, shift, now, until=end, at_desk=at_desk, runs=runs, drafts=drafts,
                      waiting=waiting)
    sections = [
        head,
        _attention(store, site, shift, runs, now, found, left, drill),
        _incidents(site, found, drafts),
        _emergencies(store, site, runs, drill),
        _procedures(site, runs),
        _prompts(store, site, shift),
        _checkins(store, site, shift, at_desk),
        _statistics(store, site, shift, until),
        _circulation(store, site, shift, until),
        _money(store, shift),
        _followups(store, site, shift, now, waiting),
        _knowledge(store, site, shift),
        Section("Handover note", [row["handover"] or "(none)"] if end else ["(the shift has not ended)"],
                "handover", prose=True),
    ]
    return Report(shift, title, sections, end)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def day_text(day: date) -> str:
    """A date as "Mon 2026-11-23", the year always in four digits (0001, not 1)."""
    return f"{day:%a} {day.year:04d}-{day:%m-%d}"


def _t(moment: datetime, site: Site) -> str:
    return f"{moment.astimezone(site.zone):%H:%M:%S}"


class OpenItem(NamedTuple):
    """One thing a shift leaves open for the next person."""

    kind: str  # "alarm" | "procedure" | "closing" | "task" | "deadline" | "draft"
    text: str


def still_open(store: Store, site: Site, shift: Shift, now: datetime, *, until: datetime | None = None,
               at_desk: bool = False, runs: list[RunState] | None = None,
               drafts: list[incidents.Draft] | None = None, waiting: list[FollowUp] | None = None) -> list[OpenItem]:
    """What the shift leaves open, most urgent first: an alarm nobody has answered (while the
    shift is open; at the desk never the silent duress alarm), procedures started and not
    finished, the closing procedure not run when the library closed during the shift, timed
    tasks not done, follow-up deadlines, incident drafts to complete.

    The end-of-shift screen lists exactly these before the handover, and the report's Needs
    attention section gives the same lines. `until`: when the shift ended (None: open, now).
    `runs`, `drafts` and `waiting` are what the caller has already read, if it has.
    """
    items: list[OpenItem] = []
    zone = site.zone
    if until is None and site.checkins is not None:
        st = checkins.state(store, shift, site.checkins)
        if st.alarm_open and st.alarm_started is not None and not (at_desk and st.alarm_reason == "duress"):
            items.append(OpenItem("alarm", f"ALARM raised at {st.alarm_started.astimezone(zone):%H:%M} "
                                           f"({st.alarm_reason}) and not answered"))
    runs = shift_runs(store, shift.id) if runs is None else runs
    for run in runs:
        if run.ended_at is not None:
            continue
        step = run.current()
        if step is None:
            where = "every step answered, not closed"
        else:
            where = run.progress(step).short()
        kind = ("drill, " if run.drill else "emergency, ") if run.procedure.kind == "emergency" else ""
        items.append(OpenItem("procedure", f"Not finished: {run.procedure.title} ({kind}{where})"))
    if not any(run.procedure.kind == "closing" for run in runs):
        for closed in _closings(site, shift.started_at, until or now):
            local = closed.astimezone(zone)
            day = "" if local.date() == shift.started_at.astimezone(zone).date() else f"{local:%a %d %b} "
            items.append(OpenItem("closing", f"Closing procedure not run: the library closed {day}at "
                                             f"{local:%H:%M}"))
    titles = {t.id: t for t in site.tasks}
    for events, final in _prompt_finals(store, shift):
        task = titles.get(events[0]["task_id"])
        if final in ("done", "skipped") or (task is not None and not task.acknowledge):
            continue
        title = task.title if task else events[0]["task_id"]
        due = from_iso(events[0]["due_at"]).astimezone(zone)
        escalated = " (escalated)" if any(e["event"] == "escalated" for e in events) else ""
        state = "missed" if final == "missed" else "not done"
        items.append(OpenItem("task", f"Timed task {state}: {due:%H:%M} {title}{escalated}"))
    for f in open_followups(store) if waiting is None else waiting:
        if f.due_at is not None:
            items.append(OpenItem("deadline", f"Follow-up {deadline_text(f, now, zone)}: {f.text}"))
    for draft in incidents.open_drafts(store) if drafts is None else drafts:
        items.append(OpenItem("draft", "Incident report still to complete"
                                       f" (draft from {draft.created_at.astimezone(zone):%a %d %b %H:%M})"))
    return items


def _closings(site: Site, start: datetime, end: datetime) -> list[datetime]:
    """Every moment the building really closed between `start` and `end`."""
    first, last = site.hours.local_date(start) - timedelta(days=1), site.hours.local_date(end)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [c for day in days for c in site.hours.real_closings(day) if start < c <= end]


def _attention(store: Store, site: Site, shift: Shift, runs: list[RunState], now: datetime,
               found: list[incidents.Incident], left: list[OpenItem], drill: datetime | None) -> Section:
    lines = []
    templates = {}
    for run in runs:
        if run.procedure.template:
            templates[run.procedure.title] = run.procedure.template_text(site.hours.local_date(now))
        if run.procedure.kind == "emergency":
            label = "Drill" if run.drill else "EMERGENCY"
            lines.append(f"{label}: {run.procedure.title} at {_t(run.started_at, site)}")
    lines += [item.text for item in left]
    for run in runs:
        summary = run.summary()
        for step, reason in summary.skipped:
            lines.append(f"Skipped in {run.procedure.title} at {_step_time(run, step.id, site)}: {step.title} — "
                         f"{reason or 'no reason'}")
        for step, value in summary.out_of_range:
            lines.append(f"Out of range in {run.procedure.title}: {step.title} — {value}")
    for incident in found:
        if incident.shift_id == shift.id:
            lines.append(f"Incident: {incident.category} at {incident.occurred_at.astimezone(site.zone):%H:%M}")
    escalated = _prompt_outcomes(store, shift)["escalated"]
    if escalated:
        lines.append(f"Timed tasks escalated: {escalated}")
    for title, text in templates.items():  # the coordinator's to review: the worker followed an unadapted text
        lines.append(f"{text}: {title}")
    note, overdue = drill_note(site.jurisdiction, drill, now, site.zone)
    if overdue:
        lines.append(note)
    return Section("Needs attention", list(lines or ["Nothing."]), "attention")


def _incidents(site: Site, found: list[incidents.Incident], drafts: list[incidents.Draft]) -> Section:
    """Incidents recorded, happening or supplemented during the shift: the original, then each supplement."""
    lines: list[str] = []
    for incident in found:
        lines += incidents.describe(incident, site) + [""]
    lines += [f"Draft still to complete: {d.fields.get('category') or 'no category yet'}, "
              f"kept {d.created_at.astimezone(site.zone):%a %d %b %H:%M}" for d in drafts]
    return Section("Incidents", list((lines[:-1] if lines and not drafts else lines) or ["None."]), "incidents")


def _emergencies(store: Store, site: Site, runs: list[RunState], drill: datetime | None) -> Section:
    lines: list[str] = []
    for run in runs:
        if run.procedure.kind != "emergency":
            continue
        lines.append(("DRILL: " if run.drill else "") + run.procedure.title)
        if run.procedure.template:
            lines.append(f"  {run.procedure.template_text(site.hours.local_date(run.started_at))}")
        evacuation = run.evacuation_time()
        if evacuation is not None:
            seconds = int(evacuation.total_seconds())
            lines.append(f"  Evacuation time: {seconds // 60} min {seconds % 60:02d} s "
                         "(from the start of the walkthrough to 'building clear')")
        lines += [f"  {_t(e.at, site)}  {e.text}" for e in run_timeline(store, run, site)]
        if any(step.sweep for step in run.procedure.steps):
            lines.append("  For the fire department:")
            lines += [f"    {line}" for line in run_summary(store, run.id, site.zones)]
        lines.append("")
    lines.append("Last fire drill: " + (f"{drill.astimezone(site.zone):%a %d %b %Y}" if drill else "none recorded"))
    return Section("Emergencies and drills", list(lines), "emergencies")


def _procedures(site: Site, runs: list[RunState]) -> Section:
    lines = []
    for run in runs:
        if run.procedure.kind == "emergency":
            continue
        state = f"finished {_t(run.ended_at, site)}" if run.ended_at else "NOT FINISHED"
        lines.append(f"{run.procedure.title}: started {_t(run.started_at, site)}, {state}")
        if run.procedure.template:
            lines.append(f"  {run.procedure.template_text(site.hours.local_date(run.started_at))}")
        summary = run.summary()
        lines += [f"  skipped {_step_time(run, s.id, site)}: {s.title} — {reason or 'no reason'}"
                  for s, reason in summary.skipped]
        # What was answered (a count, a name, a reading): the manager reads it here, not at the desk.
        lines += [f"  {s.title}: {s.value_text(o.answer)}" for s, o in summary.done
                  if o.answer is not None and not o.out_of_range]
        lines += [f"  out of range: {s.title} — {value}" for s, value in summary.out_of_range]
        lines += [f"  note on {s.title}: {text}" for s, text in summary.notes]
        lines += [f"  corrected: {s.title} ({before.answer} → {after.answer})"
                  for s, before, after in summary.corrections]
    return Section("Procedures", list(lines or ["None run."]), "procedures")


def _step_time(run: RunState, step_id: str, site: Site) -> str:
    outcome = run.latest.get(step_id)
    return _t(outcome.recorded_at, site)[:5] if outcome is not None else "?"


# A timed task missed: it came due, was recorded missed, and was never done or skipped after
# all. The same rule as `_prompt_finals` ("missed"), in SQL for every shift at once (the
# past-shifts list): (shift_id, prompt_key) of each missed prompt.
MISSED_PROMPTS = """SELECT shift_id, prompt_key FROM prompt_events GROUP BY shift_id, prompt_key
                    HAVING SUM(event = 'missed') > 0 AND SUM(event IN ('done', 'skipped')) = 0"""


def _prompt_finals(store: Store, shift: Shift) -> list[tuple[list[dict], str]]:
    """Each prompt of the shift with its events and where it ended: done, skipped, missed, or
    not dealt with (it rang, or was snoozed, and nothing closed it)."""
    found = []
    for events in _prompt_events(store, shift).values():
        kinds = [e["event"] for e in events]
        closing = next((k for k in reversed(kinds) if k in ("done", "skipped")), None)
        found.append((events, prompts.final_state(closing, "missed" in kinds)))
    return found


def _prompt_outcomes(store: Store, shift: Shift) -> Counter:
    counts: Counter = Counter()
    for events, final in _prompt_finals(store, shift):
        counts[final] += 1
        if any(e["event"] == "escalated" for e in events):
            counts["escalated"] += 1
    return counts


def _prompt_events(store: Store, shift: Shift) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    rows = store.rows("SELECT * FROM prompt_events WHERE shift_id = ? ORDER BY due_at, at, rowid", (shift.id,))
    # Events still waiting for storage count too (in order, after what is written).
    for row in rows + store.waiting("prompt_events", shift_id=shift.id):
        found.setdefault(row["prompt_key"], []).append(row)
    return found


def _prompts(store: Store, site: Site, shift: Shift) -> Section:
    titles = {t.id: t.title for t in site.tasks}
    lines = []
    for events in _prompt_events(store, shift).values():
        first = events[0]
        due = from_iso(first["due_at"])
        parts = []
        for e in events:
            if e["event"] == "fired":
                continue
            reason = f" ({e['reason']})" if e["reason"] else ""
            parts.append(f"{e['event']} {_t(from_iso(e['at']), site)[:5]}{reason}")
        lines.append(f"{due.astimezone(site.zone):%H:%M}  {titles.get(first['task_id'], first['task_id'])}: "
                     + (", ".join(parts) or "not dealt with"))
    return Section("Timed tasks", list(lines or ["None."]), "tasks")


def _checkins(store: Store, site: Site, shift: Shift, at_desk: bool) -> Section:
    rows = checkins.events(store, shift)
    # A duress check-in is counted as a check-in. Its silent alarm is told only to the manager
    # (the emailed report): the report on the desk's screen may be read by whoever stands there.
    count = sum(1 for r in rows if r["kind"] in ("checkin", "duress"))
    lines: list[str | Table] = [f"Check-ins: {count}"]
    log = checkins.read_log(rows)
    silent = log.silent if at_desk else set()
    missed = {to_iso(a.started_at) for a in log.alarms if a.reason == "missed check-in"}
    for number, r in enumerate(rows):
        when = _t(from_iso(r["at"]), site)[:5]
        kind = r["kind"]
        if number in silent:
            continue
        if kind == "panic":
            lines.append(f"{when}  PANIC alarm raised")
        elif kind == "duress":
            lines.append(f"{when}  DURESS code entered: silent alarm raised")
        elif kind == "missed":
            lines.append(f"{when}  check-in missed during the duress alarm")
        elif kind == "escalation":
            if r["at"] in missed:  # the first step of an alarm a missed check-in raised
                missed.discard(r["at"])
                lines.append(f"{when}  check-in missed: alarm raised")
            lines.append(f"{when}  alarm escalated ({r['detail'].split(':', 1)[-1]})")
        elif kind == "acknowledged":
            lines.append(f"{when}  alarm answered by {r['detail']}")
        elif kind == "alert_failed":
            lines.append(f"{when}  ALERT NOT DELIVERED: {r['detail']}")
        elif kind == "stand_down_sent":
            lines.append(f"{when}  stand-down sent ({r['detail'].partition(': ')[2]})")
    return Section("Lone-worker check-ins and alarms", lines, "alarms")


# The shift's entries, counted in SQL: a busy shift has tens of thousands. One grouped pass
# by type, channel, READ level and UTC hour (or quarter hour where the zone's offset is not a
# whole number of hours: every zone's is a whole number of quarters, so each slice falls inside
# one local hour); the entries with a note are read apart (no sorting, few rows). Every entry is
# counted and the voided ones (few, found through tally_voids, read first: CROSS JOIN) are taken
# off after: cheaper than asking, for each of the thousands, whether it was voided.
_HOUR = "substr(t.occurred_at, 1, 13)"
_QUARTER = "substr(t.occurred_at, 1, 14) || (CAST(substr(t.occurred_at, 15, 2) AS INTEGER) / 15 * 15)"
_COUNTS = """SELECT t.category, t.channel, t.read_level, {slice} AS slice, SUM(t.quantity) AS n
             FROM tallies t WHERE t.shift_id = ? GROUP BY t.category, t.channel, t.read_level, slice"""
_VOIDED = """SELECT t.id, t.category, t.channel, t.read_level, {slice} AS slice, t.quantity AS n
             FROM tally_voids v CROSS JOIN tallies t ON t.id = v.tally_id WHERE t.shift_id = ?"""
_NOTES = """SELECT t.id, t.occurred_at, t.category, t.quantity, t.note FROM tallies t
            WHERE t.shift_id = ? AND t.note != '' ORDER BY t.occurred_at, t.rowid"""


def _slice_start(text: str) -> datetime:
    """The UTC moment a slice ("2026-11-25T00" or "2026-11-25T00:45") starts."""
    hour, _, minute = text.partition(":")
    return datetime.fromisoformat(f"{hour}:{int(minute or 0):02d}+00:00")


def _statistics(store: Store, site: Site, shift: Shift, until: datetime) -> Section:
    config = site.tally
    whole_hours = all((moment.astimezone(site.zone).utcoffset() or timedelta(0)) % timedelta(hours=1) == timedelta(0)
                      for moment in (shift.started_at, until))
    slice_sql = _HOUR if whole_hours else _QUARTER
    by_cat: Counter = Counter()
    by_chan: Counter = Counter()
    by_read: Counter = Counter()
    by_slice: Counter = Counter()
    voided = store.rows(_VOIDED.format(slice=slice_sql), (shift.id,))
    for rows, sign in ((store.rows(_COUNTS.format(slice=slice_sql), (shift.id,)), 1), (voided, -1)):
        for r in rows:
            by_cat[r["category"]] += sign * r["n"]
            by_chan[r["channel"]] += sign * r["n"]
            by_slice[r["slice"]] += sign * r["n"]
            if r["read_level"]:
                by_read[r["read_level"]] += sign * r["n"]
    for counts in (by_cat, by_chan, by_read, by_slice):
        counts += Counter()  # drops what the voids brought to zero
    gone = {r["id"] for r in voided}
    notes = [r for r in store.rows(_NOTES, (shift.id,)) if r["id"] not in gone]
    lines: list[str | Table] = [f"Total: {sum(by_cat.values())}"]
    if by_cat:
        lines.append(Table(("Type", "Count"), [
            ((cat.name if (cat := config.category(c)) else c), str(n)) for c, n in by_cat.most_common()]))
    if by_chan:
        lines.append("By channel: " + ", ".join(
            f"{chan.name if (chan := config.channel(c)) else c} {n}" for c, n in by_chan.most_common()))
    if by_read:
        lines.append("READ levels: " + ", ".join(f"{level}: {by_read[level]}" for level in sorted(by_read)))
    by_hour: Counter = Counter()
    for piece, n in by_slice.items():
        by_hour[_slice_start(piece).astimezone(site.zone).replace(minute=0)] += n
    if by_hour:
        lines.append("By hour: " + ", ".join(f"{h:%H}:00 {by_hour[h]}" for h in sorted(by_hour)))
    for r in notes:
        cat = config.category(r["category"])
        count = f" ×{r['quantity']}" if r["quantity"] > 1 else ""
        lines.append(f"Note {_t(from_iso(r['occurred_at']), site)[:5]} {cat.name if cat else r['category']}{count}: "
                     f"{r['note']}")
    return Section("Desk statistics", lines, "statistics")


def _circulation(store: Store, site: Site, shift: Shift, until: datetime) -> Section:
    counts = circulation.counts_by_action(store, shift.started_at, until + timedelta(seconds=1))
    if not counts:
        return Section("Offline circulation", ["None."], "circulation")
    names = circulation.ACTION_NAMES
    return Section("Offline circulation", [", ".join(f"{names.get(action, action)}: {n}" for action, n in
                                                     sorted(counts.items(), key=lambda kv: list(names).index(kv[0])
                                                            if kv[0] in names else len(names)))],
                   "circulation")


def _money(store: Store, shift: Shift) -> Section:
    taken = money.fees(store, shift.id)
    lines: list[str | Table] = []
    for f in taken:
        receipt = f", receipt {f.receipt}" if f.receipt else ""
        reason = f" — {f.reason}" if f.reason else ""
        lines.append(f"{money.dollars(f.amount_cents)} {f.method}{receipt}{reason}")
    if taken:
        totals = money.totals_by_method(taken)
        lines.append("Totals: " + ", ".join(f"{m} {money.dollars(c)}" for m, c in totals.items()))
    for o in money.overrides(store, shift.id):
        lines.append(f"Override: {o.what} — why: {o.why} — approved by {o.approved_by}")
    return Section("Fines, fees and overrides", lines or ["None."], "money")


def _followups(store: Store, site: Site, shift: Shift, now: datetime, waiting: list[FollowUp]) -> Section:
    """What this shift did with follow-ups, and what waits with a deadline. The others still open
    (every one ever left, on a desk that has run for years) are a count: the desk lists them (`f`)."""
    lines: list[str | Table] = []
    mine = {r["id"] for r in store.rows("SELECT id FROM followups WHERE shift_id = ?", (shift.id,))}
    earlier = []
    for f in waiting:
        due = f" ({deadline_text(f, now, site.zone)})" if f.due_at else ""
        if f.id in mine:
            lines.append(f"Added this shift, open{due}: {f.text}")
        elif f.due_at is not None:
            lines.append(f"Open{due}: {f.text}")
        else:
            earlier.append(f)
    for r in store.rows(
        """SELECT f.text, f.shift_id, r.note FROM followup_resolutions r JOIN followups f ON f.id = r.followup_id
           WHERE r.shift_id = ? ORDER BY r.resolved_at, r.rowid""", (shift.id,)):
        added = " (added this shift)" if r["shift_id"] == shift.id else ""
        lines.append(f"Resolved this shift{added}: {r['text']}" + (f" — {r['note']}" if r["note"] else ""))
    if earlier:
        oldest = min(f.created_at for f in earlier).astimezone(site.zone)
        lines.append(f"Still open from earlier shifts, no deadline: {len(earlier)} (the oldest from "
                     f"{oldest:%a %d %b %Y}; listed on the desk under f)")
    return Section("Follow-ups", lines or ["None."], "followups")


def _knowledge(store: Store, site: Site, shift: Shift) -> Section:
    """Problem reports filled in from desk knowledge (and whether each was emailed), and what was
    copied out for replies by email, in full: where the worker finds a text the clipboard lost."""
    lines = problemreports.report_lines(store, site, shift.id) + copyout.report_lines(store, site, shift.id)
    return Section("Problem reports and copied answers", list(lines[:-1] or ["None."]), "knowledge")


def _text_line(line: str | Table, prose: bool) -> list[str]:
    if isinstance(line, Table):
        return [f"  {row[0]:<20}" + "".join(f"{cell:>5}" for cell in row[1:]) for row in line.rows]
    return [line if prose else hang(line)]


def render_text(report: Report) -> str:
    out = [report.title, "=" * min(len(report.title), 78), ""]
    for section in report.sections:
        out += [section.title, "-" * len(section.title)]
        out += [text for line in section.lines for text in _text_line(line, section.prose)]
        out.append("")
    return "\n".join(out)

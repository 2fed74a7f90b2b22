"""An emergency's timeline: every step, call, note and sweep result with its time.

Built from the rows the walkthrough wrote, in the order they happened; it goes
into the end-of-shift report and prefills the draft incident report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shift.clock import from_iso
from shift.runs import RunState, load_run
from shift.site import Site
from shift.store import Store
from shift.sweep import STATUSES, run_summary


@dataclass(frozen=True)
class Event:
    at: datetime
    text: str  # holds what a person typed: show it with markup off


def run_timeline(store: Store, run: RunState, site: Site) -> list[Event]:
    procedure = run.procedure
    events = [Event(run.started_at, f"Started: {procedure.title}" + (" (DRILL)" if run.drill else ""))]
    for outcome in run.history:
        step = procedure.step(outcome.step_id)
        title = step.title if step else outcome.step_id
        if outcome.status == "skipped":
            what = f"skipped ({outcome.reason or 'no reason given'})"
        elif step is not None and step.call:
            contact = site.contacts.get(step.call)
            what = f"call made to {contact.name} ({contact.phone})" if contact else f"call made ({step.call})"
        elif step is not None and step.notice and outcome.answer is not None:
            what = "notice posted: " + " / ".join(line.strip() for line in outcome.answer.splitlines() if line.strip())
        elif outcome.answer is not None:
            what = f"answer: {outcome.answer}"
        else:
            what = "done"
        prefix = "Corrected — " if outcome.corrects else ""
        events.append(Event(outcome.recorded_at, f"{prefix}{title}: {what}"))
    for note in run.notes:
        step = procedure.step(note.step_id)
        events.append(Event(note.recorded_at, f"Note on '{step.title if step else note.step_id}': {note.text}"))
    zones = {z.id: z.name for z in site.zones}
    for row in store.rows("SELECT * FROM sweep_results WHERE run_id = ? ORDER BY recorded_at, rowid", (run.id,)):
        detail = f" — {row['detail']}" if row["detail"] else ""
        events.append(Event(from_iso(row["recorded_at"]),
                            f"Sweep: {zones.get(row['zone_id'], row['zone_id'])}: {STATUSES[row['status']]}{detail}"))
    if run.ended_at is not None:
        events.append(Event(run.ended_at, "Finished"))
    # Stable: rows written in the same microsecond keep the order they were written in.
    return sorted(events, key=lambda e: e.at)


def shift_runs(store: Store, shift_id: str) -> list[RunState]:
    """Every procedure run of a shift (routine, emergency and drills), oldest first."""
    rows = store.rows("SELECT id FROM procedure_runs WHERE shift_id = ? ORDER BY started_at, rowid", (shift_id,))
    return [load_run(store, r["id"]) for r in rows]


def incident_draft_fields(store: Store, run: RunState, site: Site, reporter: str) -> dict:
    """The incident report's fields as far as the walkthrough knows them.

    The person completes the rest later: what happened in their words, the
    people involved, injuries. Field names are those of incidents.IncidentForm.
    After a sweep, the actions end with what the fire department was told (the
    same summary the walkthrough showed, recomputed from the sweep rows).
    """
    procedure = run.procedure
    events = run_timeline(store, run, site)
    location = ""
    if procedure.incident_location:
        answer = run.latest.get(procedure.incident_location)
        location = answer.answer or "" if answer and answer.status != "skipped" else ""
    security_called = next(
        (o.recorded_at for o in run.history
         if o.status != "skipped" and (step := procedure.step(o.step_id)) and step.call == "security"), None)
    critical = run.latest.get(procedure.critical_injury) if procedure.critical_injury else None
    started = run.started_at.astimezone(site.zone)
    actions = [f"{e.at.astimezone(site.zone):%H:%M:%S}  {e.text}" for e in events]
    if any(step.sweep for step in procedure.steps):
        actions += ["", "Sweep summary for the fire department:"]
        actions += [f"  {line}" for line in run_summary(store, run.id, site.zones)]
    return {
        "category": procedure.incident_category if procedure.incident_category in site.incidents.categories else "",
        "occurred_at": run.started_at,
        "location": location,
        "what_happened": f"{procedure.title}: emergency walkthrough started at {started:%H:%M:%S}. "
                         "(Complete in your own words: what you saw and heard.)",
        "actions": "\n".join(actions),
        "security_called_at": security_called,
        # Said yes during the walkthrough: the report's duties and deadlines follow from it.
        **({"injury": "critical", "severity": "high"}
           if critical is not None and critical.status != "skipped" and critical.answer == "yes" else {}),
        "reporter": reporter,
        "run_id": run.id,
    }

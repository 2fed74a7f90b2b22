"""Emergencies and drills, a few a year, walked through with the desk's own functions: the
run, each step, the fire marshal's sweep, the end; after a real event the draft incident
report from the timeline, completed and filed by the worker a little later."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable

from shift import incidents, notices, runs, sweep, timeline
from shift.demo.base import Demo, DemoShift
from shift.demo.incidents import file
from shift.procedures import Procedure, Step

Answer = Callable[[Demo, datetime], str]


def _hm(minutes: float) -> Answer:
    return lambda demo, t: f"{(t - timedelta(minutes=minutes)).astimezone(demo.site.zone):%H:%M}"


# Answers by protocol and step; a string, or a function of the moment. Anything not here gets
# the usual answer for its kind.
ANSWERS: dict[str, dict[str, str | Answer]] = {
    "fire-alarm": {"needs-assistance": "no", "head-count": "1", "fire-department-arrived": _hm(1.5),
                   "all-clear": lambda d, t: f"Fire department captain, {t.astimezone(d.site.zone):%H:%M}",
                   "cause": "Burnt toast in the staff room on the second floor"},
    "medical": {"critical-injury": "no",
                "record": "Patron appearing to be in their 50s felt faint by the main-floor printers; sat "
                          "down and was given water; paramedics checked them and they left with a friend."},
    "disruptive-person": {"description": "Person appearing to be in their 30s, black coat, carrying a "
                                         "backpack", "exact-words": "\"Nobody tells me where to sit\"",
                          "what-happened": "Shouted at patrons in the quiet study area and kicked a chair. I kept "
                                           "my distance and called Campus Security; they left with security.",
                          "witnesses": "Two patrons saw it; one declined to give their name.",
                          "anyone-hurt": "no"},
    "power-outage": {"time-out": _hm(12), "time-back": _hm(-25)},
    "elevator-entrapment": {"which-elevator": "Main elevator, stopped between the second and third floors",
                            "how-many": "2", "times": lambda d, t: f"Stopped about "
                            f"{(t - timedelta(minutes=30)).astimezone(d.site.zone):%H:%M}; technician arrived "
                            f"{(t - timedelta(minutes=8)).astimezone(d.site.zone):%H:%M}; everyone out soon after",
                            "still-out": "no"},
}
DRILL_ANSWERS: dict[str, dict[str, str | Answer]] = {
    "fire-alarm": {"cause": "Planned fire drill", "all-clear": lambda d, t:
                   f"Drill coordinator (Facilities), {t.astimezone(d.site.zone):%H:%M}"},
}
WHAT_HAPPENED = {
    "fire-alarm": ("False alarm", "The fire alarm sounded. Evacuated the building with the sweep; the fire "
                                  "department found burnt toast in the second-floor staff room and gave the "
                                  "all-clear."),
    "medical": ("Medical emergency", "A patron felt faint by the main-floor printers. Called 911 and Campus "
                                     "Security; paramedics checked them and they left with a friend."),
    "disruptive-person": ("Abusive or threatening behaviour", "A person shouted at patrons in the quiet study "
                                                              "area and kicked a chair; Campus Security came and "
                                                              "they left with security."),
    "power-outage": ("Facilities problem", "Power went out in the whole building for about half an hour. "
                                           "Kept people where they were, helped with the stairs; it came back."),
    "elevator-entrapment": ("Facilities problem", "Two people trapped in the main elevator for about half an "
                                                  "hour; the technician freed them, nobody hurt."),
}
REAL_WEIGHT = {"medical": 35, "disruptive-person": 30, "fire-alarm": 12, "power-outage": 10,
               "elevator-entrapment": 8}


def pick_real(demo: Demo, protocols: dict[str, Procedure]) -> Procedure | None:
    known = [p for p in REAL_WEIGHT if p in protocols]
    return protocols[demo.rng.choices(known, [REAL_WEIGHT[p] for p in known])[0]] if known else None


def write_emergency(demo: Demo, planned: DemoShift, procedure: Procedure, drill: bool) -> None:
    start, end = max(planned.start, planned.open_from), min(planned.end, planned.open_until)
    if end - start < timedelta(hours=1):
        return
    t = demo.at(start + (end - start - timedelta(minutes=50)) * demo.rng.random())
    run = runs.start_run(demo.store, planned.shift, procedure, drill=drill, resilient=True)
    answers = {**ANSWERS.get(procedure.id, {}), **(DRILL_ANSWERS.get(procedure.id, {}) if drill else {})}
    while (step := run.current()) is not None:
        t += demo.seconds(8, 40) if step.immediate else demo.seconds(20, 120)
        if step.sweep:
            t = _sweep(demo, run, t, drill) + demo.seconds(10, 30)
        answer, note = _answer(demo, run, step, answers.get(step.id), t)
        demo.at(t)
        run = runs.record_answer(demo.store, run, step, answer, note=note, confirm=True)
    demo.at(t + demo.seconds(5, 30))
    run = runs.finish_run(demo.store, run)
    if not drill:
        draft = incidents.save_draft(demo.store, planned.shift, timeline.incident_draft_fields(
            demo.store, run, demo.site, planned.worker), run_id=run.id)
        filed_at = t + demo.minutes(15, 40)
        form = incidents.form_from_draft(draft, filed_at)
        category, what = WHAT_HAPPENED.get(procedure.id, (form.category, form.what_happened))
        form = replace(form, category=category if category in demo.site.incidents.categories else form.category,
                       what_happened=what, zone_id=form.zone_id or "main-floor",
                       severity="medium" if form.severity == "low" else form.severity)
        file(demo, planned, form, filed_at)


def _sweep(demo: Demo, run: runs.RunState, t: datetime, drill: bool) -> datetime:
    """The fire marshal's sweep, zone by zone: clear nearly always."""
    for zone in demo.site.zones:
        t += demo.seconds(40, 110)
        demo.at(t)
        if not drill and zone.kind == "stairwell" and demo.chance(0.3):
            sweep.record(demo.store, run.id, zone.id, "assistance",
                         "One person using a wheelchair at the area of refuge, stairwell A, third floor")
        elif demo.chance(0.05):
            sweep.record(demo.store, run.id, zone.id, "not_checked")
        else:
            sweep.record(demo.store, run.id, zone.id, "clear")
    return t


def _answer(demo: Demo, run: runs.RunState, step: Step, given: str | Answer | None,
            t: datetime) -> tuple[str | None, str]:
    if given is not None:
        answer = given(demo, t) if callable(given) else given
        return answer, "Nobody hurt" if answer in step.note_when else ""
    if step.notice:
        return notices.for_step(demo.site.notices, run, step), ""
    if step.kind == "yesno":
        answer = "yes" if "no" in step.note_when else "no"
        return answer, ""
    if step.kind == "choice":
        choices = [c for c in step.choices if c not in step.note_when] or list(step.choices)
        return demo.pick(choices[:2]), ""
    if step.kind == "number":
        return str(int(step.minimum if step.minimum is not None else 1)), ""
    if step.kind == "text":
        return "As in the incident report.", ""
    return None, ""

"""Opening, closing and floor walks, step by step, as the desk records them.

A run is walked with the desk's own RunState (which step comes next, which steps an answer
brings in) and each answer goes through runs.check_answer (what is stored, and whether a
number is out of range), so the rows are those the runner writes: an outcome per step, a
note where one was typed, a skip with its reason, now and then a correction, then the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from shift.clock import to_iso
from shift.demo.base import Demo, DemoShift
from shift.procedures import Procedure, Step
from shift.runs import Outcome, RunState, check_answer, first_of_kind

# How long a step takes, by kind (seconds).
DURATION = {"check": (50, 150), "yesno": (45, 110), "number": (30, 100), "text": (60, 150), "choice": (20, 60)}

# Answers other than the usual one: step id -> (how often, the answer, notes to choose from).
UNUSUAL = {
    "readers-working": (0.06, "no", ["Reader 2 (fiche) has no picture: bulb out, sign put up",
                                     "Microfilm scanner computer will not log in",
                                     "Reader 1 film carrier jammed; left it for the coordinator"]),
    "someone-staying": (0.025, "yes", []),
    "computers-working": (0.10, "no", ["Printer 2 jammed; cleared twice, now out of order with a sign",
                                       "PC 14 stuck on a blue screen; IT ticket called in",
                                       "Scanner by the entrance out of paper; sign up",
                                       "Printer 3 out of toner"]),
    "hazard-found": (0.05, "yes", []),
    "windows-closed": (0.02, "no", ["Third-floor window by carrel 12 will not latch; Facilities called",
                                    "Second-floor window stiff; closed but not latched"]),
    "patrons-out": (0.004, "no", ["Campus Security still with a patron in the lobby; they left at 23:20"]),
}
SWEEP_NOT_CLEAR = ["Two students still packing up; they left at the 5-minute announcement",
                   "Someone asleep in a carrel; woke them and they left",
                   "Group still in room 307; reminded them, they left",
                   "Laptop left on a table: brought to the desk as lost and found",
                   "Water on the floor by the sink; wet-floor sign put out"]
TEXTS = {
    "refusal-details": ["Person appearing to be in their 20s, grey hoodie, at a third-floor carrel at 22:58; "
                        "said \"I just need ten more minutes\". Asked twice, calmly.",
                        "Two people appearing to be students in room 309 said they had booked it until midnight; "
                        "showed them the posted hours."],
    "hazard-details": ["Water dripping from a ceiling tile, second floor by the north stairwell",
                       "Extension cable across the aisle at the main-floor tables",
                       "Broken chair in the silent study, third floor, leaning on a carrel",
                       "Fire door to stairwell B propped open with a book"],
    "handover-note": ["Printer 2 still jammed: sign on it.", "Returns bin emptied at closing; items in the "
                      "'not checked in yet' bin.", "Lost and found: a black umbrella and a USB stick.",
                      "Quiet night.", "Group room 304 whiteboard markers out."],
    "assistance-where": ["One person using a wheelchair at the third-floor area of refuge, stairwell A"],
}
NUMBERS: dict[str, Callable[[Demo], str]] = {
    "returns-bin": lambda d: str(d.rng.randint(3, 70)),
    "occupancy": lambda d: str(d.rng.randint(15, 220)),
}
# Steps now and then skipped, and the reason given.
SKIPS = {
    "readers-on": (0.01, ["Microfilm room key missing from the key box; coordinator told"]),
    "messages": (0.015, ["Phone system down this morning; IT ticket open", "Queue at the door; after opening"]),
    "course-reserves": (0.015, ["Queue at the door; will check after opening"]),
    "returns-bin": (0.04, ["Short of time before opening: left for the next person", "Bin was empty"]),
    "occupancy": (0.08, ["Lost count"]),
    "third-floor": (0.01, ["Queue at the desk: cut the walk short"]),
    "study-rooms": (0.015, ["Two rooms booked for exams: did not knock"]),
}
# Notes typed on a step (n) as it is done.
NOTES = {
    "alarm-off": (0.01, ["Keypad showed a fault on zone 4; Campus Security told"]),
    "lights-on": (0.03, ["Lights out in stairwell B, second landing", "One bank of lights on the lower level "
                                                                     "will not come on"]),
    "computers-on": (0.04, ["PC 7 will not start; out-of-order sign", "Printer 1 paper tray empty; refilled"]),
    "hold-shelf": (0.03, ["Pulled 6 expired holds"]),
    "equipment-off": (0.02, ["PC 22 would not shut down; left it logged off"]),
    "lights-off": (0.01, ["Stairwell A light flickering"]),
}
CASH_STEPS = ("cash-float", "cash-count")


@dataclass
class Walked:
    procedure: Procedure
    start: datetime
    end: datetime | None
    done: list[tuple[str, datetime]] = field(default_factory=list)  # (step id, when) in order


class Routines:
    """The site's opening, closing and routine procedures, pinned once like the desk does."""

    def __init__(self, demo: Demo, procedures: list[Procedure]) -> None:
        self.demo = demo
        self.opening = first_of_kind(procedures, "opening")
        self.closing = first_of_kind(procedures, "closing")
        self.walk = first_of_kind(procedures, "routine")
        self._pinned: set[str] = {r["sha256"] for r in demo.store.rows("SELECT sha256 FROM procedure_versions")}

    def write(self, planned: DemoShift) -> list[Walked]:
        """Every routine run of the shift: opening, floor walks, closing. Moves the shift's end
        when the closing runs past it."""
        demo, done = self.demo, []
        if self.opening and planned.opens:
            done.append(self._run(planned, self.opening, planned.start + demo.minutes(1, 4)))
        closing_at = None
        if self.closing and planned.closes:
            closing_at = max(planned.closes - demo.minutes(32, 38), planned.start + timedelta(minutes=1))
        if self.walk and planned.solo:
            first = max(planned.start, planned.open_from) + timedelta(minutes=30)
            last = (closing_at or min(planned.end, planned.open_until)) - timedelta(minutes=25)
            window = first
            while window + timedelta(hours=2) <= last + timedelta(hours=1):
                if demo.chance(0.85):  # when the desk is quiet: not every time
                    start = window + demo.minutes(0, 95)
                    if start <= last:
                        done.append(self._run(planned, self.walk, start, finish=not demo.chance(0.01)))
                window += timedelta(hours=2)
        if self.closing and closing_at is not None:
            run = self._run(planned, self.closing, closing_at)
            done.append(run)
            assert run.end is not None
            planned.end = max(planned.end, run.end + demo.minutes(1, 3))
        return done

    def _pin(self, procedure: Procedure, at: datetime) -> None:
        if procedure.sha256 not in self._pinned:
            self._pinned.add(procedure.sha256)
            self.demo.add("procedure_versions", sha256=procedure.sha256, procedure_id=procedure.id,
                          path=procedure.path, text=procedure.text, first_seen_at=to_iso(at))

    def _run(self, planned: DemoShift, procedure: Procedure, start: datetime, finish: bool = True) -> Walked:
        demo = self.demo
        self._pin(procedure, start)
        row = demo.add("procedure_runs", shift_id=planned.id, procedure_id=procedure.id,
                       version_sha256=procedure.sha256, started_at=to_iso(start), drill=0)
        run = RunState(row["id"], planned.id, start, procedure, [], [])
        walked = Walked(procedure, start, None)
        t = start
        while (step := run.current()) is not None:
            if not finish and demo.chance(0.25):
                return walked  # called away: the run stays open, as the report says
            low, high = DURATION.get(step.kind, (30, 90))
            t += demo.seconds(low, high)
            due = run.due_at(step, demo.site.hours)
            if due is not None:
                late = demo.minutes(3, 14) if demo.chance(0.04) else demo.seconds(0, 90)
                t = max(t, due + late)
            self._step(run, step, t)
            walked.done.append((step.id, t))
        walked.end = t + demo.seconds(3, 20)
        demo.add("run_ends", run_id=run.id, ended_at=to_iso(walked.end))
        return walked

    def _step(self, run: RunState, step: Step, t: datetime) -> None:
        demo = self.demo
        skip = SKIPS.get(step.id)
        if step.skippable and skip and demo.chance(skip[0]):
            self._outcome(run, step, t, "skipped", None, reason=demo.pick(skip[1]))
            return
        note_odds = NOTES.get(step.id)
        if note_odds and demo.chance(note_odds[0]):
            self._note(run, step, t - demo.seconds(5, 30), demo.pick(note_odds[1]))
        answer, note = self._answer(step)
        stored, outside = check_answer(step, answer, note, confirm=True)
        first = self._outcome(run, step, t, "done" if step.kind == "check" else "answered", stored, outside)
        if note:
            self._note(run, step, t, note)
        if step.kind == "number" and step.id not in CASH_STEPS and demo.chance(0.01):
            # A typing slip put right a moment later: a correction, the first answer kept.
            again, _ = check_answer(step, str(int(float(stored or 0)) + demo.rng.randint(1, 9)), confirm=True)
            self._outcome(run, step, t + demo.seconds(10, 60), "answered", again, corrects=first.id)

    def _answer(self, step: Step) -> tuple[str | None, str]:
        """(the answer, a note it needs) for a step, mostly the usual one."""
        demo = self.demo
        if step.id in CASH_STEPS:
            return self._cash()
        if step.kind == "yesno":
            unusual = UNUSUAL.get(step.id)
            if unusual and demo.chance(unusual[0]):
                return unusual[1], demo.pick(unusual[2]) if unusual[2] else ""
            if step.id.startswith("sweep-") and demo.chance(0.02):
                return "no", demo.pick(SWEEP_NOT_CLEAR)
            return ("no" if step.id in UNUSUAL and UNUSUAL[step.id][1] == "yes" else "yes"), ""
        if step.kind == "number":
            make = NUMBERS.get(step.id)
            value = make(demo) if make else str(int(step.minimum or 0))
            return value, ""
        if step.kind == "choice":
            choice = demo.pick(step.choices[:2] if "Campus Security is still dealing with it" in step.choices
                               else step.choices)
            return choice, ("Facilities will look at it in the morning; area blocked off"
                            if choice in step.note_when else "")
        if step.kind == "text":
            texts = TEXTS.get(step.id)
            if step.id == "handover-note" and demo.chance(0.5):
                return "", ""
            return (demo.pick(texts) if texts else "See the incident report."), ""
        return None, ""

    def _cash(self) -> tuple[str, str]:
        """The float counted: $200.00 nearly always; now and then a little off, rarely far off."""
        demo = self.demo
        roll = demo.rng.random()
        if roll < 0.015:
            value = demo.pick(["140", "262.50", "100"])
            return value, f"Counted ${value}, not $200: recounted twice; coordinator told by email"
        if roll < 0.10:
            cents = demo.pick([-500, -125, -100, -25, 25, 100, 200])
            value = f"{(20000 + cents) / 100:.2f}"
            return value, f"Float {'short' if cents < 0 else 'over'} ${abs(cents) / 100:.2f}; no reason known"
        return "200", ""

    def _outcome(self, run: RunState, step: Step, t: datetime, status: str, answer: str | None,
                 out_of_range: bool = False, reason: str = "", corrects: str | None = None) -> Outcome:
        row = self.demo.add("step_outcomes", run_id=run.id, step_id=step.id, recorded_at=to_iso(t), status=status,
                            answer=answer, reason=reason, out_of_range=int(out_of_range), corrects=corrects)
        outcome = Outcome(row["id"], step.id, t, status, answer, reason, out_of_range, corrects)
        run.history.append(outcome)
        return outcome

    def _note(self, run: RunState, step: Step, t: datetime, text: str) -> None:
        self.demo.add("step_notes", run_id=run.id, step_id=step.id, recorded_at=to_iso(t), text=text)

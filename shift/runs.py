"""Running a procedure: every step outcome is a row; the current step is derived.

A run pins the exact text of the procedure it started with (by SHA-256), so
editing a file changes only runs started afterwards. Its state is recomputed
from the database, so a run interrupted by a quit, a crash or a power cut
resumes at the exact step with every earlier answer intact.
"""

from __future__ import annotations

import dataclasses
import math
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from shift.clock import from_iso
from shift.hours import HoursCalendar
from shift.procedures import BUILDING_CLEAR, Procedure, Step, parse_procedure
from shift.shifts import Shift
from shift.store import Store


class NeedsConfirmation(ValueError):
    """A number outside its expected range: ask the person, then record with confirm=True."""


class NeedsNote(ValueError):
    """This answer needs a note (e.g. 'no' to 'Is the microfilm reader working?')."""


@dataclass(frozen=True)
class Outcome:
    id: str
    step_id: str
    recorded_at: datetime
    status: str  # done | answered | skipped
    answer: str | None
    reason: str
    out_of_range: bool
    corrects: str | None


@dataclass(frozen=True)
class Note:
    step_id: str
    recorded_at: datetime
    text: str


@dataclass
class Summary:
    done: list[tuple[Step, Outcome]] = field(default_factory=list)
    skipped: list[tuple[Step, str]] = field(default_factory=list)
    notes: list[tuple[Step, str]] = field(default_factory=list)
    out_of_range: list[tuple[Step, str]] = field(default_factory=list)
    corrections: list[tuple[Step, Outcome, Outcome]] = field(default_factory=list)  # step, before, after


@dataclass(frozen=True)
class Progress:
    """Where a step stands in its procedure, counted so the total never changes mid-run: the
    steps every run has are numbered ("Step 4 of 21"); a step shown only because of an earlier
    answer takes the number of the step before it and a letter ("Step 12a"), and the total says
    how many such steps the procedure has ("+2 if needed")."""

    number: int  # among the steps every run has (for a conditional step: the one before it)
    total: int  # the steps every run has
    extra: int = 0  # steps shown only when an answer calls for them
    letter: str = ""  # "a", "b"... for a step shown because of an answer

    def short(self) -> str:
        """As listed on the desk and in the report: "step 12a of 21"."""
        return f"step {self.number}{self.letter} of {self.total}"

    def __str__(self) -> str:
        """As shown above a step: "Step 4 of 21 (+2 if needed)"."""
        text = f"Step {self.number}{self.letter} of {self.total}"
        return text + (f" (+{self.extra} if needed)" if self.extra else "")


@dataclass
class RunState:
    id: str
    shift_id: str
    started_at: datetime
    procedure: Procedure
    history: list[Outcome]
    notes: list[Note]
    ended_at: datetime | None = None
    drill: bool = False

    @property
    def latest(self) -> dict[str, Outcome]:
        """The effective outcome of each step: the last one recorded."""
        out: dict[str, Outcome] = {}
        for outcome in self.history:
            out[outcome.step_id] = outcome
        return out

    def visible_steps(self) -> list[Step]:
        """Steps whose condition is met by the answers so far, in order."""
        latest = self.latest
        visible = []
        for step in self.procedure.steps:
            cond = step.show_if
            if cond is not None:
                answer = latest.get(cond.step)
                if answer is None or answer.answer not in cond.answers:
                    continue
            visible.append(step)
        return visible

    def current(self) -> Step | None:
        latest = self.latest
        return next((s for s in self.visible_steps() if s.id not in latest), None)

    @property
    def complete(self) -> bool:
        return self.current() is None

    def progress(self, step: Step) -> Progress:
        """The step's place in the run: stable from the first step to the last (see Progress)."""
        steps = self.procedure.steps
        total = sum(1 for s in steps if s.show_if is None)
        extra = len(steps) - total
        number, letters = 0, 0
        visible = {s.id for s in self.visible_steps()}
        for s in steps:
            if s.show_if is None:
                number, letters = number + 1, 0
            elif s.id in visible:
                letters += 1
            if s.id == step.id:
                letter = "" if s.show_if is None else "abcdefghijklmnopqrstuvwxyz"[min(max(letters, 1), 26) - 1]
                return Progress(number, total, extra, letter)
        return Progress(0, total, extra)

    def notes_for(self, step_id: str) -> list[Note]:
        return [n for n in self.notes if n.step_id == step_id]

    def due_at(self, step: Step, hours: HoursCalendar) -> datetime | None:
        if step.due is None:
            return None
        day = hours.local_date(self.started_at)
        span = hours.open_span(self.started_at)
        if step.due.anchor == "clock" or span is None:
            return step.due.at(hours, day)
        # Relative times count from the opening and closing the run belongs to (a late
        # night's 00:30 closing, not the day's last one).
        return step.due.relative_to(*span)

    def evacuation_time(self) -> timedelta | None:
        """From the start of the run to its 'building clear' step, when that step was done."""
        outcome = self.latest.get(BUILDING_CLEAR)
        if outcome is None or outcome.status == "skipped":
            return None
        return outcome.recorded_at - self.started_at

    def summary(self) -> Summary:
        summary = Summary()
        latest = self.latest
        by_id = {o.id: o for o in self.history}
        for step in self.visible_steps():
            outcome = latest.get(step.id)
            if outcome is None:
                continue
            if outcome.status == "skipped":
                summary.skipped.append((step, outcome.reason))
            else:
                summary.done.append((step, outcome))
            if outcome.out_of_range and outcome.answer is not None:  # only an answer given is out of range
                summary.out_of_range.append((step, step.value_text(outcome.answer)))
            for note in self.notes_for(step.id):
                summary.notes.append((step, note.text))
        for outcome in self.history:
            if outcome.corrects and outcome.corrects in by_id:
                corrected = self.procedure.step(outcome.step_id)
                if corrected is not None:
                    summary.corrections.append((corrected, by_id[outcome.corrects], outcome))
        return summary


def start_run(store: Store, shift: Shift, procedure: Procedure, drill: bool = False,
              resilient: bool = False) -> RunState:
    """Start a run, or return this shift's open run of the same procedure *and kind*.

    A real event never resumes a drill and a drill never resumes a real event:
    the `drill` flag of the run is what the record says happened. When a real
    event starts while a drill of the same protocol was left open this shift,
    the drill is ended (append-only: a note on the step it stopped at says why,
    then its run_ends row), so only the real run is open and the drill stays on
    record as unfinished. A drill started while a real run of the same protocol
    is open leaves the real run alone (a real record is closed only by the
    person finishing it) and starts a separate drill run.

    `resilient` (emergencies): if storage fails, the run starts in memory and
    its rows wait in store.pending until the disk takes them.
    """
    try:
        existing = _open_runs_of(store, shift, procedure)
    except sqlite3.Error:
        if not resilient:
            raise
        existing = []  # nothing can be read: start afresh (the emergency comes first)
    same = [run for run in existing if run.drill == drill]
    if same:
        return same[-1]
    rows = [] if drill else [row for run in existing for row in _abandoned_drill_rows(store, run)]
    if not _pinned(store, procedure):
        rows.append(("procedure_versions", {
            "sha256": procedure.sha256, "procedure_id": procedure.id, "path": procedure.path,
            "text": procedure.text, "first_seen_at": store.now_iso()}))
    rows.append(("procedure_runs", _run_row(store, shift, procedure, drill)))
    if resilient:
        row = store.insert_all(rows)[-1]  # together, or kept in memory in order: never an error
    else:
        with store.transaction():
            row = [store.insert(table, values) for table, values in rows][-1]
    if not store.pending:
        return load_run(store, row["id"])
    return RunState(row["id"], shift.id, from_iso(row["started_at"]), procedure, [], [], None, drill)


def _pinned(store: Store, procedure: Procedure) -> bool:
    return bool(store.waiting("procedure_versions", sha256=procedure.sha256) or store.rows(
        "SELECT 1 AS x FROM procedure_versions WHERE sha256 = ?", (procedure.sha256,)))


def _open_runs_of(store: Store, shift: Shift, procedure: Procedure) -> list[RunState]:
    """This shift's open runs of the procedure, oldest first, runs still waiting for storage included."""
    ended = {row["run_id"] for row in store.waiting("run_ends")}
    found = [load_run(store, r["id"]) for r in store.rows(
        """SELECT r.id FROM procedure_runs r LEFT JOIN run_ends e ON e.run_id = r.id
           WHERE r.shift_id = ? AND r.procedure_id = ? AND e.id IS NULL ORDER BY r.started_at, r.rowid""",
        (shift.id, procedure.id),
    ) if r["id"] not in ended]
    for row in store.waiting("procedure_runs", shift_id=shift.id, procedure_id=procedure.id):
        if row["id"] not in ended:
            run = RunState(row["id"], shift.id, from_iso(row["started_at"]), procedure, [], [], None,
                           bool(row["drill"]))
            found.append(_after_write(store, run, store.waiting("step_outcomes", run_id=row["id"])
                                      + store.waiting("step_notes", run_id=row["id"])))
    return found


ABANDONED_DRILL_NOTE = "Drill left unfinished: a real event of this protocol was started, so the drill was ended."


def _abandoned_drill_rows(store: Store, run: RunState) -> list[tuple[str, dict]]:
    """What ends an open drill without finishing it: a note where it stopped, then its end row."""
    steps = run.visible_steps()
    at = run.current() or (steps[-1] if steps else None)
    note = [("step_notes", {"run_id": run.id, "step_id": at.id, "recorded_at": store.now_iso(),
                            "text": ABANDONED_DRILL_NOTE})] if at is not None else []
    return [*note, ("run_ends", {"run_id": run.id, "ended_at": store.now_iso()})]


def _run_row(store: Store, shift: Shift, procedure: Procedure, drill: bool) -> dict:
    return {"shift_id": shift.id, "procedure_id": procedure.id, "version_sha256": procedure.sha256,
            "started_at": store.now_iso(), "drill": int(drill)}


def _after_write(store: Store, state: RunState, rows: list[dict]) -> RunState:
    """The run as the database has it; while writes wait, the run as it will be."""
    if not store.pending:
        return load_run(store, state.id)
    history = list(state.history)
    notes = list(state.notes)
    for row in rows:
        if "status" in row:
            history.append(Outcome(row["id"], row["step_id"], from_iso(row["recorded_at"]), row["status"],
                                   row["answer"], row["reason"], bool(row["out_of_range"]), row["corrects"]))
        else:
            notes.append(Note(row["step_id"], from_iso(row["recorded_at"]), row["text"]))
    return dataclasses.replace(state, history=history, notes=notes)


def load_run(store: Store, run_id: str) -> RunState:
    run = store.rows(
        """SELECT r.*, v.text, v.path, e.ended_at FROM procedure_runs r
           JOIN procedure_versions v ON v.sha256 = r.version_sha256
           LEFT JOIN run_ends e ON e.run_id = r.id WHERE r.id = ?""",
        (run_id,),
    )[0]
    procedure, problems = parse_procedure(run["text"], Path(run["path"]), pinned=True)
    if procedure is None:  # only if the format itself changed incompatibly
        raise ValueError(f"the stored version of {run['path']} no longer loads: {problems[0]}")
    history = [
        Outcome(r["id"], r["step_id"], from_iso(r["recorded_at"]), r["status"], r["answer"], r["reason"],
                bool(r["out_of_range"]), r["corrects"])
        for r in store.rows("SELECT * FROM step_outcomes WHERE run_id = ? ORDER BY recorded_at, rowid", (run_id,))
    ]
    notes = [
        Note(r["step_id"], from_iso(r["recorded_at"]), r["text"])
        for r in store.rows("SELECT * FROM step_notes WHERE run_id = ? ORDER BY recorded_at, rowid", (run_id,))
    ]
    ended = from_iso(run["ended_at"]) if run["ended_at"] else None
    return RunState(run["id"], run["shift_id"], from_iso(run["started_at"]), procedure, history, notes, ended,
                    bool(run["drill"]))


def open_runs(store: Store, shift: Shift) -> list[RunState]:
    rows = store.rows(
        """SELECT r.id FROM procedure_runs r LEFT JOIN run_ends e ON e.run_id = r.id
           WHERE r.shift_id = ? AND e.id IS NULL ORDER BY r.started_at""",
        (shift.id,),
    )
    return [load_run(store, r["id"]) for r in rows]


class InProgress(NamedTuple):
    """A run this shift left open, as the desk announces it."""

    procedure_id: str
    title: str  # the short title ("Fire alarm") for an emergency, the whole title otherwise
    key: str  # an emergency protocol's key in the picker
    emergency: bool
    drill: bool
    progress: Progress | None  # the current step's place; None once every step is done

    @property
    def where(self) -> str:
        return self.progress.short() if self.progress else "all steps done"

    @property
    def level(self) -> str:
        """How the desk shows it: a real emergency as an alarm ("error"), a drill as a drill
        ("drill", never the emergency red), anything else plainly ("normal")."""
        return ("drill" if self.drill else "error") if self.emergency else "normal"

    def line(self, emergency_key: str, resume_key: str) -> str:
        """ "EMERGENCY IN PROGRESS: Fire alarm, step 2 of 14 — F8, then f" (the keys as the screen shows them)."""
        if self.emergency:
            head = "DRILL IN PROGRESS" if self.drill else "EMERGENCY IN PROGRESS"
            return f"{head}: {self.title}, {self.where} — {emergency_key}, then {self.key}"
        return f"In progress: {self.title} ({self.where}) — {resume_key} to resume"


def in_progress(store: Store, shift: Shift) -> list[InProgress]:
    """What this shift left open, in the order the desk lists it: real emergencies first, then
    drills, then other procedures; each group oldest first. One decision for the desk's lines
    and the pickers' IN PROGRESS marks."""
    found = []
    for run in open_runs(store, shift):
        step = run.current()
        emergency = run.procedure.kind == "emergency"
        found.append(InProgress(run.procedure.id, run.procedure.short_title if emergency else run.procedure.title,
                                run.procedure.key, emergency, run.drill,
                                run.progress(step) if step is not None else None))
    return sorted(found, key=lambda item: (not item.emergency, item.drill))


def parse_number(text: str) -> float:
    cleaned = text.strip().lstrip("$").replace(",", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None


def check_answer(step: Step, answer: str | None, note: str = "", confirm: bool = False) -> tuple[str | None, bool]:
    """Validate an answer for a step: (the answer to store, whether it is out of range)."""
    text = (answer or "").strip()
    if step.kind == "check":
        # A notice step records the notice exactly as it was shown for posting.
        return (text or None) if step.notice else None, False
    if step.kind == "number":
        value = parse_number(text)
        if not math.isfinite(value):
            raise ValueError(f"'{text}' is not a number")
        outside = not step.in_range(value)
        if outside and not confirm:
            raise NeedsConfirmation(f"{text} is outside the expected {step.range_text()}")
        return f"{value:f}".rstrip("0").rstrip("."), outside
    if step.kind in ("yesno", "choice"):
        if text not in step.options():
            raise ValueError(f"choose one of: {', '.join(step.options())}")
        if text in step.note_when and not note.strip():
            raise NeedsNote(f"'{text}' needs a note: say what is wrong")
        return text, False
    if not text and step.required:
        raise ValueError("this step needs an answer (or skip it with a reason)")
    return text, False


def _write_rows(store: Store, rows: list[tuple[str, dict]], resilient: bool) -> list[dict]:
    """Write rows together; resilient writes that fail wait in store.pending instead."""
    if resilient and store.pending:
        return [store.insert(table, row, keep_on_failure=True) for table, row in rows]
    try:
        with store.transaction():
            return [store.insert(table, row) for table, row in rows]
    except sqlite3.Error:
        if not resilient:
            raise
        return [store.insert(table, row, keep_on_failure=True) for table, row in rows]


def record_answer(store: Store, state: RunState, step: Step, answer: str | None = None,
                  note: str = "", confirm: bool = False, resilient: bool = False,
                  origin: str | None = None) -> RunState:
    """Mark a step done or answered (a correction when it already had an outcome). `origin`:
    None at the desk, "phone" from the companion."""
    stored, outside = check_answer(step, answer, note, confirm)
    previous = state.latest.get(step.id)
    outcome = {
        "run_id": state.id, "step_id": step.id, "recorded_at": store.now_iso(),
        "status": "done" if step.kind == "check" else "answered", "answer": stored,
        "reason": "", "out_of_range": int(outside), "corrects": previous.id if previous else None,
    }
    if origin is not None:
        outcome["origin"] = origin
    rows = [("step_outcomes", outcome)]
    if note.strip():
        rows.append(("step_notes", {"run_id": state.id, "step_id": step.id,
                                    "recorded_at": store.now_iso(), "text": note.strip()}))
    return _after_write(store, state, _write_rows(store, rows, resilient))


def skip_step(store: Store, state: RunState, step: Step, reason: str, resilient: bool = False) -> RunState:
    if not step.skippable:
        raise ValueError("nobody goes back in until the all-clear is given: this step cannot be skipped")
    if step.required and not reason.strip():
        raise ValueError("a required step can only be skipped with a reason")
    previous = state.latest.get(step.id)
    rows = [("step_outcomes", {
        "run_id": state.id, "step_id": step.id, "recorded_at": store.now_iso(), "status": "skipped",
        "answer": None, "reason": reason.strip(), "out_of_range": 0,
        "corrects": previous.id if previous else None,
    })]
    return _after_write(store, state, _write_rows(store, rows, resilient))


def add_note(store: Store, state: RunState, step: Step, text: str, resilient: bool = False) -> RunState:
    if not text.strip():
        raise ValueError("the note is empty")
    rows = [("step_notes", {"run_id": state.id, "step_id": step.id,
                            "recorded_at": store.now_iso(), "text": text.strip()})]
    return _after_write(store, state, _write_rows(store, rows, resilient))


def finish_run(store: Store, state: RunState) -> RunState:
    current = state.current()
    if current is not None:
        raise ValueError(f"step '{current.title}' is still to do")
    if state.ended_at is None:
        store.insert("run_ends", {"run_id": state.id, "ended_at": store.now_iso()})
    return load_run(store, state.id)


def finished_procedure_ids(store: Store, shift: Shift) -> set[str]:
    rows = store.rows(
        """SELECT r.procedure_id FROM procedure_runs r JOIN run_ends e ON e.run_id = r.id
           WHERE r.shift_id = ?""",
        (shift.id,),
    )
    return {r["procedure_id"] for r in rows}


# When the desk offers a procedure, relative to the day's opening and closing.
OPENING_WINDOW = (timedelta(minutes=-60), timedelta(minutes=30))
CLOSING_WINDOW = (timedelta(minutes=-45), timedelta(minutes=15))


def suggested(procedures: list[Procedure], hours: HoursCalendar, now: datetime,
              finished: set[str]) -> Procedure | None:
    """The opening procedure around opening time, the closing one as closing nears: every
    real opening and closing (a late night's 00:30 too; a library open round the clock is
    not closed at midnight)."""
    days = [hours.local_date(now) + timedelta(days=n) for n in (-1, 0, 1)]  # windows cross midnight
    for kind, anchors, (before, after) in (
        ("opening", [a for d in days for a in hours.real_openings(d)], OPENING_WINDOW),
        ("closing", [a for d in days for a in hours.real_closings(d)], CLOSING_WINDOW),
    ):
        if not any(anchor + before <= now <= anchor + after for anchor in anchors):
            continue
        for procedure in procedures:
            if procedure.kind == kind and procedure.id not in finished:
                return procedure
    return None


def first_of_kind(procedures: list[Procedure], kind: str) -> Procedure | None:
    return next((p for p in procedures if p.kind == kind), None)


def last_drill(store: Store) -> datetime | None:
    """When the last drill held to its end started: one left unfinished (or ended because a real
    event came) is not a drill held."""
    rows = store.rows(
        """SELECT MAX(r.started_at) AS at FROM procedure_runs r JOIN run_ends e ON e.run_id = r.id
           WHERE r.drill = 1 AND NOT EXISTS (SELECT 1 FROM step_notes n WHERE n.run_id = r.id AND n.text = ?)""",
        (ABANDONED_DRILL_NOTE,))
    return from_iso(rows[0]["at"]) if rows and rows[0]["at"] else None

"""Procedures as data: one TOML file per procedure, read strictly.

The format is documented for coordinators in procedures/README.md. A broken
file is reported (file:line, or "step 4 'Lock the main doors'" where no line
can be found) and skipped; every other procedure still loads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from shift.citations import Citation, read_citation
from shift.problems import Problem
from shift.timespec import TimeSpec, parse_timespec
from shift.tomlsrc import Section, Source

KINDS = ("opening", "closing", "routine", "emergency")
STEP_KINDS = ("check", "yesno", "number", "text", "choice")
# Figures from the desk's own records a step can show beside its instructions.
STEP_SHOWS = ("fees",)
# Step kinds whose answer can fill a notice's placeholder ({reason} is the answer to step "reason").
NOTICE_FIELD_KINDS = ("text", "choice", "number")
YES_NO = ("yes", "no")
REVIEW_AFTER = timedelta(days=365)
# The step whose time, counted from the start of the run, is the evacuation time on the record (drills).
BUILDING_CLEAR = "building-clear"
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_SITE_ID = re.compile(r"^[a-z0-9_]+$")  # a contact, place or notice id in the site file


def parse_due(text: str) -> TimeSpec:
    """A step's due time: relative to opening or closing only (e.g. close-15m)."""
    return parse_timespec(text, allow_clock=False)


@dataclass(frozen=True)
class Condition:
    """Show a step only when an earlier step's answer is one of `answers`."""

    step: str
    answers: frozenset[str]


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    kind: str = "check"
    instructions: str = ""
    announce: str = ""  # to read aloud over the PA
    required: bool = True
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    show_if: Condition | None = None
    note_when: frozenset[str] = frozenset()
    due: TimeSpec | None = None
    immediate: bool = False  # emergency: one of the first steps, shown before anything else
    call: str = ""  # a contact id (e.g. "emergency"): doing the step records when the call was made
    sweep: bool = False  # a floor sweep: the site's zones become a checklist
    show: str = ""  # "fees": the fines and fees recorded this shift (for the cash count)
    places: tuple[str, ...] = ()  # place ids from the site file, shown as "Where: ..."
    notice: str = ""  # a notice template id from the site file, filled from earlier answers and recorded

    @property
    def skippable(self) -> bool:
        """An all-clear step is never skipped: nobody goes back in before it is given."""
        return self.id != "all-clear"

    def options(self) -> tuple[str, ...]:
        return YES_NO if self.kind == "yesno" else self.choices

    def in_range(self, value: float) -> bool:
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)

    def range_text(self) -> str:
        def fmt(v: float) -> str:
            # Currency symbols go before the amount: $150; other units after: 800 people.
            return f"{self.unit}{v:g}" if self.unit in ("$", "€", "£") else f"{v:g} {self.unit}".strip()
        if self.minimum is not None and self.maximum is not None:
            return f"{fmt(self.minimum)} to {fmt(self.maximum)}"
        if self.minimum is not None:
            return f"at least {fmt(self.minimum)}"
        if self.maximum is not None:
            return f"at most {fmt(self.maximum)}"
        return ""

    def value_text(self, answer: str) -> str:
        return f"{self.unit}{answer}" if self.unit in ("$", "€", "£") else f"{answer} {self.unit}".strip()


@dataclass(frozen=True)
class Procedure:
    id: str
    title: str
    kind: str
    owner: str
    reviewed: date | None  # None only for a template nobody has reviewed yet
    steps: tuple[Step, ...]
    text: str  # the exact file text, kept so a run can finish against its own version
    sha256: str
    path: str = ""
    description: str = ""
    template: bool = False  # a bundled template the site has not reviewed yet
    sources: tuple[Citation, ...] = ()
    key: str = ""  # a single key to start it from a picker (emergency protocols)
    # Emergency protocols: how the draft incident report after a real event is prefilled.
    incident_category: str = ""
    incident_location: str = ""  # the id of the step whose answer says where it happened
    critical_injury: str = ""  # the id of a yes/no step whose yes makes the draft a critical injury

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def short_title(self) -> str:
        """The title before its first colon: "Fire alarm: evacuate the building" → "Fire alarm"."""
        return self.title.split(": ", 1)[0].strip() or self.title

    def review_text(self, today: date | None = None) -> str:
        """'never reviewed', 'last reviewed 2026-11-01', and whether that is more than twelve months ago."""
        if self.reviewed is None:
            return "never reviewed"
        old = today is not None and today - self.reviewed > REVIEW_AFTER
        return f"last reviewed {self.reviewed}" + (", more than twelve months ago" if old else "")

    def template_text(self, today: date | None = None) -> str:
        """What the picker, the walkthrough, the report and check say about a template: one line."""
        return f"Template: not yet adapted to this library ({self.review_text(today)})"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_procedure(text: str, path: Path, pinned: bool = False) -> tuple[Procedure | None, list[Problem]]:
    """Parse one procedure's text; None when it has any error.

    `pinned`: the text a run already started with, read as it was accepted then. Sources
    written as plain text (before sources were tables) are kept as titles, so a shift
    recorded before that change still resumes and reports."""
    src = Source.parse(text, path)
    if not src.ok:
        return None, src.problems
    procedure = _Reader(src, text, pinned).read()
    return (None if src.has_errors else procedure), src.problems


def load_procedure_file(path: Path) -> tuple[Procedure | None, list[Problem]]:
    text, problems = Source.read_text(path)
    if text is None:
        return None, problems
    return parse_procedure(text, path)


def load_procedures(directory: Path, today: date | None = None) -> tuple[list[Procedure], list[Problem]]:
    """Every valid procedure under `directory` (subfolders included), and all problems."""
    procedures: list[Procedure] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        return [], [Problem(str(directory), None, "", "procedures folder not found", "warning")]
    seen: dict[str, str] = {}
    keys: dict[str, str] = {}
    for path in sorted(directory.rglob("*.toml")):
        procedure, found = load_procedure_file(path)
        problems += found
        if procedure is None:
            continue
        if procedure.id in seen:
            problems.append(Problem(procedure.path, None, "id",
                                    f"procedure id '{procedure.id}' is already used by {seen[procedure.id]}; skipped"))
            continue
        if procedure.key and procedure.key in keys:
            problems.append(Problem(procedure.path, None, "key",
                                    f"key '{procedure.key}' is already used by {keys[procedure.key]}; skipped"))
            continue
        seen[procedure.id] = procedure.path
        if procedure.key:
            keys[procedure.key] = procedure.path
        if today is not None:
            problems += review_warnings(procedure, today)
        procedures.append(procedure)
    return procedures, problems


def review_warnings(procedure: Procedure, today: date) -> list[Problem]:
    """A template is named as such (with whether anyone ever reviewed it); any other procedure
    is named when its last review is more than twelve months old."""
    if procedure.template:
        return [Problem(procedure.path, None, "template",
                        f"not yet adapted to this library ({procedure.review_text(today)}): adapt it, then set "
                        "reviewed = <today's date> and remove template = true", "warning")]
    if procedure.reviewed is not None and today - procedure.reviewed > REVIEW_AFTER:
        return [Problem(procedure.path, None, "reviewed", procedure.review_text(today), "warning")]
    return []


class _Reader:
    def __init__(self, src: Source, text: str, pinned: bool = False) -> None:
        self.src = src
        self.text = text
        self.pinned = pinned

    def read(self) -> Procedure | None:
        root = self.src.root()
        ident = root.text("id", required=True) or ""
        if ident and not _ID.match(ident):
            root.error("id", f"'{ident}' must be lower-case letters, digits, '-' or '_'")
        title = root.text("title", required=True) or ""
        kind = root.text("kind", required=True) or ""
        if kind and kind not in KINDS:
            root.error("kind", f"'{kind}' is not a procedure kind; use one of {', '.join(KINDS)}")
        owner = root.text("owner", required=True) or ""
        template = root.flag("template", False)
        # A template may have no review date: nobody has reviewed it for this library yet.
        reviewed = root.get("reviewed", (date,), "a date such as 2026-09-01 (no quotes)", required=not template)
        if isinstance(reviewed, datetime):
            reviewed = reviewed.date()
        description = root.text("description", "") or ""
        sources = self._sources(root, kind)
        key = root.text("key", "") or ""
        incident_category = root.text("incident_category", "") or ""
        incident_location = root.text("incident_location", "") or ""
        critical_injury = root.text("critical_injury", "") or ""
        steps = self._steps(root)
        root.finish()
        if (incident_category or incident_location) and kind != "emergency":
            root.error("incident_category" if incident_category else "incident_location",
                       "only emergency protocols prefill an incident report")
        if incident_location and incident_location not in {s.id for s in steps}:
            root.error("incident_location", f"'{incident_location}' is not a step id of this procedure")
        asked = next((s for s in steps if s.id == critical_injury), None)
        if critical_injury and (asked is None or asked.kind != "yesno" or kind != "emergency"):
            root.error("critical_injury", f"'{critical_injury}' should be the id of a yes/no step of this "
                                          "emergency protocol (yes: the incident report is a critical injury)")
        if kind == "emergency" and not re.fullmatch(r"[a-z0-9]", key):
            root.error("key", "an emergency protocol needs a single key (a letter or digit) to start it")
        elif key and kind != "emergency":
            root.error("key", "only emergency protocols have a key")
        immediate = [s for s in steps if s.immediate]
        if immediate and [s.id for s in steps[: len(immediate)]] != [s.id for s in immediate]:
            root.error("steps", "immediate steps must come first")
        if not steps and not any(p.is_error for p in self.src.problems):
            root.error("steps", "a procedure needs at least one [[steps]]")
        if self.src.has_errors:
            return None
        return Procedure(ident, title, kind, owner, reviewed, tuple(steps), self.text, text_hash(self.text),
                         self.src.name, description, template, sources, key, incident_category,
                         incident_location, critical_injury)

    def _sources(self, root: Section, kind: str) -> tuple[Citation, ...]:
        """Each source a table: title and publisher, then a url (https://...) or a statute and section.
        Only a procedure that is not an emergency protocol may cite an internal document (title and
        publisher alone, e.g. a job description)."""
        raw = root.get("sources", (list,), "a list of sources ({ title = ..., publisher = ..., url = ... })", [])
        found = []
        for number, item in enumerate(raw, start=1):
            label = f"sources: source {number}"
            if isinstance(item, str) and self.pinned:
                found.append(Citation(item, ""))
                continue
            if not isinstance(item, dict):
                root.error("sources", f"source {number}: {item!r} is plain text; write it as a table: "
                                      '{ title = "...", publisher = "...", url = "https://..." } or '
                                      '{ title = "...", publisher = "...", statute = "...", section = "..." }')
                continue
            cite = read_citation(Section(self.src, item, ("sources",), label), checkable=kind == "emergency")
            if cite is not None:
                found.append(cite)
        return tuple(found)

    def _steps(self, root: Section) -> list[Step]:
        raw = root.get("steps", (list,), "a list of steps ([[steps]])", [], required=True)
        steps: list[Step] = []
        ids: dict[str, int] = {}
        for number, data in enumerate(raw, start=1):
            if not isinstance(data, dict):
                root.error("steps", f"step {number}: expected a table ([[steps]])")
                continue
            title = data.get("title") if isinstance(data.get("title"), str) else ""
            label = f"step {number} '{title}'" if title else f"step {number}"
            sec = Section(self.src, data, ("steps", number - 1), label)
            step = self._step(sec, ids, steps, number)
            if step is not None:
                ids[step.id] = number
                steps.append(step)
        return steps

    def _step(self, sec: Section, ids: dict[str, int], earlier: list[Step], number: int) -> Step | None:
        title = sec.text("title", required=True)
        ident = sec.text("id", required=True)
        kind = sec.text("kind", "check")
        instructions = sec.text("instructions", "") or ""
        announce = sec.text("announce", "") or ""
        required = sec.flag("required", True)
        unit = sec.text("unit", "") or ""
        minimum = sec.get("min", (int, float), "a number")
        maximum = sec.get("max", (int, float), "a number")
        choices = tuple(sec.texts("choices"))
        note_when = frozenset(sec.texts("note_when"))
        due_text = sec.text("due")
        immediate = sec.flag("immediate", False)
        call = sec.text("call", "") or ""
        sweep = sec.flag("sweep", False)
        show = sec.text("show", "") or ""
        place = sec.get("place", (str, list), "a place id, or a list of them, e.g. \"aed\"", "")
        places = tuple([place] if isinstance(place, str) and place else place if isinstance(place, list) else [])
        notice = sec.text("notice", "") or ""
        show_if = self._condition(sec, earlier, number)
        sec.finish()
        ok = True
        if ident and not _ID.match(ident):
            sec.error("id", f"'{ident}' must be lower-case letters, digits, '-' or '_'")
            ok = False
        elif ident in ids:
            sec.error("id", f"duplicate step id '{ident}' (already step {ids[ident]})")
            ok = False
        if show and show not in STEP_SHOWS:
            sec.error("show", f"'{show}' is not something a step can show; use one of {', '.join(STEP_SHOWS)}")
            ok = False
        bad_place = next((p for p in places if not isinstance(p, str) or not _SITE_ID.match(p)), None)
        if bad_place is not None:
            sec.error("place", f"{bad_place!r} should be a place id from the site file's [places], e.g. aed")
            ok = False
        if notice and not _SITE_ID.match(notice):
            sec.error("notice", f"'{notice}' should be a notice id from the site file's [notices], "
                                "e.g. service_disruption")
            ok = False
        if kind not in STEP_KINDS:
            sec.error("kind", f"'{kind}' is not a step kind; use one of {', '.join(STEP_KINDS)}")
            return None
        if notice and kind != "check":
            sec.error("notice", "a notice step is a check step: the worker posts the notice and presses Enter")
            ok = False
        if kind != "number" and (minimum is not None or maximum is not None or unit):
            sec.error("min" if minimum is not None else "max" if maximum is not None else "unit",
                      "min, max and unit are only for number steps")
            ok = False
        if minimum is not None and maximum is not None and minimum > maximum:
            sec.error("min", f"the range is empty: min {minimum:g} is above max {maximum:g}")
            ok = False
        if kind == "choice" and len(choices) < 2:
            sec.error("choices", "a choice step needs at least two choices")
            ok = False
        if kind != "choice" and choices:
            sec.error("choices", "choices are only for choice steps")
            ok = False
        if len(set(choices)) != len(choices):
            sec.error("choices", "the same choice is listed twice")
            ok = False
        options = YES_NO if kind == "yesno" else choices
        if note_when and kind not in ("yesno", "choice"):
            sec.error("note_when", "note_when is only for yesno and choice steps")
            ok = False
        for answer in sorted(note_when - set(options)):
            if kind in ("yesno", "choice"):
                sec.error("note_when", f"'{answer}' is not one of this step's answers ({', '.join(options)})")
                ok = False
        due = None
        if due_text is not None:
            try:
                due = parse_due(due_text)
            except ValueError as exc:
                sec.error("due", str(exc))
                ok = False
        if not ok or not title or not ident:
            return None
        if call and not re.fullmatch(r"[a-z0-9_]+", call):
            sec.error("call", f"'{call}' should be a contact id from site.toml, e.g. emergency or security")
            return None
        return Step(ident, title, kind, instructions.strip(), announce.strip(), required, unit,
                    None if minimum is None else float(minimum), None if maximum is None else float(maximum),
                    choices, show_if, note_when, due, immediate, call, sweep, show, places, notice)

    def _condition(self, sec: Section, earlier: list[Step], number: int) -> Condition | None:
        cond = sec.table("show_if")
        if cond is None:
            return None
        cond.label = f"{sec.label}: show_if"
        target = cond.text("step", required=True)
        answer = cond.get("answer", (str, list), "an answer, or a list of answers", required=True)
        cond.finish()
        if not target or answer is None:
            return None
        answers = [answer] if isinstance(answer, str) else answer
        if not all(isinstance(a, str) for a in answers):
            cond.error("answer", "answers must be text, e.g. \"no\"")
            return None
        step = next((s for s in earlier if s.id == target), None)
        if step is None:
            raw = [d.get("id") if isinstance(d, dict) else None for d in self.src.data.get("steps", [])]
            if target not in raw:
                why = "does not exist"
            elif raw.index(target) + 1 >= number:
                why = "comes later; a condition can only look back"
            else:
                why = "has errors of its own (see above)"
            cond.error("step", f"step '{target}' {why}")
            return None
        if step.kind not in ("yesno", "choice"):
            cond.error("step", f"step '{target}' is a {step.kind} step; conditions need a yesno or choice step")
            return None
        unknown = [a for a in answers if a not in step.options()]
        if unknown:
            cond.error("answer", f"'{unknown[0]}' is not an answer of step '{target}' ({', '.join(step.options())})")
            return None
        return Condition(target, frozenset(answers))


BUNDLED = Path(__file__).resolve().parent / "bundled_protocols"


# The emergency picker lists the likeliest first: roughly how often each happens at an
# academic library's service desk in the evening (false and real fire alarms far ahead,
# then medical calls, disruptive people, overdoses, building failures), the rare and the
# catastrophic last. A protocol a site adds itself (an id not listed) comes after these,
# by title. One list here, so the picker, the palette and the tests agree.
LIKELIEST_FIRST = (
    "fire-alarm", "medical", "disruptive-person", "overdose", "power-outage", "elevator-entrapment",
    "flood", "fire-discovered", "severe-weather", "suspicious-package", "hold-and-secure", "gas-leak",
    "bomb-threat", "shelter-in-place", "chemical-spill", "lockdown",
)


def likeliest_first(protocols: list[Procedure]) -> list[Procedure]:
    """Emergency protocols in the picker's order (LIKELIEST_FIRST, then others by title)."""
    rank = {pid: n for n, pid in enumerate(LIKELIEST_FIRST)}
    return sorted(protocols, key=lambda p: (rank.get(p.id, len(rank)), p.title))


_NUMBER = re.compile(r"(?<![\w-])\d[\d-]*\d(?![\w-])")


def dialled_title(step: Step, phone: str | None) -> str:
    """A call step's title with the number as the site dials it: "Call 911" reads "Call 9-911"
    when the emergency contact is dialled "9-911" (or "Call 112" where that is the number),
    so the step agrees with the DIAL banner. A number of three or more digits in a call
    step's title is the contact's number, written for everywhere; the rest of the title,
    and every other step's, is shown as written."""
    if not step.call or not phone:
        return step.title
    digits = re.sub(r"\D", "", phone)

    def replace(match: re.Match[str]) -> str:
        written = re.sub(r"\D", "", match.group())
        return phone if len(written) >= 3 and written != digits else match.group()

    return _NUMBER.sub(replace, step.title)


def emergency_protocols(loaded: list[Procedure]) -> tuple[list[Procedure], list[str]]:
    """The site's emergency protocols, with the known-good bundled copy of any that
    did not load (a broken or missing file never hides a protocol). Returns the
    protocols likeliest first (LIKELIEST_FIRST) and the ids that fell back to the bundled copy."""
    protocols = {p.id: p for p in loaded if p.kind == "emergency"}
    used_keys = {p.key for p in protocols.values()}
    fallbacks = []
    for path in sorted(BUNDLED.glob("*.toml")):
        if path.stem in protocols:
            continue  # the site's own copy loaded (bundled files are named by id)
        procedure, _ = load_procedure_file(path)
        if procedure is None or procedure.id in protocols or procedure.key in used_keys:
            continue
        protocols[procedure.id] = procedure
        used_keys.add(procedure.key)
        fallbacks.append(procedure.id)
    return likeliest_first(list(protocols.values())), fallbacks

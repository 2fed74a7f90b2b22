"""Notices filled in at the desk: a template from the site file, completed from a run's answers.

A template such as "{facility} is out of service. Reason: {reason}" names earlier steps of the
same run by their ids; the notice step shows the filled text for posting and records it. The
site reader and `check` use `placeholders` to refuse a template that cannot be filled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shift.procedures import Step
    from shift.runs import RunState

_FIELD = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
# What a placeholder becomes when its step was skipped or not answered: a line to write on by hand.
BLANK = "________"


def placeholders(text: str) -> list[str]:
    """The step ids a template names, in order; ValueError for a brace that opens or closes nothing."""
    names = []
    for match in _FIELD.finditer(text):
        name = match.group(1).strip()
        if not _NAME.match(name):
            raise ValueError(f"{{{match.group(1)}}} is not a step id in braces (e.g. {{reason}})")
        names.append(name)
    stray = _FIELD.sub("", text)
    if "{" in stray or "}" in stray:
        raise ValueError("a '{' or '}' without its partner: placeholders are written {step-id}")
    return names


def fill(text: str, answers: Mapping[str, str]) -> str:
    """The template with each {step-id} replaced by that step's answer (a blank line when there is none)."""
    return _FIELD.sub(lambda m: answers.get(m.group(1).strip()) or BLANK, text).strip()


def run_answers(run: RunState) -> dict[str, str]:
    """Each step's latest answer in the run (skipped or unanswered steps have none)."""
    return {step_id: outcome.answer for step_id, outcome in run.latest.items()
            if outcome.status != "skipped" and outcome.answer}


def for_step(templates: Mapping[str, str], run: RunState, step: Step) -> str | None:
    """The filled notice a step shows and records, or None when the site has no such template."""
    template = templates.get(step.notice)
    if template is None:
        return None
    answers = run_answers(run)
    # A number step's answer is stored bare: give it its unit, as the summary does.
    for s in run.procedure.steps:
        if s.id in answers and s.kind == "number":
            answers[s.id] = s.value_text(answers[s.id])
    return fill(template, answers)

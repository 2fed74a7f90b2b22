"""`main.py check`: every problem in the library's files, one per line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from shift.problems import Problem, display_path
from shift.procedures import load_procedures
from shift.site import read_site


def run_check(site_path: Path, procedures_dir: Path, today: date) -> tuple[list[Problem], int]:
    """All problems found, and the exit status: 1 when any is an error."""
    site, problems = read_site(site_path)
    procedures, procedure_problems = load_procedures(procedures_dir, today=today)
    problems = list(problems) + procedure_problems
    if site is None:  # one line, not an error for every contact a procedure calls
        problems.append(Problem(display_path(site_path), None, "", "the procedures' calls, incident categories and "
                                "completed_by steps are checked against the site file once it can be read",
                                "warning"))
        return problems, 1
    for procedure in procedures:  # calls must name a contact the site has
        for number, step in enumerate(procedure.steps, start=1):
            if step.call and step.call not in site.contacts:
                problems.append(Problem(procedure.path, None, f"step {number} '{step.title}'",
                                        f"call: '{step.call}' is not a contact in the site file "
                                        f"({', '.join(sorted(site.contacts))})"))
    for procedure in procedures:  # a draft incident's category must be one the form offers
        if procedure.incident_category and procedure.incident_category not in site.incidents.categories:
            problems.append(Problem(procedure.path, None, "incident_category",
                                    f"'{procedure.incident_category}' is not one of the site's incident "
                                    "categories ([incidents] categories in the site file)", "warning"))
    steps = {f"{p.id}.{s.id}" for p in procedures for s in p.steps}
    for task in site.tasks:  # a misspelled step would silently never complete its prompt
        if task.completed_by and task.completed_by not in steps:
            problems.append(Problem(display_path(site_path), None, f"tasks: {task.id}",
                                    f"completed_by: no procedure step '{task.completed_by}' was loaded"))
    return problems, (1 if any(p.is_error for p in problems) else 0)

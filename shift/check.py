"""`main.py check`: every problem in the library's files, one per line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from shift.knowledge import load_knowledge, review_problems
from shift.notices import placeholders
from shift.problems import Problem, display_path
from shift.procedures import NOTICE_FIELD_KINDS, Procedure, load_procedures
from shift.site import Site, read_site


def run_check(site_path: Path, procedures_dir: Path, today: date,
              knowledge_dir: Path | None = None) -> tuple[list[Problem], int]:
    """All problems found, and the exit status: 1 when any is an error."""
    site, problems = read_site(site_path)
    procedures, procedure_problems = load_procedures(procedures_dir, today=today)
    problems = list(problems) + procedure_problems
    if knowledge_dir is not None:  # desk knowledge: located errors, old entries, ended notices
        entries, knowledge_problems = load_knowledge(knowledge_dir)
        categories = {c.id for c in site.tally.categories} if site is not None else None
        problems += knowledge_problems + review_problems(entries, today, categories)
    if site is None:  # one line, not an error for every contact a procedure calls
        problems.append(Problem(display_path(site_path), None, "", "the procedures' calls, incident categories and "
                                "completed_by steps are checked against the site file once it can be read",
                                "warning"))
        return problems, 1
    for procedure in procedures:  # calls, places and notices must name what the site has
        problems += _site_references(procedure, site)
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


def _site_references(procedure: Procedure, site: Site) -> list[Problem]:
    """A step's contact, places and notice exist in the site file, and a notice's placeholders
    name earlier steps of the same procedure whose answers can fill them."""
    found = []
    for number, step in enumerate(procedure.steps, start=1):
        where = f"step {number} '{step.title}'"
        if step.call and step.call not in site.contacts:
            found.append(Problem(procedure.path, None, where, f"call: '{step.call}' is not a contact in the site "
                                                              f"file ({', '.join(sorted(site.contacts))})"))
        for place in step.places:
            if place not in site.places:
                known = ", ".join(sorted(site.places)) or "none yet"
                found.append(Problem(procedure.path, None, where,
                                     f"place: '{place}' is not in the site file's [places] ({known})"))
        if not step.notice:
            continue
        template = site.notices.get(step.notice)
        if template is None:
            known = ", ".join(sorted(site.notices)) or "none yet"
            found.append(Problem(procedure.path, None, where,
                                 f"notice: '{step.notice}' is not in the site file's [notices] ({known})"))
            continue
        earlier = {s.id: s for s in procedure.steps[: number - 1]}
        for name in placeholders(template):
            field = earlier.get(name)
            if field is None or field.kind not in NOTICE_FIELD_KINDS:
                why = ("is not an earlier step of this procedure" if field is None
                       else f"is a {field.kind} step; a placeholder needs a text, choice or number answer")
                found.append(Problem(procedure.path, None, where,
                                     f"notice: the site's notice '{step.notice}' has {{{name}}}, which {why}"))
    return found

"""`main.py check`: every problem in the library's files, one per line."""

from __future__ import annotations

from pathlib import Path

from shift.problems import Problem
from shift.site import load_site
from shift.tomlsrc import Source


def check_procedure_files(directory: Path) -> list[Problem]:
    """Every *.toml under `directory` must at least be readable TOML."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return [Problem(str(directory), None, "", "procedures folder not found", "warning")]
    for path in sorted(directory.rglob("*.toml")):
        problems += Source.read(path).problems
    return problems


def run_check(site_path: Path, procedures_dir: Path) -> tuple[list[Problem], int]:
    """All problems found, and the exit status: 1 when any is an error."""
    _, problems = load_site(site_path)
    problems = list(problems) + check_procedure_files(procedures_dir)
    return problems, (1 if any(p.is_error for p in problems) else 0)

"""The `[survey]` section of site.toml: how the desk's categories count in the annual surveys.

ACRL, ARL and CARL count *reference transactions* (information contacts that use,
recommend, interpret or instruct in information sources) and leave *directional*
ones out (locations, hours, equipment, policy). Which of the desk's own
categories is which is the coordinator's decision, written once here:

    [survey]
    reference = ["informational", "reference", "technology", "accessibility"]
    directional = ["directional"]

A category in neither list (circulation, room bookings) is not an information
contact and is not counted. Every id must be a `[[tally.categories]]` id.
"""

from __future__ import annotations

from typing import NamedTuple

from shift.tomlsrc import Section


class SurveyConfig(NamedTuple):
    reference: tuple[str, ...] = ()
    directional: tuple[str, ...] = ()
    configured: bool = False  # False: no [survey] section, so no survey figures

    def kind(self, category: str) -> str:
        """'reference', 'directional' or 'not counted'."""
        if category in self.reference:
            return "reference"
        if category in self.directional:
            return "directional"
        return "not counted"


def read_survey(root: Section, categories: tuple[str, ...]) -> SurveyConfig:
    sec = root.table("survey")
    if sec is None:
        return SurveyConfig()
    lists: dict[str, list[str]] = {}
    for name in ("reference", "directional"):
        found: list[str] = []
        for item in sec.texts(name):
            if item not in categories:
                sec.error(name, f"'{item}' is not a desk-statistics category ([[tally.categories]] ids: "
                                f"{', '.join(categories)})")
            elif item in found:
                sec.error(name, f"'{item}' is listed twice")
            else:
                found.append(item)
        lists[name] = found
    for both in sorted(set(lists["reference"]) & set(lists["directional"])):
        sec.error("directional", f"'{both}' is also under reference: a question is one or the other")
    sec.finish()
    if not lists["reference"]:
        sec.error("reference", "name at least one category counted as a reference transaction")
    directional = tuple(c for c in lists["directional"] if c not in lists["reference"])
    return SurveyConfig(tuple(lists["reference"]), directional, True)

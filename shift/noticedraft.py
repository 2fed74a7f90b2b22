"""A notice drafted from an incident, for the manager to finish: `python main.py notice new --incident ID`.

The draft is a knowledge file (knowledge/notices/) with the incident's id, dates to check and
conditions to adapt. The description of the person is left for the manager to write, in neutral
words: until they do, its empty title is an error `check` names and the desk does not show it, so
no half-made notice reaches the desk. Nothing of the incident's text is copied into the file:
notices are files (never in the database, never in a statistics export or a shift report), and
the incident's people, witnesses and words stay in the incident report.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from shift import incidents
from shift.files import unused_path, write_new_file
from shift.incidents import Incident
from shift.site import Site
from shift.store import Store
from shift.text import printable

LASTS = timedelta(days=365)  # a first guess for `until`, said as one in the file
CONDITIONS = ("If this person enters the library: do not confront them; call Campus Security and note "
              "the time. Ask the manager before letting them stay.")


class NotFound(ValueError):
    """No incident (or several) answers to the id given."""


def find(store: Store, given: str) -> Incident:
    """The incident with this id, or the one whose id starts with it (at least 8 characters, as
    the report and the export show them); NotFound says why not."""
    wanted = given.strip().lower()
    found = incidents.get(store, wanted)
    if found is not None:
        return found
    if len(wanted) < 8:
        raise NotFound(f"no incident with the id {given!r} (give the whole id, or its first 8 characters at least)")
    rows = store.rows("SELECT id FROM incidents WHERE id >= ? AND id < ? LIMIT 2", (wanted, wanted + "\uffff"))
    if len(rows) != 1:
        raise NotFound(f"no incident with an id starting {given!r}" if not rows else
                       f"several incidents have ids starting {given!r}: give more of it")
    found = incidents.get(store, rows[0]["id"])
    assert found is not None
    return found


def draft_text(incident: Incident, site: Site, today: date) -> str:
    """The draft's TOML: every value written as a TOML string or date, the comments one line each."""
    when = incident.occurred_at.astimezone(site.zone)
    place = printable(incidents.place(incident, site)) or "no place recorded"
    return "\n".join([
        f"# A notice drafted on {today} from the incident of {when:%a %d %b %Y %H:%M} "
        f"({printable(incident.category)}, {place}).",
        "# To finish it:",
        "#   1. title: describe the person in neutral words, as the desk would recognise them (about how",
        "#      old, height, hair, what they usually wear). No name is needed; no opinions.",
        "#   2. from and until: the first day it applies and the day it ends (no longer shown from then).",
        "#   3. conditions: what the person may not do, and what the desk does if they come.",
        "#   4. Save, then run: python main.py check",
        "# Until title is written, check names this file and the desk does not show it.",
        'kind = "notice"',
        'title = ""',
        f"checked = {today}",
        f"from = {today}",
        f"until = {today + LASTS}   # a year: change it to the date the manager set",
        f"conditions = {json.dumps(CONDITIONS)}",
        f"incident = {json.dumps(incident.id)}",
        "",
    ])


def write_draft(folder: Path, incident: Incident, site: Site, today: date) -> Path:
    """Write the draft as a new file in `folder` (never over another): notice-<date>-<id's start>.toml."""
    path = unused_path(folder, f"notice-{today}-{incident.id[:8]}", ".toml")
    write_new_file(path, draft_text(incident, site, today).encode("utf-8"), create_folder=True)
    return path

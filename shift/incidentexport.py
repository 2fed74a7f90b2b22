"""Incident reports out of the desk database, for the manager, security or a lawyer.

Two formats: `text`, the reports as the end-of-shift report words them (the
original, then each supplement), to print or attach; `csv`, a row per report
for a spreadsheet. Both keep every character as it was written — markup,
brackets, control characters — with one exception in CSV: a cell that starts
with = + - or @ gets a leading apostrophe, so a spreadsheet shows it as text
instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, tzinfo
from pathlib import Path

from shift import incidents
from shift.files import FileRefused, unused_path, write_new_file
from shift.site import Site
from shift.store import Store
from shift.text import hang, not_a_formula

FORMATS = {"text": ".txt", "csv": ".csv"}
CSV_HEADER = ("id", "occurred", "recorded", "category", "zone", "location", "what_happened", "people",
              "witnesses", "refused_details", "actions", "security_called", "police_called",
              "ambulance_called", "injury", "hurt", "injury_details", "severity", "followup", "followup_by",
              "reporter", "supplements")
_STAMP = "%Y-%m-%d %H:%M"


def _local(moment: datetime | None, site: Site) -> str:
    return f"{moment.astimezone(site.zone):{_STAMP}}" if moment else ""


def render_text(found: list[incidents.Incident], site: Site, heading: str) -> bytes:
    lines = [heading, "=" * len(heading), ""]
    for incident in found:
        lines += [f"Incident {incident.id}", *map(hang, incidents.describe(incident, site, _STAMP)), ""]
    if not found:
        lines.append("No incident reports match.")
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")


def render_csv(found: list[incidents.Incident], site: Site) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for i in found:
        supplements = "\n\n".join(
            f"{_local(s.recorded_at, site)} {s.author}{' (late)' if s.late else ''}: {s.text}" for s in i.supplements)
        writer.writerow([not_a_formula(v) for v in (
            i.id, _local(i.occurred_at, site), _local(i.recorded_at, site), i.category, i.zone_id, i.location,
            i.what_happened, i.people, i.witnesses, i.refused_details, i.actions,
            _local(i.security_called_at, site), _local(i.police_called_at, site),
            _local(i.ambulance_called_at, site), i.injury, i.hurt, i.injury_details, i.severity, i.followup,
            i.followup_by, i.reporter, supplements)])
    # With a BOM, so that a spreadsheet opens accented names as UTF-8.
    return out.getvalue().encode("utf-8-sig")


def write(found: list[incidents.Incident], site: Site, fmt: str, path: Path | str, heading: str,
          create_folder: bool = False) -> int:
    """Write these reports, in this order, to a new file; how many. Raises FileRefused."""
    if fmt not in FORMATS:
        raise FileRefused(f"'{fmt}' is not an incident export format: choose {', '.join(FORMATS)}")
    data = render_csv(found, site) if fmt == "csv" else render_text(found, site, heading)
    write_new_file(Path(path), data, create_folder)
    return len(found)


def export(store: Store, site: Site, fmt: str, path: Path | str, since: date | None = None,
           until: date | None = None, category: str | None = None) -> int:
    """The matching reports, oldest first, to a new file; how many. Raises FileRefused."""
    found = incidents.search(store, category=category, since=since, until=until, zone=site.zone,
                             supplement_hours=site.incidents.supplement_hours)
    heading = (f"Incident reports: {site.name}, {since or 'the first'} to {until or 'the last'}"
               + (f", {category}" if category else ""))
    return write(found[::-1], site, fmt, path, heading)


def default_path(folder: Path, fmt: str, moment: datetime, zone: tzinfo) -> Path:
    """`folder/incidents-YYYYMMDD-HHMM.ext` (local time), never an existing file's name."""
    return unused_path(folder, f"incidents-{moment.astimezone(zone):%Y%m%d-%H%M}", FORMATS[fmt])

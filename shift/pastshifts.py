"""Every shift at a glance, newest first: when, who, and what the manager looks for first.

One SQL query counts each shift's incidents and missed timed tasks (grouped
subqueries, one pass over each table, however many shifts); a second reads the
check-in events of only the shifts that had an alarm, and counts their alarms
with the report's own reading of that log. The counts use the report's
definitions: an incident filed in the shift, a timed task missed and never done
or skipped (`report.MISSED_PROMPTS`), an alarm as `checkins.read_log` finds it.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

from shift import checkins, report, reportpage
from shift.clock import from_iso
from shift.files import write_new_file
from shift.shifts import WORKER
from shift.site import Site
from shift.store import Store


class PastShift(NamedTuple):
    id: str
    started_at: datetime
    ended_at: datetime | None  # None: still open
    worker: str
    desk: str
    incidents: int
    missed: int
    alarms: int
    mail: str  # how the report went by email (report.EMAIL_OUTCOME): 'sent', 'failed', 'so far', 'skipped' or ''


def past_shifts(store: Store) -> list[PastShift]:
    rows = store.rows(
        f"""SELECT s.id, s.started_at, e.ended_at, {WORKER} AS worker, s.desk,
                  COALESCE(i.n, 0) AS incidents, COALESCE(m.n, 0) AS missed,
                  {report.EMAIL_OUTCOME.format(shift="s.id", ended="e.ended_at")} AS mail
           FROM shifts s
           LEFT JOIN shift_ends e ON e.shift_id = s.id
           LEFT JOIN (SELECT shift_id, COUNT(*) AS n FROM incidents GROUP BY shift_id) i ON i.shift_id = s.id
           LEFT JOIN (SELECT shift_id, COUNT(*) AS n FROM ({report.MISSED_PROMPTS}) GROUP BY shift_id) m
                  ON m.shift_id = s.id
           ORDER BY s.started_at DESC, s.rowid DESC""")
    alarms = _alarm_counts(store)
    return [PastShift(r["id"], from_iso(r["started_at"]), from_iso(r["ended_at"]) if r["ended_at"] else None,
                      r["worker"], r["desk"], r["incidents"], r["missed"], alarms.get(r["id"], 0), r["mail"] or "")
            for r in rows]


# The events that can raise an alarm (checkins.read_log): only shifts with one are read.
_RAISING = "('panic', 'duress', 'missed', 'escalation')"


def _alarm_counts(store: Store) -> dict[str, int]:
    rows = store.rows(
        f"""SELECT * FROM checkin_events WHERE shift_id IN
               (SELECT DISTINCT shift_id FROM checkin_events WHERE kind IN {_RAISING})
           ORDER BY shift_id, at, rowid""")
    return {shift_id: len(checkins.read_log(list(events)).alarms)
            for shift_id, events in groupby(rows, key=lambda r: r["shift_id"])}


def row_text(shift: PastShift, site: Site) -> tuple[str, str, str, str, str, str]:
    """The list's cells: date, hours (start–end), worker, incidents, missed tasks, alarms."""
    start = shift.started_at.astimezone(site.zone)
    end = f"{shift.ended_at.astimezone(site.zone):%H:%M}" if shift.ended_at else "open"
    return (report.day_text(start.date()), f"{start:%H:%M}–{end}", shift.worker,
            str(shift.incidents), str(shift.missed), str(shift.alarms))


def mail_text(shift: PastShift) -> str:
    return {"sent": "report emailed", "failed": "report NOT emailed (the last attempt failed)",
            "skipped": "report never emailed (a demo or earlier shift)",
            "so far": "only a report so far emailed; the full report goes when the shift has ended",
            }.get(shift.mail, "report not emailed yet")


def write_report(store: Store, site: Site, shift_id: str, folder: Path) -> Path:
    """The shift's report as a printable HTML page in `folder` (made if missing), in a new file
    readable by its owner only; a name already taken gets -2, -3... Returns the path."""
    built = report.build(store, site, shift_id)
    start = built.shift.started_at.astimezone(site.zone)
    stem = f"shift-report-{start:%Y-%m-%d-%H%M}"
    data = reportpage.html([built]).encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        path = folder / (f"{stem}.html" if number == 1 else f"{stem}-{number}.html")
        if not path.exists():
            write_new_file(path, data)
            return path
        number += 1


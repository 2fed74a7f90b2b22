"""Incident reports: legal documents, written once, supplemented later, never rewritten.

An incident is one row in `incidents`, exactly as first saved; anything learnt
later is a supplement (`incident_supplements`), shown after the original. A
supplement after `[incidents] supplement_hours` (24 by default) is still taken,
and marked late. Triggers refuse any change to either table.

Before anything is written, every text field is searched for patron
identifiers (shift.privacy): a library card number never belongs in an
incident. A save that finds one is refused (IdentifiersFound, carrying what
was found) unless the person confirmed they are not patron identifiers
(`identifiers_confirmed`, kept on the row).

What the law asks when someone is hurt comes from the site's jurisdiction
file (shift.jurisdiction): the form shows the duties for the injury level and
who was hurt, and filing creates their follow-ups with deadlines in the same
transaction as the incident, so the next shift sees them at the top of the
follow-up list.

Drafts (`incident_drafts`) are incidents waiting to be completed: prefilled
from an emergency (with its run id) or kept when a person leaves the form.
Their `fields` column is a JSON object of IncidentForm field names (times as
ISO-8601 strings) plus, optionally, "_replaces": the id of the draft it
supersedes. The open drafts are the newest per run (or per chain of
replacements) that no incident has filed yet. Drafts are append-only too,
which is why the form never saves one behind the person's back: a card
number typed and removed before saving would stay in it for good.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from shift.clock import UTC, from_iso, to_iso
from shift.hours import local_moment
from shift.jurisdiction import INJURY_LEVELS, Duty
from shift.jurisdiction import NONE as NO_LAW
from shift.privacy import Finding, find_identifiers, remove_identifiers
from shift.shifts import WORKER, FollowUp, Shift, waiting_followups
from shift.site import Site
from shift.siterecords import SUPPLEMENT_HOURS
from shift.store import Store, new_id
from shift.text import typed

HURT = ("worker", "other", "unsure")  # who was hurt: the law often differs
HURT_LABELS = {
    "worker": "A worker (staff, student employee, contractor)",
    "other": "Someone else (a patron, a visitor)",
    "unsure": "Not sure yet",
}
SEVERITIES = ("low", "medium", "high")
SEVERITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High"}
MAX_AGE = timedelta(days=7)  # older events go to the coordinator, not the desk form

# Text fields a person types, in the order of the form, with their labels.
TEXT_FIELDS = {
    "location": "Exact location",
    "what_happened": "What happened",
    "people": "People involved",
    "witnesses": "Witnesses",
    "refused_details": "Refused to give details",
    "actions": "Actions taken",
    "injury_details": "Injury details",
    "followup": "Follow-up needed",
    "followup_by": "Follow-up by",
    "reporter": "Reported by",
}
_CALLS = ("security_called_at", "police_called_at", "ambulance_called_at")
_ONE_LINE = ("category", "location", "followup_by", "reporter")


class IncidentProblems(ValueError):
    """The form is not complete: `problems` says what is missing, in words; `fields` says
    which field each is about (an IncidentForm field name), so a screen can mark it."""

    def __init__(self, problems: list[str], fields: list[str] | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.fields = fields or [""] * len(problems)


class IdentifiersFound(ValueError):
    """Something looks like a patron identifier: `findings` maps field name -> findings."""

    def __init__(self, findings: dict[str, list[Finding]]) -> None:
        count = sum(len(found) for found in findings.values())
        super().__init__(f"{count} possible patron identifier(s) found: remove them, "
                         "or confirm they are not patron identifiers")
        self.findings = findings


@dataclass
class IncidentForm:
    category: str = ""
    occurred_at: datetime | None = None  # aware
    zone_id: str = ""
    location: str = ""
    what_happened: str = ""
    people: str = ""
    witnesses: str = ""
    refused_details: str = ""
    actions: str = ""
    security_called_at: datetime | None = None
    police_called_at: datetime | None = None
    ambulance_called_at: datetime | None = None
    injury: str = "none"
    hurt: str = ""  # who was hurt (HURT), when anyone was
    injury_details: str = ""
    severity: str = "low"
    followup: str = ""
    followup_by: str = ""
    reporter: str = ""
    identifiers_confirmed: bool = False
    draft_id: str | None = None
    run_id: str | None = None


_FORM_FIELDS = tuple(f.name for f in dataclass_fields(IncidentForm))
_TIMES = ("occurred_at",) + _CALLS


@dataclass(frozen=True)
class Supplement:
    id: str
    incident_id: str
    shift_id: str | None
    recorded_at: datetime
    author: str
    text: str
    late: bool  # recorded after supplement_hours from the incident's recording


@dataclass(frozen=True)
class Incident:
    id: str
    shift_id: str
    recorded_at: datetime
    occurred_at: datetime
    category: str
    zone_id: str
    location: str
    what_happened: str
    people: str
    witnesses: str
    refused_details: str
    actions: str
    security_called_at: datetime | None
    police_called_at: datetime | None
    ambulance_called_at: datetime | None
    injury: str
    hurt: str
    injury_details: str
    severity: str
    followup: str
    followup_by: str
    reporter: str
    identifiers_confirmed: bool
    draft_id: str | None
    run_id: str | None
    supplements: tuple[Supplement, ...] = ()

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.what_happened.splitlines() if line.strip()), "")


@dataclass(frozen=True)
class Draft:
    id: str
    shift_id: str
    created_at: datetime
    run_id: str | None
    fields: dict
    replaces: str | None = None


@dataclass(frozen=True)
class PlannedFollowUp:
    text: str
    due_at: datetime | None


# -- reading what a person typed ------------------------------------------------

def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """'now', 'HH:MM' (today; a time still to come means yesterday), 'yesterday HH:MM'
    or 'YYYY-MM-DD HH:MM', local to `zone`. Blank is None. Raises ValueError."""
    words = text.strip().lower().split()
    if not words:
        return None
    today = now.astimezone(zone).date()
    if words == ["now"]:
        return now
    if len(words) == 2 and words[0] == "yesterday":
        return local_moment(today - timedelta(days=1), _minutes(words[1], text), zone)
    if len(words) == 2:
        try:
            day = date.fromisoformat(words[0])
        except ValueError:
            raise ValueError(f"'{text.strip()}' is not a date and time (write YYYY-MM-DD HH:MM)") from None
        return local_moment(day, _minutes(words[1], text), zone)
    if len(words) == 1:
        moment = local_moment(today, _minutes(words[0], text), zone)
        if moment > now + timedelta(minutes=1):
            moment = local_moment(today - timedelta(days=1), _minutes(words[0], text), zone)
        return moment
    raise ValueError(f"'{text.strip()}' is not a time: write now, HH:MM or YYYY-MM-DD HH:MM")


def _minutes(clock: str, text: str) -> int:
    parts = clock.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[1]) != 2 or not 1 <= len(parts[0]) <= 2:
        raise ValueError(f"'{text.strip()}' is not a time: write now, HH:MM or YYYY-MM-DD HH:MM")
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 23 or minutes > 59:
        raise ValueError(f"'{text.strip()}' is not a real time of day")
    return hours * 60 + minutes


def when_text(moment: datetime | None, zone: tzinfo) -> str:
    """A moment as the form writes it: YYYY-MM-DD HH:MM local."""
    return "" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


# -- rules ------------------------------------------------------------------------

def problems(form: IncidentForm, site: Site, shift: Shift | None, now: datetime) -> list[str]:
    """What stops this form being filed, in words; empty when it can be."""
    return [text for _, text in field_problems(form, site, shift, now)]


def field_problems(form: IncidentForm, site: Site, shift: Shift | None, now: datetime,
                   unreadable: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """What stops this form being filed, as (field name, words), in the order of the form.
    `unreadable`: time fields whose text could not be read (field name -> why), said in their place."""
    unreadable = unreadable or {}
    found: list[tuple[str, str]] = []
    if not form.category.strip():
        found.append(("category", "Choose a category."))
    elif form.category.strip() not in site.incidents.categories:
        found.append(("category", f"'{form.category}' is not an incident category of this site."))
    when = form.occurred_at
    if "occurred_at" in unreadable:
        found.append(("occurred_at", unreadable["occurred_at"]))
    elif when is None:
        found.append(("occurred_at", "When did it happen? (now, HH:MM or YYYY-MM-DD HH:MM)"))
    elif when.tzinfo is None:
        found.append(("occurred_at", "The time of the incident has no time zone."))
    elif when > now + timedelta(minutes=1):
        found.append(("occurred_at", "The time of the incident is in the future."))
    elif when < now - MAX_AGE:
        found.append(("occurred_at", f"The incident is more than {MAX_AGE.days} days old: tell the coordinator, "
                                     "who records older events."))
    if form.zone_id and form.zone_id not in {z.id for z in site.zones}:
        found.append(("zone_id", f"'{form.zone_id}' is not a zone of this site."))
    if not form.zone_id and not form.location.strip():
        found.append(("zone_id", "Where did it happen? Choose a zone or describe the place."))
    if not form.what_happened.strip():
        found.append(("what_happened", "Describe what happened."))
    for name in _CALLS:
        called = getattr(form, name)
        if name in unreadable:
            found.append((name, unreadable[name]))
        elif called is not None and (called.tzinfo is None or called > now + timedelta(minutes=1)):
            found.append((name, f"The time {name.split('_')[0]} was called is in the future."))
    if form.injury not in INJURY_LEVELS:
        found.append(("injury", f"'{form.injury}' is not an injury level."))
    elif form.injury != "none" and form.hurt not in HURT:
        found.append(("hurt", "Who was hurt: a worker, someone else, or not sure yet?"))
    if form.severity not in SEVERITIES:
        found.append(("severity", f"'{form.severity}' is not a severity."))
    if not form.reporter.strip():
        found.append(("reporter", "Who is reporting? (your name)"))
    return found


def identifiers_in(form: IncidentForm, site: Site) -> dict[str, list[Finding]]:
    """Possible patron identifiers in each text field of the form (fields with none left out)."""
    found = {}
    for name in TEXT_FIELDS:
        hits = find_identifiers(getattr(form, name), site.circulation.patron)
        if hits:
            found[name] = hits
    return found


def without_identifiers(form: IncidentForm, findings: dict[str, list[Finding]]) -> IncidentForm:
    """The form with every finding replaced by "(card number removed)"."""
    cleaned: dict[str, Any] = {name: remove_identifiers(getattr(form, name), hits) for name, hits in findings.items()}
    return replace(form, **cleaned)


class Obligations(NamedTuple):
    heading: str  # e.g. "ONTARIO: A CRITICAL INJURY"
    lines: list[str]  # each duty, with its source
    grave: bool  # the level has a legal definition: shown loudest


def _duties(injury: str, hurt: str, site: Site) -> list[Duty]:
    rules = site.jurisdiction.injuries.get(injury)
    if rules is None:
        return []
    applies = {"worker": ("worker", "anyone"), "other": ("other", "anyone")}.get(hurt, ("worker", "other", "anyone"))
    return [d for d in rules.duties if d.who in applies and (not d.desk_calls or site.incidents.desk_calls_authority)]


def _filled(text: str, duty: Duty, hurt: str, site: Site) -> str:
    """A duty's words with the site's numbers; said conditionally while who was hurt is not known."""
    law = site.jurisdiction
    manager = site.contacts.get("manager_on_call")
    dialled = site.contacts.get(law.authority_contact)  # as the desk phone dials it, when the site says
    words = text.format(authority=law.authority_short or law.authority,
                        authority_phone=dialled.phone if dialled else law.authority_phone,
                        manager=f"{manager.name}, {manager.phone}" if manager else "the manager on call")
    if hurt not in ("worker", "other") and duty.who != "anyone":
        words = ("If a worker was hurt: " if duty.who == "worker" else "If it was someone else: ") + words
    return words


def obligations(injury: str, hurt: str, site: Site) -> Obligations:
    """What the law where the library is asks for this injury level and who was hurt: to show at once."""
    law = site.jurisdiction
    if law == NO_LAW and injury != "none":
        return Obligations("LEGAL DUTIES UNKNOWN", [
            "No jurisdiction file could be read (python main.py check): the law's duties for this injury "
            "cannot be shown. Tell the manager on call now."], True)
    rules = law.injuries.get(injury)
    if rules is None:
        return Obligations("", [], False)
    lines = [f"{_filled(d.say, d, hurt, site)} ({d.source.short})" for d in _duties(injury, hurt, site)]
    if rules.means:
        lines.append(f"{rules.label.split(' (')[0]} means: {rules.means}"
                     + (f" ({rules.means_source.short})" if rules.means_source else ""))
    if hurt not in HURT:
        lines.insert(0, "Say who was hurt (a worker or someone else): the duties differ.")
    heading = f"{law.name.upper()}: {rules.heading}" if rules.heading else law.name
    return Obligations(heading, lines, bool(rules.means))


def planned_followups(form: IncidentForm, site: Site) -> list[PlannedFollowUp]:
    """Follow-ups filing this form creates, with their deadlines."""
    when = form.occurred_at
    # Each names its incident: two injuries in a week must not read as one list of duties.
    stamp = f" {when.astimezone(site.zone):%d %b %H:%M}" if when else ""
    incident = f"Incident{stamp}, {form.category.strip()}"
    planned = [PlannedFollowUp(f"{incident}: {_filled(d.followup, d, form.hurt, site)}",
                               d.due.after(when, site.hours) if d.due is not None and when else None)
               for d in _duties(form.injury, form.hurt, site) if d.followup]
    if form.followup.strip():
        by = f" (by {form.followup_by.strip()})" if form.followup_by.strip() else ""
        planned.append(PlannedFollowUp(f"{incident}: {form.followup.strip()}{by}", None))
    return planned


# -- writing ----------------------------------------------------------------------

def file_incident(store: Store, site: Site, shift: Shift, form: IncidentForm) -> Incident:
    """Check and commit the incident and its follow-ups together; returns it once on disk.

    Raises IncidentProblems (something required is missing) or IdentifiersFound
    (a possible patron identifier, not confirmed as something else).
    """
    now = store.clock.now()
    found = field_problems(form, site, shift, now)
    if found:
        raise IncidentProblems([text for _, text in found], [name for name, _ in found])
    if not form.identifiers_confirmed:
        hits = identifiers_in(form, site)
        if hits:
            raise IdentifiersFound(hits)
    row = {name: getattr(form, name) for name in _FORM_FIELDS}
    for name in _ONE_LINE:
        row[name] = row[name].strip()
    for name in _TIMES:
        row[name] = to_iso(row[name]) if row[name] is not None else None
    row["identifiers_confirmed"] = int(bool(form.identifiers_confirmed))
    row.update(id=new_id(), shift_id=shift.id, recorded_at=to_iso(now))
    # Together or not at all; a disk that refuses them keeps them together in memory (and in
    # the waiting file) and writes them when it returns: the screen says which (filed_waiting).
    store.insert_all([("incidents", row)] + [("followups", {
        "shift_id": shift.id, "created_at": to_iso(now), "text": planned.text,
        "due_at": to_iso(planned.due_at) if planned.due_at else None, "incident_id": row["id"],
    }) for planned in planned_followups(form, site)])
    filed = get(store, row["id"], site.incidents.supplement_hours)
    assert filed is not None  # written or waiting: get() reads both
    return filed


def filed_waiting(store: Store, incident_id: str) -> bool:
    """Whether a filed incident is still held in memory for storage, not yet in the database."""
    return bool(store.waiting("incidents", id=incident_id))


def add_supplement(store: Store, site: Site, shift: Shift | None, incident_id: str, author: str, text: str,
                   confirmed: bool = False) -> Supplement:
    """Add to an incident without touching it. Late ones are taken and marked late.

    Raises ValueError (no such incident, no author or text) or IdentifiersFound
    unless `confirmed` (the person said what was found is not a patron identifier).
    """
    author = author.strip()
    if not author:
        raise ValueError("Who is adding this? (your name)")
    if not text.strip():
        raise ValueError("The supplement has no text.")
    rows = store.rows("SELECT recorded_at FROM incidents WHERE id = ?", (incident_id,))
    if not rows:
        raise ValueError("There is no such incident.")
    if not confirmed:
        hits = {name: found for name, value in (("author", author), ("text", text))
                if (found := find_identifiers(value, site.circulation.patron))}
        if hits:
            raise IdentifiersFound(hits)
    written = store.insert("incident_supplements", {
        "incident_id": incident_id, "shift_id": shift.id if shift else None,
        "recorded_at": store.now_iso(), "author": author, "text": text,
    })
    return _supplement(written, from_iso(rows[0]["recorded_at"]), site.incidents.supplement_hours)


def late_now(incident: Incident, site: Site, now: datetime) -> bool:
    """Whether a supplement added at `now` would be marked late."""
    return now - incident.recorded_at > timedelta(hours=site.incidents.supplement_hours)


# -- reading ----------------------------------------------------------------------

def _supplement(row: dict, incident_recorded: datetime, hours: int) -> Supplement:
    recorded = from_iso(row["recorded_at"])
    return Supplement(row["id"], row["incident_id"], row["shift_id"], recorded, row["author"], row["text"],
                      recorded - incident_recorded > timedelta(hours=hours))


def _incidents(store: Store, rows: list[dict], hours: int) -> list[Incident]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    marks = ", ".join("?" for _ in ids)
    extra: dict[str, list[dict]] = {}
    for s in store.rows(f"SELECT * FROM incident_supplements WHERE incident_id IN ({marks}) "
                        "ORDER BY recorded_at, rowid", tuple(ids)):
        extra.setdefault(s["incident_id"], []).append(s)
    out = []
    for r in rows:
        recorded = from_iso(r["recorded_at"])
        times = {name: from_iso(r[name]) if r[name] else None for name in _CALLS}
        out.append(Incident(
            r["id"], r["shift_id"], recorded, from_iso(r["occurred_at"]), r["category"], r["zone_id"],
            r["location"], r["what_happened"], r["people"], r["witnesses"], r["refused_details"], r["actions"],
            times["security_called_at"], times["police_called_at"], times["ambulance_called_at"],
            r["injury"], r["hurt"], r["injury_details"], r["severity"], r["followup"], r["followup_by"], r["reporter"],
            bool(r["identifiers_confirmed"]), r["draft_id"], r["run_id"],
            tuple(_supplement(s, recorded, hours) for s in extra.get(r["id"], ())),
        ))
    return out


def get(store: Store, incident_id: str, supplement_hours: int = SUPPLEMENT_HOURS) -> Incident | None:
    """One incident with its supplements (oldest first), or None."""
    rows = (store.rows("SELECT * FROM incidents WHERE id = ?", (incident_id,))
            or store.waiting("incidents", id=incident_id))  # filed while storage refused writes
    found = _incidents(store, rows, supplement_hours)
    return found[0] if found else None


def _matches(incident: Incident, needle: str) -> bool:
    haystack = [incident.category, incident.zone_id, incident.injury_details, incident.severity]
    haystack += [getattr(incident, name) for name in TEXT_FIELDS]
    haystack += [s.text for s in incident.supplements] + [s.author for s in incident.supplements]
    return any(needle in value.casefold() for value in haystack)


def search(store: Store, text: str = "", category: str | None = None, since: date | None = None,
           until: date | None = None, *, zone: tzinfo | None = None,
           supplement_hours: int = SUPPLEMENT_HOURS) -> list[Incident]:
    """Incidents newest first. `since`/`until` are local dates in `zone` (both inclusive);
    `text` is found in any text field or supplement, ignoring case; it is plain text
    (no wildcards: '%' and '_' mean themselves)."""
    where, params = [], []
    if since is not None or until is not None:
        if zone is None:
            raise ValueError("searching by date needs the site's time zone")
        start = _day_start(since, zone) if since is not None else None
        end = _day_start(until, zone, days_after=1) if until is not None else None
        if start is not None:
            where.append("occurred_at >= ?")
            params.append(start)
        if end is not None:
            where.append("occurred_at < ?")
            params.append(end)
    if category:
        where.append("category = ?")
        params.append(category)
    sql = "SELECT * FROM incidents" + (" WHERE " + " AND ".join(where) if where else "")
    rows = store.rows(sql + " ORDER BY occurred_at DESC, recorded_at DESC, rowid DESC", tuple(params))
    found = _incidents(store, rows, supplement_hours)
    # Matched here rather than with LIKE: Python's casefold ignores case beyond ASCII
    # ("ÉMILIE" finds "émilie"), and the person's text is never a pattern.
    needle = text.strip().casefold()
    return [i for i in found if _matches(i, needle)] if needle else found


def _day_start(day: date, zone: tzinfo, days_after: int = 0) -> str | None:
    """The stored form of local midnight `days_after` days after `day`; None at the ends of the
    calendar (--to 9999-12-31 means no end, not a crash)."""
    try:
        return to_iso(datetime.combine(day + timedelta(days=days_after), time(), tzinfo=zone).astimezone(UTC))
    except OverflowError:
        return None


def in_period(store: Store, start: datetime, end: datetime,
              supplement_hours: int = SUPPLEMENT_HOURS) -> list[Incident]:
    """Incidents that happened, were recorded or were supplemented in [start, end), oldest first."""
    a, b = to_iso(start), to_iso(end)
    rows = store.rows(
        """SELECT * FROM incidents i
           WHERE (i.occurred_at >= ? AND i.occurred_at < ?) OR (i.recorded_at >= ? AND i.recorded_at < ?)
              OR EXISTS (SELECT 1 FROM incident_supplements s WHERE s.incident_id = i.id
                         AND s.recorded_at >= ? AND s.recorded_at < ?)
           ORDER BY i.occurred_at, i.recorded_at, i.rowid""",
        (a, b, a, b, a, b),
    )
    # Filed while storage refused writes: in the report before the disk has them.
    rows += [r for r in store.waiting("incidents") if a <= r["occurred_at"] < b or a <= r["recorded_at"] < b]
    return _incidents(store, rows, supplement_hours)


def followups_of(store: Store, incident_id: str) -> list[FollowUp]:
    """The follow-ups an incident created (resolved or not), deadlines first."""
    rows = store.rows(
        f"""SELECT f.id, f.created_at, f.text, {WORKER} AS worker, f.due_at, f.incident_id FROM followups f
           JOIN shifts s ON s.id = f.shift_id WHERE f.incident_id = ?
           ORDER BY f.due_at IS NULL, f.due_at, f.created_at, f.rowid""",
        (incident_id,),
    )
    return [FollowUp(r["id"], from_iso(r["created_at"]), r["text"], r["worker"],
                     from_iso(r["due_at"]) if r["due_at"] else None, r["incident_id"]) for r in rows
            ] + waiting_followups(store, incident_id=incident_id)


# How a list of incidents marks the injury, so a critical injury never looks like the rest:
# a fixed-width tag, blank when nobody was hurt.
INJURY_TAGS = {"none": "", "first_aid": "first aid", "medical": "MEDICAL", "critical": "CRITICAL"}
INJURY_TAG_WIDTH = max(len(tag) for tag in INJURY_TAGS.values())


def injury_tag(level: str) -> str:
    """"CRITICAL", "MEDICAL", "first aid" or "" (no injury): the injury column of a one-line list."""
    return INJURY_TAGS.get(level, level.upper())


def place(incident: Incident | IncidentForm, site: Site) -> str:
    """The zone's name and the exact location, as one line."""
    zone = next((z.name for z in site.zones if z.id == incident.zone_id), incident.zone_id)
    return " — ".join(part for part in (zone, incident.location.strip()) if part)


# -- drafts -----------------------------------------------------------------------

def describe(found: Incident, site: Site, stamp: str = "%a %d %b %H:%M") -> list[str]:
    """An incident as lines of text, the original then each supplement, every word as written.
    `stamp` formats the day-and-time stamps (an export across years wants the year)."""
    zone = site.zone

    def at(moment: datetime | None) -> str:
        return f"{moment.astimezone(zone):%H:%M}" if moment else "not called"

    def field_lines(label: str, text: str) -> list[str]:
        # One item, the text as typed on its lines (`text.hang` lays them out under the label).
        return [f"  {label}: {typed(text)}"] if text.strip() else []

    lines = [f"{found.occurred_at.astimezone(zone):{stamp}}  {found.category} — {place(found, site)}",
             f"  Recorded {found.recorded_at.astimezone(zone):{stamp}} by {found.reporter}; severity {found.severity}; "
             f"injury: {found.injury.replace('_', ' ')}"
             + (f" ({HURT_LABELS[found.hurt].split(' (')[0].lower()})" if found.hurt in HURT_LABELS else "")]
    for label, text in (("What happened", found.what_happened), ("People involved", found.people),
                        ("Witnesses", found.witnesses), ("Refused to give details", found.refused_details),
                        ("Actions taken", found.actions), ("Injuries", found.injury_details)):
        lines += field_lines(label, text)
    lines.append(f"  Security: {at(found.security_called_at)} · Police: {at(found.police_called_at)} · "
                 f"Ambulance: {at(found.ambulance_called_at)}")
    if found.followup.strip():
        lines += field_lines("Follow-up", found.followup + (f" (by {found.followup_by})" if found.followup_by else ""))
    for sup in found.supplements:
        late = " (late)" if sup.late else ""
        lines += field_lines(f"Supplement {sup.recorded_at.astimezone(zone):{stamp}} by {sup.author}{late}",
                             sup.text)
    return lines


def save_draft(store: Store, shift: Shift, fields: dict, run_id: str | None = None,
               replaces: str | None = None) -> Draft:
    """Keep a prefilled or half-written incident to complete later.

    `fields` holds IncidentForm field names; times may be aware datetimes or ISO
    strings (a "run_id" among them is the draft's run). A newer draft for the
    same run, or one that `replaces` another, supersedes it.
    """
    unknown = sorted(set(fields) - set(_FORM_FIELDS))
    if unknown:
        raise ValueError(f"not incident fields: {', '.join(unknown)}")
    if fields.get("run_id") and run_id and fields["run_id"] != run_id:
        raise ValueError("the draft's fields name another run")
    run_id = run_id or fields.get("run_id") or None
    stored = {}
    for name, value in fields.items():
        if isinstance(value, datetime):
            value = to_iso(value)
        stored[name] = value
    if replaces:
        stored["_replaces"] = replaces
    row = store.insert("incident_drafts", {
        "shift_id": shift.id, "created_at": store.now_iso(), "run_id": run_id,
        "fields": json.dumps(stored, ensure_ascii=False),
    })
    return _draft(row)


def _draft(row: dict) -> Draft:
    stored = json.loads(row["fields"])
    replaces = stored.pop("_replaces", None)
    return Draft(row["id"], row["shift_id"], from_iso(row["created_at"]), row["run_id"], stored, replaces)


def open_drafts(store: Store) -> list[Draft]:
    """Drafts still to be completed, newest first: the latest per run or chain, not yet filed.
    Drafts and incidents still waiting for storage count too (listed at once, filed at once)."""
    rows = store.rows("SELECT * FROM incident_drafts ORDER BY created_at, rowid") + store.waiting("incident_drafts")
    drafts = [_draft(r) for r in rows]
    # Two queries, each through its partial index (an OR of the two would read every incident).
    waiting = store.waiting("incidents")
    filed_drafts = {r["draft_id"] for r in store.rows("SELECT draft_id FROM incidents WHERE draft_id IS NOT NULL")}
    filed_drafts |= {r.get("draft_id") for r in waiting} - {None}
    filed_runs = {r["run_id"] for r in store.rows("SELECT run_id FROM incidents WHERE run_id IS NOT NULL")}
    filed_runs |= {r.get("run_id") for r in waiting} - {None}
    group: dict[str, str] = {}  # draft id -> its chain (run id, or the first draft's id)
    latest: dict[str, Draft] = {}
    closed: set[str] = set()
    for d in drafts:
        key = f"run:{d.run_id}" if d.run_id else group.get(d.replaces or "", d.id)
        group[d.id] = key
        latest[key] = d
        if d.id in filed_drafts or (d.run_id and d.run_id in filed_runs):
            closed.add(key)
    return sorted((d for key, d in latest.items() if key not in closed), key=lambda d: d.created_at, reverse=True)


def form_from_draft(draft: Draft, now: datetime | None = None) -> IncidentForm:
    """An IncidentForm to complete from a draft; filing it files the draft.

    A time in the draft after `now` (a clock set wrong) is left out for the person to give.
    """
    values = {}
    for name, value in draft.fields.items():
        if name in _TIMES and value:
            value = from_iso(value) if isinstance(value, str) else value
            if now is not None and value > now + timedelta(minutes=1):
                value = None
        values[name] = value
    values["draft_id"] = draft.id
    values["run_id"] = draft.run_id or values.get("run_id")
    values["identifiers_confirmed"] = False  # a draft's text is checked when it is filed
    return IncidentForm(**values)


def draft_fields(form: IncidentForm) -> dict:
    """A form as draft fields (what save_draft takes), leaving out what is still as a new form has it."""
    blank = IncidentForm()
    skip = {"draft_id", "run_id", "identifiers_confirmed"}
    return {name: getattr(form, name) for name in _FORM_FIELDS
            if name not in skip and getattr(form, name) != getattr(blank, name)}


# -- a report given up (Esc, then y) can be brought back until the shift ends --------------

DISCARDED = "incident:discarded"  # its form name in the unsaved_text buffer (shift/unsaved.py)


def keep_discarded(store: Store, site: Site, shift_id: str, fields: dict[str, str]) -> None:
    """Keep what a person discarded, so a reflexive y is not the end of it: one report per shift
    (the latest), in the typing buffer, never with what looks like a patron's card number (each
    is replaced as "(card number removed)" would be on saving), and gone when the shift ends."""
    from shift import unsaved

    cleaned = {name: remove_identifiers(value, find_identifiers(value, site.circulation.patron))
               if name in TEXT_FIELDS else value for name, value in fields.items()}
    unsaved.keep(store, shift_id, DISCARDED, cleaned)


def discarded(store: Store, shift: Shift) -> tuple[dict[str, str], datetime] | None:
    """The report discarded in this shift (and when); None when there is none (ending the shift
    forgets it)."""
    from shift import unsaved

    return unsaved.recover(store, shift.id, DISCARDED)


def forget_discarded(store: Store, shift_id: str) -> None:
    """Brought back (it is in a form again) or the shift ended: the discarded copy goes."""
    from shift import unsaved

    unsaved.clear(store, shift_id, DISCARDED)

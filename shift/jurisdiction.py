"""The law where the library is, as data: what must be done when someone is hurt, by
when and for whom, and how often the fire drill must be held.

Read from `data/jurisdiction/<id>.toml` (the site file names it), validated like
the site file, so no rule of one province or state is spelt in the code: another
jurisdiction is another file. Every duty names its source.
"""

from __future__ import annotations

import re
import string
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import NamedTuple

from shift.citations import Citation, read_citation
from shift.hours import HoursCalendar, local_moment
from shift.problems import Problem, display_path
from shift.tomlsrc import Section, Source

INJURY_LEVELS = ("none", "first_aid", "medical", "critical")  # the incident form's levels
WHO = ("worker", "other", "anyone")  # who a duty is for
PLACEHOLDERS = ("authority", "authority_phone", "manager")
_DUE = re.compile(r"now|(\d{1,3}) (hours|days|business days)")


class Due(NamedTuple):
    amount: int  # 0: now
    unit: str  # "hours" | "days" | "business days"

    def after(self, moment: datetime, hours: HoursCalendar) -> datetime:
        """The deadline counted from `moment`; business days skip weekends and the site's closed days."""
        if self.unit == "hours":
            return moment + timedelta(hours=self.amount)
        if self.unit == "days":
            return moment + timedelta(days=self.amount)
        local = moment.astimezone(hours.zone)
        day, left = local.date(), self.amount
        while left:
            day += timedelta(days=1)
            if business_day(day, hours):
                left -= 1
        return local_moment(day, local.hour * 60 + local.minute, hours.zone)

    def __str__(self) -> str:
        return "now" if not self.amount else f"within {self.amount} {self.unit}"


def business_day(day: date, hours: HoursCalendar) -> bool:
    """A weekday that is not a public holiday (a dated exception marked `holiday`). The library's
    own closures (a winter break) still count: a legal deadline is never pushed later by them."""
    return day.weekday() < 5 and not any(exc.covers(day) and exc.holiday for exc in hours.exceptions)


class Duty(NamedTuple):
    who: str  # "worker" | "other" | "anyone": who was hurt
    say: str  # shown on the incident form at once
    source: Citation
    followup: str = ""  # the follow-up a saved report creates ("": only shown)
    due: Due | None = None
    desk_calls: bool = False  # only where the site's desk calls the authority itself


class InjuryRules(NamedTuple):
    label: str  # the choice on the form
    duties: tuple[Duty, ...] = ()
    heading: str = ""  # above the duties on the form (shouted for the gravest level)
    means: str = ""  # what the level means in law
    means_source: Citation | None = None


class Jurisdiction(NamedTuple):
    id: str
    name: str
    authority: str = ""  # who is notified (e.g. a ministry)
    authority_short: str = ""
    authority_phone: str = ""
    authority_contact: str = ""  # the site contact (as the desk dials it) that stands for the authority
    injuries: dict[str, InjuryRules] = {}
    drill_every: timedelta | None = None
    drill_rule: str = ""
    drill_source: Citation | None = None


def drill_note(law: Jurisdiction, last: datetime | None, now: datetime, zone: tzinfo,
               with_rule: bool = True) -> tuple[str, bool]:
    """The last fire drill as the desk says it, and whether one is overdue by the jurisdiction's
    rule (said too, unless `with_rule` is False: a line with no room for it)."""
    when = "none recorded" if last is None else f"last one {last.astimezone(zone):%d %b %Y}"
    if law.drill_every is None:
        return (f"Fire drills: {when}", False)
    if last is None or now - last > law.drill_every:
        period = "year" if law.drill_every.days == 365 else f"{law.drill_every.days} days"
        said = f": {law.drill_rule}" if with_rule else ""
        return (f"No fire drill in the past {period} ({when}){said}", True)
    return (f"Last fire drill: {last.astimezone(zone):%d %b %Y}", False)


# Without a jurisdiction the form still has its levels; no duty is claimed.
GENERIC_LABELS = {"none": "No injury", "first_aid": "First aid only", "medical": "Needed medical attention",
                  "critical": "Critical injury"}
NONE = Jurisdiction("", "")


def label(jurisdiction: Jurisdiction, level: str) -> str:
    rules = jurisdiction.injuries.get(level)
    return rules.label if rules else GENERIC_LABELS.get(level, level)


SHIPPED = Path(__file__).resolve().parent.parent / "data" / "jurisdiction"


def load(site_folder: Path, ident: str) -> tuple[Jurisdiction, list[Problem]]:
    """Read `jurisdiction/<ident>.toml` beside the site file, or else the one shipped with the
    app; never raises for a bad file. A site's own copy with errors gives way to the shipped
    one (like a broken emergency protocol to its bundled copy): one typo must not take every
    duty off the incident form. NONE only when no good file of that name exists."""
    if not re.fullmatch(r"[a-z0-9_-]+", ident):
        return NONE, [Problem(str(site_folder), None, "", f"'{ident}' is not a jurisdiction file name "
                                                           "(lower-case letters, digits, - or _)")]
    own, shipped = site_folder / "jurisdiction" / f"{ident}.toml", SHIPPED / f"{ident}.toml"
    found, problems = _read(own if own.exists() else shipped, ident)
    if found == NONE and own.exists() and own.resolve() != shipped.resolve() and shipped.exists():
        fallback, more = _read(shipped, ident)
        if fallback != NONE:
            note = f"the shipped {display_path(shipped)} is used until this file is fixed"
            return fallback, problems + [Problem(display_path(own), None, "", note, severity="warning")]
        problems += more
    if not own.exists() and not shipped.exists():
        problems = [Problem(display_path(own), None, "", f"file not found (nor {display_path(shipped)})")]
    return found, problems


def _read(path: Path, ident: str) -> tuple[Jurisdiction, list[Problem]]:
    src = Source.read(path)
    if not src.ok:
        return NONE, src.problems
    found = _Reader(src).read(ident)
    return (NONE if src.has_errors else found), src.problems


class _Reader:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.sources: dict[str, Citation] = {}

    def read(self, ident: str) -> Jurisdiction:
        root = self.src.root()
        if root.line("id", ident, required=True) != ident:
            root.error("id", f"must be '{ident}', the file's name")
        name = root.line("name", ident, required=True)
        checked = root.get("checked", (date,), "a date such as 2026-11-30 (no quotes)", required=True)
        if isinstance(checked, datetime):
            root.error("checked", "a date without a time, such as 2026-11-30")
        sources = root.table("sources", required=True)
        for key in list(sources.data) if sources else []:
            assert sources is not None
            table = sources.table(key)
            cite = read_citation(table) if table is not None else None
            if cite is not None:
                self.sources[key] = cite
        if sources:
            sources.finish()
        authority = root.table("authority")
        auth_name = auth_short = auth_phone = contact = ""
        if authority:
            auth_name = authority.line("name", "", required=True)
            auth_short = authority.line("short", auth_name)
            auth_phone = authority.line("phone", "", required=True)
            contact = authority.line("contact", "")
            self._source(authority, "source")
            authority.finish()
        injuries: dict[str, InjuryRules] = {}
        table = root.table("injuries")
        for level in list(table.data) if table else []:
            assert table is not None
            if level not in INJURY_LEVELS:
                table.known.add(level)
                table.error(level, f"'{level}' is not an injury level; use {', '.join(INJURY_LEVELS)}")
                continue
            sec = table.table(level)
            if sec is not None:
                injuries[level] = self._injury(sec)
        if table:
            table.finish()
        drills = root.table("fire_drills")
        every, rule, drill_source = None, "", None
        if drills:
            days = drills.whole("every_days", 365, minimum=1, maximum=3650)
            every = timedelta(days=days)
            rule = drills.line("rule", "", required=True)
            drill_source = self._source(drills, "source")
            drills.finish()
        root.finish()
        return Jurisdiction(ident, name, auth_name, auth_short, auth_phone, contact, injuries, every, rule,
                            drill_source)

    def _source(self, sec: Section, key: str) -> Citation | None:
        name = sec.text(key, "", required=True)
        if name and name not in self.sources:
            sec.error(key, f"'{name}' is not one of the [sources] ({', '.join(sorted(self.sources))})")
        return self.sources.get(name)

    def _injury(self, sec: Section) -> InjuryRules:
        rules = InjuryRules(sec.line("label", "", required=True), heading=sec.line("heading", ""),
                            means=sec.line("means", ""))
        if rules.means:
            rules = rules._replace(means_source=self._source(sec, "means_source"))
        duties = []
        for item in sec.tables("duties"):
            duty = self._duty(item)
            if duty is not None:
                duties.append(duty)
        sec.finish()
        return rules._replace(duties=tuple(duties))

    def _duty(self, sec: Section) -> Duty | None:
        who = sec.text("who", "", required=True)
        if who and who not in WHO:
            sec.error("who", f"'{who}' must be one of {', '.join(WHO)}")
        say = self._text(sec, "say", required=True)
        followup = self._text(sec, "followup")
        due_text = sec.text("due", "")
        due = None
        if due_text:
            match = _DUE.fullmatch(due_text.strip())
            if match is None:
                sec.error("due", f"'{due_text}' should be now, \"48 hours\", \"4 days\" or \"3 business days\"")
            else:
                due = Due(int(match.group(1) or 0), match.group(2) or "hours")
        if due is not None and not followup:
            sec.error("due", "a deadline needs the followup it is for")
        desk_calls = sec.flag("desk_calls", False)
        source = self._source(sec, "source")
        sec.finish()
        if source is None or who not in WHO:
            return None
        return Duty(who, say, source, followup, due, desk_calls)

    @staticmethod
    def _text(sec: Section, key: str, required: bool = False) -> str:
        text = sec.line(key, "", required=required)
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            sec.error(key, "a { or } that is not a {placeholder}")
            return ""
        unknown = names - set(PLACEHOLDERS)
        if unknown:
            sec.error(key, f"unknown placeholder {{{sorted(unknown)[0]}}}; use {', '.join(PLACEHOLDERS)}")
            return ""
        return text

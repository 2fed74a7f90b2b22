"""The library as data: `data/site.toml`, read strictly.

`load_site` never raises for a bad file: it returns the problems, located as
file:line, and a Site built from whatever was valid (falling back to safe
defaults), so the desk can always start.
"""

import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shift.alertconfig import (
    DEFAULT_TIMEOUT,
    EmailSettings,
    is_address,
    is_local_host,
    password_file_problem,
    timeout_problem,
)
from shift.backup import BackupSettings, read_backup
from shift.checkins import CheckinPolicy, EscalationStep
from shift.companionconfig import CompanionConfig, read_companion
from shift.hours import (
    WEEKDAYS,
    HoursCalendar,
    HoursException,
    Period,
    SoloPolicy,
    check_no_overlap,
    duration_text,
    local_moment,
    parse_clock,
    parse_period,
)
from shift.jurisdiction import NONE as NO_JURISDICTION
from shift.jurisdiction import Jurisdiction
from shift.jurisdiction import load as load_jurisdiction
from shift.keymap import COMMAND_BY_ID, READ_KEYS, default_keys, reserved_keys
from shift.lock import IDLE_LONGEST, LockConfig, pins_file_problem
from shift.notices import placeholders
from shift.problems import Problem
from shift.siterecords import CirculationConfig, IncidentConfig, read_circulation, read_incidents
from shift.survey import SurveyConfig, read_survey
from shift.tasks import Task
from shift.timespec import TimeSpec, parse_duration, parse_timespec
from shift.tomlsrc import Section, Source

REQUIRED_CONTACTS = ("emergency", "security", "facilities", "it_help", "manager_on_call")
ZONE_KINDS = ("floor", "washroom", "study_room", "stairwell", "entrance", "room", "outside", "other")
THEMES = ("textual-dark", "textual-light", "high-contrast")
# North American numbers 555-0100..555-0199 are reserved as fictional.
_FICTIONAL = re.compile(r"555-?01\d\d")
# After the last escalation step, every step is sent again this often until someone acknowledges.
REPEAT_DEFAULT = timedelta(minutes=10)
MAX_INTERVAL = timedelta(hours=4)  # a lone worker unchecked longer than this is not looked after
MAX_GRACE = timedelta(hours=1)
_KEY_NAME = re.compile(r"^(ctrl\+|shift\+|alt\+)*([a-z0-9]|f\d{1,2}|[a-z_]+)$")


class Contact(NamedTuple):
    id: str
    name: str
    phone: str  # exactly as it must be dialled, e.g. "9-911"
    notes: str = ""


class Zone(NamedTuple):
    id: str
    name: str
    kind: str


class Desk(NamedTuple):
    id: str
    name: str
    phone: str = ""  # the desk's own line: what a responder calls after a missed check-in


class Channel(NamedTuple):
    id: str
    name: str
    key: str  # the prefix key that marks the next entry; "" for the default channel


class Category(NamedTuple):
    id: str
    name: str
    key: str
    read: bool  # whether READ levels are asked for this kind of question


class TallyConfig(NamedTuple):
    categories: tuple[Category, ...]
    channels: tuple[Channel, ...]
    default_channel: str = "in_person"

    def category(self, cid: str) -> Category | None:
        return next((c for c in self.categories if c.id == cid), None)

    def channel(self, cid: str) -> Channel | None:
        return next((c for c in self.channels if c.id == cid), None)


class Site(NamedTuple):
    name: str
    zone: ZoneInfo
    hours: HoursCalendar
    desks: tuple[Desk, ...]
    civic_address: str
    contacts: dict[str, Contact]
    zones: tuple[Zone, ...]
    tally: TallyConfig
    keys: Mapping[str, str] = MappingProxyType({})  # binding id -> key(s); the shared default is read-only
    theme: str = "textual-dark"
    tasks: tuple[Task, ...] = ()
    checkins: CheckinPolicy | None = None  # None: check-ins are off
    email: EmailSettings | None = None
    incidents: IncidentConfig = IncidentConfig()
    circulation: CirculationConfig = CirculationConfig()
    jurisdiction: Jurisdiction = NO_JURISDICTION  # the law where the library is (data/jurisdiction/)
    # Where things are (place id -> text shown as "Where: ..."), and notice templates (id -> text).
    places: Mapping[str, str] = MappingProxyType({})
    notices: Mapping[str, str] = MappingProxyType({})
    survey: SurveyConfig = SurveyConfig()  # which categories the annual surveys count ([survey])
    backup: BackupSettings = BackupSettings()  # where and how many copies of the database ([backup])
    lock: LockConfig = LockConfig()  # the lock screen ([lock]); no site file read: no PINs, no lock
    companion: CompanionConfig | None = None  # the phone companion ([companion]); None: off

    def desk_name(self, desk_id: str) -> str:
        """The desk's name, or its id when the site file no longer has it."""
        return next((d.name for d in self.desks if d.id == desk_id), desk_id)

    def desk_phone(self, desk_id: str) -> str:
        return next((d.phone for d in self.desks if d.id == desk_id), "")


def default_tally() -> TallyConfig:
    return TallyConfig(
        categories=(
            Category("directional", "Directional", "d", False),
            Category("informational", "Informational", "i", False),
            Category("reference", "Reference", "r", True),
            Category("technology", "Technology", "t", True),
            Category("circulation", "Circulation", "c", False),
            Category("accessibility", "Accessibility", "a", True),
        ),
        channels=(
            Channel("in_person", "In person", ""),
            Channel("phone", "Phone", "p"),
            Channel("email", "Email", "e"),
            Channel("chat", "Chat", "h"),
        ),
    )


def fallback_site() -> Site:
    """What the desk runs on when site.toml cannot be read at all."""
    zone = ZoneInfo("America/Toronto")
    return Site(
        name="Library (site file not loaded)",
        zone=zone,
        hours=HoursCalendar(zone, {}),
        desks=(Desk("main", "Service desk"),),
        civic_address="",
        contacts={},
        zones=(),
        tally=default_tally(),
    )


def load_site(path: Path) -> tuple[Site, list[Problem]]:
    """Read and validate a site file; never raises for a bad file."""
    site, problems = read_site(path)
    return site or fallback_site(), problems


def read_site(path: Path) -> tuple[Site | None, list[Problem]]:
    """As load_site, but None for a file that could not be read or parsed at all."""
    src = Source.read(path)
    if not src.ok:
        return None, src.problems
    return _SiteReader(src).read(), src.problems



def _never_open(first: date, last: date, periods: tuple[Period, ...], zone: ZoneInfo) -> str | None:
    """Why an exception's hours never open on one of its days (a period wholly inside the hour
    the clocks skip opens and closes at the same instant), or None."""
    day = first
    while day <= last:
        for period in periods:
            if local_moment(day, period.start, zone) >= local_moment(day, period.end, zone):
                return (f"{period} on {day} falls in the hour the clocks skip (daylight saving time "
                        "starts): the library would not open at all; give hours outside it")
        day += timedelta(days=1)
    return None

class _SiteReader:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.reserved: frozenset[str] = frozenset()

    def read(self) -> Site:
        root = self.src.root()
        fallback = fallback_site()
        lib = root.table("library", required=True)
        name, zone, theme = fallback.name, fallback.zone, "textual-dark"
        law = NO_JURISDICTION
        if lib:
            name = lib.line("name", name, required=True)
            law = self._jurisdiction(lib)
            zone = self._zone(lib) or zone
            theme = lib.text("theme", theme)
            if theme not in THEMES:
                lib.error("theme", f"'{theme}' is not a theme; use one of {', '.join(THEMES)}")
                theme = "textual-dark"
            lib.finish()
        weekly = self._weekly(root)
        exceptions = self._exceptions(root, zone)
        solo = self._solo(root)
        desks = self._desks(root) or fallback.desks
        address, contacts = self._contacts(root)
        zones = self._zones(root)
        keys = self._keys(root)
        self.reserved = reserved_keys(keys)
        tally = self._tally(root)
        tasks = self._tasks(root)
        email = self._email(root)
        checkins = self._checkins(root, email)
        incidents = read_incidents(root)
        circulation = read_circulation(root)
        places = self._places(root)
        notices = self._notices(root)
        survey = read_survey(root, tuple(c.id for c in tally.categories))
        backup = read_backup(root)
        lock = self._lock(root)
        companion = read_companion(root, self._site_path)
        root.finish()
        return Site(
            name=name,
            zone=zone,
            hours=HoursCalendar(zone, weekly, exceptions, solo),
            desks=desks,
            civic_address=address,
            contacts=contacts,
            zones=zones,
            tally=tally,
            keys=keys,
            theme=theme,
            tasks=tasks,
            checkins=checkins,
            email=email,
            incidents=incidents,
            circulation=circulation,
            jurisdiction=law,
            places=MappingProxyType(places),
            notices=MappingProxyType(notices),
            survey=survey,
            backup=backup,
            lock=lock,
            companion=companion,
        )

    def _jurisdiction(self, lib: Section) -> Jurisdiction:
        ident = lib.text("jurisdiction", "")
        if not ident:
            lib.warn(None, "no jurisdiction named (e.g. jurisdiction = \"ontario\"): the incident form "
                           "shows no legal duties when someone is hurt")
            return NO_JURISDICTION
        law, problems = load_jurisdiction(self.src.path.parent, ident)
        self.src.problems += problems
        if any(p.is_error for p in problems):
            meanwhile = ("the shipped copy is used meanwhile" if law != NO_JURISDICTION
                         else "the incident form shows no legal duties until it is fixed")
            lib.error("jurisdiction", f"the file for '{ident}' has errors (listed with it): {meanwhile}")
        return law

    def _lock(self, root: Section) -> LockConfig:
        """[lock]: idle_minutes (0: only the lock key locks) and pins_file (default pins.toml beside
        this file). Without the section the defaults hold, and `check` still says when no PIN is set."""
        sec = root.table("lock")
        idle = LockConfig().idle_minutes
        pins = self._site_path("pins.toml")
        if sec is not None:
            value = sec.get("idle_minutes", (int, float), "a number of minutes (0: never locks by itself)", idle)
            if isinstance(value, bool) or not 0 <= value <= IDLE_LONGEST:
                sec.error("idle_minutes", f"{value!r} must be from 0 (never locks by itself) to {IDLE_LONGEST:g} "
                                          "minutes")
            elif 0 < value < 1:
                sec.warn("idle_minutes", f"{value:g} minutes locks the desk while the worker is still at it: "
                                         "for trying the lock out only")
                idle = float(value)
            else:
                idle = float(value)
            pins = self._site_path(sec.text("pins_file", "pins.toml") or "pins.toml")
            sec.finish()
        problem, is_error = pins_file_problem(pins)
        where, key = (root, "lock") if sec is None else (sec, "pins_file" if "pins_file" in sec.data else None)
        if problem and is_error:
            where.error(key, f"{problem}; the desk cannot be locked until this is fixed")
        elif problem:
            where.warn(key, f"the lock is not set up: {problem}")
        return LockConfig(idle, pins)

    def _places(self, root: Section) -> dict[str, str]:
        """[places]: where things are, by id: `aed = "AED: main floor, beside the elevator"`."""
        sec = root.table("places")
        if sec is None:
            return {}
        places = {}
        for ident in list(sec.data):
            if not re.fullmatch(r"[a-z0-9_]+", ident):
                sec.known.add(ident)
                sec.error(ident, f"'{ident}' must be lower-case letters, digits or '_' (e.g. first_aid_kit)")
                continue
            text = sec.line(ident, "", required=True)
            if text:
                places[ident] = text
        sec.finish()
        return places

    def _notices(self, root: Section) -> dict[str, str]:
        """[notices.<id>] text = "... {step-id} ...": notices the desk fills in from a run's answers."""
        sec = root.table("notices")
        if sec is None:
            return {}
        notices = {}
        for ident in list(sec.data):
            sub = sec.table(ident)
            if sub is None:
                continue
            if not re.fullmatch(r"[a-z0-9_]+", ident):
                sec.error(ident, f"'{ident}' must be lower-case letters, digits or '_' (e.g. service_disruption)")
                continue
            text = sub.text("text", "", required=True)
            sub.finish()
            try:
                placeholders(text)
            except ValueError as exc:
                sub.error("text", str(exc))
                continue
            if text.strip():
                notices[ident] = text
        sec.finish()
        return notices

    def _zone(self, lib: Section) -> ZoneInfo | None:
        tz = lib.text("timezone", required=True)
        if not tz:
            return None
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            lib.error("timezone", f"'{tz}' is not a known time zone (e.g. America/Toronto)")
            return None

    def _periods(self, sec: Section, key: str) -> tuple[Period, ...] | None:
        """'closed', 'HH:MM-HH:MM' or a list of those ranges."""
        value = sec.get(key, (str, list), "'closed', 'HH:MM-HH:MM' or a list of ranges")
        if value is None:
            return None
        items = [value] if isinstance(value, str) else value
        if items == ["closed"]:
            return ()
        periods = []
        for item in items:
            if not isinstance(item, str):
                sec.error(key, f"expected a range of hours in quotes, found {item!r}")
                return None
            try:
                periods.append(parse_period(item))
            except ValueError as exc:
                sec.error(key, str(exc))
                return None
        try:
            check_no_overlap(periods)
        except ValueError as exc:
            sec.error(key, f"opening periods overlap: {exc}")
            return None
        return tuple(sorted(periods, key=lambda p: p.start))

    def _weekly(self, root: Section) -> dict[int, tuple[Period, ...]]:
        hours = root.table("hours", required=True)
        weekly: dict[int, tuple[Period, ...]] = {}
        if hours is None:
            return weekly
        for number, day in enumerate(WEEKDAYS):
            if not hours.has(day):
                hours.error(None, f"missing '{day}' (write \"closed\" for a day the library is shut)")
                continue
            periods = self._periods(hours, day)
            if periods is not None:
                weekly[number] = periods
        hours.finish()
        return weekly

    def _exceptions(self, root: Section, zone: ZoneInfo) -> list[HoursException]:
        out: list[HoursException] = []
        for sec in root.tables("exceptions"):
            first = sec.get("date", (date,), "a date such as 2026-12-25")
            start = sec.get("from", (date,), "a date such as 2026-12-24")
            end = sec.get("to", (date,), "a date such as 2027-01-01")
            reason = sec.text("reason", "", required=True)
            holiday = sec.flag("holiday", False)
            periods = self._periods(sec, "hours")
            if not sec.has("hours"):
                sec.error(None, "missing 'hours' ('closed' or HH:MM-HH:MM)")
            sec.finish()
            if first is not None and (start or end):
                sec.error("date", "give either 'date' or 'from' and 'to', not both")
                continue
            if first is not None:
                start = end = first
            if start is None or end is None:
                if not any(sec.has(k) for k in ("date", "from", "to")):
                    sec.error(None, "needs 'date', or both 'from' and 'to'")
                elif first is None and (start is None) != (end is None):
                    sec.error(None, "give both 'from' and 'to' (or one 'date')")
                continue
            if end < start:
                sec.error("to", f"{end} is before {start}")
                continue
            if periods is None:
                continue
            skipped = _never_open(start, end, periods, zone)
            if skipped:
                sec.error("hours", skipped)
                continue
            for other in out:
                if start <= other.last and other.first <= end:
                    sec.error(None, f"dates {start}..{end} overlap another exception ({other.reason}: "
                                    f"{other.first}..{other.last})")
                    break
            else:
                out.append(HoursException(start, end, periods, reason, holiday))
        return out

    def _solo(self, root: Section) -> SoloPolicy:
        sec = root.table("solo")
        if sec is None:
            return SoloPolicy()
        start = sec.text("weekday_evenings_from", "17:00")
        weekends = sec.flag("weekends", True)
        sec.finish()
        try:
            return SoloPolicy(parse_clock(start), weekends)
        except ValueError as exc:
            sec.error("weekday_evenings_from", str(exc))
            return SoloPolicy(weekends=weekends)

    def _unique_ids(self, sections: list[Section], what: str) -> list[tuple[Section, str]]:
        seen: set[str] = set()
        out = []
        for sec in sections:
            ident = sec.text("id", required=True)
            if not ident:
                continue
            if not re.fullmatch(r"[a-z0-9_\-]+", ident):
                sec.error("id", f"'{ident}' must be lower-case letters, digits, '-' or '_'")
                continue
            if ident in seen:
                sec.error("id", f"duplicate {what} id '{ident}'")
                continue
            seen.add(ident)
            out.append((sec, ident))
        return out

    def _desks(self, root: Section) -> tuple[Desk, ...]:
        desks = []
        for sec, ident in self._unique_ids(root.tables("desks", required=True), "desk"):
            phone = sec.line("phone", "") or ""
            if phone and not re.fullmatch(r"[0-9+\-() ,#*x.]+", phone):
                sec.error("phone", f"'{phone}' is not a phone number to dial")
            if _FICTIONAL.search(phone):
                sec.warn("phone", f"{phone} is still a sample (fictional 555-01xx) number")
            desks.append(Desk(ident, sec.line("name", ident, required=True), phone))
            sec.finish()
        return tuple(desks)

    def _contacts(self, root: Section) -> tuple[str, dict[str, Contact]]:
        sec = root.table("contacts", required=True)
        if sec is None:
            return "", {}
        address = sec.line("civic_address", "", required=True)
        if "example" in address.lower():
            sec.warn("civic_address", "still the sample address: put the building's real civic address for 911")
        contacts: dict[str, Contact] = {}
        for key in sec.data:
            if key == "civic_address":
                continue
            sub = sec.table(key)
            if sub is None:
                continue
            name = sub.text("name", key, required=True)
            phone = sub.text("phone", "", required=True) or ""
            notes = sub.text("notes", "")
            sub.finish()
            if phone and not re.fullmatch(r"[0-9+\-() ,#*x.]+", phone):
                sub.error("phone", f"'{phone}' is not a phone number to dial")
            if _FICTIONAL.search(phone):
                sub.warn("phone", f"{phone} is still a sample (fictional 555-01xx) number")
            contacts[key] = Contact(key, name, phone, notes)
        for needed in REQUIRED_CONTACTS:
            if needed not in contacts:
                sec.error(None, f"missing contact '{needed}' ([contacts.{needed}] with name and phone)")
        return address, contacts

    def _zones(self, root: Section) -> tuple[Zone, ...]:
        zones = []
        for sec, ident in self._unique_ids(root.tables("zones"), "zone"):
            kind = sec.text("kind", "other")
            if kind not in ZONE_KINDS:
                sec.error("kind", f"'{kind}' is not a zone kind; use one of {', '.join(ZONE_KINDS)}")
                kind = "other"
            zones.append(Zone(ident, sec.text("name", ident, required=True), kind))
            sec.finish()
        if not zones:
            root.warn("zones", "no desk zones: the floor sweep will have nothing to check")
        return tuple(zones)

    def _key(self, sec: Section, field_name: str, taken: dict[str, str], owner: str,
             required: bool = True) -> str:
        key = sec.text(field_name, "", required=required) or ""
        if not key:
            return ""
        if not _KEY_NAME.match(key):
            sec.error(field_name, f"'{key}' is not a key name (e.g. d, F5, ctrl+r)")
            return ""
        if key in self.reserved:
            sec.error(field_name, f"'{key}' is already an app key (see the help screen); choose another")
            return ""
        if key in taken:
            sec.error(field_name, f"'{key}' is already used by {taken[key]}")
            return ""
        taken[key] = owner
        return key

    def _tally(self, root: Section) -> TallyConfig:
        sec = root.table("tally", required=True)
        if sec is None:
            return default_tally()
        taken: dict[str, str] = {}
        channels = []
        for sub, ident in self._unique_ids(sec.tables("channels", required=True), "channel"):
            name = sub.text("name", ident, required=True)
            key = self._key(sub, "key", taken, f"channel '{ident}'", required=False)
            channels.append(Channel(ident, name, key))
            sub.finish()
        default_channel = sec.text("default_channel", "in_person")
        if channels and default_channel not in {c.id for c in channels}:
            sec.error("default_channel", f"'{default_channel}' is not one of the channels")
            default_channel = channels[0].id
        categories = []
        for sub, ident in self._unique_ids(sec.tables("categories", required=True), "category"):
            name = sub.text("name", ident, required=True)
            key = self._key(sub, "key", taken, f"category '{ident}'")
            read = sub.flag("read", False)
            sub.finish()
            if key:
                categories.append(Category(ident, name, key, read))
        sec.finish()
        if not categories or not channels:
            return default_tally()
        return TallyConfig(tuple(categories), tuple(channels), default_channel)

    @staticmethod
    def _parsed(sec: Section, key: str, parse: Callable[[str], Any], default: Any = None) -> Any:
        """A text value run through `parse`; its ValueError becomes a located error."""
        text = sec.text(key)
        if text is None:
            return default
        try:
            return parse(text)
        except ValueError as exc:
            sec.error(key, str(exc))
            return default

    @overload
    def _duration(self, sec: Section, key: str, default: timedelta) -> timedelta: ...
    @overload
    def _duration(self, sec: Section, key: str, default: None) -> timedelta | None: ...

    def _duration(self, sec: Section, key: str, default: timedelta | None) -> timedelta | None:
        return self._parsed(sec, key, parse_duration, default)

    def _timespec(self, sec: Section, key: str) -> TimeSpec | None:
        return self._parsed(sec, key, parse_timespec)

    def _tasks(self, root: Section) -> tuple[Task, ...]:
        tasks = []
        for sec, ident in self._unique_ids(root.tables("tasks"), "task"):
            title = sec.text("title", ident, required=True) or ident
            instructions = sec.text("instructions", "") or ""
            at = self._timespec(sec, "at")
            every = self._duration(sec, "every", None)
            start = self._timespec(sec, "from")
            until = self._timespec(sec, "until")
            days = sec.texts("days")
            solo_only = sec.flag("solo_only", False)
            acknowledge = sec.flag("acknowledge", True)
            escalate_after = self._duration(sec, "escalate_after", None)
            completed_by = sec.text("completed_by", "") or ""
            sec.finish()
            weekdays = set()
            for day in days:
                if day.lower() not in WEEKDAYS:
                    sec.error("days", f"'{day}' is not a weekday (monday ... sunday)")
                else:
                    weekdays.add(WEEKDAYS.index(day.lower()))
            if ("at" in sec.data) == ("every" in sec.data):
                sec.error(None, "give either 'at' (e.g. \"close-30m\") or 'every' (e.g. \"2h\"), not both")
                continue
            if every is None and (start or until):
                sec.error("from" if start else "until", "'from' and 'until' go with 'every'")
                continue
            if completed_by and not re.fullmatch(r"[a-z0-9_\-]+\.[a-z0-9_\-]+", completed_by):
                sec.error("completed_by",
                          f"'{completed_by}' should be procedure-id.step-id, e.g. closing.lock-main-doors")
                continue
            if at is None and every is None:
                continue  # its own error was reported
            tasks.append(Task(ident, title, instructions.strip(), at, every, start, until, frozenset(weekdays),
                              solo_only, acknowledge, escalate_after, completed_by))
        return tuple(tasks)

    def _email(self, root: Section) -> EmailSettings | None:
        sec = root.table("email")
        if sec is None:
            return None
        host = self._one_line(sec, "host", required=True)
        if re.search(r"\s", host):
            sec.error("host", f"'{host}' is not a host name (it has spaces in it)")
        port = sec.whole("port", 587, minimum=1, maximum=65535)
        security = sec.text("security", "starttls") or "starttls"
        if security not in ("starttls", "ssl", "none"):
            sec.error("security", f"'{security}' must be starttls, ssl or none")
        user = self._one_line(sec, "user")
        password_env = sec.text("password_env", "") or ""
        if password_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
            sec.error("password_env", f"'{password_env}' is not the name of an environment variable")
        password_file = self._site_path(sec.text("password_file", "") or "")
        if "password" in sec.data:
            sec.known.add("password")
            sec.error("password", "never write the password here: use password_env or password_file")
        sender = self._one_line(sec, "sender", required=True)
        if sender and "@" not in sender:
            sec.error("sender", f"'{sender}' is not an email address")
        timeout = self._mail_timeout(sec)
        ca_file = self._site_path(sec.text("ca_file", "") or "")
        recipients: dict[str, tuple[str, ...]] = {}
        table = sec.table("recipients", required=True)
        if table is not None:
            for purpose in list(table.data):
                addresses = table.texts(purpose)
                bad = [a for a in addresses if not is_address(a)]
                if bad:
                    table.error(purpose, f"{bad[0]!r} is not an email address")
                recipients[purpose] = tuple(addresses)
                if any(a.endswith(".example") for a in addresses):
                    table.warn(purpose, "still the sample addresses (.example): nobody receives these")
            if not recipients.get("reports"):
                table.warn(None, "no 'reports' addresses: end-of-shift reports will not be emailed to anyone")
            table.finish()
        sec.finish()
        self._password_source(sec, user, password_env, password_file)
        if ca_file:
            self._ca_file(sec, ca_file)
        if security == "none" and host and not is_local_host(host):
            if user:
                sec.error("security", f'"none" would send the mail password unencrypted to {host}: '
                                      'use starttls or ssl ("none" is for a relay on this machine)')
            else:
                sec.warn("security", f'"none": alarms and reports cross the network to {host} unencrypted; '
                                     'use starttls or ssl unless it is a relay on this machine')
        # Name each sample value left: a real host with sample recipients still reaches nobody.
        if host.endswith(".example"):
            sec.warn("host", f"'{host}' is still the sample mail server: alerts cannot be delivered")
        if sender.endswith(".example"):
            sec.warn("sender", f"'{sender}' is still the sample sender: servers may refuse it")
        return EmailSettings(host, port, security, user, password_env, password_file, sender, recipients,
                             timeout, ca_file)

    @staticmethod
    def _one_line(sec: Section, key: str, required: bool = False) -> str:
        """Text that goes into a mail header or an SMTP command: a line break there would inject another."""
        value = sec.text(key, "", required=required) or ""
        if re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029]", value):
            sec.error(key, f"{value!r} contains a line break or another control character")
            return ""
        return value.strip()

    def _site_path(self, text: str) -> str:
        """A file named in the site file: ~ expanded, a relative path taken from the site file's folder."""
        if not text:
            return ""
        path = Path(text).expanduser()
        return str(path if path.is_absolute() else self.src.path.parent / path)

    @staticmethod
    def _mail_timeout(sec: Section) -> float:
        value = sec.get("timeout", (int, float), "a number of seconds", DEFAULT_TIMEOUT)
        problem = timeout_problem(value)
        if problem:
            sec.error("timeout", problem)
            return DEFAULT_TIMEOUT
        return float(value)

    @staticmethod
    def _password_source(sec: Section, user: str, password_env: str, password_file: str) -> None:
        """The same rules the mail code applies when it logs in, so `check` finds what would fail at 2 a.m."""
        if password_env and password_file:
            sec.error("password_file", "give password_env or password_file, not both")
            return
        if user and not (password_env or password_file):
            sec.error("user", f"'{user}' has no password: set password_env (an environment variable's name) "
                              "or password_file (a file only you can read)")
            return
        if not user and "user" not in sec.data and (password_env or password_file):  # not one refused above
            sec.warn("password_env" if password_env else "password_file",
                     "no 'user' is set, so this password is never used")
        if password_file:
            try:
                info = os.stat(password_file)
            except FileNotFoundError:
                sec.error("password_file", f"{password_file} does not exist")
                return
            except OSError as exc:
                sec.error("password_file", f"cannot look at {password_file} ({exc.strerror})")
                return
            problem = password_file_problem(info, password_file)
            if problem:
                sec.error("password_file", problem)
            elif hasattr(os, "getuid") and info.st_uid != os.getuid():
                sec.warn("password_file", f"{password_file} belongs to uid {info.st_uid}, not to the user running "
                                          "this check: the desk only uses it when it runs as that user")

    @staticmethod
    def _ca_file(sec: Section, ca_file: str) -> None:
        try:
            with open(ca_file, "rb") as handle:
                head = handle.read(1024 * 1024)
        except FileNotFoundError:
            sec.error("ca_file", f"{ca_file} does not exist")
            return
        except IsADirectoryError:
            sec.error("ca_file", f"{ca_file} is a folder, not a PEM file")
            return
        except OSError as exc:
            sec.error("ca_file", f"cannot read {ca_file} ({exc.strerror})")
            return
        if b"-----BEGIN CERTIFICATE-----" not in head:
            sec.error("ca_file", f"{ca_file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")

    def _checkins(self, root: Section, email: EmailSettings | None) -> CheckinPolicy | None:
        sec = root.table("checkins")
        if sec is None:
            return None
        enabled = sec.flag("enabled", True)
        policy = CheckinPolicy(
            interval=self._duration(sec, "interval", timedelta(minutes=60)),
            sweep_interval=self._duration(sec, "sweep_interval", timedelta(minutes=20)),
            grace=self._duration(sec, "grace", timedelta(minutes=10)),
            solo_only=sec.flag("solo_only", True),
            duress_code=sec.text("duress_code", "") or "",
        )
        repeat = self._duration(sec, "repeat", REPEAT_DEFAULT)  # at least a minute: parse_duration sees to it
        if "repeat" in CheckinPolicy._fields:  # the field arrives with the repeating alarm itself
            policy = policy._replace(repeat=repeat)
        steps = []
        for step in sec.tables("escalation"):
            action = step.text("action", "", required=True) or ""
            to = step.text("to", "") or ""
            command = tuple(step.texts("command"))
            wait = self._duration(step, "wait", timedelta(minutes=5))
            step.finish()
            if action == "email":
                if email is None:
                    step.error("action", "an email step needs an [email] section")
                elif to not in email.recipients:
                    step.error("to", f"'{to}' is not in [email.recipients] ({', '.join(email.recipients)})")
                else:
                    steps.append(EscalationStep("email", to=to, wait=wait))
            elif action == "command":
                if not command or not command[0].strip():
                    step.error("command", "a command step needs command = [\"program\", \"argument\", ...]")
                    continue
                program = command[0]
                found = program if "/" in program else shutil.which(program)
                if "/" in program and not program.startswith("/"):
                    step.error("command", f"'{program}': give the full path (from /) or a program name on PATH; "
                                          "a relative path depends on the folder the desk was started from")
                elif found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
                    # Kept in the chain: the desk tests it at each shift start and shows it FAILED.
                    step.warn("command", f"'{program}' is missing or not executable here: this step would fail")
                steps.append(EscalationStep("command", command=command, wait=wait))
            else:
                step.error("action", f"'{action}' must be email or command")
        sec.finish()
        if not enabled:
            return None
        if not steps:
            sec.warn("escalation", "no escalation steps: a missed check-in will only ring at the desk")
        if policy.duress_code and not re.fullmatch(r"[0-9]{4,8}", policy.duress_code):
            sec.error("duress_code", "use 4 to 8 digits")
        if "duress_code" in sec.data and not policy.duress_code:
            sec.warn("duress_code", "empty: there is no duress code (remove the line, or give 4 to 8 digits)")
        for name, longest in (("interval", MAX_INTERVAL), ("sweep_interval", MAX_INTERVAL), ("grace", MAX_GRACE)):
            if getattr(policy, name) > longest:
                sec.error(name, f"longer than {duration_text(longest)}: a lone worker would go that long "
                                "without anyone noticing")
        return policy._replace(escalation=tuple(steps))

    def _keys(self, root: Section) -> dict[str, str]:
        """[keys] remaps app bindings by id: `"shift.end" = "ctrl+e"`."""
        sec = root.table("keys")
        if sec is None:
            return {}
        known = default_keys()
        out = {}
        for binding_id in list(sec.data):
            if binding_id not in known:
                continue  # reported by finish() as unknown, with a suggestion
            value = sec.text(binding_id, "")
            # F8 and f8 are one key to the person; Textual names keys in lower case.
            names = [k.strip().lower() for k in (value or "").split(",") if k.strip()]
            bad = [k for k in names if not _KEY_NAME.match(k)]
            if bad or not names:
                sec.error(binding_id, f"'{value}' is not a key name (e.g. ctrl+e, F2, u)")
                continue
            out[binding_id] = ",".join(names)
        sec.known.update(known)
        sec.finish()
        # A key given to two commands works for one of them only (F8, a priority binding, would
        # win over undo and leave undo with no key at all).
        owners: dict[str, str] = {}
        for binding_id, value in (known | out).items():
            for key in value.split(","):
                owners.setdefault(key.strip().lower(), binding_id)
        for binding_id, value in out.items():
            for key in value.split(","):
                key = key.strip().lower()
                if key in READ_KEYS:
                    sec.error(binding_id, f"'{key}' is a READ level key (1-6 before a statistics key)")
                elif owners[key] != binding_id:
                    other = COMMAND_BY_ID[owners[key]]
                    sec.error(binding_id, f"'{key}' is already the key of '{other.id}' ({other.help}); "
                                          f"remap that one too, or choose another key")
        return out

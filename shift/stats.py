"""The coordinator's desk statistics over a period: what the desk's hours are set from.

Figures come from SQL (GROUP BY), not from walking rows in Python: a year is some
55,000 entries. Local time is worked out inside the query: the site's UTC offsets
over the period (daylight saving included) become one CASE over the stored UTC
times, applied to hour buckets rather than to every row.

Several desks' databases are read together, each opened read-only and attached to
the first; rows are merged by their id (UUIDs), so an entry is counted once however
many of the files hold it, and a void in any of them voids it.
"""

from __future__ import annotations

import math
import os
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from shift import checkins, prompts
from shift.clock import UTC, from_iso, to_iso
from shift.hours import HoursCalendar, local_moment
from shift.site import Site
from shift.store import ReadOnlyStore, Store, StoreError

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEVELS = 4  # heat levels 1..4 (0: nothing counted; None: never open)
DEFAULT_DAYS = 28  # without --from: the four weeks up to --to (today by default)
BUSIEST = 3  # how many of the busiest and of the quietest open hours are named
PROMPT_KINDS = ("on time", "late", "skipped", "missed", "open")
CHECKIN_KINDS = ("on time", "late", "missed")


class Sources:
    """The databases read together, through one connection: `schemas` name them in SQL."""

    def __init__(self, stores: list[Store], schemas: list[str]) -> None:
        self.stores = stores
        self.schemas = schemas
        self.conn = stores[0].conn

    @classmethod
    def open(cls, paths: list[Path]) -> "Sources":
        """Each file opened read-only (so each is checked: there, a desk database, up to date);
        the same file named twice is read once. Raises StoreError with a message for people."""
        stores: list[ReadOnlyStore] = []
        try:
            for path in paths:
                if any(_same_file(path, s.path) for s in stores):
                    continue
                stores.append(Store.open_read_only(path))
            schemas = ["main"]
            for number, other in enumerate(stores[1:], start=1):
                schemas.append(f"desk{number}")
                try:
                    stores[0].attach(other, schemas[-1])
                except Exception as exc:  # e.g. more files than SQLite attaches at once
                    raise StoreError(f"{other.path} could not be read with the others ({exc}).") from exc
        except BaseException:
            for store in stores:
                store.close()
            raise
        return cls(list(stores), schemas)

    @classmethod
    def of(cls, store: Store) -> "Sources":
        """The desk's own database, as the statistics screen reads it."""
        return cls([store], ["main"])

    def union(self, select: str) -> str:
        """`select` (with {s} for the schema) over every database, merged: UNION drops a row
        another file already gave (the same id, and rows are never changed)."""
        return "\nUNION\n".join(select.format(s=s) for s in self.schemas)

    def close(self) -> None:
        for store in self.stores:
            store.close()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class Cell(NamedTuple):
    """One weekday × hour of the heat map."""

    total: int
    open: int  # how many times the library was open in this hour over the period (counted_open_hours)
    average: float | None  # total / open; None: no open hour counted (shown blank, not 0)
    level: int | None  # heat level of the average (shift decides; screens map it to a colour)
    total_level: int | None  # None: no open hour and nothing logged


class Week(NamedTuple):
    monday: date
    total: int
    reference: int  # reference transactions ([survey])
    open_hours: int
    full: bool  # all seven days inside the period, every open hour of them counted


class Survey(NamedTuple):
    configured: bool
    reference: int
    directional: int
    not_counted: int
    typical_week: float | None  # median of the full weeks' reference counts (weeks the library opened)
    full_weeks: int
    mapping: tuple[tuple[str, str, str], ...]  # (category id, name, 'reference'|'directional'|'not counted')


class Stats(NamedTuple):
    site: str
    first: date
    last: date
    desk: str | None
    sources: tuple[str, ...]
    total: int
    grid: dict[tuple[int, int], Cell]  # (weekday Mon=0, hour) -> cell
    hours: tuple[int, ...]  # the hours of the day the map shows (any open, or any entry)
    outside_hours: int  # entries in hours with no open hour counted (closed, or not counted)
    by_category: tuple[tuple[str, str, int], ...]  # (id, name, count), site order, then unknown ids
    by_channel: tuple[tuple[str, str, int], ...]
    by_read: tuple[tuple[int | None, int], ...]  # levels 1-6; None: not scored
    busiest: tuple[tuple[int, int, float], ...]  # (weekday, hour, average)
    quietest: tuple[tuple[int, int, float], ...]
    weeks: tuple[Week, ...]
    incidents: tuple[tuple[str, int], ...]
    prompts: dict[str, int]
    checkins: dict[str, int]
    survey: Survey
    top_average: float
    top_total: int
    counted_from: datetime | None  # (local) the first record, when open hours of the period came before it
    counted_until: datetime | None  # (local) now, when open hours of the period are still to come

    def level_range(self, level: int, averages: bool = True) -> tuple[float, float]:
        """The values a heat level stands for (for the legend)."""
        top = self.top_average if averages else self.top_total
        return top * (level - 1) / LEVELS, top * level / LEVELS


def heat_level(value: float, top: float) -> int:
    """0 for nothing; else 1..LEVELS by quarter of the busiest value."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(LEVELS, math.ceil(value / top * LEVELS)))


def default_period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """--to defaults to today; --from to the four weeks (28 days) ending on --to.
    Raises ValueError for a period that cannot be counted (see countable)."""
    last = last or today
    if first is None:
        countable(last, last)
        if (last - EARLIEST_DAY).days < DEFAULT_DAYS - 1:
            raise ValueError(f"the four weeks up to {last} would begin before {EARLIEST_DAY}, too near the "
                             "start of the calendar to count: give --from")
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    countable(first, last)
    return first, last


# The calendar's ends: a period's moments, its Monday-to-Sunday weeks and the days either side that the zone's
# offsets are read over, must be dates Python can hold.
EARLIEST_DAY = date.min + timedelta(days=10)
LATEST_DAY = date.max - timedelta(days=10)


def countable(first: date, last: date) -> None:
    """Raises ValueError, with a message for people, for a period the statistics cannot count."""
    for day in (first, last):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValueError(f"{day} is too near the end of the calendar to count: give dates from "
                             f"{EARLIEST_DAY} to {LATEST_DAY}")
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")


def bounds(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """The period's real moments: local midnight starting `first` to that ending `last`."""
    countable(first, last)
    return local_moment(first, 0, zone), local_moment(last + timedelta(days=1), 0, zone)


# -- local time in SQL ------------------------------------------------------------

def _offset(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def offset_pieces(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offset (minutes) over start..end: [(changes_at, offset before it)...,
    (None, the last offset)]. Daily steps, then a bisection to the second for each change."""
    pieces: list[tuple[datetime | None, int]] = []
    here, current = start - timedelta(days=1), _offset(zone, start - timedelta(days=1))
    while here < end + timedelta(days=1):
        step = here + timedelta(days=1)
        if _offset(zone, step) != current:
            low, high = here, step
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(zone, middle) == current else (low, middle)
            pieces.append((high.replace(microsecond=0), current))
            current = _offset(zone, step)
        here = step
    pieces.append((None, current))
    return pieces


class LocalTime(NamedTuple):
    """SQL that puts a stored UTC time into the site's local time, bucket by bucket."""

    bucket: str  # SQL over {col}: the UTC bucket ('YYYY-MM-DDTHH:MM'), aligned so no offset changes inside
    local: str  # SQL over {col}, a bucket: its local 'YYYY-MM-DD HH:MM:SS'


def local_time_sql(zone: ZoneInfo, start: datetime, end: datetime) -> LocalTime:
    pieces = offset_pieces(zone, start, end)
    minutes = [offset for _, offset in pieces] + [at.hour * 60 + at.minute for at, _ in pieces if at]
    exact = all(at.second == 0 for at, _ in pieces if at)
    size = next((g for g in (60, 30, 15) if exact and all(m % g == 0 for m in minutes)), 1)
    if size == 60:
        bucket = "substr({col}, 1, 13) || ':00'"
    elif size == 1:
        bucket = "substr({col}, 1, 16)"
    else:
        bucket = f"substr({{col}}, 1, 14) || printf('%02d', CAST(substr({{col}}, 15, 2) AS INTEGER) / {size} * {size})"
    if len(pieces) == 1:
        case = str(pieces[0][1])
    else:
        whens = " ".join(f"WHEN {{col}} < '{at.astimezone(UTC):%Y-%m-%dT%H:%M}' THEN {offset}"
                         for at, offset in pieces if at is not None)
        case = f"CASE {whens} ELSE {pieces[-1][1]} END"
    return LocalTime(bucket, f"datetime({{col}}, ({case}) || ' minutes')")


# -- the sources of rows ----------------------------------------------------------

def _desk_filter(column: str, desk: str | None) -> str:
    return f" AND {column} IN (SELECT id FROM {{s}}.shifts WHERE desk = :desk)" if desk is not None else ""


def live_tallies(sources: Sources, desk: str | None, with_desk: bool = False) -> str:
    """Entries between :start and :end, voids excluded, merged over the databases by id."""
    desk_column = ", (SELECT desk FROM {s}.shifts WHERE id = t.shift_id) AS desk" if with_desk else ""
    rows = sources.union(
        "SELECT t.id, t.occurred_at, t.category, t.channel, t.read_level, t.quantity" + desk_column +
        " FROM {s}.tallies t WHERE t.occurred_at >= :start AND t.occurred_at < :end" +
        _desk_filter("t.shift_id", desk))
    voids = sources.union("SELECT tally_id FROM {s}.tally_voids")
    return f"SELECT * FROM ({rows}) WHERE id NOT IN ({voids})"


# -- the figures --------------------------------------------------------------------

def build(sources: Sources, site: Site, first: date, last: date, desk: str | None = None,
          now: datetime | None = None) -> Stats:
    """Raises ValueError for a period that cannot be counted. `now`: by default the first
    database's clock (the desk's own on its screen, the real time for the command)."""
    zone = site.zone
    start, end = bounds(zone, first, last)
    params = {"start": to_iso(start), "end": to_iso(end), "desk": desk}
    local = local_time_sql(zone, start, end)
    reference = {f"ref{n}": category for n, category in enumerate(site.survey.reference)}
    marks = ", ".join(f":{name}" for name in reference) or "NULL"
    sql = f"""
        WITH live AS MATERIALIZED (
            SELECT {local.bucket.format(col="occurred_at")} AS b, category AS c, channel AS ch,
                   read_level AS r, quantity AS q
            FROM ({live_tallies(sources, desk)})),
        hourly AS MATERIALIZED (
            SELECT {local.local.format(col="b")} AS lt, n, ref FROM (
                SELECT b, SUM(q) AS n, SUM(CASE WHEN c IN ({marks}) THEN q ELSE 0 END) AS ref
                FROM live GROUP BY b))
        SELECT 'slot', CAST(strftime('%w', lt) AS INTEGER), CAST(strftime('%H', lt) AS INTEGER), NULL, SUM(n)
            FROM hourly GROUP BY 2, 3
        UNION ALL SELECT 'day', date(lt), NULL, SUM(ref), SUM(n) FROM hourly GROUP BY 2
        UNION ALL SELECT 'kind', c, ch, r, SUM(q) FROM live GROUP BY 2, 3, 4"""
    totals: Counter = Counter()
    days: dict[date, tuple[int, int]] = {}
    kinds: list[tuple[str, str, int | None, int]] = []
    for kind, a, b, c, n in sources.conn.execute(sql, params | reference):
        if kind == "slot":
            totals[((a + 6) % 7, b)] += n  # SQLite's %w counts from Sunday
        elif kind == "day":
            days[date.fromisoformat(a)] = (n, c or 0)
        else:
            kinds.append((a, b, c, n))
    now = now or sources.stores[0].clock.now()
    since = first_record(sources, desk)
    counted = counted_open_hours(site.hours, first, last, since, now)
    return _assemble(site, first, last, desk, sources, totals, days, kinds, counted,
                     since.astimezone(zone) if since is not None and counted.before else None,
                     now.astimezone(zone) if counted.after else None,
                     incidents_by_category(sources, params, desk),
                     prompt_punctuality(sources, site, params, desk),
                     checkin_punctuality(sources, params, desk))


class OpenHours(NamedTuple):
    """The open hours the averages divide by (counted_open_hours decides which)."""

    slots: Counter  # (weekday, hour) -> how many times that hour was open and counted
    by_day: Counter  # local date -> open hours counted that day
    cut: frozenset[date]  # days of the period with an open hour not counted (before the records, or to come)
    calendar: frozenset[int]  # the hours of the day the library opened in the period, counted or not
    before: bool  # an open hour of the period came before `since`, so was not counted
    after: bool  # an open hour of the period comes after `until`


def counted_open_hours(hours: HoursCalendar, first: date, last: date, since: datetime | None,
                       until: datetime) -> OpenHours:
    """How many times each weekday × hour was open over the period, from the site's hours calendar
    (an hour open for any part of it counts), and how many hours were open each day.

    The one rule for every average, the weeks, the quietest hours and the typical week: only the
    open time from `since` (the desk's first record) up to `until` (now) counts. An hour that has
    not come yet, or one before the desk kept any record, had nobody counting: it is no 0."""
    zone = hours.zone
    seen: set[tuple[date, int]] = set()
    early: set[tuple[date, int]] = set()  # open hours left out: before `since`
    late: set[tuple[date, int]] = set()  # and from `until` on
    calendar: set[int] = set()
    day = first
    while day <= last:
        for start, end in hours.intervals(day):
            counted = _hours_touched(max(start, since) if since else start, min(end, until), zone)
            seen |= counted
            if since is not None:
                early |= _hours_touched(start, min(end, since), zone) - counted
            late |= _hours_touched(max(start, until), end, zone) - counted
            calendar.update(hour for _, hour in _hours_touched(start, end, zone))
        day += timedelta(days=1)
    slots: Counter = Counter()
    by_day: Counter = Counter()
    for when, hour in seen:
        if first <= when <= last:
            slots[(when.weekday(), hour)] += 1
            by_day[when] += 1
    early = {(when, hour) for when, hour in early if first <= when <= last}
    late = {(when, hour) for when, hour in late if first <= when <= last}
    return OpenHours(slots, by_day, frozenset(when for when, _ in early | late), frozenset(calendar),
                     bool(early), bool(late))


def _hours_touched(start: datetime, end: datetime, zone: ZoneInfo) -> set[tuple[date, int]]:
    """The local (date, hour)s that start..end covers any part of."""
    if start >= end:
        return set()
    begin, finish = start.astimezone(zone), end.astimezone(zone)
    if begin.utcoffset() == finish.utcoffset() and begin.date() == finish.date():
        last_hour = finish.hour if (finish.minute or finish.second or finish.microsecond) else finish.hour - 1
        return {(begin.date(), h) for h in range(begin.hour, last_hour + 1)}
    found = set()
    moment = start  # a daylight-saving change or midnight inside: hour by hour
    while moment < end:
        here = moment.astimezone(zone)
        found.add((here.date(), here.hour))
        moment += timedelta(minutes=60 - here.minute) - timedelta(seconds=here.second, microseconds=here.microsecond)
    return found


def first_record(sources: Sources, desk: str | None) -> datetime | None:
    """The desk's first record over every database: the earliest shift start or entry (an entry
    logged late may be dated before its shift began). None: nothing recorded yet."""
    if desk is None:
        found = sources.union("SELECT MIN(started_at) AS at FROM {s}.shifts UNION ALL "
                              "SELECT MIN(occurred_at) FROM {s}.tallies")
    else:
        found = sources.union("SELECT MIN(started_at) AS at FROM {s}.shifts WHERE desk = :desk UNION ALL "
                              "SELECT MIN(occurred_at) FROM {s}.tallies" + _desk_filter("shift_id", desk)
                              .replace(" AND", " WHERE", 1))
    earliest = sources.conn.execute(f"SELECT MIN(at) FROM ({found})", {"desk": desk}).fetchone()[0]
    return from_iso(earliest) if earliest else None


def desks_recorded(sources: Sources) -> tuple[str, ...]:
    """The desk ids of the shifts in the databases, sorted."""
    found = sources.union("SELECT DISTINCT desk FROM {s}.shifts")
    return tuple(row[0] for row in sources.conn.execute(f"SELECT desk FROM ({found}) ORDER BY desk"))


def _assemble(site: Site, first: date, last: date, desk: str | None, sources: Sources, totals: Counter,
              days: dict[date, tuple[int, int]], kinds: list[tuple[str, str, int | None, int]],
              counted: OpenHours, since: datetime | None, until: datetime | None,
              incidents: tuple[tuple[str, int], ...],
              prompt_counts: dict[str, int], checkin_counts: dict[str, int]) -> Stats:
    open_slots = counted.slots
    averages = {slot: totals[slot] / count for slot, count in open_slots.items()}
    top_average = max(averages.values(), default=0.0)
    top_total = max(totals.values(), default=0)
    grid = {}
    for weekday in range(7):
        for hour in range(24):
            count = open_slots.get((weekday, hour), 0)
            total = totals.get((weekday, hour), 0)
            average = averages.get((weekday, hour))
            grid[(weekday, hour)] = Cell(
                total, count, average,
                None if average is None else heat_level(average, top_average),
                None if not (count or total) else heat_level(total, top_total))
    outside = sum(n for slot, n in totals.items() if slot not in open_slots)
    used = sorted(counted.calendar | {h for (_, h), n in totals.items() if n})
    hours = tuple(range(used[0], used[-1] + 1)) if used else ()
    # Nothing logged in any open hour: every hour is 0, and there is nothing to rank.
    ranked = sorted(averages.items(), key=lambda item: (-item[1], item[0])) if top_average else []
    busiest = tuple((w, h, a) for (w, h), a in ranked[:BUSIEST] if a)
    quietest = tuple((w, h, a) for (w, h), a in sorted(ranked, key=lambda i: (i[1], i[0]))[:BUSIEST])

    by_cat: Counter = Counter()
    by_chan: Counter = Counter()
    by_read: Counter = Counter()
    for category, channel, read, n in kinds:
        by_cat[category] += n
        by_chan[channel] += n
        by_read[read] += n
    config = site.tally
    cat_order = [c.id for c in config.categories] + sorted(set(by_cat) - {c.id for c in config.categories})
    chan_order = [c.id for c in config.channels] + sorted(set(by_chan) - {c.id for c in config.channels})
    categories = tuple((c, (cat.name if (cat := config.category(c)) else c), by_cat[c]) for c in cat_order)
    channels = tuple((c, (ch.name if (ch := config.channel(c)) else c), by_chan[c]) for c in chan_order)
    reads = tuple((level, by_read[level]) for level in (1, 2, 3, 4, 5, 6, None))

    weeks = _weeks(first, last, days, counted)
    survey = _survey(site, by_cat, weeks)
    return Stats(site.name, first, last, desk, tuple(str(s.path) for s in sources.stores),
                 sum(by_cat.values()), grid, hours, outside, categories, channels, reads, busiest, quietest,
                 weeks, incidents, prompt_counts, checkin_counts, survey, top_average, top_total, since, until)


def _weeks(first: date, last: date, days: dict[date, tuple[int, int]], counted: OpenHours) -> tuple[Week, ...]:
    """Monday-to-Sunday weeks touching the period; `full` when all seven days are inside it and
    every open hour of them counted (none before the first record, none still to come)."""
    weeks = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        inside = [monday + timedelta(days=n) for n in range(7) if first <= monday + timedelta(days=n) <= last]
        weeks.append(Week(monday, sum(days.get(d, (0, 0))[0] for d in inside),
                          sum(days.get(d, (0, 0))[1] for d in inside),
                          sum(counted.by_day.get(d, 0) for d in inside),
                          len(inside) == 7 and not counted.cut.intersection(inside)))
        monday += timedelta(days=7)
    return tuple(weeks)


def _survey(site: Site, by_cat: Counter, weeks: tuple[Week, ...]) -> Survey:
    config = site.survey
    known = [c.id for c in site.tally.categories]
    ids = known + sorted(set(by_cat) - set(known))
    mapping = tuple((c, (cat.name if (cat := site.tally.category(c)) else c), config.kind(c)) for c in ids)
    counted = [w.reference for w in weeks if w.full and w.open_hours]
    return Survey(
        config.configured,
        sum(by_cat[c] for c in ids if config.kind(c) == "reference"),
        sum(by_cat[c] for c in ids if config.kind(c) == "directional"),
        sum(by_cat[c] for c in ids if config.kind(c) == "not counted"),
        float(statistics.median(counted)) if counted else None,
        len(counted), mapping)


def incidents_by_category(sources: Sources, params: dict, desk: str | None) -> tuple[tuple[str, int], ...]:
    rows = sources.union("SELECT id, category FROM {s}.incidents WHERE occurred_at >= :start "
                         "AND occurred_at < :end" + _desk_filter("shift_id", desk))
    found = sources.conn.execute(f"SELECT category, COUNT(*) FROM ({rows}) GROUP BY category "
                                 "ORDER BY COUNT(*) DESC, category", params).fetchall()
    return tuple((category, n) for category, n in found)


def prompt_punctuality(sources: Sources, site: Site, params: dict, desk: str | None) -> dict[str, int]:
    """Timed prompts due in the period, each judged once (shift/prompts.py decides): a prompt
    not dealt with while its shift is still open is 'open', not missed yet. Prompts of tasks
    that need no acknowledging (announcements) are left out: nobody is asked to do anything."""
    # Two desks each have a prompt for the same task and time (prompt_key), even under the same
    # desk id: a prompt is its key within one desk's database, named there by the first shift that
    # recorded an event of it (a prompt rung in one shift may be done in the next), or, with no
    # shift at all, by its first event's id. Ids are UUIDs, so two databases' prompts stay apart
    # and a copy of a database names each prompt as the original does: counted once.
    same = "x.due_at = e.due_at AND x.prompt_key = e.prompt_key"
    events = sources.union(
        "SELECT e.id, e.prompt_key, e.task_id, e.event, e.at, "
        f"COALESCE((SELECT x.shift_id FROM {{s}}.prompt_events x WHERE {same} AND x.shift_id IS NOT NULL "
        f"ORDER BY x.at, x.id LIMIT 1), (SELECT MIN(x.id) FROM {{s}}.prompt_events x WHERE {same})) AS prompt, "
        "e.shift_id IS NULL OR EXISTS (SELECT 1 FROM {s}.shift_ends x WHERE x.shift_id = e.shift_id) AS ended "
        "FROM {s}.prompt_events e WHERE e.due_at >= :start AND e.due_at < :end" + _desk_filter("e.shift_id", desk))
    rows = sources.conn.execute(f"""
        SELECT task_id, MAX(CASE WHEN event IN ('done', 'skipped') THEN at || ' ' || event END),
               MAX(event = 'escalated'), MAX(event = 'missed'), MIN(ended)
        FROM ({events}) GROUP BY prompt_key, prompt""", params).fetchall()
    quiet = {t.id for t in site.tasks if not t.acknowledge}
    found = dict.fromkeys(PROMPT_KINDS, 0)
    for task_id, closing, escalated, missed, ended in rows:
        if task_id in quiet:
            continue
        final = prompts.final_state(closing.rsplit(" ", 1)[1] if closing else None, bool(missed))
        if final == "not dealt with" and not ended:
            found["open"] += 1
            continue
        found[prompts.punctuality(final, bool(escalated), bool(missed))] += 1
    return found


def checkin_punctuality(sources: Sources, params: dict, desk: str | None) -> dict[str, int]:
    """Lone-worker check-ins in the period, judged shift by shift (shift/checkins.py decides)."""
    events = sources.union("SELECT id, shift_id, kind, at, detail FROM {s}.checkin_events "
                           "WHERE at >= :start AND at < :end" + _desk_filter("shift_id", desk))
    found = dict.fromkeys(CHECKIN_KINDS, 0)
    shift: list[dict] = []
    for row in sources.conn.execute(f"SELECT shift_id, kind, at, detail FROM ({events}) ORDER BY shift_id, at",
                                    params):
        if shift and shift[0]["shift_id"] != row[0]:
            _add(found, checkins.punctuality(shift))
            shift = []
        shift.append({"shift_id": row[0], "kind": row[1], "at": row[2], "detail": row[3]})
    if shift:
        _add(found, checkins.punctuality(shift))
    return found


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


# -- one row per transaction, for a spreadsheet --------------------------------------

class Transaction(NamedTuple):
    date: str  # local YYYY-MM-DD
    time: str  # local HH:MM
    half_hour: str  # the half-hour it falls in, HH:MM
    weekday: str
    type: str
    channel: str
    read_level: str  # '' when not scored
    desk: str


def transactions(sources: Sources, site: Site, first: date, last: date,
                 desk: str | None = None) -> list[Transaction]:
    """Every live entry of the period in local time, in time order; an entry counting several
    questions (logged as 3 at once) is that many rows, so each row is one transaction."""
    zone = site.zone
    start, end = bounds(zone, first, last)
    params = {"start": to_iso(start), "end": to_iso(end), "desk": desk}
    local = local_time_sql(zone, start, end)
    sql = (f"SELECT {local.local.format(col='occurred_at')}, category, channel, read_level, "
           f"quantity, desk FROM ({live_tallies(sources, desk, with_desk=True)}) ORDER BY occurred_at, id")
    out = []
    config = site.tally
    for local_time, category, channel, read, quantity, desk_id in sources.conn.execute(sql, params):
        day, clock = local_time[:10], local_time[11:16]
        half = f"{clock[:3]}{'30' if int(clock[3:]) >= 30 else '00'}"
        row = Transaction(day, clock, half, WEEKDAY_NAMES[date.fromisoformat(day).weekday()],
                          (cat.name if (cat := config.category(category)) else category),
                          (ch.name if (ch := config.channel(channel)) else channel),
                          "" if read is None else str(read), site.desk_name(desk_id or ""))
        out += [row] * quantity
    return out

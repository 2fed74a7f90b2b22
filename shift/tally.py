"""Desk statistics: one row per entry, voids as new rows, counts derived."""

from collections import Counter
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from shift.clock import from_iso, to_iso
from shift.shifts import Shift
from shift.site import TallyConfig
from shift.store import Store


class TallyEntry(NamedTuple):
    id: str
    occurred_at: datetime
    category: str
    channel: str
    read_level: int | None
    quantity: int
    note: str
    recorded_at: datetime


def entry_from_row(row: dict) -> TallyEntry:
    return TallyEntry(
        row["id"], from_iso(row["occurred_at"]), row["category"], row["channel"],
        row["read_level"], row["quantity"], row["note"], from_iso(row["recorded_at"]),
    )


def read_level_kept(config: TallyConfig, category: str, read_level: int | None) -> tuple[int | None, str]:
    """The READ level an entry keeps, and what to tell the person when a level was given and not kept.

    A category the site does not score on the READ scale (`read = false`, e.g. directional
    questions, which the annual surveys leave out) keeps no level. The entry itself is still
    recorded: the person pressed 3 then d because a patron asked the way, and refusing the tally
    would lose the count they meant to make (and make logging slower); a level on a category nobody
    scores would only be noise in the coordinator's figures. So: recorded without it, and said.
    """
    cat = config.category(category)
    if read_level is None or cat is None or cat.read:
        return read_level, ""
    return None, f"READ {read_level} not kept: {cat.name} questions are not scored on the READ scale"


def record(
    store: Store,
    config: TallyConfig,
    shift: Shift,
    category: str,
    channel: str | None = None,
    read_level: int | None = None,
    note: str = "",
    quantity: int = 1,
    occurred_at: datetime | None = None,
) -> TallyEntry:
    """Validate and commit one entry; returns it only once it is on disk."""
    if config.category(category) is None:
        raise ValueError(f"'{category}' is not a desk-statistics category of this site")
    channel = channel or config.default_channel
    if config.channel(channel) is None:
        raise ValueError(f"'{channel}' is not a channel of this site")
    if read_level is not None and not 1 <= read_level <= 6:
        raise ValueError("READ levels go from 1 to 6")
    read_level, _ = read_level_kept(config, category, read_level)
    if quantity < 1 or quantity > 500:
        raise ValueError("The count must be between 1 and 500")
    now = store.clock.now()
    when = occurred_at or now
    if when > now + timedelta(seconds=1):
        raise ValueError("An entry cannot be in the future")
    if when < shift.started_at:
        if when < shift.started_at.replace(second=0, microsecond=0):
            raise ValueError("A late entry must fall within this shift (after it started)")
        when = shift.started_at  # a time typed to the minute, in the minute the shift started
    row = store.insert(
        "tallies",
        {
            "shift_id": shift.id,
            "occurred_at": to_iso(when),
            "recorded_at": to_iso(now),
            "category": category,
            "channel": channel,
            "read_level": read_level,
            "quantity": quantity,
            "note": note,
        },
    )
    return entry_from_row(row)


def void_last(store: Store, shift: Shift) -> TallyEntry | None:
    """Undo: void the most recently recorded entry of this shift that is not yet void."""
    voided = {row["tally_id"] for row in store.waiting("tally_voids", shift_id=shift.id)}
    # An entry still waiting for storage is the newest: undo takes it first.
    rows = [row for row in reversed(store.waiting("tallies", shift_id=shift.id)) if row["id"] not in voided]
    rows += [row for row in store.rows(
        """SELECT t.* FROM tallies t LEFT JOIN tally_voids v ON v.tally_id = t.id
           WHERE t.shift_id = ? AND v.id IS NULL ORDER BY t.recorded_at DESC, t.rowid DESC LIMIT ?""",
        (shift.id, len(voided) + 1),
    ) if row["id"] not in voided]
    if not rows:
        return None
    store.insert("tally_voids", {"tally_id": rows[0]["id"], "shift_id": shift.id, "voided_at": store.now_iso()})
    return entry_from_row(rows[0])


_LIVE = """FROM tallies t LEFT JOIN tally_voids v ON v.tally_id = t.id
           WHERE v.id IS NULL AND t.occurred_at >= ? AND t.occurred_at < ?"""


def _live(store: Store, start: datetime, end: datetime) -> list[dict]:
    """Live (not voided) entries between two moments, those still waiting for storage
    included: what the desk confirmed counts at once."""
    first, last = to_iso(start), to_iso(end)
    rows = store.rows(f"SELECT t.id, t.shift_id, t.occurred_at, t.category, t.quantity {_LIVE}", (first, last))
    if not store.pending:
        return rows
    waiting = [row for row in store.waiting("tallies") if first <= row["occurred_at"] < last]
    voided = {row["tally_id"] for row in store.waiting("tally_voids")}
    return [row for row in rows + waiting if row["id"] not in voided]


def counts(store: Store, start: datetime, end: datetime) -> Counter:
    """Live (not voided) counts by category between two moments."""
    found: Counter = Counter()
    for row in _live(store, start, end):
        found[row["category"]] += row["quantity"]
    return found


class DeskCounts(NamedTuple):
    """What the desk's statistics panel shows: this shift's counts beside today's (the shift
    report counts the shift; the day may have had another shift before it), and today by hour."""

    shift: Counter
    today: Counter
    by_hour: Counter  # local hour of day -> count, today


def desk_counts(store: Store, shift: Shift, now: datetime, zone: ZoneInfo) -> DeskCounts:
    start, end = day_bounds(now, zone)
    today: Counter = Counter()
    by_hour: Counter = Counter()
    mine: Counter = Counter()
    first = to_iso(start)
    # One read: a shift may have begun yesterday evening, and all of it counts as this shift.
    for row in _live(store, min(shift.started_at, start), end):
        if row["shift_id"] == shift.id:
            mine[row["category"]] += row["quantity"]
        if row["occurred_at"] >= first:
            today[row["category"]] += row["quantity"]
            by_hour[from_iso(row["occurred_at"]).astimezone(zone).hour] += row["quantity"]
    return DeskCounts(mine, today, by_hour)


def counts_by_hour(store: Store, start: datetime, end: datetime, zone: ZoneInfo) -> Counter:
    """Live counts by local hour of day (0-23)."""
    by_hour: Counter = Counter()
    for row in _live(store, start, end):
        by_hour[from_iso(row["occurred_at"]).astimezone(zone).hour] += row["quantity"]
    return by_hour


def day_bounds(day_moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of the local day containing `day_moment`, as real moments."""
    local = day_moment.astimezone(zone).date()
    start = datetime.combine(local, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(local + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end

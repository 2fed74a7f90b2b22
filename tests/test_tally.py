"""Desk statistics: entries, undo as a void, late entries within the shift, counts."""

from datetime import timedelta

import pytest

from conftest import TORONTO, local
from shift import desklog, tally
from shift.shifts import start_shift


def test_record_and_count(store, site, shift):
    tally.record(store, site.tally, shift, "directional")
    tally.record(store, site.tally, shift, "reference", channel="phone", read_level=3)
    tally.record(store, site.tally, shift, "directional", quantity=3)
    start, end = tally.day_bounds(store.clock.now(), TORONTO)
    assert tally.counts(store, start, end) == {"directional": 4, "reference": 1}
    assert tally.counts_by_hour(store, start, end, TORONTO) == {19: 5}
    row = store.rows("SELECT channel, read_level FROM tallies WHERE category = 'reference'")[0]
    assert row == {"channel": "phone", "read_level": 3}


def test_entries_default_to_in_person(store, site, shift):
    entry = tally.record(store, site.tally, shift, "circulation")
    assert entry.channel == "in_person" and entry.read_level is None


def test_undo_voids_the_last_entry_without_deleting_it(store, site, shift, clock):
    tally.record(store, site.tally, shift, "directional")
    clock.advance(seconds=5)
    last = tally.record(store, site.tally, shift, "technology")
    assert tally.void_last(store, shift).id == last.id
    start, end = tally.day_bounds(clock.now(), TORONTO)
    assert tally.counts(store, start, end) == {"directional": 1}
    assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 2
    tally.void_last(store, shift)
    assert tally.void_last(store, shift) is None  # nothing left to undo
    assert sum(tally.counts(store, start, end).values()) == 0


def test_late_entry_is_backdated_within_the_shift(store, site, shift):
    at_seven = local(2026, 11, 24, 19, 0)
    entry = tally.record(store, site.tally, shift, "directional", channel="phone", quantity=3, occurred_at=at_seven)
    assert entry.occurred_at == at_seven
    start, end = tally.day_bounds(at_seven, TORONTO)
    assert tally.counts_by_hour(store, start, end, TORONTO) == {19: 3}
    text = desklog.describe_tally(site.tally, entry, TORONTO)
    assert text == "3 × Directional (Phone) (late entry for 19:00)"
    with pytest.raises(ValueError, match="within this shift"):
        tally.record(store, site.tally, shift, "directional", occurred_at=local(2026, 11, 24, 17, 0))
    with pytest.raises(ValueError, match="future"):
        tally.record(store, site.tally, shift, "directional", occurred_at=store.clock.now() + timedelta(hours=1))


def test_an_entry_in_the_minute_the_shift_started_counts_from_its_start(store, site, clock):
    clock.advance(seconds=40)  # 19:30:40
    started = start_shift(store, "Sam", "main")
    clock.advance(seconds=5)
    entry = tally.record(store, site.tally, started, "directional", occurred_at=local(2026, 11, 24, 19, 30))
    assert entry.occurred_at == started.started_at
    with pytest.raises(ValueError, match="within this shift"):
        tally.record(store, site.tally, started, "directional", occurred_at=local(2026, 11, 24, 19, 29))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"category": "gossip"}, "not a desk-statistics category"),
        ({"category": "directional", "channel": "pigeon"}, "not a channel"),
        ({"category": "reference", "read_level": 7}, "READ levels go from 1 to 6"),
        ({"category": "reference", "quantity": 0}, "between 1 and 500"),
    ],
)
def test_invalid_entries_are_refused_and_nothing_is_written(store, site, shift, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tally.record(store, site.tally, shift, **kwargs)
    assert store.rows("SELECT COUNT(*) AS n FROM tallies")[0]["n"] == 0


def test_recent_log_is_newest_first_and_keeps_text_as_typed(store, site, shift, clock):
    note = "Room [A-12] [/b] <b>bold</b> \x1b[31mred"
    tally.record(store, site.tally, shift, "reference", note=note)
    clock.advance(seconds=10)
    tally.void_last(store, shift)
    lines = desklog.recent(store, site.tally, TORONTO, shift)
    assert [line.text.split(":")[0] for line in lines] == ["undone", "logged", "shift started by Sam"]
    assert lines[1].text.endswith(note)
    assert store.rows("SELECT note FROM tallies")[0]["note"] == note

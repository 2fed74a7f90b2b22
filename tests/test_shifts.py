"""The shift lifecycle: start, survive a crash, hand over."""

import pytest

from shift.shifts import (
    add_followup,
    end_shift,
    last_handover,
    open_followups,
    open_shift,
    resolve_followup,
    start_shift,
)
from shift.store import Store


def test_start_needs_a_name(store):
    with pytest.raises(ValueError, match="name"):
        start_shift(store, "   ", "main")
    assert open_shift(store) is None


def test_open_shift_survives_closing_the_database(tmp_path, clock):
    path = tmp_path / "desk.db"
    store = Store.open(path, clock=clock)
    first = start_shift(store, "Sam", "main")
    store.close()  # as after a crash: no end recorded
    store = Store.open(path, clock=clock)
    assert open_shift(store) == first
    # Starting again reopens the same shift instead of making a second one.
    assert start_shift(store, "Someone else", "reserves") == first
    store.close()


def test_handover_and_followups_reach_the_next_shift(store, clock):
    first = start_shift(store, "Sam", "main")
    end_shift(store, first, "Printer 2 jammed.\nCleared at 20:10.", ["Call facilities about the lift", "  "])
    assert open_shift(store) is None
    handover = last_handover(store)
    assert handover.worker == "Sam" and handover.note == "Printer 2 jammed.\nCleared at 20:10."
    clock.advance(hours=20)
    second = start_shift(store, "Priya", "main")
    assert second.id != first.id
    waiting = open_followups(store)
    assert [f.text for f in waiting] == ["Call facilities about the lift"]
    add_followup(store, second, "Umbrella at the desk")
    resolve_followup(store, second, waiting[0].id, "Ticket 1234")
    assert [f.text for f in open_followups(store)] == ["Umbrella at the desk"]
    # The resolved follow-up is still there, with its resolution beside it.
    assert store.rows("SELECT COUNT(*) AS n FROM followups")[0]["n"] == 2


def test_a_name_given_after_an_emergency_opened_the_shift_becomes_its_worker(store, clock):
    from shift.shifts import NOT_SIGNED_IN, end_shift, last_handover, open_shift

    opened = start_shift(store, NOT_SIGNED_IN, "main")  # F8 from the start screen
    clock.advance(minutes=20)
    signed = start_shift(store, "Alice", "main")
    assert signed.id == opened.id and signed.worker == "Alice"
    assert open_shift(store).worker == "Alice"
    assert store.rows("SELECT worker FROM shifts") == [{"worker": NOT_SIGNED_IN}]  # the record is unchanged
    assert start_shift(store, "Bob", "main").worker == "Alice"  # a named shift is not taken over
    end_shift(store, signed, "quiet after the alarm")
    assert last_handover(store).worker == "Alice"

"""What a shift leaves open: decided once in shift/report.py, listed at the end of the shift and
given in the report's Needs attention section."""

import pytest

from conftest import ROOT, local
from shift import checkins, incidents, prompts, report
from shift.clock import to_iso
from shift.procedures import load_procedures
from shift.runs import start_run
from shift.shifts import NOTHING_TO_HAND_OVER, end_shift, handover_note, open_followups, resolve_followup
from shift.tasks import plan


def procedure(pid: str):
    procedures, _ = load_procedures(ROOT / "procedures")
    return next(p for p in procedures if p.id == pid)


def attention(store, site, shift) -> list[str]:
    section = next(s for s in report.build(store, site, shift.id).sections if s.title == "Needs attention")
    return section.lines


def tuesday_prompts(site):
    day = local(2026, 11, 24).date()
    return {(p.task.id, p.due_at): p for p in plan(day, day, site.hours, site.tasks)}


def test_everything_the_shift_leaves_open_most_urgent_first(store, full_site, shift, clock):
    site = full_site
    start_run(store, shift, procedure("floor-walk"))
    planned = tuesday_prompts(site)
    returns = planned[("returns-bin", local(2026, 11, 24, 19, 30))]
    announce = planned[("announce-30", local(2026, 11, 24, 22, 30))]
    skipped = planned[("announce-15", local(2026, 11, 24, 22, 45))]
    lock = planned[("lock-doors", local(2026, 11, 24, 23, 0))]
    clock.advance(hours=4)  # 23:30: the library closed at 23:00
    prompts.record(store, returns, "missed", shift)
    prompts.record(store, announce, "fired", shift)
    prompts.record(store, announce, "done", shift)
    prompts.record(store, skipped, "fired", shift)
    prompts.record(store, skipped, "skipped", shift, reason="nobody in the building")
    prompts.record(store, lock, "fired", shift)
    prompts.record(store, lock, "escalated", shift)
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(),
                               "text": "Tell the manager about the lift", "due_at": to_iso(local(2026, 11, 24, 21, 0))})
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(), "text": "No deadline"})
    incidents.save_draft(store, shift, {"category": "Injury"})
    checkins.record(store, shift, "panic")

    items = report.still_open(store, site, shift, clock.now(), at_desk=True)
    assert [(i.kind, i.text) for i in items] == [
        ("alarm", "ALARM raised at 23:30 (panic) and not answered"),
        ("procedure", "Not finished: Floor walk (step 1 of 12)"),
        ("closing", "Closing procedure not run: the library closed at 23:00"),
        ("task", "Timed task missed: 19:30 Empty the returns bin and check the items in"),
        ("task", "Timed task not done: 23:00 Lock the main doors (escalated)"),
        ("deadline", "Follow-up OVERDUE since Tue 24 Nov 21:00: Tell the manager about the lift"),
        ("draft", "Incident report still to complete (draft from Tue 24 Nov 23:30)"),
    ]
    # The report says the same, in the same words: one decision, one place.
    lines = attention(store, site, shift)
    assert [line for line in lines if line in {i.text for i in items}] == [i.text for i in items]

    end_shift(store, shift, "Alarm answered by phone.")
    after = [i.kind for i in report.still_open(store, site, shift, clock.now(), until=clock.now())]
    assert "alarm" not in after and "closing" in after  # an ended shift's alarms are told in its check-ins


def test_the_closing_procedure_counts_once_started_and_only_once_the_library_has_closed(store, site, shift, clock):
    assert [i.kind for i in report.still_open(store, site, shift, clock.now())] == []  # 19:30: still open
    clock.advance(hours=4)
    assert [i.kind for i in report.still_open(store, site, shift, clock.now())] == ["closing"]
    start_run(store, shift, procedure("closing"))
    texts = [i.text for i in report.still_open(store, site, shift, clock.now())]
    assert texts == ["Not finished: Closing the library (step 1 of 21)"]


def test_a_duress_alarm_stays_off_the_desks_list_and_is_on_the_managers(store, full_site, shift):
    checkins.record(store, shift, "duress")
    now = store.clock.now()
    assert report.still_open(store, full_site, shift, now, at_desk=True) == []
    told = report.still_open(store, full_site, shift, now)
    assert [i.text for i in told] == ["ALARM raised at 19:30 (duress) and not answered"]


@pytest.mark.parametrize("note", ["", "   \n  "])
def test_an_empty_handover_alone_is_refused(note):
    with pytest.raises(ValueError, match="or say there is nothing to hand over"):
        handover_note(note, nothing_to_hand_over=False)
    assert handover_note(note, nothing_to_hand_over=True) == NOTHING_TO_HAND_OVER


def test_a_handover_note_is_kept_as_written():
    assert handover_note("  Printer 2 [tray 3]\n", nothing_to_hand_over=True) == "  Printer 2 [tray 3]\n"


def test_a_follow_up_is_resolved_only_with_a_note_of_what_was_done(store, shift):
    from shift.shifts import add_followup

    add_followup(store, shift, "Call IT about PC 4")
    waiting = open_followups(store)
    with pytest.raises(ValueError, match="needs a note"):
        resolve_followup(store, shift, waiting[0].id, "  ")
    assert open_followups(store) == waiting
    resolve_followup(store, shift, waiting[0].id, " Ticket 4512 ")
    assert open_followups(store) == []
    assert store.rows("SELECT note FROM followup_resolutions") == [{"note": "Ticket 4512"}]


def test_a_shift_left_open_for_days_dates_each_closing_it_missed(store, site, shift, clock):
    clock.advance(days=1, hours=4)  # Wednesday 23:30: Tuesday's and Wednesday's closings came and went
    texts = [i.text for i in report.still_open(store, site, shift, clock.now()) if i.kind == "closing"]
    assert texts == ["Closing procedure not run: the library closed at 23:00",
                     "Closing procedure not run: the library closed Wed 25 Nov at 23:00"]

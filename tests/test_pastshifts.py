"""The past-shifts list: one row per shift, newest first, counted with the report's own definitions."""

import stat

from conftest import local
from shift import checkins, incidents, pastshifts, report
from shift.demo import write_demo
from shift.shifts import end_shift, start_shift


def prompt_event(store, shift, key, event, due):
    store.insert("prompt_events", {"prompt_key": key, "task_id": "returns-bin", "due_at": due,
                                   "shift_id": shift.id, "event": event, "at": due, "until": None, "reason": ""})


def busy_shift(store, site, clock):
    """Jo's evening: an incident, one task missed, one missed then done late, a missed check-in
    alarm and a panic alarm."""
    clock.moment = local(2026, 11, 23, 17, 30)
    jo = start_shift(store, "Jo", "main")
    clock.moment = local(2026, 11, 23, 19, 0)
    incidents.file_incident(store, site, jo, incidents.IncidentForm(
        category="Injury", occurred_at=local(2026, 11, 23, 18, 50), zone_id="second",
        what_happened="Slipped on a wet step.", reporter="Jo"))
    due = "2026-11-24T00:00:00.000000+00:00"
    prompt_event(store, jo, "a", "fired", due)
    prompt_event(store, jo, "a", "missed", due)
    prompt_event(store, jo, "b", "missed", due)
    prompt_event(store, jo, "b", "done", due)  # done late: not missed
    checkins.record(store, jo, "escalation", "0:email security")
    checkins.record(store, jo, "escalation", "1:email supervisor")  # the same alarm's next step
    checkins.record(store, jo, "acknowledged", "Security")
    checkins.record(store, jo, "panic")
    clock.moment = local(2026, 11, 23, 22, 0)
    end_shift(store, jo, "")
    return jo


def test_each_shift_newest_first_with_the_reports_counts(store, site, clock):
    jo = busy_shift(store, site, clock)
    clock.moment = local(2026, 11, 24, 17, 30)
    sam = start_shift(store, "Sam", "main")
    listed = pastshifts.past_shifts(store)
    assert [s.id for s in listed] == [sam.id, jo.id]
    assert (listed[1].incidents, listed[1].missed, listed[1].alarms) == (1, 1, 2)
    assert (listed[0].incidents, listed[0].missed, listed[0].alarms, listed[0].ended_at) == (0, 0, 0, None)
    # The same definitions as the report: its missed tasks and the alarms it reads in the check-in log.
    finals = [final for _events, final in report._prompt_finals(store, jo)]
    assert finals.count("missed") == listed[1].missed
    assert len(checkins.read_log(checkins.events(store, jo)).alarms) == listed[1].alarms
    assert pastshifts.row_text(listed[1], site) == ("Mon 2026-11-23", "17:30–22:00", "Jo", "1", "1", "2")
    assert pastshifts.row_text(listed[0], site)[1] == "17:30–open"


def test_a_year_of_shifts_is_read_in_a_fixed_number_of_queries(store, site):
    write_demo(store, site, days=120)
    statements = []
    store.conn.set_trace_callback(statements.append)
    listed = pastshifts.past_shifts(store)
    store.conn.set_trace_callback(None)
    assert len(listed) > 150
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 2  # not one per shift
    assert {s.mail for s in listed} == {"skipped"}  # made-up shifts are never emailed


def test_the_report_is_written_as_a_page_readable_by_its_owner_only(store, site, clock, tmp_path):
    jo = busy_shift(store, site, clock)
    first = pastshifts.write_report(store, site, jo.id, tmp_path / "exports")
    second = pastshifts.write_report(store, site, jo.id, tmp_path / "exports")
    assert first.name == "shift-report-2026-11-23-1730.html" and second.name == "shift-report-2026-11-23-1730-2.html"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert "<h2>Incidents</h2>" in first.read_text()

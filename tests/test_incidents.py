"""Incidents: required fields, privacy, append-only supplements, Ontario deadlines, search, drafts."""

import dataclasses
import sqlite3
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from conftest import TORONTO, local
from shift import incidents
from shift.barcodes import luhn_digit
from shift.incidents import IdentifiersFound, IncidentForm, IncidentProblems
from shift.privacy import REPLACEMENT
from shift.procedures import emergency_protocols
from shift.runs import start_run
from shift.shifts import open_followups, resolve_followup

CARD = "2123456789012" + luhn_digit("2123456789012")


def form(**changes):
    base = IncidentForm(
        category="Hazardous condition",
        occurred_at=local(2026, 11, 24, 19, 10),
        zone_id="main-floor",
        what_happened="Water on the floor by the printers.",
        reporter="Sam",
    )
    return dataclasses.replace(base, **changes)


def file(store, site, shift, **changes):
    return incidents.file_incident(store, site, shift, form(**changes))


# -- required fields ------------------------------------------------------------

def test_the_four_fields_and_the_reporter_are_enough(store, site, shift):
    incident = file(store, site, shift)
    assert incident.category == "Hazardous condition"
    assert incident.occurred_at == local(2026, 11, 24, 19, 10)
    assert incident.recorded_at == store.clock.now()
    assert incident.shift_id == shift.id
    assert (incident.injury, incident.severity, incident.supplements) == ("none", "low", ())
    assert incidents.place(incident, site) == "Main floor (desk, computers, printers)"
    assert incidents.get(store, incident.id) == incident


def test_missing_fields_are_named_and_nothing_is_written(store, site, shift):
    with pytest.raises(IncidentProblems) as caught:
        incidents.file_incident(store, site, shift, IncidentForm())
    assert caught.value.problems == [
        "Choose a category.",
        "When did it happen? (now, HH:MM or YYYY-MM-DD HH:MM)",
        "Where did it happen? Choose a zone or describe the place.",
        "Describe what happened.",
        "Who is reporting? (your name)",
    ]
    assert store.rows("SELECT COUNT(*) AS n FROM incidents")[0]["n"] == 0


def test_a_free_text_place_is_enough_without_a_zone(store, site, shift):
    incident = file(store, site, shift, zone_id="", location="Parking lot, north entrance")
    assert incidents.place(incident, site) == "Parking lot, north entrance"


@pytest.mark.parametrize("changes, problem", [
    ({"category": "Alien landing"}, "'Alien landing' is not an incident category of this site."),
    ({"occurred_at": local(2026, 11, 24, 19, 45)}, "The time of the incident is in the future."),
    ({"occurred_at": local(2026, 11, 17, 19, 0)}, "The incident is more than 7 days old"),
    ({"zone_id": "roof"}, "'roof' is not a zone of this site."),
    ({"what_happened": "   \n "}, "Describe what happened."),
    ({"injury": "bad"}, "'bad' is not an injury level."),
    ({"police_called_at": local(2026, 11, 24, 20, 0)}, "The time police was called is in the future."),
])
def test_impossible_values_are_refused(store, site, shift, changes, problem):
    assert any(p.startswith(problem) for p in incidents.problems(form(**changes), site, shift, store.clock.now()))
    with pytest.raises(IncidentProblems):
        file(store, site, shift, **changes)


def test_six_days_ago_is_still_accepted(store, site, shift):
    assert incidents.problems(form(occurred_at=local(2026, 11, 18, 20, 0)), site, shift, store.clock.now()) == []


def test_parse_when(clock):
    now = clock.now()
    assert incidents.parse_when("now", now, TORONTO) == now
    assert incidents.parse_when("  ", now, TORONTO) is None
    assert incidents.parse_when("19:05", now, TORONTO) == local(2026, 11, 24, 19, 5)
    assert incidents.parse_when("7:05", now, TORONTO) == local(2026, 11, 24, 7, 5)
    assert incidents.parse_when("23:50", now, TORONTO) == local(2026, 11, 23, 23, 50)  # later today: yesterday
    assert incidents.parse_when("yesterday 22:15", now, TORONTO) == local(2026, 11, 23, 22, 15)
    assert incidents.parse_when("2026-11-20 08:30", now, TORONTO) == local(2026, 11, 20, 8, 30)
    for bad in ("25:00", "19h30", "tomorrow 10:00", "2026-13-01 10:00", "10:5"):
        with pytest.raises(ValueError):
            incidents.parse_when(bad, now, TORONTO)


# -- privacy --------------------------------------------------------------------

def test_a_card_number_is_refused_with_what_was_found(store, site, shift):
    with pytest.raises(IdentifiersFound) as caught:
        file(store, site, shift, people=f"Patron (card {CARD}) appears to be in his 30s",
             actions="Checked student number 7654321")
    assert isinstance(caught.value, ValueError)
    findings = caught.value.findings
    assert [f.text for f in findings["people"]] == [CARD]
    assert [f.text for f in findings["actions"]] == ["7654321"]
    assert store.rows("SELECT COUNT(*) AS n FROM incidents")[0]["n"] == 0


def test_removing_what_was_found_then_filing(store, site, shift):
    draft = form(people=f"card {CARD}, appears to be in his 30s")
    cleaned = incidents.without_identifiers(draft, incidents.identifiers_in(draft, site))
    incident = incidents.file_incident(store, site, shift, cleaned)
    assert incident.people == f"card {REPLACEMENT}, appears to be in his 30s"
    assert CARD not in str(store.rows("SELECT * FROM incidents"))


def test_a_confirmed_number_is_kept_and_the_confirmation_recorded(store, site, shift):
    incident = file(store, site, shift, actions="Facilities ticket 88812345", identifiers_confirmed=True)
    assert incident.actions == "Facilities ticket 88812345"
    assert incident.identifiers_confirmed is True


# -- append-only and supplements ------------------------------------------------

def test_supplements_follow_the_original_which_never_changes(store, site, shift, clock):
    incident = file(store, site, shift)
    before = store.rows("SELECT * FROM incidents")
    clock.advance(hours=2)
    first = incidents.add_supplement(store, site, shift, incident.id, "Sam", "Facilities mopped it up.")
    clock.advance(hours=23)
    second = incidents.add_supplement(store, site, None, incident.id, "Alex", "Leak traced to the roof drain.")
    assert store.rows("SELECT * FROM incidents") == before
    again = incidents.get(store, incident.id)
    assert [s.text for s in again.supplements] == ["Facilities mopped it up.", "Leak traced to the roof drain."]
    assert (first.late, second.late) == (False, True)
    assert [s.late for s in again.supplements] == [False, True]
    assert again.supplements[1].author == "Alex" and again.supplements[1].shift_id is None
    assert dataclasses.replace(again, supplements=()) == incident


def test_the_database_refuses_to_rewrite_an_incident_or_a_supplement(store, site, shift):
    incident = file(store, site, shift)
    incidents.add_supplement(store, site, shift, incident.id, "Sam", "More.")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("UPDATE incidents SET what_happened = 'nothing' WHERE id = ?", (incident.id,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("DELETE FROM incidents")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("UPDATE incident_supplements SET text = 'less'")
    assert incidents.get(store, incident.id).what_happened == "Water on the floor by the printers."


def test_a_supplement_is_privacy_checked_too(store, site, shift):
    incident = file(store, site, shift)
    with pytest.raises(IdentifiersFound) as caught:
        incidents.add_supplement(store, site, shift, incident.id, "Sam", f"His card was {CARD}")
    assert [f.text for f in caught.value.findings["text"]] == [CARD]
    assert incidents.get(store, incident.id).supplements == ()
    kept = incidents.add_supplement(store, site, shift, incident.id, "Sam", "Work order 44455566", confirmed=True)
    assert kept.text == "Work order 44455566"


def test_a_supplement_needs_an_author_text_and_an_incident(store, site, shift):
    incident = file(store, site, shift)
    for author, text, incident_id in (("", "x", incident.id), ("Sam", "  ", incident.id), ("Sam", "x", "nope")):
        with pytest.raises(ValueError):
            incidents.add_supplement(store, site, shift, incident_id, author, text)


# -- Ontario deadlines ----------------------------------------------------------

def test_a_critical_injury_to_a_worker_gives_the_immediate_notices_the_48_hour_report_and_form_7(
        store, site, shift):
    when = local(2026, 11, 24, 19, 0)  # a Tuesday
    incident = file(store, site, shift, category="Injury", injury="critical", hurt="worker", occurred_at=when,
                    injury_details="Fell down stairwell B; appears to have a broken wrist")
    waiting = open_followups(store)
    it = "Incident 24 Nov 19:00, Injury: "  # each follow-up names its incident
    assert [(f.text, f.due_at) for f in waiting] == [
        (it + "Manager on call told of the critical injury (the employer notifies the Ministry, the JHSC or "
         "representative and the union at once)", when),
        (it + "Written report of the critical injury to the Ministry, the JHSC (or representative) and the "
         "union", local(2026, 11, 26, 19, 0)),
        (it + "WSIB Form 7 for the injured worker", local(2026, 11, 27, 19, 0)),  # Wed, Thu, Fri
        (it + "Keep the scene undisturbed until a Ministry inspector releases it", None),  # until then
    ]
    assert {f.incident_id for f in waiting} == {incident.id}
    assert {f.worker for f in waiting} == {"Sam"}
    assert incident.hurt == "worker"


def test_someone_else_critically_hurt_asks_the_connection_question_and_the_manager_decides(store, site, shift):
    shown = incidents.obligations("critical", "other", site)
    assert any("reasonably connected to a hazard to workers" in line and "the manager decides" in line
               and "Blue Mountain" in line for line in shown.lines)
    assert not any("Form 7" in line or "48 hours" in line for line in shown.lines)
    file(store, site, shift, category="Injury", injury="critical", hurt="other")
    texts = [f.text for f in open_followups(store)]
    assert "Incident 24 Nov 19:10, Injury: Manager to decide whether the critical injury to a non-worker " \
           "must be reported (is it connected to a hazard to workers?)" in texts
    assert not any("Form 7" in t or "Written report" in t for t in texts)


def test_not_knowing_who_was_hurt_shows_every_duty_conditionally(store, site, shift):
    shown = incidents.obligations("critical", "unsure", site)
    assert any(line.startswith("If a worker was hurt: The employer files WSIB Form 7") for line in shown.lines)
    assert any(line.startswith("If it was someone else: ") for line in shown.lines)
    assert shown.heading == "ONTARIO: A CRITICAL INJURY" and shown.grave
    blank = incidents.obligations("critical", "", site)
    assert blank.lines[0].startswith("Say who was hurt")
    with pytest.raises(incidents.IncidentProblems, match="Who was hurt"):
        file(store, site, shift, category="Injury", injury="medical")


def test_a_worker_needing_medical_attention_gives_notice_to_the_committee_and_union_not_the_ministry(
        store, site, shift, clock):
    from shift.shifts import add_followup

    add_followup(store, shift, "Umbrella at the desk")
    clock.advance(minutes=1)
    file(store, site, shift, category="Injury", injury="medical", hurt="worker",
         followup="Call the patron back", followup_by="Coordinator")
    waiting = open_followups(store)
    assert [f.text for f in waiting] == [
        "Incident 24 Nov 19:10, Injury: WSIB Form 7 for the injured worker",
        "Incident 24 Nov 19:10, Injury: Written notice of the worker's injury to the JHSC (or health and "
        "safety representative) and the union",
        "Umbrella at the desk",
        "Incident 24 Nov 19:10, Injury: Call the patron back (by Coordinator)",
    ]
    assert waiting[1].due_at == local(2026, 11, 28, 19, 10)  # 4 days
    assert waiting[0].due_at == local(2026, 11, 27, 19, 10)  # 3 business days
    assert waiting[2].due_at is None and waiting[2].incident_id is None
    line = incidents.obligations("medical", "worker", site).lines[0]
    assert "joint health and safety committee" in line and "union" in line and "only if an inspector asks" in line
    resolve_followup(store, shift, waiting[0].id, "Sent")
    assert len(open_followups(store)) == 3


def test_the_desk_calls_the_authority_only_where_the_site_says_so_and_dials_it_the_sites_way(store, site, shift):
    assert not any("This desk calls" in line for line in incidents.obligations("critical", "worker", site).lines)
    ministry = site.contacts["ministry_of_labour"]._replace(phone="9-1-877-202-0008")
    moved = site._replace(incidents=site.incidents._replace(desk_calls_authority=True),
                          contacts={**site.contacts, "ministry_of_labour": ministry})
    file(store, moved, shift, category="Injury", injury="critical", hurt="worker")
    assert "Incident 24 Nov 19:10, Injury: Call the Ministry (9-1-877-202-0008) about the critical injury" in [
        f.text for f in open_followups(store)]
    assert any("9-1-877-202-0008" in line for line in incidents.obligations("critical", "worker", moved).lines)


def test_a_failed_write_leaves_neither_incident_nor_follow_ups(store, site, shift):
    bad = form(category="Injury", injury="critical", hurt="worker", run_id="no-such-run")  # refused by the foreign key
    with pytest.raises(sqlite3.IntegrityError):
        incidents.file_incident(store, site, shift, bad)
    assert store.rows("SELECT COUNT(*) AS n FROM incidents")[0]["n"] == 0
    assert open_followups(store) == []


# -- search ---------------------------------------------------------------------

@pytest.fixture
def three(store, site, shift, clock):
    made = [
        file(store, site, shift, occurred_at=local(2026, 11, 20, 23, 30), category="Facilities problem",
             what_happened="Door 3 alarm at 100% volume_all night"),
        file(store, site, shift, occurred_at=local(2026, 11, 22, 0, 15), category="Hazardous condition",
             what_happened="Spill near Émilie's carrel"),
        file(store, site, shift, occurred_at=local(2026, 11, 24, 19, 0), category="Hazardous condition",
             what_happened="Loose carpet", zone_id="", location="Stairwell A"),
    ]
    incidents.add_supplement(store, site, shift, made[2].id, "Sam", "Taped down; ticket raised")
    return made


def ids(found):
    return [i.id for i in found]


def test_search_newest_first(store, three):
    assert ids(incidents.search(store)) == [three[2].id, three[1].id, three[0].id]


def test_search_by_local_dates_inclusive(store, three):
    # 23:30 on the 20th in Toronto is already the 21st in UTC: local dates count.
    found = incidents.search(store, since=date(2026, 11, 20), until=date(2026, 11, 20), zone=TORONTO)
    assert ids(found) == [three[0].id]
    found = incidents.search(store, since=date(2026, 11, 21), until=date(2026, 11, 22), zone=TORONTO)
    assert ids(found) == [three[1].id]
    assert ids(incidents.search(store, since=date(2026, 11, 22), zone=TORONTO)) == [three[2].id, three[1].id]
    with pytest.raises(ValueError):
        incidents.search(store, since=date(2026, 11, 22))


def test_search_to_the_ends_of_the_calendar_means_no_bound(store, three):
    everything = [three[2].id, three[1].id, three[0].id]
    assert ids(incidents.search(store, since=date.min, until=date.max, zone=TORONTO)) == everything
    tokyo = ZoneInfo("Asia/Tokyo")  # local midnight of 0001-01-01 there is before the first UTC day
    assert ids(incidents.search(store, since=date.min, until=date.max, zone=tokyo)) == everything


def test_search_by_category_and_text(store, three):
    assert ids(incidents.search(store, category="Hazardous condition")) == [three[2].id, three[1].id]
    assert ids(incidents.search(store, text="CARPET")) == [three[2].id]
    assert ids(incidents.search(store, text="émilie")) == [three[1].id]
    assert ids(incidents.search(store, text="stairwell a")) == [three[2].id]  # the free-text place
    assert ids(incidents.search(store, text="ticket raised")) == [three[2].id]  # a supplement
    assert ids(incidents.search(store, text="carpet", category="Facilities problem")) == []


def test_percent_and_underscore_are_plain_text(store, three):
    assert ids(incidents.search(store, text="100%")) == [three[0].id]
    assert ids(incidents.search(store, text="%")) == [three[0].id]
    assert ids(incidents.search(store, text="e_a")) == [three[0].id]
    assert ids(incidents.search(store, text="_")) == [three[0].id]
    assert incidents.search(store, text="Sp%ll") == []


def test_in_period_for_the_shift_report(store, site, shift, three, clock):
    start, end = local(2026, 11, 24, 17, 30), local(2026, 11, 24, 23, 30)
    # All three were recorded during this shift (the clock stands at 19:30).
    assert ids(incidents.in_period(store, start, end)) == ids(three)
    later = incidents.in_period(store, local(2026, 11, 25, 0, 0), local(2026, 11, 26, 0, 0))
    assert later == []
    clock.advance(days=1)
    incidents.add_supplement(store, site, shift, three[0].id, "Alex", "Alarm fixed")
    assert ids(incidents.in_period(store, local(2026, 11, 25, 0, 0), local(2026, 11, 26, 0, 0))) == [three[0].id]


# -- drafts ---------------------------------------------------------------------

@pytest.fixture
def run(store, shift):
    protocols, _ = emergency_protocols([])
    medical = next(p for p in protocols if p.id == "medical")
    return start_run(store, shift, medical)


def test_a_draft_from_an_emergency_is_completed_and_filed(store, site, shift, run, clock):
    draft = incidents.save_draft(store, shift, {
        "category": "Medical emergency", "occurred_at": local(2026, 11, 24, 19, 2),
        "ambulance_called_at": local(2026, 11, 24, 19, 4), "what_happened": "19:02 person collapsed",
    }, run_id=run.id)
    assert incidents.open_drafts(store) == [draft]
    completed = incidents.form_from_draft(draft, clock.now())
    assert completed.occurred_at == local(2026, 11, 24, 19, 2)
    assert completed.ambulance_called_at == local(2026, 11, 24, 19, 4)
    assert (completed.draft_id, completed.run_id) == (draft.id, run.id)
    filed = incidents.file_incident(store, site, shift, dataclasses.replace(
        completed, zone_id="third", reporter="Sam"))
    assert (filed.draft_id, filed.run_id) == (draft.id, run.id)
    assert incidents.open_drafts(store) == []


def test_a_newer_draft_for_the_same_run_replaces_the_older(store, shift, run, clock):
    incidents.save_draft(store, shift, {"what_happened": "first"}, run_id=run.id)
    clock.advance(minutes=1)
    newer = incidents.save_draft(store, shift, {"what_happened": "first, then more"}, run_id=run.id)
    clock.advance(minutes=1)
    own = incidents.save_draft(store, shift, {"what_happened": "kept from the form"})
    assert incidents.open_drafts(store) == [own, newer]
    clock.advance(minutes=1)
    again = incidents.save_draft(store, shift, {"what_happened": "kept again"}, replaces=own.id)
    assert incidents.open_drafts(store) == [again, newer]
    assert again.replaces == own.id and "_replaces" not in again.fields


def test_an_incident_for_the_run_files_its_draft_too(store, site, shift, run):
    incidents.save_draft(store, shift, {"what_happened": "from the timeline"}, run_id=run.id)
    file(store, site, shift, run_id=run.id)
    assert incidents.open_drafts(store) == []


def test_drafts_refuse_unknown_fields_and_drop_future_times(store, shift, clock):
    with pytest.raises(ValueError, match="not incident fields: colour"):
        incidents.save_draft(store, shift, {"colour": "red"})
    draft = incidents.save_draft(store, shift, {"occurred_at": "2026-11-25T02:00:00+00:00"})
    assert incidents.form_from_draft(draft, clock.now()).occurred_at is None


def test_draft_fields_round_trip(store, shift, clock):
    original = form(people="none", witnesses="Two students", injury="first_aid",
                    security_called_at=local(2026, 11, 24, 19, 12))
    fields = incidents.draft_fields(original)
    assert "severity" not in fields and fields["people"] == "none"
    draft = incidents.save_draft(store, shift, fields)
    assert incidents.form_from_draft(draft, clock.now()) == dataclasses.replace(original, draft_id=draft.id)


def test_a_run_id_among_the_fields_is_the_drafts_run(store, shift, run):
    draft = incidents.save_draft(store, shift, {"what_happened": "x", "run_id": run.id})
    assert draft.run_id == run.id
    with pytest.raises(ValueError, match="another run"):
        incidents.save_draft(store, shift, {"run_id": run.id}, run_id="other")

"""Incident reports, filed through the desk's own form checks (incidents.file_incident), with
the follow-ups they create and, now and then, a supplement added later by someone else."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from shift import incidents
from shift.demo.base import Demo, DemoShift
from shift.incidents import IncidentForm

# One form per kind of incident, written as a desk worker would: neutral, no card numbers.
FORMS = (
    IncidentForm(category="De-escalation", zone_id="main-floor", location="Public computers, row C",
                 what_happened="Two patrons argued loudly over a computer booking. I explained the booking "
                               "rules and offered the next free computer; both calmed down.",
                 people="Two people appearing to be students, in their 20s.", actions="Talked with both; "
                 "moved one to PC 18.", severity="low"),
    IncidentForm(category="Facilities problem", zone_id="second", location="North end, by stairwell B",
                 what_happened="Water dripping from a ceiling tile onto the stacks. Moved the books on the two "
                               "shelves below and put a bin under the drip.",
                 actions="Called the Facilities after-hours line; area blocked off with a book truck.",
                 followup="Facilities to replace the tile and check the books for water damage",
                 followup_by="Coordinator", severity="medium"),
    IncidentForm(category="Abusive or threatening behaviour", zone_id="main-floor", location="Service desk",
                 what_happened="Patron shouted at me when told the printer was out of order, saying \"this "
                               "place is a joke, I want your name\". Gave my first name and offered the "
                               "printer on the second floor; they left.",
                 people="Person appearing to be in their 40s, blue jacket.", witnesses="Another patron at "
                 "the desk declined to give their name.", refused_details="One witness declined.",
                 actions="Stayed calm behind the desk; did not argue.", severity="medium"),
    IncidentForm(category="Criminal activity (theft, vandalism)", zone_id="third", location="Carrels by the "
                 "east windows", what_happened="Patron reported their laptop taken from a carrel while they "
                 "were in the washroom, about 15 minutes.", people="The patron who reported it.",
                 actions="Called Campus Security, who took a report; gave the patron the security number.",
                 severity="medium"),
    IncidentForm(category="Hazardous condition", zone_id="stairwells", location="Stairwell A, ground floor",
                 what_happened="Fire door propped open with a chair. Removed it and closed the door.",
                 actions="Checked the other fire doors on the next walk.", severity="low"),
    IncidentForm(category="Injury", zone_id="lower", location="Compact shelving, range 14",
                 what_happened="Patron caught their finger in the compact shelving handle; small cut.",
                 actions="First aid kit: cleaned and covered the cut. Patron declined anything more.",
                 injury="first_aid", hurt="other", injury_details="Small cut on the left index finger.",
                 severity="low"),
    IncidentForm(category="Injury", zone_id="main-floor", location="Returns bin by the entrance",
                 what_happened="Student assistant strained their back lifting a full returns bin and went "
                 "to the campus clinic.", actions="Told the manager on call; assistant went home.",
                 injury="medical", hurt="worker", injury_details="Lower back strain; seen at the campus clinic.",
                 severity="medium"),
    IncidentForm(category="Banned person present", zone_id="main-floor", location="Entrance",
                 what_happened="A person under a current trespass notice (photo in the desk binder) came in "
                 "and sat at the tables.", people="Person matching the binder photo, grey toque.",
                 actions="Did not approach; called Campus Security, who asked them to leave.", severity="medium"),
    IncidentForm(category="Unattended child or vulnerable adult", zone_id="main-floor", location="Children's "
                 "books display", what_happened="Child appearing to be about 6 was alone for about 20 "
                 "minutes. Stayed with them at the desk; a parent came back from the third floor.",
                 actions="Reminded the parent of the library's policy, politely.", severity="low"),
    IncidentForm(category="Other", zone_id="study-rooms", location="Room 306",
                 what_happened="Strong smell of cannabis in room 306; nobody inside when I checked.",
                 actions="Opened the window; told Campus Security on the next call.", severity="low"),
)
CATEGORY_WEIGHT = {"De-escalation": 14, "Facilities problem": 14, "Abusive or threatening behaviour": 8,
                   "Criminal activity (theft, vandalism)": 8, "Hazardous condition": 8, "Injury": 7,
                   "Banned person present": 5, "Unattended child or vulnerable adult": 3, "Other": 4}
SUPPLEMENTS = (
    ("Coordinator", "Spoke with Campus Security: their report is filed with ours."),
    ("Coordinator", "Followed up with Facilities; repair booked for this week."),
    ("D. Haddad, manager", "Reviewed with the worker the next morning. No further action."),
    ("Coordinator", "The patron came back and apologised to the desk."),
)
SECURITY_CALLED = ("Abusive or threatening behaviour", "Criminal activity (theft, vandalism)",
                   "Banned person present")


def write_incident(demo: Demo, planned: DemoShift, rate: float = 0.08) -> None:
    """Now and then an incident in the shift, filed some minutes after it happened."""
    start, end = max(planned.start, planned.open_from), min(planned.end, planned.open_until)
    if end - start < timedelta(minutes=45) or not demo.chance(rate):
        return
    categories = [c for c in CATEGORY_WEIGHT if c in demo.site.incidents.categories]
    if not categories:
        return
    category = demo.rng.choices(categories, [CATEGORY_WEIGHT[c] for c in categories])[0]
    form = demo.pick([f for f in FORMS if f.category == category])
    occurred = start + (end - start - timedelta(minutes=40)) * demo.rng.random()
    called = occurred + demo.minutes(1, 5) if category in SECURITY_CALLED else None
    form = replace(form, occurred_at=occurred, security_called_at=called, reporter=planned.worker)
    file(demo, planned, form, occurred + demo.minutes(10, 35))


def file(demo: Demo, planned: DemoShift, form: IncidentForm, at: datetime) -> incidents.Incident:
    """File the form at `at`, and now and then add a supplement later."""
    demo.at(at)
    filed = incidents.file_incident(demo.store, demo.site, planned.shift, form)
    if demo.chance(0.35):
        author, text = demo.pick(SUPPLEMENTS)
        later = at + demo.minutes(60 * 2, 60 * 30)  # mostly within the day; some late
        if later < demo.until:
            demo.at(later)
            incidents.add_supplement(demo.store, demo.site, None, filed.id, author, text)
    return filed

"""The emergency timeline and the end-of-shift report, built from the database."""

from conftest import ROOT, local
from shift import money, report, sweep
from shift.procedures import load_procedures
from shift.runs import finish_run, record_answer, start_run
from shift.shifts import end_shift
from shift.tally import record as tally
from shift.timeline import run_timeline


def fire_alarm():
    procedures, _ = load_procedures(ROOT / "procedures")
    return next(p for p in procedures if p.id == "fire-alarm")


def walk_fire_alarm(store, site, shift, clock, drill=False):
    """The whole fire-alarm walkthrough, a minute between steps, with a sweep."""
    procedure = fire_alarm()
    run = start_run(store, shift, procedure, drill=drill)
    answers = {"needs-assistance": "yes", "assistance-where": "One person in a wheelchair, stairwell B, 3rd floor",
               "fire-department-arrived": "20:01", "all-clear": "Captain Reyes, Peterborough Fire Services, 20:05",
               "cause": "Burnt toast, staff room", "head-count": "3"}
    while run.current() is not None:
        step = run.current()
        clock.advance(minutes=1)
        if step.sweep:
            sweep.record(store, run.id, "lower", "clear")
            sweep.record(store, run.id, "second", "refused", "Carrel 12; appears to be an adult in a red coat")
            sweep.record(store, run.id, "third", "assistance", "Stairwell B landing; uses a wheelchair")
        answer = answers.get(step.id, "yes" if step.kind == "yesno" else None)
        run = record_answer(store, run, step, answer)
    return finish_run(store, run)


def test_the_timeline_has_every_step_call_and_sweep_result_in_order(store, site, shift, clock):
    run = walk_fire_alarm(store, site, shift, clock)
    events = run_timeline(store, run, site)
    texts = [e.text for e in events]
    assert texts[0] == "Started: Fire alarm: evacuate the building"
    assert texts[-1] == "Finished"
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert "Call 911: call made to Police, fire, ambulance (9-911)" in texts
    assert ("Sweep: Second floor (quiet study, stacks): person refused to leave — Carrel 12; "
            "appears to be an adult in a red coat") in texts
    all_clear = next(i for i, t in enumerate(texts) if t.startswith("Who gave the all-clear"))
    assert texts[all_clear].endswith("answer: Captain Reyes, Peterborough Fire Services, 20:05")
    assert all(i < all_clear for i, t in enumerate(texts) if t.startswith("Sweep:"))
    step_titles = [s.title for s in run.procedure.steps]
    stepped = [t.split(":")[0] for t in texts if t.split(":")[0] in step_titles]
    assert stepped == [s for s in step_titles if s in stepped]  # the protocol's order


def test_report_puts_the_emergency_timeline_fees_and_statistics_in(store, site, shift, clock):
    walk_fire_alarm(store, site, shift, clock)
    tally(store, site.tally, shift, "directional")
    tally(store, site.tally, shift, "reference", channel="phone", read_level=3)
    money.record_fee(store, site.circulation, shift, "2.50", "cash", "R-9", "Overdue [fine]")
    money.record_override(store, shift, "Block lifted", "Fine paid at another branch", "Manager on call")
    end_shift(store, shift, "Alarm at 19:31 was burnt toast. <b>Keys</b> in the box.")
    from shift import report

    text = report.render_text(report.build(store, site, shift.id))
    assert "EMERGENCY: Fire alarm: evacuate the building at 19:30:00" in text
    assert "Sweep: Third floor (silent study, group rooms): person needing assistance at an area of refuge" in text
    assert "NEEDS ASSISTANCE: Third floor" in text
    assert "Captain Reyes" in text
    assert "$2.50 cash, receipt R-9 — Overdue [fine]" in text
    assert "Override: Block lifted — why: Fine paid at another branch — approved by Manager on call" in text
    assert "Total: 2" in text and "READ levels: 3: 1" in text
    assert "Alarm at 19:31 was burnt toast. <b>Keys</b> in the box." in text
    assert "No fire drill in the past year (none recorded)" in text


def test_a_drill_is_reported_as_a_drill(store, site, shift, clock):
    walk_fire_alarm(store, site, shift, clock, drill=True)
    from shift import report

    text = report.render_text(report.build(store, site, shift.id))
    assert "DRILL: Fire alarm: evacuate the building" in text
    # Ontario Fire Code drill record: the evacuation time, from the start to "building clear"
    # (the eighth step, a minute apart in this walk).
    assert "  Evacuation time: 8 min 00 s (from the start of the walkthrough to 'building clear')" in text
    assert "EMERGENCY:" not in text
    assert "Last fire drill: Tue 24 Nov 2026" in text
    assert "No fire drill in the past year" not in text


def test_a_template_protocol_is_named_as_such_in_the_report(store, site, shift, clock):
    walk_fire_alarm(store, site, shift, clock)
    from shift import report

    built = report.build(store, site, shift.id)
    sections = {s.title: s.lines for s in built.sections}
    line = "Template: not yet adapted to this library (never reviewed)"
    assert f"{line}: Fire alarm: evacuate the building" in sections["Needs attention"]
    assert f"  {line}" in sections["Emergencies and drills"]


def test_an_unfinished_evacuation_has_no_evacuation_time(store, site, shift, clock):
    procedure = fire_alarm()
    run = start_run(store, shift, procedure, drill=True)
    clock.advance(minutes=2)
    run = record_answer(store, run, run.current())
    assert run.evacuation_time() is None
    from shift import report

    assert "Evacuation time" not in report.render_text(report.build(store, site, shift.id))


def test_report_shows_each_incident_with_its_supplements_and_deadlines(store, site, shift, clock):
    from conftest import local
    from shift import incidents, report

    form = incidents.IncidentForm(
        category="Injury", occurred_at=local(2026, 11, 24, 19, 5), zone_id="second",
        location="By the [stairs] <b>", what_happened="Patron slipped on a wet step.\nSaid: \"my arm!\"",
        injury="critical", hurt="unsure", injury_details="Appears to be a broken arm", reporter="Sam",
        security_called_at=local(2026, 11, 24, 19, 7))
    filed = incidents.file_incident(store, site, shift, form)
    clock.advance(minutes=30)
    incidents.add_supplement(store, site, shift, filed.id, "Sam", "Paramedics left at 19:40.")
    text = report.render_text(report.build(store, site, shift.id))
    assert "Tue 24 Nov 19:05  Injury — Second floor (quiet study, stacks) — By the [stairs] <b>" in text
    assert '  What happened: Patron slipped on a wet step.\n    Said: "my arm!"' in text
    assert "Security: 19:07 · Police: not called · Ambulance: not called" in text
    original = text.index("What happened: Patron slipped")
    assert text.index("Supplement Tue 24 Nov 20:00 by Sam: Paramedics left at 19:40.") > original
    assert "Incident: Injury at 19:05" in text  # needs attention
    assert "Written report" in text and "Thu 26 Nov 19:05" in text  # the 48-hour deadline


HOSTILE = "<script>alert(1)</script> [red]shouted[/red] [/b] \x1b[31mred\x1b[0m"


def test_hostile_incident_text_survives_search_report_and_report_file(store, site, shift, tmp_path):
    """Text with markup and an ANSI escape comes back unchanged from the search, the report and its file."""
    import dataclasses
    import subprocess
    import sys

    from conftest import local
    from shift import incidents, report
    from shift.incidents import IncidentForm

    form = IncidentForm(category="Abusive or threatening behaviour", occurred_at=local(2026, 11, 24, 19, 5),
                        zone_id="main-floor", what_happened=HOSTILE, reporter="Sam [desk]")
    filed = incidents.file_incident(store, site, shift, dataclasses.replace(form, actions=HOSTILE))
    assert [i.what_happened for i in incidents.search(store, "[red]shouted", zone=site.zone)] == [HOSTILE]
    assert incidents.get(store, filed.id).actions == HOSTILE
    text = report.render_text(report.build(store, site, shift.id))
    assert HOSTILE in text
    store.close()  # the command line needs the database to itself

    out = tmp_path / "report.txt"
    cmd = [sys.executable, "main.py", "--db", str(store.path), "report"]
    done = subprocess.run([*cmd, "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    written = out.read_bytes().decode("utf-8")
    incident_part = next(part for part in text.split("\n\n") if part.startswith("Incidents\n"))
    assert incident_part in written and HOSTILE in written  # the file keeps every byte as typed
    again = subprocess.run([*cmd, "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already exists" in again.stderr
    printed = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    assert "\x1b" not in printed.stdout  # the terminal shows the escape, it does not obey it
    assert "<script>alert(1)</script> [red]shouted[/red] [/b] ␛[31mred␛[0m" in printed.stdout
    assert "Sam [desk]" in printed.stdout


def test_report_command_with_no_shift_or_an_unknown_one(tmp_path):
    import subprocess
    import sys

    from shift.store import Store

    db = tmp_path / "desk.db"
    Store.open(db).close()
    cmd = [sys.executable, "main.py", "--db", str(db), "report"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "No shift has been recorded" in done.stderr
    done = subprocess.run([*cmd, "--shift", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no shift with id nope" in done.stderr and "Traceback" not in done.stderr


def test_a_duress_alarm_is_silent_in_the_report_at_the_desk_and_told_to_the_manager(store, site, shift):
    from shift import checkins, report

    checkins.record(store, shift, "duress")
    checkins.record(store, shift, "escalation", "0:email security")
    checkins.record(store, shift, "alert_sent", "0: emailed security@library.example")
    at_desk = report.render_text(report.build(store, site, shift.id, at_desk=True))
    manager = report.render_text(report.build(store, site, shift.id))
    assert "Check-ins: 1" in at_desk and "uress" not in at_desk and "escalated" not in at_desk
    assert "DURESS code entered: silent alarm raised" in manager and "alarm escalated (email security)" in manager


def test_the_report_at_the_desk_after_duress_reads_as_after_a_normal_check_in(store, site, clock):
    from shift import checkins, report
    from shift.shifts import end_shift, start_shift

    texts = []
    for kind in ("checkin", "duress"):
        shift = start_shift(store, "Sam", "main")
        checkins.record(store, shift, kind)
        if kind == "duress":
            checkins.record(store, shift, "escalation", "0:email security")
        texts.append(report.render_text(report.build(store, site, shift.id, at_desk=True)))
        end_shift(store, shift, "")
    assert texts[0] == texts[1]


def test_a_missed_check_in_is_named_in_the_report(store, site, shift):
    from shift import checkins, report

    checkins.record(store, shift, "escalation", "0:email security")
    checkins.record(store, shift, "alert_sent", "0: emailed security@library.example")
    text = report.render_text(report.build(store, site, shift.id))
    assert text.index("check-in missed: alarm raised") < text.index("alarm escalated (email security)")
    checkins.record(store, shift, "escalation", "1:email supervisor")  # a later step: not a new miss
    assert report.render_text(report.build(store, site, shift.id)).count("check-in missed") == 1


def test_circulation_in_the_desks_words_and_minutes_that_agree(store, site, clock):
    from datetime import timedelta

    from shift import circulation
    from shift.shifts import start_shift

    clock.moment = local(2026, 11, 24, 15, 0) + timedelta(seconds=50)
    sam = start_shift(store, "Sam", "main")
    circulation.record(store, sam, "in_house", "31234000111", site.zone)
    circulation.record(store, sam, "loan", "31234000222", site.zone, patron="21234000999")
    clock.moment = local(2026, 11, 24, 15, 1) + timedelta(seconds=10)  # 80 s later, shown 15:00 – 15:01
    built = report.build(store, site, sam.id)
    head, = (s for s in built.sections if s.key == "shift")
    assert head.lines[1] == "Tue 24 Nov 2026 15:00 – still open (1 min)"
    circ, = (s for s in built.sections if s.key == "circulation")
    assert circ.lines == ["Loan: 1, In-house use: 1"]


def test_days_at_the_ends_of_the_calendar(store, site, shift):
    from datetime import date

    assert report.shifts_on(store, site, date(9999, 12, 31)) == []  # it raised OverflowError
    assert report.shifts_on(store, site, date(1, 1, 1)) == []
    assert report.shifts_on(store, site, date(2026, 11, 24)) == [shift.id]
    assert report.day_text(date(1, 1, 1)) == "Mon 0001-01-01"

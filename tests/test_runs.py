"""The procedure engine: conditions, required/optional, skips, corrections, resume, version pinning."""

from datetime import timedelta

import pytest

from conftest import ROOT, TORONTO, local
from shift.procedures import parse_procedure
from shift.runs import (
    NeedsConfirmation,
    NeedsNote,
    add_note,
    finish_run,
    load_run,
    open_runs,
    record_answer,
    skip_step,
    start_run,
)
from shift.shifts import start_shift
from shift.store import Store

CLOSING = """
id = "closing-test"
title = "Closing (test)"
kind = "closing"
owner = "Coordinator"
reviewed = 2026-10-01

[[steps]]
id = "announce-15"
title = "Announce: closing in 15 minutes"
announce = "The library closes in 15 minutes."
due = "close-15m"

[[steps]]
id = "reader"
title = "Is the microfilm reader working?"
kind = "yesno"
note_when = ["no"]

[[steps]]
id = "report-reader"
title = "Report the reader to facilities"
show_if = { step = "reader", answer = "no" }

[[steps]]
id = "cash"
title = "Count the cash float"
kind = "number"
unit = "$"
min = 150
max = 250

[[steps]]
id = "windows"
title = "Close the windows"
required = false

[[steps]]
id = "state"
title = "How did the building look?"
kind = "choice"
choices = ["tidy", "messy", "damaged"]

[[steps]]
id = "lock-main-doors"
title = "Lock the main doors"
due = "close"
"""


@pytest.fixture
def procedure(tmp_path):
    parsed, problems = parse_procedure(CLOSING, tmp_path / "closing.toml")
    assert problems == []
    return parsed


@pytest.fixture
def shift(store):
    return start_shift(store, "Sam", "main")


def test_steps_in_order_with_a_condition(store, procedure, shift):
    run = start_run(store, shift, procedure)
    assert run.current().id == "announce-15"
    assert str(run.progress(run.current())) == "Step 1 of 6 (+1 if needed)"  # the conditional step is hidden
    run = record_answer(store, run, run.current())
    run = record_answer(store, run, run.current(), "yes")
    assert run.current().id == "cash"
    assert [s.id for s in run.visible_steps()].count("report-reader") == 0


def test_an_answer_that_needs_a_note_shows_the_follow_up_step(store, procedure, shift):
    run = start_run(store, shift, procedure)
    run = record_answer(store, run, run.current())
    with pytest.raises(NeedsNote):
        record_answer(store, run, run.current(), "no")
    run = record_answer(store, run, run.current(), "no", note="Film does not advance")
    assert run.current().id == "report-reader"
    # The total the run started with stands: the step the answer called for is 2a, not "3 of 7".
    assert str(run.progress(run.current())) == "Step 2a of 6 (+1 if needed)"
    run = record_answer(store, run, run.current())
    assert str(run.progress(run.current())) == "Step 3 of 6 (+1 if needed)"
    assert run.progress(run.current()).short() == "step 3 of 6"
    assert run.notes_for("reader")[0].text == "Film does not advance"


def test_numbers_outside_the_range_need_confirmation(store, procedure, shift):
    run = start_run(store, shift, procedure)
    run = record_answer(store, run, run.current())
    run = record_answer(store, run, run.current(), "yes")
    with pytest.raises(ValueError, match="not a number"):
        record_answer(store, run, run.current(), "lots")
    with pytest.raises(NeedsConfirmation, match="outside the expected \\$150 to \\$250"):
        record_answer(store, run, run.current(), "$312.50")
    run = record_answer(store, run, run.current(), "$312.50", confirm=True)
    assert run.latest["cash"].answer == "312.5" and run.latest["cash"].out_of_range


def test_skipping_needs_a_reason_for_required_steps(store, procedure, shift):
    run = start_run(store, shift, procedure)
    with pytest.raises(ValueError, match="reason"):
        skip_step(store, run, run.current(), "  ")
    run = skip_step(store, run, run.current(), "PA system broken; walked the floors instead")
    for answer in ("yes", "200"):
        run = record_answer(store, run, run.current(), answer)
    assert run.current().id == "windows"
    run = skip_step(store, run, run.current(), "")  # optional: no reason needed
    assert run.latest["windows"].status == "skipped"


def test_correcting_an_earlier_answer_adds_a_row(store, procedure, shift):
    run = start_run(store, shift, procedure)
    run = record_answer(store, run, run.current())
    run = record_answer(store, run, run.current(), "yes")
    first = run.latest["reader"]
    run = record_answer(store, run, procedure.step("reader"), "no", note="It jammed after all")
    assert run.latest["reader"].corrects == first.id
    assert store.rows("SELECT COUNT(*) AS n FROM step_outcomes WHERE step_id = 'reader'")[0]["n"] == 2
    assert run.current().id == "report-reader"  # the correction revealed a step
    summary = run.summary()
    corrections = [(s.id, before.answer, after.answer) for s, before, after in summary.corrections]
    assert corrections == [("reader", "yes", "no")]


def test_full_run_summary_and_finish(store, procedure, shift):
    run = start_run(store, shift, procedure)
    run = skip_step(store, run, run.current(), "PA broken")
    run = record_answer(store, run, run.current(), "yes")
    run = record_answer(store, run, run.current(), "312", confirm=True)
    run = add_note(store, run, run.current(), "Counted twice")
    run = record_answer(store, run, run.current())
    with pytest.raises(ValueError, match="still to do"):
        finish_run(store, run)
    run = record_answer(store, run, run.current(), "tidy")
    run = record_answer(store, run, run.current())
    assert run.complete
    summary = run.summary()
    assert [(s.id, r) for s, r in summary.skipped] == [("announce-15", "PA broken")]
    assert [(s.id, v) for s, v in summary.out_of_range] == [("cash", "$312")]
    assert [(s.id, t) for s, t in summary.notes] == [("windows", "Counted twice")]
    assert len(summary.done) == 5
    run = finish_run(store, run)
    assert run.ended_at is not None and open_runs(store, shift) == []


def test_interrupted_run_resumes_at_the_exact_step(tmp_path, clock, procedure):
    path = tmp_path / "desk.db"
    store = Store.open(path, clock=clock)
    shift = start_shift(store, "Sam", "main")
    run = start_run(store, shift, procedure)
    run = record_answer(store, run, run.current())
    run = record_answer(store, run, run.current(), "no", note="Jammed")
    store.close()  # a crash: nothing else recorded
    store = Store.open(path, clock=clock)
    [resumed] = open_runs(store, shift)
    assert resumed.current().id == "report-reader"
    assert resumed.latest["reader"].answer == "no"
    # Starting the same procedure again in the same shift returns the open run.
    assert start_run(store, shift, procedure).id == run.id
    store.close()


def test_a_run_finishes_against_the_version_it_started_with(store, procedure, shift, tmp_path):
    run = start_run(store, shift, procedure)
    run = record_answer(store, run, run.current())
    edited_text = CLOSING.replace('title = "Close the windows"', 'title = "Close and latch every window"')
    edited, _ = parse_procedure(edited_text, tmp_path / "closing.toml")
    assert edited.sha256 != procedure.sha256
    again = start_run(store, shift, edited)  # the open run, on its own version
    assert again.id == run.id
    assert again.procedure.step("windows").title == "Close the windows"
    for answer in ("yes", "200"):
        again = record_answer(store, again, again.current(), answer)
    again = record_answer(store, again, again.current())
    for answer in ("tidy", None):
        again = record_answer(store, again, again.current(), answer)
    finish_run(store, again)
    new_run = start_run(store, shift, edited)  # a run started afterwards uses the edit
    assert new_run.id != run.id
    assert new_run.procedure.step("windows").title == "Close and latch every window"


def test_due_times_follow_the_days_hours(store, procedure, shift, site):
    run = start_run(store, shift, procedure)  # Tuesday, closes at 23:00
    assert run.due_at(procedure.step("announce-15"), site.hours) == local(2026, 11, 24, 22, 45)
    assert run.due_at(procedure.step("lock-main-doors"), site.hours) == local(2026, 11, 24, 23, 0)
    assert run.due_at(procedure.step("cash"), site.hours) is None


def test_the_stored_version_is_the_source_of_truth(store, procedure, shift):
    run = start_run(store, shift, procedure)
    stored = store.rows("SELECT text, sha256 FROM procedure_versions")[0]
    assert stored["text"] == CLOSING and stored["sha256"] == procedure.sha256
    assert load_run(store, run.id).procedure == procedure


def test_a_run_pinned_before_sources_were_tables_still_loads(store, shift, tmp_path):
    """Shifts recorded with the old format (plain-text sources) still resume and report;
    a file in that format is refused by the loader, with its line."""
    old_format = CLOSING.replace('reviewed = 2026-10-01', 'reviewed = 2026-10-01\nsources = ["Fire safety plan, 2026"]')
    refused, problems = parse_procedure(old_format, tmp_path / "closing.toml")
    assert refused is None and "is plain text; write it as a table" in str(problems[0])
    pinned, problems = parse_procedure(old_format, tmp_path / "closing.toml", pinned=True)
    assert problems == []
    run = start_run(store, shift, pinned)
    run = record_answer(store, run, run.current())
    loaded = load_run(store, run.id)
    assert loaded.procedure.sources[0].title == "Fire safety plan, 2026" and len(loaded.history) == 1


def test_an_all_clear_step_is_never_skipped(store, shift, tmp_path):
    text = CLOSING.replace('id = "lock-main-doors"', 'id = "all-clear"')
    procedure, _ = parse_procedure(text, tmp_path / "closing.toml")
    run = start_run(store, shift, procedure)
    step = procedure.step("all-clear")
    with pytest.raises(ValueError, match="cannot be skipped"):
        skip_step(store, run, step, "The captain waved us in")
    assert store.rows("SELECT COUNT(*) AS n FROM step_outcomes")[0]["n"] == 0


def test_the_closing_procedure_is_offered_before_a_real_closing_only(tmp_path):
    from conftest import TORONTO
    from shift.hours import HoursCalendar, Period
    from shift.runs import suggested

    closing, _ = parse_procedure(CLOSING, tmp_path / "closing.toml")
    # Thursday to midnight; Friday from 08:00 round the clock into Saturday, closing there at 20:00.
    hours = HoursCalendar(TORONTO, {3: (Period(480, 1440),), 4: (Period(480, 1440),), 5: (Period(0, 1200),)})
    assert suggested([closing], hours, local(2026, 12, 10, 23, 30), set()) == closing
    assert suggested([closing], hours, local(2026, 12, 11, 23, 30), set()) is None
    assert suggested([closing], hours, local(2026, 12, 12, 19, 30), set()) == closing
    assert suggested([closing], hours, local(2026, 12, 12, 19, 30), {closing.id}) is None  # done already


def test_a_real_event_never_resumes_a_drill_and_ends_the_abandoned_drill(store, procedure, shift, clock):
    from shift.runs import ABANDONED_DRILL_NOTE

    drill = start_run(store, shift, procedure, drill=True)
    drill = record_answer(store, drill, drill.current())  # the drill stopped at step 2
    clock.advance(minutes=5)
    real = start_run(store, shift, procedure, drill=False)
    assert real.id != drill.id and not real.drill and real.history == []
    rows = store.rows("SELECT id, drill FROM procedure_runs ORDER BY started_at")
    assert [(r["id"], r["drill"]) for r in rows] == [(drill.id, 1), (real.id, 0)]
    ended = load_run(store, drill.id)
    assert ended.ended_at is not None and not ended.complete  # ended, on record as unfinished
    assert [n.text for n in ended.notes_for("reader")] == [ABANDONED_DRILL_NOTE]
    assert [r.id for r in open_runs(store, shift)] == [real.id]
    # From now on a real start resumes the real run.
    assert start_run(store, shift, procedure, drill=False).id == real.id


def test_a_drill_never_resumes_a_real_run_and_leaves_it_open(store, procedure, shift):
    real = start_run(store, shift, procedure, drill=False)
    real = record_answer(store, real, real.current())
    drill = start_run(store, shift, procedure, drill=True)
    assert drill.id != real.id and drill.drill and drill.history == []
    assert sorted((r.id, r.drill) for r in open_runs(store, shift)) == sorted([(real.id, False), (drill.id, True)])
    assert start_run(store, shift, procedure, drill=True).id == drill.id  # each resumes its own kind
    assert start_run(store, shift, procedure, drill=False).id == real.id
    assert load_run(store, real.id).ended_at is None and load_run(store, real.id).notes == []


def test_a_late_nights_closing_after_midnight_is_offered_and_times_its_steps():
    from shift.hours import HoursCalendar, parse_period
    from shift.procedures import load_procedures
    from shift.runs import RunState, suggested

    zone = TORONTO
    weekly = {4: (parse_period("08:00-24:00"),), 5: (parse_period("00:00-00:30"), parse_period("10:00-18:00"))}
    hours = HoursCalendar(zone, weekly)
    procedures, _ = load_procedures(ROOT / "procedures")
    closing = next(p for p in procedures if p.id == "closing")
    # Friday 27 Nov 2026 into Saturday: the building really closes at 00:30.
    for moment in (local(2026, 11, 27, 23, 50), local(2026, 11, 28, 0, 10)):
        assert suggested(procedures, hours, moment, set()) is closing, moment
    assert suggested(procedures, hours, local(2026, 11, 27, 22, 0), set()) is None  # not at the 24:00 seam
    run = RunState("r", "s", local(2026, 11, 28, 0, 5), closing, [], [])
    timed = [s for s in closing.steps if s.due is not None and s.due.anchor == "close"]
    assert timed and all(run.due_at(s, hours) <= local(2026, 11, 28, 0, 30) + timedelta(hours=1) for s in timed)
    assert run.due_at(timed[0], hours) == local(2026, 11, 28, 0, 30) + timedelta(minutes=timed[0].due.minutes)


def test_the_shift_report_gives_each_answer_of_a_run(store, procedure, shift, site):
    """The manager reads the float counted, the reader's state, how the building looked: every
    answer, in range or not, with a skip's reason and a note."""
    from shift import report

    run = start_run(store, shift, procedure)
    run = skip_step(store, run, run.current(), "PA broken")
    run = record_answer(store, run, run.current(), "no", note="Lamp out <b>[red]")
    run = record_answer(store, run, run.current())  # report the reader (a plain step: no answer)
    run = record_answer(store, run, run.current(), "180")
    run = record_answer(store, run, run.current())
    run = record_answer(store, run, run.current(), "messy")
    text = report.render_text(report.build(store, site, shift.id))
    assert "  Is the microfilm reader working?: no\n" in text
    assert "  Count the cash float: $180\n" in text
    assert "  How did the building look?: messy\n" in text
    assert "  note on Is the microfilm reader working?: Lamp out <b>[red]\n" in text
    assert "Report the reader to facilities:" not in text and "Close the windows:" not in text

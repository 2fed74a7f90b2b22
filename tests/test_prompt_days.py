"""Prompts follow the real openings and closings, and belong to their day.

Issue 13: a library open round the clock fired its rounds twice at every
midnight; a late night split over two days lost its 00:30 closing and the next
morning's opening, and ran rounds while the building was closed; a closing
procedure's lock step marked yesterday's, today's and tomorrow's lock-doors
prompts done at once.
"""

from datetime import date, timedelta
from itertools import pairwise

from conftest import TORONTO, local
from shift import prompts as prompt_state
from shift.clock import FixedClock
from shift.hours import HoursCalendar, Period, parse_period
from shift.scheduler import DeskScheduler
from shift.tasks import Task, plan, plan_day
from shift.timespec import parse_timespec


def task(ident, **kw) -> Task:
    for key in ("at", "start", "until"):
        if isinstance(kw.get(key), str):
            kw[key] = parse_timespec(kw[key])
    return Task(ident, ident, **kw)


def at_local(prompts, ident):
    return [p.due_at.astimezone(TORONTO).strftime("%a %H:%M") for p in prompts if p.task.id == ident]


ROUND_THE_CLOCK = HoursCalendar(TORONTO, {d: (Period(0, 1440),) for d in range(7)})

CLOSING_TASKS = [task("announce-30", at="close-30m"), task("announce-15", at="close-15m"),
                 task("announce-5", at="close-5m"), task("lock", at="close"),
                 task("unlock", at="open"), task("floor-walk", at="open+15m"),
                 task("returns-bin", every=timedelta(hours=3), start="open+2h", until="close-1h")]


# -- a library open round the clock --------------------------------------------


def test_round_the_clock_rounds_are_planned_once_over_three_days():
    tasks = [task("hourly", every=timedelta(hours=1)), task("sweep", every=timedelta(hours=5)),
             task("lock", at="close")]
    planned = plan(date(2026, 11, 23), date(2026, 11, 25), ROUND_THE_CLOCK, tasks)
    assert len({p.key for p in planned}) == len(planned)
    hourly = [p.due_at for p in planned if p.task.id == "hourly"]
    assert len(hourly) == 72 and all(b - a == timedelta(hours=1) for a, b in pairwise(hourly))
    # Rounds keep their rhythm across midnight: no restart at 00:00.
    sweep = [p.due_at for p in planned if p.task.id == "sweep"]
    assert all(b - a == timedelta(hours=5) for a, b in pairwise(sweep))
    assert len(sweep) in (14, 15)  # 72 hours, one every 5
    assert at_local(planned, "lock") == []  # never closes


def test_the_scheduler_plans_each_midnight_once():
    clock = FixedClock(local(2026, 11, 24, 19, 30))
    scheduler = DeskScheduler(clock, wake=lambda: None)
    scheduler.hours, scheduler.tasks = ROUND_THE_CLOCK, (task("hourly", every=timedelta(hours=1)),)
    planned = scheduler.prompts()
    keys = [p.key for p in planned]
    assert len(keys) == len(set(keys)) == 72
    for midnight in (local(2026, 11, 24), local(2026, 11, 25)):
        assert [p.due_at for p in planned].count(midnight) == 1


def test_days_planned_one_by_one_do_not_overlap():
    tasks = [task("hourly", every=timedelta(hours=1))]
    days = [plan_day(date(2026, 11, d), ROUND_THE_CLOCK, tasks) for d in (23, 24, 25)]
    assert [p for day in days for p in day] == plan(date(2026, 11, 23), date(2026, 11, 25), ROUND_THE_CLOCK, tasks)


# -- a late night split over two days --------------------------------------------


def split_late_night() -> HoursCalendar:
    # Friday open to midnight and on to 00:30 Saturday; Saturday opens again at 10:00.
    return HoursCalendar(TORONTO, {4: (parse_period("08:00-24:00"),),
                                   5: (parse_period("00:00-00:30"), parse_period("10:00-18:00"))})


FRIDAY, SATURDAY = date(2026, 11, 27), date(2026, 11, 28)


def test_a_late_night_closes_at_0030_and_opens_again_at_1000():
    hours = split_late_night()
    planned = plan(FRIDAY, SATURDAY, hours, CLOSING_TASKS)
    assert at_local(planned, "announce-30") == ["Sat 00:00", "Sat 17:30"]
    assert at_local(planned, "announce-15") == ["Sat 00:15", "Sat 17:45"]
    assert at_local(planned, "announce-5") == ["Sat 00:25", "Sat 17:55"]
    assert at_local(planned, "lock") == ["Sat 00:30", "Sat 18:00"]  # never Fri 24:00
    assert at_local(planned, "unlock") == ["Fri 08:00", "Sat 10:00"]  # never Sat 00:00
    assert at_local(planned, "floor-walk") == ["Fri 08:15", "Sat 10:15"]
    # The 00:30 closing's prompts are Saturday's.
    assert at_local(plan_day(SATURDAY, hours, CLOSING_TASKS), "lock") == ["Sat 00:30", "Sat 18:00"]
    assert at_local(plan_day(FRIDAY, hours, CLOSING_TASKS), "lock") == []


def test_a_late_night_has_no_rounds_while_closed():
    hours = split_late_night()
    planned = plan(FRIDAY, SATURDAY, hours, CLOSING_TASKS)
    # From open+2h to close-1h of each real span: Fri 10:00 .. Fri 23:30, Sat 12:00 .. Sat 17:00.
    assert at_local(planned, "returns-bin") == ["Fri 10:00", "Fri 13:00", "Fri 16:00", "Fri 19:00", "Fri 22:00",
                                                "Sat 12:00", "Sat 15:00"]
    for prompt in planned:
        due = prompt.due_at
        assert hours.is_open(due) or due in (local(2026, 11, 28, 0, 30), local(2026, 11, 28, 18, 0)), prompt.key


def test_a_clock_from_runs_past_midnight_on_a_late_night():
    hours = split_late_night()
    tasks = [task("patrol", every=timedelta(hours=1), start="22:00", until="close"),
             task("desk-check", every=timedelta(hours=1), start="22:00", until="01:00")]
    planned = plan(FRIDAY, SATURDAY, hours, tasks)
    assert at_local(planned, "patrol") == ["Fri 22:00", "Fri 23:00", "Sat 00:00"]
    assert at_local(planned, "desk-check") == ["Fri 22:00", "Fri 23:00", "Sat 00:00"]  # closed by 01:00


# -- a procedure step belongs to its day's prompt ----------------------------------


def test_the_lock_step_completes_only_todays_lock_doors(full_site):
    planned = plan(date(2026, 11, 23), date(2026, 11, 25), full_site.hours, full_site.tasks)
    locks = [p for p in planned if p.task.id == "lock-doors"]
    assert len(locks) == 3  # Monday's, Tuesday's and Wednesday's, all planned
    today = local(2026, 11, 24, 23, 0)
    for started in (local(2026, 11, 24, 17, 30), local(2026, 11, 23, 16, 0)):  # even a shift begun yesterday
        done = prompt_state.completed_by_step(planned, "closing", "lock-main-doors",
                                              shift_started_at=started, now=local(2026, 11, 24, 22, 40))
        assert done is not None and done.task.id == "lock-doors" and done.due_at == today
    # The locking step just after a midnight closing is that closing's.
    exam = plan(date(2026, 12, 9), date(2026, 12, 11), full_site.hours, full_site.tasks)
    done = prompt_state.completed_by_step(exam, "closing", "lock-main-doors",
                                          shift_started_at=local(2026, 12, 10, 17, 0), now=local(2026, 12, 11, 0, 10))
    assert done is not None and done.due_at == local(2026, 12, 11, 0, 0)


def test_a_step_far_from_any_prompt_completes_none(full_site):
    planned = plan(date(2026, 11, 23), date(2026, 11, 25), full_site.hours, full_site.tasks)
    # A morning drill of the closing procedure: tonight's 23:00 lock is 14.5 hours away.
    assert prompt_state.completed_by_step(planned, "closing", "lock-main-doors",
                                          shift_started_at=local(2026, 11, 24, 8, 0),
                                          now=local(2026, 11, 24, 8, 30)) is None
    # Prompts from before the shift began are not this shift's.
    assert prompt_state.completed_by_step(planned, "closing", "lock-main-doors",
                                          shift_started_at=local(2026, 11, 24, 0, 0),
                                          now=local(2026, 11, 23, 23, 5)) is None
    assert prompt_state.completed_by_step(planned, "closing", "some-other-step",
                                          shift_started_at=local(2026, 11, 24, 17, 30),
                                          now=local(2026, 11, 24, 22, 40)) is None


# -- daylight-saving days ----------------------------------------------------------


def test_dst_nights_plan_each_prompt_once(full_site):
    tasks = [*CLOSING_TASKS, task("hourly", every=timedelta(hours=1)), task("at-0130", at="01:30"),
             task("at-0230", at="02:30"), task("evening", every=timedelta(minutes=30), start="20:00", until="23:00")]
    # A late night from Saturday 20:00 to Sunday 03:00 over each 2026 change.
    late = HoursCalendar(TORONTO, {5: (parse_period("20:00-24:00"),), 6: (parse_period("00:00-03:00"),)})
    for saturday, real_hours in ((date(2026, 3, 7), 6), (date(2026, 10, 31), 8)):
        sunday = saturday + timedelta(days=1)
        for hours in (late, ROUND_THE_CLOCK, full_site.hours):
            planned = plan(saturday - timedelta(days=1), sunday + timedelta(days=1), hours, tasks)
            assert len({p.key for p in planned}) == len(planned)
            open_days = sum(not hours.day(saturday + timedelta(days=n)).closed for n in (-1, 0, 1, 2))
            for ident in ("at-0130", "at-0230"):
                assert len([p for p in planned if p.task.id == ident]) == open_days  # once a day with hours
            evenings = [p for p in planned if p.task.id == "evening"]
            if hours is ROUND_THE_CLOCK:  # 20:00 to 23:00 each of the four days, every half hour
                assert len(evenings) == 4 * 7
            hourly = [p.due_at for p in planned if p.task.id == "hourly"]
            gaps = {b - a for a, b in pairwise(hourly)}
            if hours is full_site.hours:  # a day at a time: an hour apart, then overnight
                assert min(gaps) == timedelta(hours=1)
            else:  # one span through the change: an hour apart throughout
                assert gaps == {timedelta(hours=1)}
        planned = plan(saturday, sunday, late, tasks)
        hourly = [p.due_at for p in planned if p.task.id == "hourly"]
        assert len(hourly) == real_hours + 1  # from 20:00 to the 03:00 closing inclusive, in real hours
        [lock] = [p.due_at for p in planned if p.task.id == "lock"]
        assert lock == local(sunday.year, sunday.month, sunday.day, 3, 0)
        [announce] = [p.due_at for p in planned if p.task.id == "announce-30"]
        assert lock - announce == timedelta(minutes=30)

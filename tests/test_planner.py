"""The day's prompts: clock and relative times, repeats, holidays, exam hours, both 2026 DST days."""

from datetime import date, timedelta

from conftest import TORONTO, local
from shift.hours import HoursCalendar, Period
from shift.tasks import Task, plan, plan_day
from shift.timespec import parse_timespec


def task(ident, **kw) -> Task:
    for key in ("at", "start", "until"):
        if isinstance(kw.get(key), str):
            kw[key] = parse_timespec(kw[key])
    return Task(ident, ident, **kw)


def local_times(prompts):
    return [(p.task.id, p.due_at.astimezone(TORONTO).strftime("%H:%M")) for p in prompts]


def test_shipped_tasks_on_a_tuesday(full_site):
    site = full_site
    prompts = plan_day(date(2026, 11, 24), site.hours, site.tasks)
    assert local_times(prompts) == [
        ("hold-shelf", "19:00"), ("returns-bin", "19:30"),
        ("announce-30", "22:30"), ("announce-15", "22:45"), ("announce-5", "22:55"), ("lock-doors", "23:00"),
    ]


def test_holiday_closure_has_no_prompts(full_site):
    site = full_site
    assert plan_day(date(2026, 12, 25), site.hours, site.tasks) == []


def test_exam_hours_move_the_closing_prompts(full_site):
    site = full_site
    # 2026-12-10 (Thursday) closes at midnight in the exam period instead of 23:00.
    times = dict((t, h) for t, h in local_times(plan_day(date(2026, 12, 10), site.hours, site.tasks))
                 if t.startswith(("announce", "lock")))
    assert times == {"announce-30": "23:30", "announce-15": "23:45", "announce-5": "23:55", "lock-doors": "00:00"}
    assert plan_day(date(2026, 12, 10), site.hours, site.tasks)[-1].due_at == local(2026, 12, 11, 0, 0)


def test_days_and_solo_only_filters(full_site):
    site = full_site
    saturday = local_times(plan_day(date(2026, 11, 28), site.hours, site.tasks))
    assert ("hold-shelf", "19:00") not in saturday  # weekdays only
    assert ("returns-bin", "12:00") in saturday  # a solo weekend day: from opening
    tuesday = local_times(plan_day(date(2026, 11, 24), site.hours, site.tasks))
    assert not {("returns-bin", "10:30"), ("returns-bin", "13:30"), ("returns-bin", "16:30")} & set(tuesday)


ALL_NIGHT = HoursCalendar(TORONTO, {d: (Period(0, 1440),) for d in range(7)})


def test_spring_forward_skips_and_doubles_nothing():
    tasks = [task("hourly", every=timedelta(hours=1)),
             task("at-0230", at="02:30"), task("at-0130", at="01:30"), task("before-close", at="close-30m")]
    prompts = plan_day(date(2026, 3, 8), ALL_NIGHT, tasks)
    hourly = [p.due_at for p in prompts if p.task.id == "hourly"]
    assert len(hourly) == 23  # 00:00 .. 23:00 is 23 real hours; 24:00 is Monday's 00:00
    assert all(b - a == timedelta(hours=1) for a, b in zip(hourly, hourly[1:], strict=False))
    assert len(set(p.key for p in prompts)) == len(prompts)
    # Planned with the days around it, the day still has each round once, an hour apart.
    three = plan(date(2026, 3, 7), date(2026, 3, 9), ALL_NIGHT, tasks)
    sunday = [p.due_at for p in three if p.task.id == "hourly" and local(2026, 3, 8) <= p.due_at < local(2026, 3, 9)]
    assert sunday == hourly
    assert len(set(p.key for p in three)) == len(three)
    assert [p.task.id for p in three].count("before-close") == 0  # never closes
    [skipped_time] = [p for p in prompts if p.task.id == "at-0230"]
    assert skipped_time.due_at == local(2026, 3, 8, 3, 30)  # moved forward past the gap, not dropped
    assert len([p for p in prompts if p.task.id == "at-0130"]) == 1


def test_fall_back_skips_and_doubles_nothing():
    tasks = [task("hourly", every=timedelta(hours=1)), task("at-0130", at="01:30"), task("at-0200", at="02:00")]
    prompts = plan_day(date(2026, 11, 1), ALL_NIGHT, tasks)
    [repeated] = [p for p in prompts if p.task.id == "at-0130"]
    assert repeated.due_at.astimezone(TORONTO).utcoffset() == timedelta(hours=-4)  # the first 01:30 (EDT)
    assert len([p for p in prompts if p.task.id == "at-0200"]) == 1
    hourly = [p.due_at for p in prompts if p.task.id == "hourly"]
    assert len(hourly) == 25  # 25 real hours, 01:00 twice
    assert len(set(hourly)) == len(hourly)
    assert all(b - a == timedelta(hours=1) for a, b in zip(hourly, hourly[1:], strict=False))


def test_shipped_tasks_on_both_dst_sundays(full_site):
    site = full_site
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        prompts = plan_day(day, site.hours, site.tasks)
        assert local_times(prompts)[-4:] == [
            ("announce-30", "21:30"), ("announce-15", "21:45"), ("announce-5", "21:55"), ("lock-doors", "22:00")]
        assert len(set(p.key for p in prompts)) == len(prompts)


def test_the_same_prompt_planned_twice_is_one():
    tasks = [task("a", at="close"), task("a", at="close")]
    assert len(plan_day(date(2026, 11, 24), EXAM_WEEKEND, tasks)) == 1


# Exam season: open to midnight on weekdays, round the clock from Friday 08:00 to Sunday 22:00.
EXAM_WEEKEND = HoursCalendar(TORONTO, {**{d: (Period(480, 1440),) for d in range(5)},
                                       5: (Period(0, 1440),), 6: (Period(0, 1320),)})


def test_closing_prompts_wait_for_a_real_closing():
    tasks = [task("announce-15", at="close-15m"), task("unlock", at="open"),
             task("sweep", every=timedelta(hours=6), start="open+1h", until="close-1h")]
    by_day = {day: local_times(plan_day(date(2026, 12, day), EXAM_WEEKEND, tasks)) for day in (10, 11, 12, 13)}
    assert ("announce-15", "23:45") in by_day[10] and ("unlock", "08:00") in by_day[10]  # Thursday
    assert ("unlock", "08:00") in by_day[11]  # Friday opens, and stays open into Saturday
    assert not [t for t in by_day[11] + by_day[12] if t[0] == "announce-15"]
    assert not [t for t in by_day[12] + by_day[13] if t[0] == "unlock"]
    assert ("announce-15", "21:45") in by_day[13]  # Sunday 22:00 is the real closing
    # Rounds follow the real open span, Friday 08:00 to Sunday 22:00, across both midnights.
    assert [h for t, h in by_day[11] if t == "sweep"] == ["09:00", "15:00", "21:00"]
    assert [h for t, h in by_day[12] if t == "sweep"] == ["03:00", "09:00", "15:00", "21:00"]
    assert [h for t, h in by_day[13] if t == "sweep"] == ["03:00", "09:00", "15:00", "21:00"]

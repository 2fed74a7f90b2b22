"""The hours calendar: weekly pattern, exceptions, solo shifts and the 2026 DST days."""

from datetime import date, timedelta

from conftest import TORONTO, local
from shift.clock import UTC
from shift.hours import HoursCalendar, Period, duration_text, local_moment, parse_period


def test_weekly_hours_and_status(site):
    hours = site.hours
    tuesday = date(2026, 11, 24)
    assert hours.opening(tuesday) == local(2026, 11, 24, 8, 30)
    assert hours.closing(tuesday) == local(2026, 11, 24, 23, 0)
    assert hours.status_text(local(2026, 11, 24, 21, 48)) == "closes in 1 h 12 min"
    assert hours.status_text(local(2026, 11, 24, 23, 0)) == "closed · opens tomorrow at 08:30"
    assert hours.status_text(local(2026, 11, 28, 9, 0)) == "closed · opens at 10:00"
    assert hours.time_until_close(local(2026, 11, 24, 22, 59)) == timedelta(minutes=1)


def test_exceptions_replace_weekly_hours(site):
    hours = site.hours
    # Exam period: extended to midnight.
    assert hours.closing(date(2026, 12, 10)) == local(2026, 12, 11, 0, 0)
    assert "exam" in hours.day(date(2026, 12, 10)).text()
    # Early closing, then the winter closure, then normal hours again.
    assert hours.closing(date(2026, 12, 22)) == local(2026, 12, 22, 16, 0)
    assert hours.day(date(2026, 12, 25)).closed
    assert hours.opening(date(2026, 12, 25)) is None
    assert hours.next_opening(local(2026, 12, 22, 17, 0)) == local(2027, 1, 4, 8, 30)
    assert hours.status_text(local(2026, 12, 24, 12, 0)) == "closed · opens Mon 04 Jan at 08:30"
    # A single-day holiday.
    assert hours.day(date(2027, 2, 15)).closed and hours.day(date(2027, 2, 16)).periods


def test_solo_shift_is_weekday_evenings_and_weekends(site):
    hours = site.hours
    assert not hours.is_solo(local(2026, 11, 24, 16, 59))
    assert hours.is_solo(local(2026, 11, 24, 17, 0))
    assert hours.is_solo(local(2026, 11, 28, 11, 0))  # Saturday
    assert not hours.is_solo(local(2026, 11, 28, 19, 0))  # Saturday, closed


def _all_day() -> HoursCalendar:
    every_day = {d: (Period(0, 1440),) for d in range(7)}
    return HoursCalendar(TORONTO, every_day)


def test_spring_forward_day_is_23_hours_and_skipped_time_moves_forward():
    cal = _all_day()
    day = date(2026, 3, 8)
    assert cal.closing(day) - cal.opening(day) == timedelta(hours=23)
    # 02:30 does not exist on 2026-03-08: it becomes 03:30 EDT (07:30 UTC).
    moment = local_moment(day, 150, TORONTO)
    assert moment == local(2026, 3, 8, 3, 30) == moment.replace(tzinfo=UTC)
    assert moment.astimezone(TORONTO).hour == 3


def test_fall_back_day_is_25_hours_and_repeated_time_is_the_first():
    cal = _all_day()
    day = date(2026, 11, 1)
    assert cal.closing(day) - cal.opening(day) == timedelta(hours=25)
    first = local_moment(day, 90, TORONTO)  # 01:30 happens twice
    assert first.hour == 5 and first.tzinfo == UTC  # 01:30 EDT = 05:30 UTC
    # Time until closing counts real time: from 00:30 to 02:00 is 2.5 hours tonight.
    night = HoursCalendar(TORONTO, {6: (Period(0, 120),)})
    assert night.time_until_close(local(2026, 11, 1, 0, 30)) == timedelta(hours=2, minutes=30)


def test_closing_in_the_skipped_hour_is_not_lost():
    # A late-night closing at 02:30 on the spring-forward night still closes, at 03:30 EDT.
    cal = HoursCalendar(TORONTO, {6: (Period(0, 150),)})
    assert cal.closing(date(2026, 3, 8)) == local(2026, 3, 8, 3, 30)
    assert cal.is_open(local(2026, 3, 8, 3, 15))


def test_shipped_sunday_hours_on_both_dst_days(site):
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        assert site.hours.opening(day) == local(day.year, day.month, day.day, 12, 0)
        assert site.hours.closing(day) - site.hours.opening(day) == timedelta(hours=10)


def test_midnight_close_merges_with_next_day_opening():
    cal = HoursCalendar(TORONTO, {0: (Period(480, 1440),), 1: (Period(0, 120),)})
    # Monday 23:00: open through midnight until Tuesday 02:00.
    assert cal.time_until_close(local(2026, 11, 23, 23, 0)) == timedelta(hours=3)


def test_period_parsing_errors():
    for bad in ("25:00-26:00", "08:70-10:00", "10:00-09:00", "8-5", "08:00"):
        try:
            parse_period(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} was accepted")
    assert parse_period("08:00-24:00") == Period(480, 1440)


def test_duration_text():
    assert duration_text(timedelta(hours=1, minutes=12)) == "1 h 12 min"
    assert duration_text(timedelta(minutes=45)) == "45 min"
    assert duration_text(timedelta(seconds=20)) == "1 min"
    assert duration_text(timedelta(hours=2)) == "2 h"


def test_a_library_open_round_the_clock_has_no_midnight_closing():
    # Open to midnight Thursday, then round the clock from Friday 08:00 to Saturday 20:00.
    hours = HoursCalendar(TORONTO, {3: (Period(480, 1440),), 4: (Period(480, 1440),),
                                    5: (Period(0, 1200),)})
    thursday, friday, saturday = date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 12)
    assert hours.real_closing(thursday) == local(2026, 12, 11, 0, 0)  # Friday does not start at 00:00
    assert hours.real_opening(friday) == local(2026, 12, 11, 8, 0)
    assert hours.real_closing(friday) is None  # Saturday opens at 00:00: no closing
    assert hours.real_opening(saturday) is None
    assert hours.real_closing(saturday) == local(2026, 12, 12, 20, 0)
    assert hours.real_opening(date(2026, 12, 13)) is None  # closed all Sunday
    assert hours.status_text(local(2026, 12, 11, 23, 30)) == "closes in 20 h 30 min"


def test_a_late_night_split_over_two_days_closes_and_opens_for_real():
    # Friday to midnight and on to 00:30 Saturday; Saturday opens again at 10:00.
    hours = HoursCalendar(TORONTO, {4: (parse_period("08:00-24:00"),),
                                    5: (parse_period("00:00-00:30"), parse_period("10:00-18:00"))})
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    assert hours.real_openings(friday) == [local(2026, 11, 27, 8, 0)]
    assert hours.real_closings(friday) == []  # open on past midnight
    assert hours.real_openings(saturday) == [local(2026, 11, 28, 10, 0)]  # not the 00:00 seam
    assert hours.real_closings(saturday) == [local(2026, 11, 28, 0, 30), local(2026, 11, 28, 18, 0)]
    assert hours.real_opening(saturday) == local(2026, 11, 28, 10, 0)
    assert hours.real_closing(saturday) == local(2026, 11, 28, 18, 0)
    assert hours.real_closing(friday) is None
    spans = hours.open_spans(friday, saturday)
    assert [(s.start, s.end, s.opened_on, s.closes_on) for s in spans] == [
        (local(2026, 11, 27, 8, 0), local(2026, 11, 28, 0, 30), friday, saturday),
        (local(2026, 11, 28, 10, 0), local(2026, 11, 28, 18, 0), saturday, saturday)]
    # Planning Saturday alone still finds Friday's opening.
    assert hours.open_spans(saturday, saturday)[0].opened_on == friday
    assert hours.time_until_close(local(2026, 11, 27, 23, 0)) == timedelta(hours=1, minutes=30)
    assert hours.status_text(local(2026, 11, 28, 1, 0)) == "closed · opens at 10:00"


def test_a_library_always_open_has_no_real_edges_in_sight():
    always = _all_day()
    [span] = always.open_spans(date(2026, 11, 24), date(2026, 11, 24))
    assert span.real_opening is None and span.real_closing is None
    assert always.real_openings(date(2026, 11, 24)) == always.real_closings(date(2026, 11, 24)) == []

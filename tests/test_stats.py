"""The coordinator's statistics (shift/stats.py): the same totals as SQL, closed hours blank,
several desks' databases merged by id, one CSV row per transaction, survey figures without
directional questions, punctuality as the desk judged it, the HTML page in a real browser."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest

from chromium import dump_dom, screenshot
from conftest import ROOT, SITE_FILE, local
from shift import checkins, prompts, stats, statspage, tally
from shift.clock import FixedClock, from_iso, to_iso
from shift.demo import write_demo
from shift.store import Store
from shift.tasks import plan_day

FIRST, LAST = date(2026, 10, 25), date(2026, 11, 23)  # the 30 days the demo wrote, to yesterday
NOW = local(2026, 11, 24, 19, 30)  # when the demo was written


def demo_db(path, site, seed=7, days=30):
    with Store.open(path, clock=FixedClock(local(2026, 11, 24, 19, 30))) as store:
        write_demo(store, site, days=days, seed=seed)
    return path


@pytest.fixture
def demo(tmp_path, site):
    path = demo_db(tmp_path / "a.db", site)
    with Store.open(path, clock=FixedClock(local(2026, 11, 24, 19, 30))) as store:  # one void among them
        row = store.rows("SELECT id, shift_id, quantity FROM tallies ORDER BY occurred_at LIMIT 1 OFFSET 40")[0]
        store.insert("tally_voids", {"tally_id": row["id"], "shift_id": row["shift_id"], "voided_at": store.now_iso()})
    return path


def figures(site, *paths, first=FIRST, last=LAST, desk=None, now=NOW):
    sources = stats.Sources.open(list(paths))
    try:
        return stats.build(sources, site, first, last, desk, now=now)
    finally:
        sources.close()


def live_rows(path):
    with Store.open_read_only(path) as store:
        return store.rows("""SELECT t.occurred_at, t.category, t.channel, t.read_level, t.quantity FROM tallies t
                             LEFT JOIN tally_voids v ON v.tally_id = t.id WHERE v.id IS NULL""")


def test_totals_equal_direct_sql_counts_on_a_demo_database(demo, site):
    found = figures(site, demo)
    rows = live_rows(demo)
    assert found.total == sum(r["quantity"] for r in rows) > 1000
    by_cat = Counter()
    by_chan = Counter()
    by_slot = Counter()
    for r in rows:
        by_cat[r["category"]] += r["quantity"]
        by_chan[r["channel"]] += r["quantity"]
        moment = from_iso(r["occurred_at"]).astimezone(site.zone)  # local time, worked out independently
        by_slot[(moment.weekday(), moment.hour)] += r["quantity"]
    assert {c: n for c, _, n in found.by_category if n} == dict(by_cat)
    assert {c: n for c, _, n in found.by_channel if n} == dict(by_chan)
    assert {slot: cell.total for slot, cell in found.grid.items() if cell.total} == dict(by_slot)
    assert sum(w.total for w in found.weeks) == found.total
    # 1 November 2026 is the end of daylight saving: the hours on either side are still right.
    assert found.grid[(6, 12)].open == 5  # five Sundays, each open from 12:00
    cell = found.grid[(1, 14)]
    assert cell.average == pytest.approx(cell.total / cell.open)


def test_hours_the_library_was_closed_are_blank_not_zero(demo, site):
    no_sundays = site._replace(hours=site.hours.__class__(site.zone, {**site.hours.weekly, 6: ()}))
    found = figures(no_sundays, demo)
    assert all(found.grid[(6, hour)].average is None and found.grid[(6, hour)].level is None for hour in range(24))
    assert found.outside_hours == sum(cell.total for (weekday, _), cell in found.grid.items() if weekday == 6) > 0
    text = statspage.render_text(found)
    grid = text.split("average per open hour")[1].split("\n\n")[0].splitlines()[3:]
    assert grid and all(line[7 + 6 * 7:].strip() == "" for line in grid)  # the Sunday column
    assert all(line[7:14].strip() for line in grid[1:14])  # Monday 09:00-21:00 has figures, 0.0 included


def test_two_desks_merged_give_the_sum_and_the_same_database_twice_counts_once(demo, site, tmp_path):
    other = demo_db(tmp_path / "b.db", site, seed=11)
    a, b = figures(site, demo), figures(site, other)
    both = figures(site, demo, other)
    assert both.total == a.total + b.total
    pairs = zip(a.by_category, b.by_category, strict=True)
    assert [n for *_, n in both.by_category] == [x + y for (*_, x), (*_, y) in pairs]
    copy = tmp_path / "copy-of-a.db"
    shutil.copy(demo, copy)  # another path, the same rows (ids)
    assert figures(site, demo, demo).total == a.total
    assert figures(site, demo, copy).total == a.total
    assert figures(site, demo, copy, other).grid == both.grid


def test_the_desk_filter_counts_only_that_desks_shifts(demo, site):
    assert figures(site, demo, desk="reserves").total == 0
    assert figures(site, demo, desk="main").total == figures(site, demo).total


def test_the_csv_has_one_row_per_transaction_in_local_time(demo, site):
    sources = stats.Sources.open([demo])
    try:
        rows = stats.transactions(sources, site, FIRST, LAST)
    finally:
        sources.close()
    table = list(csv.reader(io.StringIO(statspage.render_csv(rows))))
    assert table[0] == ["date", "time", "half_hour", "weekday", "type", "channel", "read_level", "desk"]
    assert len(table) - 1 == sum(r["quantity"] for r in live_rows(demo))
    first = min(live_rows(demo), key=lambda r: r["occurred_at"])
    moment = from_iso(first["occurred_at"]).astimezone(site.zone)
    assert table[1][:4] == [f"{moment:%Y-%m-%d}", f"{moment:%H:%M}",
                            f"{moment:%H}:{'30' if moment.minute >= 30 else '00'}", f"{moment:%a}"]
    assert table[1][7] == "Bata Library Service Desk"
    hostile = site._replace(tally=site.tally._replace(categories=tuple(
        c._replace(name="=HYPERLINK(\"x\")") if c.id == "directional" else c for c in site.tally.categories)))
    row = stats.Transaction("2026-11-24", "19:00", "19:00", "Tue", "=HYPERLINK(\"x\")", "In person", "", "main")
    assert list(csv.reader(io.StringIO(statspage.render_csv([row]))))[1][4] == "'=HYPERLINK(\"x\")"
    assert hostile.tally.category("directional").name.startswith("=")


def test_the_survey_counts_reference_transactions_without_directional(demo, site):
    found = figures(site, demo)
    by_cat = {c: n for c, _, n in found.by_category}
    survey = found.survey
    assert survey.reference == sum(by_cat[c] for c in site.survey.reference)
    assert survey.directional == by_cat["directional"] > 0
    assert survey.reference + survey.directional + survey.not_counted == found.total
    full = [w.reference for w in found.weeks if w.full]
    assert len(full) == survey.full_weeks == 4
    assert survey.typical_week == sorted(full)[1] / 2 + sorted(full)[2] / 2  # the median of four weeks
    assert dict((c, kind) for c, _, kind in survey.mapping)["circulation"] == "not counted"


def test_punctuality_of_tasks_and_check_ins_as_the_desk_judged_them(store, full_site, shift, clock, tmp_path):
    due = plan_day(date(2026, 11, 24), full_site.hours, full_site.tasks)
    wanted = [p for p in due if p.task.acknowledge][:4]
    assert len(wanted) == 4
    on_time, late, skipped, missed = wanted
    prompts.record(store, on_time, "fired", shift)
    prompts.record(store, on_time, "done", shift)
    prompts.record(store, late, "escalated", shift)
    prompts.record(store, late, "done", shift)
    prompts.record(store, skipped, "skipped", shift, reason="no projector")
    prompts.record(store, missed, "missed", shift)
    for kind, detail in (("checkin", ""),  # on time
                         ("reminder", "1@x"), ("checkin", ""),  # late: the reminders had begun
                         ("escalation", "0:email security"),  # missed: the alarm was raised
                         ("checkin", "")):  # ends that alarm: part of the miss
        clock.advance(minutes=1)
        checkins.record(store, shift, kind, detail)
    store.insert("shift_ends", {"shift_id": shift.id, "ended_at": store.now_iso()})
    found = figures(full_site, store.path, first=date(2026, 11, 24), last=date(2026, 11, 24), now=clock.now())
    assert found.prompts == {"on time": 1, "late": 1, "skipped": 1, "missed": 1, "open": 0}
    assert found.checkins == {"on time": 1, "late": 1, "missed": 1}


def test_the_html_page_opens_in_chromium_with_the_heat_map(demo, site, tmp_path):
    named = site._replace(name="Bata <script>alert(1)</script> & Library")
    page = tmp_path / "stats.html"
    page.write_text(statspage.render_html(figures(named, demo)))
    dom = dump_dom(page)
    assert "<script>alert" not in dom and "Bata &lt;script&gt;alert(1)&lt;/script&gt; &amp; Library" in dom
    assert dom.count('<table class="heat">') == 2 and "What the colours mean" in dom
    assert 'class="closed"' in dom  # Saturday evening: never open
    assert "Typical week: " in dom and "Reference transactions (directional excluded)" in dom
    shot = screenshot(page, "stats-page", size=(1000, 1400))
    assert shot.stat().st_size > 20_000  # a page with coloured tables, not a blank one


def test_the_page_colours_read_at_aa():
    from test_contrast import contrast

    def rgb(hex_colour):
        return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))

    assert all(contrast(rgb(bg), rgb(fg)) >= 4.5 for bg, fg in statspage.HTML_HEAT.values())


def run_stats(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "stats", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_the_command_refuses_bad_dates_and_missing_files_with_exit_2(demo, tmp_path):
    for args, said in ((("--from", "2026-13-01"), "is not a date"),
                       (("--from", "2026-11-24", "--to", "2026-11-01"), "is after --to"),
                       (("--db", str(tmp_path / "nowhere.db")), "does not exist")):
        result = run_stats("--db", str(demo), *args) if "--db" not in args else run_stats(*args)
        assert result.returncode == 2, result.stderr
        assert said in result.stderr and "Traceback" not in result.stderr


def test_the_command_writes_csv_and_html_beside_an_open_desk(demo, tmp_path):
    with Store.open(demo):  # the desk holds the database
        result = run_stats("--db", str(demo), "--from", "2026-11-01", "--to", "2026-11-24", "--format", "csv",
                           "--output", str(tmp_path / "s.csv"))
        assert result.returncode == 0, result.stderr
        html = run_stats("--db", str(demo), "--db", str(demo), "--format", "html", "--to", "2026-11-24")
        assert html.returncode == 0 and html.stdout.startswith("<!DOCTYPE html>")
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0] == "date,time,half_hour,weekday,type,channel,read_level,desk" and len(lines) > 100


def test_check_reports_a_bad_survey_mapping_with_its_line(tmp_path):
    text = SITE_FILE.read_text().replace('directional = ["directional"]', 'directional = ["directions"]')
    site = tmp_path / "site.toml"
    site.write_text(text)
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "--site", str(site)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    line = text[: text.index('directional = ["directions"]')].count("\n") + 1
    assert result.returncode == 1
    assert any(out.startswith(f"site.toml:{line}: error: survey.directional: 'directions' is not a "
                              "desk-statistics category") for out in result.stdout.splitlines()), result.stdout


def test_a_late_entry_logged_at_the_desk_counts_in_its_hour(store, site, shift, clock):
    tally.record(store, site.tally, shift, "reference", quantity=3, occurred_at=clock.now() - timedelta(minutes=90))
    found = figures(site, store.path, first=date(2026, 11, 24), last=date(2026, 11, 24), now=clock.now())
    assert found.grid[(1, 18)].total == 3 and found.total == 3


# -- what a tester found ---------------------------------------------------------------


def test_two_desks_under_the_same_desk_id_add_up_their_timed_tasks(full_site, tmp_path):
    """Both demo databases use desk id 'main': their prompts share keys (task@due) but not shifts."""
    a_db, b_db = demo_db(tmp_path / "a.db", full_site), demo_db(tmp_path / "b.db", full_site, seed=8)
    a, b = figures(full_site, a_db), figures(full_site, b_db)
    assert sum(a.prompts.values()) > 100 and a.prompts != b.prompts
    assert figures(full_site, a_db, b_db).prompts == {k: a.prompts[k] + b.prompts[k] for k in stats.PROMPT_KINDS}
    copy = tmp_path / "copy-of-a.db"
    shutil.copy(a_db, copy)
    assert figures(full_site, a_db, copy).prompts == a.prompts


def test_a_prompt_rung_in_one_shift_and_done_in_the_next_counts_once(store, full_site, shift, clock):
    from shift.shifts import end_shift, start_shift

    due = [p for p in plan_day(date(2026, 11, 24), full_site.hours, full_site.tasks) if p.task.acknowledge][0]
    prompts.record(store, due, "fired", shift)
    end_shift(store, shift, "")
    clock.advance(minutes=1)
    prompts.record(store, due, "done", start_shift(store, "Kim", "main"))
    found = figures(full_site, store.path, first=date(2026, 11, 24), last=date(2026, 11, 24), now=clock.now())
    assert found.prompts == {"on time": 1, "late": 0, "skipped": 0, "missed": 0, "open": 0}


def test_open_hours_count_from_the_first_record_up_to_now(store, site, shift, clock):
    """The shift began today at 17:30 and it is 19:30: the four weeks before are not open hours
    with nothing logged, and neither are tonight's hours still to come."""
    tally.record(store, site.tally, shift, "reference", quantity=2, occurred_at=local(2026, 11, 24, 18, 10))
    first, last = stats.default_period(None, None, date(2026, 11, 24))
    found = figures(site, store.path, first=first, last=last, now=clock.now())
    tuesday = {hour: found.grid[(1, hour)] for hour in range(24)}
    assert [h for h, cell in tuesday.items() if cell.open] == [17, 18, 19]  # 17:30 to now
    assert tuesday[18].average == 2.0 and tuesday[17].average == 0.0 and tuesday[20].average is None
    assert all(cell.open == 0 for (weekday, _), cell in found.grid.items() if weekday != 1)
    assert found.quietest == ((1, 17, 0.0), (1, 19, 0.0), (1, 18, 2.0))
    assert sum(w.open_hours for w in found.weeks) == 3 and not any(w.full for w in found.weeks)
    assert found.survey.typical_week is None
    assert 20 in found.hours  # the calendar's hours are still on the map, blank
    text = statspage.render_text(found)
    assert "Open hours counted from Tue 24 Nov 2026 17:30 (the first record) up to now, Tue 24 Nov 2026 19:30" in text


def test_a_period_running_past_now_counts_only_the_hours_gone_by(demo, site):
    up_to_yesterday = figures(site, demo)
    on_to_sunday = figures(site, demo, last=date(2026, 11, 29))
    today = {(1, h): on_to_sunday.grid[(1, h)] for h in range(24)}
    assert on_to_sunday.grid == up_to_yesterday.grid | today  # only Tuesday, today, differs
    assert [h for h in range(24) if today[(1, h)].open > up_to_yesterday.grid[(1, h)].open] == list(range(8, 20))
    last_week = on_to_sunday.weeks[-1]  # Monday, and today 08:30 to 19:30
    assert last_week.open_hours == up_to_yesterday.weeks[-1].open_hours + 12 and not last_week.full
    assert "up to now, Tue 24 Nov 2026 19:30" in statspage.render_text(on_to_sunday)
    assert statspage.counted_text(up_to_yesterday) is None  # the demo began before the period: all counted


def test_entries_logged_while_closed_are_in_the_totals_not_the_averages(store, site, shift, clock):
    at = to_iso(local(2026, 11, 23, 23, 20))  # the shift before this one, in a desk's other database
    store.insert("tallies", {"shift_id": shift.id, "occurred_at": at, "recorded_at": at,
                             "category": "directional", "channel": "in_person", "quantity": 2})
    tally.record(store, site.tally, shift, "reference", occurred_at=local(2026, 11, 24, 18, 10))
    found = figures(site, store.path, first=date(2026, 11, 23), last=date(2026, 11, 24), now=clock.now())
    late = found.grid[(0, 23)]  # Monday 23:00-24:00: the library closes at 23:00
    assert (late.total, late.open, late.average, late.level) == (2, 0, None, None) and late.total_level
    totals = statspage.heat_rows(found, averages=False)
    averages = statspage.heat_rows(found, averages=True)
    row = found.hours.index(23)
    assert totals[row][0] == ("2", late.total_level) and averages[row][0] == ("", None)
    assert sum(int(text) for line in totals for text, _ in line if text) == found.total == 3
    text = statspage.render_text(found)
    grid = text.split("totals\n")[1].split("\n\n")[0].splitlines()[2:]
    assert sum(int(n) for line in grid for n in line[7:].split()) == 3
    assert "a figure there was logged while closed" in text and "nothing to divide by" in text
    assert "Logged in hours with no open hour counted (shown in the totals only): 2" in text


def test_no_entries_says_there_is_nothing_to_rank(store, site, shift, clock):
    found = figures(site, store.path, first=date(2026, 11, 1), last=date(2026, 11, 24), now=clock.now())
    assert found.total == 0 and found.busiest == found.quietest == ()
    text = statspage.render_text(found)
    ranked = text.split("Busiest open hours")[1].split("Week by week")[0]
    assert "08:00" not in ranked and ranked.count("No entries in the period: nothing to rank") == 2
    html = statspage.render_html(found)
    assert "average over 0.0" not in html and "No entries in the period" in html


def test_a_desk_with_no_shift_in_the_databases_is_an_error(demo, tmp_path, site):
    result = run_stats("--db", str(demo), "--desk", "Main", "--to", "2026-11-24")
    assert result.returncode == 2 and not result.stdout
    assert "No shift at desk 'Main'" in result.stderr and "the desks found are main" in result.stderr
    with Store.open(tmp_path / "annex.db", clock=FixedClock(local(2026, 11, 24, 19, 30))) as store:
        from shift.shifts import start_shift
        tally.record(store, site.tally, start_shift(store, "Sam", "annex"), "directional")
    gone = run_stats("--db", str(tmp_path / "annex.db"), "--desk", "annex", "--to", "2026-11-24")
    assert gone.returncode == 0 and "'annex' is not a desk in" in gone.stderr
    assert "Questions and transactions: 1" in gone.stdout


@pytest.mark.parametrize("args", [("--from", "9999-12-31", "--to", "9999-12-31"),
                                  ("--from", "0001-01-01", "--to", "0001-01-07"),
                                  ("--to", "0001-01-01"), ("--from", "0001-01-01")])
def test_dates_at_the_ends_of_the_calendar_are_refused_with_exit_2(args, demo):
    result = run_stats("--db", str(demo), *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.strip()


def test_the_statistics_refuse_a_period_they_cannot_count(demo, site):
    for first, last in ((date(9999, 12, 31), date(9999, 12, 31)), (date(1, 1, 1), date(1, 1, 7)),
                        (date(2026, 11, 1), date.max), (date.min, date(2026, 11, 1))):
        with pytest.raises(ValueError, match="too near the end of the calendar"):
            figures(site, demo, first=first, last=last)
        with pytest.raises(ValueError, match="too near the end of the calendar"):
            stats.default_period(first, last, date(2026, 11, 24))
    with pytest.raises(ValueError, match="too near the start of the calendar"):
        stats.default_period(None, date(1, 1, 20), date(2026, 11, 24))
    assert stats.default_period(None, stats.LATEST_DAY, date(2026, 11, 24))[1] == stats.LATEST_DAY
    assert figures(site, demo, first=stats.LATEST_DAY, last=stats.LATEST_DAY).total == 0
    assert figures(site, demo, first=stats.EARLIEST_DAY, last=stats.EARLIEST_DAY).total == 0

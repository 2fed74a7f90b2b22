"""The desk statistics as text, CSV and a self-contained HTML page (shift/stats.py computes them).

The heat levels come from shift/stats.py; the page only gives each level a colour,
and each colour a text colour that reads on it at WCAG AA (4.5:1).
"""

from __future__ import annotations

import csv
import io

from shift.htmlpage import esc, page
from shift.stats import LEVELS, WEEKDAY_NAMES, Stats, Transaction

# Heat level -> (background, text) on the printed page: light to dark blue, the text dark on the
# light ones and white on the dark ones (tests/test_stats_page.py checks every pair at 4.5:1).
HTML_HEAT = {0: ("#ffffff", "#111111"), 1: ("#deebf7", "#111111"), 2: ("#9ecae1", "#111111"),
             3: ("#2171b5", "#ffffff"), 4: ("#08306b", "#ffffff")}
CSV_HEADER = ("date", "time", "half_hour", "weekday", "type", "channel", "read_level", "desk")


def slot_name(weekday: int, hour: int) -> str:
    return f"{WEEKDAY_NAMES[weekday]} {hour:02d}:00–{hour + 1:02d}:00"


def average_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def period_text(stats: Stats) -> str:
    return f"{dates_text(stats)}, {desk_text(stats)}"


def dates_text(stats: Stats) -> str:
    return f"{stats.first:%a %d %b %Y} to {stats.last:%a %d %b %Y} (local dates, inclusive)"


def desk_text(stats: Stats) -> str:
    return f"desk {stats.desk}" if stats.desk is not None else "all desks"


def counted_text(stats: Stats) -> str | None:
    """What part of the period the open hours were counted over, when it is not all of it."""
    since = f"from {stats.counted_from:%a %d %b %Y %H:%M} (the first record)" \
        if stats.counted_from else ""
    until = f"up to now, {stats.counted_until:%a %d %b %Y %H:%M}" if stats.counted_until else ""
    if not (since or until):
        return None
    return f"Open hours counted {' '.join(p for p in (since, until) if p)}: no hour before the desk's first " \
           "record, nor one still to come, is counted as an open hour with nothing logged."


def heat_rows(stats: Stats, averages: bool) -> list[list[tuple[str, int | None]]]:
    """One row per hour shown, seven (text, level) cells Monday to Sunday; blank: ('', None).
    Averages are blank where no open hour was counted; totals only where, besides, nothing was
    logged: an entry in a closed hour (just after closing) is still a question the desk answered."""
    rows = []
    for hour in stats.hours:
        row: list[tuple[str, int | None]] = []
        for weekday in range(7):
            cell = stats.grid[(weekday, hour)]
            if averages:
                row.append((average_text(cell.average), cell.level) if cell.open else ("", None))
            else:
                row.append((str(cell.total), cell.total_level) if cell.open or cell.total else ("", None))
        rows.append(row)
    return rows


BLANK_AVERAGE = ("Averages, blank: no open hour counted in that slot (the library was closed, or the hour came "
                 "before the first record or is still to come): nothing to divide by, not 0.")
BLANK_TOTAL = "Totals, blank: no open hour counted and nothing logged; a figure there was logged while closed."
PART_HOUR = "An hour open for part of it (opening at 08:30) counts as open."


def legend_lines(stats: Stats) -> list[str]:
    lines = [BLANK_AVERAGE, BLANK_TOTAL, PART_HOUR]
    if not stats.total:
        return [*lines, NO_ENTRIES]
    for level in range(1, LEVELS + 1):
        low, high = stats.level_range(level)
        lines.append(f"Level {level}: average over {low:.1f} up to {high:.1f} per open hour")
    return lines


NO_ENTRIES = "No entries in the period: nothing to rank, and no colours."


def sections(stats: Stats) -> list[tuple[str, list[str]]]:
    """Everything but the heat map, as titled lines: the text page and the screen show these."""
    out: list[tuple[str, list[str]]] = []
    total = stats.total
    outside = ([f"Logged in hours with no open hour counted (shown in the totals only): {stats.outside_hours}"]
               if stats.outside_hours else [])
    out.append(("Totals", [f"Questions and transactions: {total}", *outside]))
    out.append(("By type", [f"{name:<24}{n:>7}{_share(n, total)}" for _, name, n in stats.by_category]))
    out.append(("By channel", [f"{name:<24}{n:>7}{_share(n, total)}" for _, name, n in stats.by_channel]))
    out.append(("By READ level", [f"{('READ ' + str(level)) if level else 'not scored':<24}{n:>7}"
                                   for level, n in stats.by_read]))
    nothing = [NO_ENTRIES if not stats.total else "Nothing logged in an open hour counted: nothing to rank."]
    out.append(("Busiest open hours (average per open hour)",
                [f"{slot_name(w, h)}  {a:.1f}" for w, h, a in stats.busiest] or nothing))
    out.append(("Quietest open hours", [f"{slot_name(w, h)}  {a:.1f}" for w, h, a in stats.quietest] or nothing))
    weeks = [f"{'week of':<16}{'total':>7}{'reference':>11}{'open h':>8}{'per open h':>12}"]
    for w in stats.weeks:
        per = f"{w.total / w.open_hours:.1f}" if w.open_hours else ""
        mark = "" if w.full else "  (part of the week counted)"
        weeks.append(f"{w.monday:%a %d %b %Y}{w.total:>8}{w.reference:>11}{w.open_hours:>8}{per:>12}{mark}")
    out.append(("Week by week (Monday to Sunday)", weeks))
    out.append(("Incidents by category", [f"{category:<40}{n:>5}" for category, n in stats.incidents] or ["None."]))
    p = stats.prompts
    out.append(("Timed tasks (punctuality)", [
        f"On time {p['on time']}, late {p['late']} (done after it escalated or was missed), "
        f"skipped {p['skipped']}, missed {p['missed']}" + (f", still open {p['open']}" if p["open"] else "")]))
    c = stats.checkins
    out.append(("Lone-worker check-ins", [
        f"On time {c['on time']}, late {c['late']} (after the deadline, within the grace period), "
        f"missed {c['missed']} (an alarm was raised)"]))
    out.append(("Annual survey (ACRL / ARL / CARL)", survey_lines(stats)))
    return out


def _share(n: int, total: int) -> str:
    return f"  {n * 100 / total:5.1f} %" if total else ""


def survey_lines(stats: Stats) -> list[str]:
    s = stats.survey
    if not s.configured:
        return ["No [survey] section in site.toml: name which categories are reference and which directional "
                "(see the README) to get the survey figures."]
    typical = (f"{s.typical_week:.0f}" if s.typical_week is not None else "not computed: no full week "
               "(Monday to Sunday) with opening hours in the period")
    lines = [f"Reference transactions (directional excluded): {s.reference}",
             f"Directional transactions (not counted as reference): {s.directional}",
             f"Other desk work, not information contacts: {s.not_counted}",
             f"Typical week: {typical}",
             f"  (the median of the reference counts of the {s.full_weeks} full Monday-to-Sunday weeks in the "
             "period in which the library opened)",
             "How the desk's categories count ([survey] in site.toml):"]
    lines += [f"  {name:<24}{kind}" for _, name, kind in s.mapping]
    return lines


def heat_text(stats: Stats, averages: bool) -> list[str]:
    lines = ["       " + "".join(f"{d:>7}" for d in WEEKDAY_NAMES)]
    for hour, row in zip(stats.hours, heat_rows(stats, averages), strict=True):
        lines.append(f"{hour:02d}:00  " + "".join(f"{text:>7}" for text, _ in row))
    return lines


def render_text(stats: Stats) -> str:
    title = f"Desk statistics: {stats.site}"
    counted = counted_text(stats)
    out = [title, "=" * len(title), period_text(stats), *([counted] if counted else []), ""]
    out += ["Load by weekday and hour: average per open hour", "-" * 46, *heat_text(stats, True), ""]
    out += ["Load by weekday and hour: totals", "-" * 32, *heat_text(stats, False), ""]
    out += [BLANK_AVERAGE, BLANK_TOTAL, PART_HOUR, *([] if stats.total else [NO_ENTRIES]), ""]
    for heading, lines in sections(stats):
        out += [heading, "-" * len(heading), *lines, ""]
    out += ["Read from: " + ", ".join(stats.sources)]
    return "\n".join(out) + "\n"


def render_csv(rows: list[Transaction]) -> str:
    """One row per transaction, local time, every cell safe for a spreadsheet."""
    from shift.text import not_a_formula, printable

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([not_a_formula(printable(str(cell))) for cell in row])
    return buffer.getvalue()


def _heat_table(stats: Stats, averages: bool, caption: str) -> str:
    head = "".join(f"<th>{esc(d)}</th>" for d in WEEKDAY_NAMES)
    rows = []
    for hour, row in zip(stats.hours, heat_rows(stats, averages), strict=True):
        cells = []
        for text, level in row:
            if level is None:
                cells.append('<td class="closed" title="no open hour counted, nothing logged"></td>')
            else:
                background, colour = HTML_HEAT[level]
                cells.append(f'<td class="level{level}" style="background:{background};color:{colour}">'
                             f"{esc(text)}</td>")
        rows.append(f"<tr><th>{hour:02d}:00</th>{''.join(cells)}</tr>")
    return (f'<table class="heat"><caption>{esc(caption)}</caption><tr><th></th>{head}</tr>'
            + "".join(rows) + "</table>")


def _legend(stats: Stats) -> str:
    items = [f'<tr><td class="closed"></td><td>{esc(BLANK_AVERAGE)}<br>{esc(BLANK_TOTAL)}</td></tr>',
             f'<tr><td style="background:{HTML_HEAT[0][0]};color:{HTML_HEAT[0][1]}">0</td>'
             "<td>open, nothing logged</td></tr>"]
    if not stats.total:
        items.append(f"<tr><td></td><td>{esc(NO_ENTRIES)}</td></tr>")
    for level in range(1, LEVELS + 1 if stats.total else 1):
        low, high = stats.level_range(level)
        low_total, high_total = stats.level_range(level, averages=False)
        background, colour = HTML_HEAT[level]
        items.append(f'<tr><td style="background:{background};color:{colour}">{level}</td>'
                     f"<td>average over {low:.1f} up to {high:.1f} per open hour; in the totals, over "
                     f"{low_total:.0f} up to {high_total:.0f}</td></tr>")
    return ('<table class="legend"><caption>What the colours mean (darker: busier)</caption>'
            + "".join(items) + f"</table><p>{esc(PART_HOUR)}</p>")


def render_html(stats: Stats) -> str:
    counted = counted_text(stats)
    body = [f"<h1>Desk statistics: {esc(stats.site)}</h1>", f'<p class="meta">{esc(period_text(stats))}</p>',
            *([f'<p class="meta">{esc(counted)}</p>'] if counted else []),
            "<h2>Load by weekday and hour</h2>",
            _heat_table(stats, True, "Average per open hour"), _heat_table(stats, False, "Totals"), _legend(stats)]
    for heading, lines in sections(stats):
        body.append(f"<h2>{esc(heading)}</h2>")
        body.append("<pre>" + esc("\n".join(lines)) + "</pre>")
    body.append(f'<p class="meta">Read from: {esc(", ".join(stats.sources))}</p>')
    return page(f"Desk statistics: {stats.site}", "\n".join(body))

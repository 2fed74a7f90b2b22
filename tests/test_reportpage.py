"""The shift report in its three formats: Markdown (the source), the HTML page made from it, and text.
Every kind of record appears with its time in each; what a person typed comes out as typed."""

import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chromium
from conftest import ROOT, local
from shift import incidents, report, reportpage
from shift.procedures import load_procedures
from shift.report import Report, Section, Table
from shift.runs import finish_run, skip_step, start_run
from shift.shifts import end_shift, start_shift
from shift.tally import record as tally
from shift.text import printable
from test_report import walk_fire_alarm

# Markdown and HTML that must stay text: emphasis, a heading, a link, a tag, markup, code, list markers, controls.
NOTE = "1. *urgent* # [x](http://evil.example) <script>alert(1)</script> [b]bold[/b] `code` _u_ | a\x1b[31m"
HANDOVER = "- not a list\n## not a heading\n\n> not a quote\n<b>Keys</b> & [desk](javascript:x)"


@pytest.fixture
def busy(store, full_site, clock):
    """Sam's evening from 17:30: a tally with a note (19:05), a closing step skipped (19:10), a timed
    task missed (19:00), an incident at 19:20 with a supplement (19:40), a fire drill (from 20:00)."""
    site = full_site._replace(checkins=None, email=None)
    clock.moment = local(2026, 11, 24, 17, 30)
    sam = start_shift(store, "Sam", "main")
    clock.moment = local(2026, 11, 24, 19, 5)
    tally(store, site.tally, sam, "reference", note=NOTE, read_level=2)
    task = site.tasks[0]
    due = "2026-11-25T00:00:00.000000+00:00"  # 19:00 in Toronto
    for event in ("fired", "missed"):
        store.insert("prompt_events", {"prompt_key": f"{task.id}@{due}", "task_id": task.id, "due_at": due,
                                       "shift_id": sam.id, "event": event, "at": due, "until": None, "reason": ""})
    procedures, _ = load_procedures(ROOT / "procedures")
    closing = next(p for p in procedures if p.id == "closing")
    clock.moment = local(2026, 11, 24, 19, 10)
    run = start_run(store, sam, closing)
    skip_step(store, run, run.current(), "PA system *broken*")
    clock.moment = local(2026, 11, 24, 19, 25)
    filed = incidents.file_incident(store, site, sam, incidents.IncidentForm(
        category="Injury", occurred_at=local(2026, 11, 24, 19, 20), zone_id="second",
        what_happened="Patron slipped.\n<script>x</script> said \"[b]ow\"", reporter="Sam",
        injury="first_aid", hurt="other"))
    clock.moment = local(2026, 11, 24, 19, 40)
    incidents.add_supplement(store, site, sam, filed.id, "Sam", "Ice pack given. *Left* at 19:38.")
    clock.moment = local(2026, 11, 24, 20, 0)
    finish_run(store, walk_fire_alarm(store, site, sam, clock, drill=True))
    clock.moment = local(2026, 11, 24, 21, 0)
    end_shift(store, sam, HANDOVER)
    return site, sam


EXPECTED = {  # what each format shows, with its time (the Markdown shows the same, escaped)
    "tally": "Note 19:05 Reference: " + NOTE,
    "skipped": "skipped 19:10: Announce: closing in 30 minutes — PA system *broken*",
    "missed": "19:00  Closing announcement: 30 minutes: missed 19:00",
    "incident": "Tue 24 Nov 19:20  Injury",
    "supplement": "Supplement Tue 24 Nov 19:40 by Sam: Ice pack given. *Left* at 19:38.",
    "drill": "DRILL: Fire alarm: evacuate the building",
    "drill time": "20:00:00  Started: Fire alarm: evacuate the building (DRILL)",
}


class Tags(HTMLParser):
    """Checks the page's tags balance; collects its text."""

    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.text, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def page_text(page: str) -> str:
    parser = Tags()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    assert "script" not in parser.tags and "a" not in parser.tags and "img" not in parser.tags
    return "".join(parser.text)


def test_every_record_is_in_each_format_with_its_time(store, busy):
    site, sam = busy
    built = report.build(store, site, sam.id)
    text = reportpage.render([built], "txt")
    assert text == report.render_text(built)
    shown = page_text(reportpage.render([built], "html"))
    for what, line in EXPECTED.items():
        assert line in text, (what, text)  # the text keeps every character as typed (a terminal is shown it printable)
        assert printable(line) in shown, what
    assert "Timed task missed: 19:00" in text and "Timed task missed: 19:00" in shown
    assert "19:00  " + site.tasks[0].title + ": missed" in text
    markdown = reportpage.render([built], "md")
    assert r"Note 19:05 Reference: 1\. \*urgent\* \# \[x\]\(http://evil\.example\) \<script\>" in markdown
    assert r"skipped 19:10: Announce: closing in 30 minutes — PA system \*broken\*" in markdown
    assert "### Tue 24 Nov 19:20  Injury" in markdown
    assert r"DRILL: Fire alarm: evacuate the building" in markdown


def test_what_a_person_typed_is_never_markup_in_the_page(store, busy):
    site, sam = busy
    page = reportpage.html([report.build(store, site, sam.id)])
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "[b]bold[/b]" in page and "<b>" not in page.replace("<b>Keys", "")  # no bold from a note
    assert "<b>Keys" not in page and "&lt;b&gt;Keys&lt;/b&gt; &amp; [desk](javascript:x)" in page
    assert "\x1b" not in page and "a␛[31m" in page  # a control character is shown, not passed on
    assert "<em>" not in page and "<code>" not in page and "<blockquote>" not in page and "<ol" not in page
    shown = page_text(page)
    # The handover note keeps its lines: each as typed, none a list, heading or quote.
    assert "- not a list\n## not a heading" in shown and "> not a quote\n<b>Keys</b> & [desk](javascript:x)" in shown
    assert 'said "[b]ow"' in shown and "<script>x</script>" in shown


def test_the_page_opens_in_a_browser_with_every_section(store, busy, tmp_path):
    site, sam = busy
    path = tmp_path / "report.html"
    path.write_text(reportpage.html([report.build(store, site, sam.id)]), encoding="utf-8")
    chromium.screenshot(path, "shift-report")
    dom = chromium.dump_dom(path)
    for section, heading in (("incidents", "Incidents"), ("procedures", "Procedures"),
                             ("alarms", "Lone-worker check-ins and alarms"), ("statistics", "Desk statistics"),
                             ("emergencies", "Emergencies and drills"), ("attention", "Needs attention")):
        assert f'<section id="{section}"' in dom and f"<h2>{heading}</h2>" in dom
    assert "<script" not in dom.split("</head>")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert '<td style="text-align:right">1</td>' in dom  # the statistics table


def run_report(db, *args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(db), "report", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_report_command_last_shift_date_formats_and_files(store, busy, clock, tmp_path):
    site, sam = busy
    clock.moment = local(2026, 11, 24, 21, 30)
    jo = start_shift(store, "Jo", "main")  # a second shift that day, still open
    store.close()
    db = store.path
    last = run_report(db, "--last", cwd=tmp_path)
    assert last.returncode == 0, last.stderr
    assert "On duty: Jo" in last.stdout and "On duty: Sam" not in last.stdout
    by_id = run_report(db, "--shift", sam.id, "--format", "md", cwd=tmp_path)
    assert by_id.returncode == 0 and by_id.stdout.startswith("# Shift report") and "On duty: Sam" in by_id.stdout
    day = run_report(db, "--date", "2026-11-24", "--format", "html", "--output", str(tmp_path / "day.html"),
                     cwd=tmp_path)
    assert day.returncode == 0, day.stderr
    assert day.stdout == f"Wrote the report to {tmp_path / 'day.html'}\n"
    written = (tmp_path / "day.html").read_text()
    page_text(written)
    # Both shifts of the day, in the order they started, in one page.
    assert written.index("On duty: Sam") < written.index("On duty: Jo")
    assert 'id="incidents"' in written and 'id="incidents-2"' in written
    assert (tmp_path / "day.html").stat().st_mode & 0o077 == 0  # readable by its owner only
    text = run_report(db, "--date", "2026-11-24", "--format", "txt", cwd=tmp_path)
    assert text.stdout.count("Shift report: ") == 2 and "\x1b" not in text.stdout
    none = run_report(db, "--date", "2026-11-20", cwd=tmp_path)
    assert none.returncode == 2 and none.stdout == ""
    assert none.stderr == "No shift started on Fri 2026-11-20 (report --list shows every shift).\n"
    bad = run_report(db, "--date", "24/11/2026", cwd=tmp_path)
    assert bad.returncode == 2 and "is not a date: write YYYY-MM-DD" in bad.stderr
    both = run_report(db, "--last", "--shift", jo.id, cwd=tmp_path)
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_statistics_leave_out_voided_entries_and_count_by_local_hour(store, site, shift, clock):
    from zoneinfo import ZoneInfo

    from shift.tally import void_last

    clock.moment = local(2026, 11, 24, 18, 50)
    tally(store, site.tally, shift, "directional", quantity=3)
    clock.moment = local(2026, 11, 24, 19, 10)
    tally(store, site.tally, shift, "reference", note="gone")
    void_last(store, shift)  # voided: neither counted nor its note shown
    tally(store, site.tally, shift, "reference", note="kept", channel="phone")

    def lines(site):
        section = next(s for s in report.build(store, site, shift.id).sections if s.key == "statistics")
        return [line for line in section.lines if isinstance(line, str)]

    toronto = lines(site)
    assert toronto[0] == "Total: 4" and "By hour: 18:00 3, 19:00 1" in toronto
    assert "By channel: In person 3, Phone 1" in toronto
    assert [line for line in toronto if line.startswith("Note")] == ["Note 19:10 Reference: kept"]
    # Half an hour off UTC: 18:50 and 19:10 Toronto are 05:20 and 05:40 in Kolkata, one local hour.
    kolkata = lines(site._replace(zone=ZoneInfo("Asia/Kolkata")))
    assert "By hour: 05:00 4" in kolkata


# --- What a person typed on several lines comes out as those lines -----------------------------

class Items(HTMLParser):
    """Every tag of a page; the visible text of each list item and of each section's paragraphs,
    a <br> as a line break and a newline in the source as the blank a browser makes of it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.items, self.paragraphs, self.open = set(), [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in ("li", "p"):
            self.open = []
        elif tag == "br" and self.open is not None:
            self.open.append("\n")

    def handle_endtag(self, tag):
        if tag in ("li", "p") and self.open is not None:
            (self.items if tag == "li" else self.paragraphs).append(_as_browser_shows("".join(self.open)))
            self.open = None

    def handle_data(self, data):
        if self.open is not None:
            self.open.append(data.replace("\n", " "))


def _as_browser_shows(text: str) -> str:
    """Each line without the blanks a browser collapses (at its start, runs of spaces, at its
    end); a non-breaking space is kept, and then read as a space."""
    lines = [re.sub(" +", " ", line.lstrip(" ")).rstrip() for line in text.split("\n")]
    return "\n".join(lines).replace("\xa0", " ")


def _as_typed(text: str) -> str:
    """What a person typed as the page must show it: control characters as their pictures;
    without blanks ending a line or blank lines before and after the text; spaces starting a
    line kept, runs of spaces after that shown as one (a browser's way)."""
    lines = [printable(line.rstrip(" \t\r")).rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    shown = []
    for line in lines:
        body = line.lstrip()
        shown.append(line[:len(line) - len(body)] + re.sub(" +", " ", body))
    return "\n".join(shown).replace("\xa0", " ")


MARKS = st.sampled_from(["\n", "\n\n", "  ", " ", "-", "*", "#", "=", "1.", "1)", ">", "`", "```", "|", "\t",
                         "\r", "\x1b", "\x00", "\x0b", "\x85", "\xa0", "\u3000", "\u2028", "&amp;", "<b>", "\\",
                         "---", "===", "    ", "+", "_", "[x](y)", "~~~"])
TYPED = st.lists(st.one_of(MARKS, st.text(max_size=4)), max_size=12).map("".join)
ALLOWED = {"html", "head", "meta", "title", "style", "body", "article", "h1", "section", "h2", "h3", "ul", "li",
           "p", "br"}


@settings(max_examples=200, deadline=None)
@given(typed=TYPED)
def test_typed_text_shows_as_typed_and_is_never_markup(typed):
    """An incident's field (an item under the incident's heading), a note (an item of its own)
    and the handover note (a paragraph): each shows the text as typed, in its own item."""
    sections = [
        Section("Incidents", ["Tue 24 Nov 19:20  Injury — Second floor", f"  What happened: {typed}",
                              "  Security: not called"], "incidents"),
        Section("Desk statistics", ["Total: 1", f"Note 19:05 Reference: {typed}", "By hour: 19:00 1"],
                "statistics"),
        Section("Handover note", [typed], "handover", prose=True),
    ]
    parsed = Items()
    parsed.feed(reportpage.html([Report(None, "Shift report", sections)]))  # type: ignore[arg-type]
    assert parsed.tags <= ALLOWED, parsed.tags - ALLOWED
    assert parsed.items == [_as_typed(f"What happened: {typed}"), "Security: not called", "Total: 1",
                            _as_typed(f"Note 19:05 Reference: {typed}"), "By hour: 19:00 1"]
    assert parsed.paragraphs == ([_as_typed(typed)] if _as_typed(typed) else [])


def test_an_incident_typed_on_several_lines_stays_one_item(store, site, shift, clock):
    """The tester's case: "What happened" typed as a numbered list with a blank line. It was a
    heading underline and sub-items; the handover note's indented lines lost their spaces."""
    what = "1. first *bold* thing\n\n2. second\n  - indented\n==="
    clock.moment = local(2026, 11, 24, 19, 25)
    incidents.file_incident(store, site, shift, incidents.IncidentForm(
        category="Injury", occurred_at=local(2026, 11, 24, 19, 20), zone_id="second",
        what_happened=what, reporter="Sam", injury="none"))
    end_shift(store, shift, "Keys:\n    desk drawer\n\n- spare with security")
    built = report.build(store, site, shift.id)
    md = reportpage.markdown(built)
    assert ("- What happened: 1\\. first \\*bold\\* thing\\\n  \\\n  2\\. second\\\n  &nbsp;&nbsp;\\- indented"
            "\\\n  \\=\\=\\=\n") in md
    parsed = Items()
    parsed.feed(reportpage.html([built]))
    assert parsed.tags <= ALLOWED
    assert "What happened: " + what in parsed.items
    assert "Keys:\n    desk drawer\n\n- spare with security" in parsed.paragraphs
    text = report.render_text(built)  # the text lays the lines out under their label
    assert "  What happened: 1. first *bold* thing\n\n    2. second\n      - indented\n    ===\n" in text
    assert "Keys:\n    desk drawer\n\n- spare with security" in text


# A test-only probe (the product page has no script, and its policy forbids one): after layout,
# it writes into the page how wide the content is against the window.
WIDTH_PROBE = """<script>document.body.dataset.widths = document.documentElement.scrollWidth + " "
+ document.documentElement.clientWidth;</script>"""


def test_a_long_unbroken_string_stays_inside_the_page(tmp_path):
    long = "x" * 300
    sections = [
        Section("Desk statistics", ["Total: 1", Table(("Type", "Count"), [(long, "1")]),
                                    f"Note 19:05 Reference: {long}", f"  note on a step: {long}\n{long}"],
                "statistics"),
        Section("Handover note", [f"{long}\n  {long}"], "handover", prose=True),
    ]
    html = reportpage.html([Report(None, f"Shift report {long}", sections)])  # type: ignore[arg-type]
    assert "Content-Security-Policy" in html and "<script" not in html
    probed = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html).replace(
        "</body>", WIDTH_PROBE + "</body>")
    path = tmp_path / "long.html"
    path.write_text(probed, encoding="utf-8")
    for width in (800, 500):  # Chromium's narrowest window is 500 px
        found = re.search(r'data-widths="(\d+) (\d+)"', chromium.dump_dom(path, (width, 900)))
        assert found, "the probe did not run"
        scroll, client = map(int, found.groups())
        assert client <= width and scroll <= client, (width, scroll, client)


def test_report_list_of_an_empty_database_says_so(store, tmp_path):
    store.close()
    listed = run_report(store.path, "--list", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout == "No shifts recorded yet.\n"

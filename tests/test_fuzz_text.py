"""Fuzzing free text through every report and export: what a person typed stays text.

One shift is recorded with hostile text in every place a person types (the name on duty, a
tally note, an incident's fields and a supplement, a procedure's text step and note, a
follow-up, the handover) and in a blocked-list reason a file supplied; then every output
is made: the report (txt, md, html), the incident export (text, csv), the circulation CSV,
the statistics CSV, the report's email. For each: nothing raises; HTML has no tag or
attribute the text brought; no CSV cell starts a formula; what goes to a terminal has no
control character it would obey; every text is stored whole (NUL included) and shown.

Small in the suite; large from a command (README, Trust):
    SOLO_SHIFT_FUZZ=large .venv/bin/python -m pytest tests/test_fuzz_text.py -p no:randomly --timeout 0
"""

from __future__ import annotations

import csv
import io
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import main
from conftest import local
from fuzzing import ANY_TEXT, PROBE, examples, formula_cells, terminal_unsafe
from shift import (
    circexport,
    circulation,
    incidentexport,
    incidents,
    report,
    reportmail,
    reportpage,
    runs,
    stats,
    statspage,
    tally,
)
from shift.alerts import build_message
from shift.clock import FixedClock
from shift.procedures import parse_procedure
from shift.shifts import add_followup, end_shift, start_shift
from shift.store import Store
from shift.text import printable
from test_circulation import card, item

PROCEDURE = '''id = "fuzz"
title = "Fuzz [b]walk[/b]"
kind = "routine"
owner = "Coordinator"
reviewed = 2026-09-01
[[steps]]
id = "said"
title = "What was said"
kind = "text"
'''
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Tags(HTMLParser):
    """The tags and attributes of a page, and whether every tag opened is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.open: list[str] = []
        self.misnested: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return  # <br /> ends itself
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.misnested.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    return tags


def with_probe(text: str) -> str:
    return f"{text} {PROBE}"  # after: what the text starts with matters (a formula, a blank)


def record_shift(store: Store, site, texts: dict[str, str]):
    """One shift with these texts wherever a person types; its id."""
    clock = store.clock
    clock.advance(hours=-2)
    shift = start_shift(store, texts["worker"], "main")
    clock.advance(hours=1)
    tally.record(store, site.tally, shift, site.tally.categories[0].id, note=texts["note"])
    form = incidents.IncidentForm(
        category=site.incidents.categories[0], occurred_at=clock.now(), zone_id=site.zones[0].id,
        location=texts["location"], what_happened=texts["what"], people=texts["people"],
        witnesses=texts["witnesses"], actions=texts["actions"], followup=texts["followup"],
        reporter=texts["reporter"], identifiers_confirmed=True)
    filed = incidents.file_incident(store, site, shift, form)
    incidents.add_supplement(store, site, shift, filed.id, texts["reporter"], texts["supplement"], confirmed=True)
    procedure, problems = parse_procedure(PROCEDURE, Path("fuzz.toml"))
    assert procedure is not None, problems
    run = runs.start_run(store, shift, procedure)
    run = runs.record_answer(store, run, procedure.steps[0], texts["answer"], note=texts["step_note"])
    runs.finish_run(store, run)
    add_followup(store, shift, texts["followup_desk"])
    circulation.record(store, shift, "loan", item(1), site.zone, card(1))
    clock.advance(minutes=30)
    end_shift(store, shift, texts["handover"], [texts["followup_end"]])
    return shift, filed


FIELDS = ("worker", "note", "location", "what", "people", "witnesses", "actions", "followup", "reporter",
          "supplement", "answer", "step_note", "followup_desk", "handover", "followup_end")
BENIGN = {name: "plain words\n\n  and a second line" for name in FIELDS}


def outputs(store: Store, site, shift_id: str, filed) -> dict[str, str]:
    built = report.build(store, site, shift_id)
    found = incidents.search(store, zone=site.zone)
    start, end = local(2026, 11, 1, 0, 0), local(2026, 12, 31, 0, 0)
    sources = stats.Sources([store], ["main"])
    rows = stats.transactions(sources, site, date(2026, 11, 1), date(2026, 11, 30))
    mail = reportmail.message(store, site, shift_id)
    return {
        "txt": reportpage.render([built], "txt"),
        "md": reportpage.render([built], "md"),
        "html": reportpage.render([built], "html"),
        "mail_html": mail.html,
        "mail_subject": mail.subject,
        "incident_text": incidentexport.render_text(found, site, "Incidents").decode("utf-8"),
        "incident_csv": incidentexport.render_csv(found, site).decode("utf-8-sig"),
        "circ_csv": circexport.render_csv(circulation.transactions(store, start, end), site.zone).data
        .decode("utf-8-sig"),
        "stats_csv": statspage.render_csv(rows),
    }


def fresh_store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("desk")
    return Store.open(folder / "desk.db", clock=FixedClock(local(2026, 11, 24, 19, 30)))


_BASELINE: dict[str, Tags] = {}


def baseline(tmp_path_factory, site) -> dict[str, Tags]:
    """The pages of the same shift written with plain words: every tag and attribute they may have."""
    if not _BASELINE:
        store = fresh_store(tmp_path_factory)
        shift, filed = record_shift(store, site, BENIGN)
        made = outputs(store, site, shift.id, filed)
        _BASELINE.update(html=parsed(made["html"]), mail_html=parsed(made["mail_html"]))
        store.close()
    return _BASELINE


TEXTS = st.fixed_dictionaries({name: ANY_TEXT.map(with_probe) for name in FIELDS})


@given(texts=TEXTS)
@settings(max_examples=examples(12, 400))
def test_hostile_text_stays_text_in_every_report_and_export(tmp_path_factory, full_site, texts):
    site = full_site._replace(tasks=(), checkins=None)  # the site's email settings kept: the mail is built
    allowed = baseline(tmp_path_factory, site)
    store = fresh_store(tmp_path_factory)
    try:
        shift, filed = record_shift(store, site, texts)
        stored = incidents.get(store, filed.id)
        assert stored is not None and stored.what_happened == texts["what"]  # whole: NUL and all
        assert store.rows("SELECT handover FROM shift_ends")[0]["handover"] == texts["handover"]
        assert store.rows("SELECT note FROM tallies")[0]["note"] == texts["note"]
        made = outputs(store, site, shift.id, filed)
    finally:
        store.close()

    for name in ("html", "mail_html"):
        page = parsed(made[name])
        assert page.tags <= allowed[name].tags, (name, page.tags - allowed[name].tags)
        assert page.attrs <= allowed[name].attrs, (name, page.attrs - allowed[name].attrs)
        assert not page.open and not page.misnested, (name, page.open, page.misnested)
        assert not terminal_unsafe(made[name].replace("\r", "").replace("\t", "")), name
        assert PROBE in "".join(page.text), name  # shown as typed: no markup, no tag

    for name in ("incident_csv", "circ_csv", "stats_csv"):
        rows = list(csv.reader(io.StringIO(made[name], newline="")))
        assert not formula_cells(rows), (name, formula_cells(rows))
    incident_row = list(csv.reader(io.StringIO(made["incident_csv"], newline="")))[1]
    assert any(PROBE in cell for cell in incident_row)

    # Files keep every character; a terminal is given the report through printable (main.py).
    assert PROBE in made["txt"] and PROBE in made["incident_text"]
    assert "\\[b\\]Z7\\[/b\\]\\<i\\>\\&" in made["md"]  # every mark escaped: Markdown shows it as typed
    message = build_message(site.email, reportmail.PURPOSE, made["mail_subject"], made["txt"], made["mail_html"])
    assert message.as_bytes()  # a message that can be sent: no header broken by the name on duty
    assert not terminal_unsafe(str(message["Subject"])) and "\n" not in str(message["Subject"])


@given(text=ANY_TEXT)
@settings(max_examples=examples(40, 3000))
def test_a_report_printed_to_the_terminal_has_nothing_the_terminal_would_obey(capsys, text):
    assert main._deliver(f"Handover note\n{text}\n", None, "the report") == 0
    out = capsys.readouterr().out
    assert not terminal_unsafe(out)
    assert out == printable(f"Handover note\n{text}\n", keep_newlines=True).replace("\r\n", "\n")


def test_a_nul_in_a_note_is_stored_whole_and_shown_visibly(store, site, shift):
    entry = tally.record(store, site.tally, shift, site.tally.categories[0].id, note="before\x00after")
    assert store.rows("SELECT note FROM tallies WHERE id = ?", (entry.id,))[0]["note"] == "before\x00after"
    text = reportpage.render([report.build(store, site, shift.id)], "txt")
    assert "before\x00after" in text  # a file keeps it exactly
    assert "before\u2400after" in printable(text)  # ␀ where it is shown



def test_a_c1_control_in_the_name_on_duty_is_not_put_in_the_mail_subject(full_site):
    message = build_message(full_site.email, reportmail.PURPOSE, "Shift report: Jo \x9b31m\x85x", "body")
    assert message["Subject"] == "Shift report: Jo  31m x"  # each run of controls one space


def test_a_cell_starting_with_a_tab_or_a_carriage_return_is_not_a_formula():
    from shift.text import not_a_formula

    assert [not_a_formula(c) for c in ("\t=1+1", "\r=1+1", "=1+1", "a\t=1")] == ["'\t=1+1", "'\r=1+1", "'=1+1",
                                                                                 "a\t=1"]


def test_a_right_to_left_override_is_shown_not_obeyed_and_rtl_letters_stay():
    """U+202E makes a terminal show what follows backwards ("Sam" + RLO + "evol" reads "Samlove"
    reversed); a right-to-left script's own letters need no such control and are kept."""
    assert printable("card \u202e1234\u202c ok") == "card \ufffd1234\ufffd ok"
    assert printable("\u2067x\u2069") == "\ufffdx\ufffd"
    assert printable("שלום مرحبا") == "שלום مرحبا"

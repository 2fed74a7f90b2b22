"""The procedure loader: each kind of mistake located; broken files skipped, good ones kept."""

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT
from shift.procedures import BUNDLED, Citation, load_procedure_file, load_procedures, parse_due, parse_procedure

BROKEN = Path(__file__).parent / "broken_procedures"

EXPECTED = {
    "bad-due.toml": ":10: error: step 1 'Announce closing': due: 'close-15x' is not a time relative",
    "bad-kind.toml": ":10: error: step 1 'Lock the main doors': kind: 'maybe' is not a step kind",
    "bad-note-rule.toml": ":11: error: step 1 'Is the microfilm reader working?': note_when: 'broken' is not one of",
    "bad-range.toml": ":12: error: step 1 'Count the cash': min: the range is empty: min 250 is above max 150",
    "condition-later.toml": ":10: error: step 1 'Report the reader to facilities': show_if: step: step 'reader-ok' "
                            "comes later",
    "condition-missing.toml": ":10: error: step 1 'Sweep the lower level': show_if: step: step 'patrons-left' "
                              "does not exist",
    "duplicate-step.toml": ":12: error: step 2 'Lock the main doors': id: duplicate step id 'doors' (already step 1)",
    "inline-steps.toml": ": error: step 4 'Lock the main doors': due: 'soon' is not a time relative",
    "missing-title.toml": ":11: error: step 2: missing required key 'title'",
    "syntax-error.toml": ":2: error: TOML syntax:",
    "unknown-key.toml": ":9: error: step 1: titel: unknown key 'titel' (did you mean 'title'?)",
    "wrong-type.toml": ":10: error: step 1 'Lock the main doors': required: expected true or false, found text",
}


@pytest.fixture
def mixed(tmp_path):
    """The bundled procedures plus one broken file of each kind."""
    folder = tmp_path / "procedures"
    shutil.copytree(ROOT / "procedures", folder)
    shutil.copytree(BROKEN, folder / "broken")
    return folder


def test_every_kind_of_mistake_is_located(mixed, monkeypatch):
    monkeypatch.chdir(mixed.parent)
    procedures, problems = load_procedures(mixed)
    messages = [str(p) for p in problems if p.is_error]
    assert sorted(EXPECTED) == sorted(p.name for p in BROKEN.glob("*.toml"))
    for name, expected in EXPECTED.items():
        prefix = f"procedures/broken/{name}"
        assert any(m.startswith(prefix + expected) for m in messages), (name, messages)
    # Broken files are skipped; every good procedure still loads.
    assert {p.id for p in procedures} >= {"opening", "closing", "floor-walk"}
    assert not any(p.path.startswith("procedures/broken") for p in procedures)


def test_check_reports_all_broken_files_and_exits_1(mixed):
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "--procedures", str(mixed)],
                            cwd=mixed.parent, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    for name in EXPECTED:
        assert f"procedures/broken/{name}" in result.stdout, name
    assert "Traceback" not in result.stderr


def test_bundled_procedures_validate_with_no_errors():
    procedures, problems = load_procedures(ROOT / "procedures", today=date(2026, 11, 28))
    assert [str(p) for p in problems if p.is_error] == []
    # The only warnings: each bundled emergency protocol is still a template nobody has reviewed.
    templates = sorted(p.path for p in procedures if p.template)
    assert templates == sorted(f"procedures/emergency/{f.name}" for f in BUNDLED.glob("*.toml"))
    assert sorted((p.file, p.where) for p in problems) == [(path, "template") for path in templates]
    assert all("not yet adapted to this library (never reviewed)" in p.message for p in problems)
    ids = {p.id: p for p in procedures}
    assert {"opening", "closing", "floor-walk"} <= set(ids)
    closing = ids["closing"]
    announcements = [s for s in closing.steps if s.announce]
    assert [str(s.due) for s in announcements][:3] == ["close-30m", "close-15m", "close-5m"]
    assert closing.step("lock-main-doors").due is not None


def test_review_older_than_a_year_is_a_warning(tmp_path):
    text = (BROKEN / "bad-due.toml").read_text().replace('"close-15x"', '"close-15m"')
    (tmp_path / "old.toml").write_text(text)
    procedures, problems = load_procedures(tmp_path, today=date(2027, 10, 2))
    assert len(procedures) == 1
    assert [p.severity for p in problems] == ["warning"]
    assert "more than twelve months ago" in str(problems[0])


def test_duplicate_procedure_ids_keep_the_first(tmp_path):
    text = (BROKEN / "bad-due.toml").read_text().replace('"close-15x"', '"close-15m"')
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text(text)
    procedures, problems = load_procedures(tmp_path)
    assert len(procedures) == 1 and "already used by" in str(problems[0])


@pytest.mark.parametrize("text, minutes", [("close-15m", -15), ("open+1h30m", 90), ("close", 0), ("open+2h", 120)])
def test_due_times(text, minutes):
    assert parse_due(text).minutes == minutes
    assert str(parse_due(text)) == text


@pytest.mark.parametrize("text", ["close-", "close+15", "noon", "close-13h", "open-1m5"])
def test_bad_due_times(text):
    with pytest.raises(ValueError):
        parse_due(text)


def test_a_step_condition_needs_an_answerable_step(tmp_path):
    text = (BROKEN / "condition-later.toml").read_text()
    text = text.replace('kind = "yesno"', 'kind = "number"')
    # Reorder so the condition looks back, at a number step.
    head, first, second = text.split("[[steps]]")
    procedure, problems = parse_procedure(head + "[[steps]]" + second + "[[steps]]" + first, tmp_path / "x.toml")
    assert procedure is None
    assert "conditions need a yesno or choice step" in str(problems[0])


def test_emergency_protocols_need_unique_keys_and_known_contacts(tmp_path):
    text = (ROOT / "procedures" / "emergency" / "medical.toml").read_text()
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text(text.replace('id = "medical"', 'id = "medical-copy"'))
    (tmp_path / "c.toml").write_text(text.replace('id = "medical"', 'id = "medical-3"')
                                     .replace('key = "m"', 'key = "mm"'))
    (tmp_path / "d.toml").write_text(text.replace('id = "medical"', 'id = "medical-4"')
                                     .replace('key = "m"', 'key = "q"')
                                     .replace('call = "security"', 'call = "securty"'))
    procedures, problems = load_procedures(tmp_path)
    messages = [str(p) for p in problems]
    assert any("b.toml" in m and "key 'm' is already used by" in m for m in messages)
    assert any("c.toml" in m and "needs a single key" in m for m in messages)
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "--procedures", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "d.toml: error:" in result.stdout and "call: 'securty' is not a contact" in result.stdout


def test_bundled_emergency_protocols(full_site):
    procedures, problems = load_procedures(ROOT / "procedures")
    emergency = {p.id: p for p in procedures if p.kind == "emergency"}
    assert len(emergency) == 16 and not [p for p in problems if p.is_error]
    for protocol in emergency.values():
        immediate = [s for s in protocol.steps if s.immediate]
        assert 3 <= len(immediate) <= 5, protocol.id
        # A bundled protocol is a template: nobody has reviewed it for this library yet.
        assert protocol.template and protocol.reviewed is None, protocol.id
    assert emergency["fire-alarm"].step("all-clear") is not None
    # Medical: the worker tells the manager; the desk calls the Ministry only when asked to,
    # at the number in the site file, and nothing says "if not sure, answer yes" for a patron.
    medical = emergency["medical"]
    ministry = medical.step("call-ministry")
    assert ministry.call == "ministry_of_labour" and ministry.show_if.step == "desk-calls-ministry"
    assert full_site.contacts["ministry_of_labour"].phone == "1-877-202-0008"
    assert medical.step("tell-manager-now").call == "manager_on_call"
    assert medical.step("tell-manager-now").show_if.step == "critical-injury"
    critical = medical.step("critical-injury").instructions
    assert "wrist, hand, ankle or foot" in critical and "more than one finger or toe" in critical
    assert "answer yes" not in critical.lower() and "is a workplace" not in medical.text
    assert "Blue Mountain" in " ".join(str(c) for c in medical.sources)


def test_every_bundled_protocol_names_specific_sources():
    """Each source is a table: title and publisher, and a https:// address or a statute and section."""
    for path in sorted(BUNDLED.glob("*.toml")):
        protocol, problems = load_procedure_file(path)
        assert protocol is not None and problems == [], path.name
        assert protocol.sources, path.name
        for source in protocol.sources:
            assert isinstance(source, Citation) and source.title and source.publisher, (path.name, source)
            assert source.url.startswith("https://") or (source.statute and source.section), (path.name, source)
            assert "site.toml" not in str(source), (path.name, source)  # the site file is data, not a source


def test_the_known_good_copies_are_the_shipped_protocols_byte_for_byte():
    shipped = {f.name: f.read_bytes() for f in (ROOT / "procedures" / "emergency").glob("*.toml")}
    bundled = {f.name: f.read_bytes() for f in BUNDLED.glob("*.toml")}
    assert sorted(bundled) == sorted(shipped)
    assert [name for name in shipped if shipped[name] != bundled[name]] == []
    for name in bundled:  # bundled copies are named by id: that is how a fallback is found
        protocol, _ = load_procedure_file(BUNDLED / name)
        assert protocol.id == name.removesuffix(".toml")


def test_overdose_gas_leak_and_chemical_spill_are_protocols_of_their_own():
    procedures, _ = load_procedures(ROOT / "procedures")
    emergency = {p.id: p for p in procedures if p.kind == "emergency"}
    overdose, gas, spill = emergency["overdose"], emergency["gas-leak"], emergency["chemical-spill"]
    assert len({overdose.key, gas.key, spill.key}) == 3
    assert overdose.step("call-911").immediate and overdose.step("give-naloxone").places == ("naloxone_kit",)
    assert overdose.steps.index(overdose.step("call-911")) < overdose.steps.index(overdose.step("give-naloxone"))
    assert "S.C. 2017, c. 4" in [c.statute for c in overdose.sources]
    assert overdose.step("doses").kind == "text"
    # Gas: call the utility from outside; no "close the door" (that is the spill's step).
    assert gas.step("call-gas-utility").call == "gas_utility"
    assert not [words for words in ("close the door", "close its door", "closing doors") if words in gas.text.lower()]
    assert "leave doors and windows open" in gas.step("doors-open").title.lower()
    assert spill.step("close-door") is not None and "gas" not in spill.title.lower()


def test_lockdown_begins_with_getting_out_when_safe_and_hold_and_secure_keeps_away_from_doors():
    procedures, _ = load_procedures(ROOT / "procedures")
    emergency = {p.id: p for p in procedures if p.kind == "emergency"}
    lockdown = emergency["lockdown"]
    assert lockdown.steps[0].id == "get-out" and "safely" in lockdown.steps[0].title
    assert [s.id for s in lockdown.steps[:3]] == ["get-out", "hide", "defend"]
    assert "last resort" in lockdown.step("defend").title
    hold = emergency["hold-and-secure"]
    assert "away from the windows and doors" in hold.step("announce").announce
    assert "near the main doors" not in hold.text and "away from the doors" in hold.step("nobody-in-out").instructions


def test_bomb_threat_and_suspicious_package_give_the_same_radio_rule():
    procedures, _ = load_procedures(ROOT / "procedures")
    emergency = {p.id: p for p in procedures if p.kind == "emergency"}
    bomb, package = emergency["bomb-threat"], emergency["suspicious-package"]
    rule = "Do not use a two-way radio or a cell phone near it"
    assert rule in bomb.step("no-radios").instructions.replace("\n", " ")
    assert rule in package.step("no-radios").instructions.replace("\n", " ")
    assert " if " not in package.step("no-radios").instructions.split("If the police")[0]
    assert "record" in bomb.step("keep-talking").title.lower()
    assert bomb.step("keep-it").show_if.answers >= {"By email, text message or social media"}


def test_templates_need_no_review_date_but_other_procedures_do(tmp_path):
    base = (BROKEN / "bad-due.toml").read_text().replace('"close-15x"', '"close-15m"')
    unreviewed = base.replace("reviewed = 2026-10-01\n", "")
    assert unreviewed != base
    _, problems = parse_procedure(unreviewed, tmp_path / "x.toml")
    assert any("missing required key 'reviewed'" in p.message for p in problems)
    template, problems = parse_procedure(unreviewed.replace('kind = "closing"', 'kind = "closing"\ntemplate = true'),
                                         tmp_path / "x.toml")
    assert problems == [] and template.reviewed is None
    (tmp_path / "never.toml").write_text(unreviewed.replace('kind = "closing"', 'kind = "closing"\ntemplate = true'))
    (tmp_path / "old.toml").write_text(base.replace('id = "bad-due"', 'id = "old"')
                                       .replace('kind = "closing"', 'kind = "closing"\ntemplate = true'))
    _, problems = load_procedures(tmp_path, today=date(2027, 11, 2))
    messages = sorted(str(p) for p in problems)
    assert [p.severity for p in problems] == ["warning", "warning"]
    assert "never.toml: warning: template: not yet adapted to this library (never reviewed)" in messages[0]
    assert ("old.toml: warning: template: not yet adapted to this library (last reviewed 2026-10-01, "
            "more than twelve months ago)") in messages[1]


def test_sources_are_tables_with_a_way_to_check_them(tmp_path):
    base = (BROKEN / "bad-due.toml").read_text().replace('"close-15x"', '"close-15m"')
    def problems_for(sources: str, kind: str = "closing") -> list[str]:
        text = base.replace('kind = "closing"', f'kind = "{kind}"' + ('\nkey = "x"' if kind == "emergency" else ""))
        _, found = parse_procedure(text.replace("[[steps]]", f"sources = {sources}\n\n[[steps]]", 1),
                                   tmp_path / "x.toml")
        return [str(p) for p in found]

    plain = problems_for('["Fire safety plan, 2026"]')
    assert len(plain) == 1 and "'Fire safety plan, 2026' is plain text; write it as a table" in plain[0]
    assert plain[0].startswith(str(tmp_path / "x.toml") + ":")  # located on its line
    internal = '[{ title = "Desk manual", publisher = "Bata Library" }]'
    assert problems_for(internal) == []  # an internal document, for a routine checklist
    assert any("give a url (https://...) or a statute and section" in m
               for m in problems_for(internal, kind="emergency"))
    assert any("is not a web address starting with https://" in m for m in problems_for(
        '[{ title = "Fire Code", publisher = "Ontario", url = "http://www.ontario.ca/laws" }]'))
    assert any("both its statute" in m for m in problems_for(
        '[{ title = "OHSA", publisher = "Ontario", statute = "R.S.O. 1990, c. O.1" }]', kind="emergency"))
    assert any("unknown key 'year'" in m for m in problems_for(
        '[{ title = "OHSA", publisher = "Ontario", url = "https://www.ontario.ca/laws", year = 1990 }]'))
    law = ('[{ title = "Occupational Health and Safety Act", publisher = "Government of Ontario", '
           'statute = "R.S.O. 1990, c. O.1", section = "s. 51" }]')
    assert problems_for(law, kind="emergency") == []


def test_emergency_protocols_say_how_to_prefill_the_incident_report(full_site, tmp_path):
    procedures, _ = load_procedures(ROOT / "procedures")
    for protocol in (p for p in procedures if p.kind == "emergency"):
        assert protocol.incident_category in full_site.incidents.categories, protocol.id
        assert not protocol.incident_location or protocol.step(protocol.incident_location), protocol.id
    base = '''id = "x"
title = "X"
kind = "{kind}"
owner = "Coordinator"
reviewed = 2026-10-01
{extra}
[[steps]]
id = "where"
title = "Where?"
kind = "text"
'''
    _, problems = parse_procedure(base.format(kind="emergency", extra='key = "x"\nincident_location = "were"'),
                                  tmp_path / "x.toml")
    assert any("'were' is not a step id" in p.message for p in problems)
    _, problems = parse_procedure(base.format(kind="routine", extra='incident_category = "Other"'),
                                  tmp_path / "x.toml")
    assert any("only emergency protocols prefill" in p.message for p in problems)
    protocol, problems = parse_procedure(
        base.format(kind="emergency", extra='key = "x"\nincident_category = "Other"\nincident_location = "where"'),
        tmp_path / "x.toml")
    assert protocol.incident_category == "Other" and protocol.incident_location == "where"


def test_hand_wrapped_instructions_are_reflowed_keeping_paragraphs_and_lists():
    from shift.text import reflow

    text = ("Read the announcement over the PA,\nslowly and clearly.\n\n"
            "Then:\n- lock the doors\n- check\n  the lifts\n1. call security\n")
    assert reflow(text) == ("Read the announcement over the PA, slowly and clearly.\n\n"
                            "Then:\n- lock the doors\n- check the lifts\n1. call security")


def test_reflow_keeps_a_scale_of_numbered_levels_but_joins_a_line_starting_with_a_number():
    from shift.text import reflow

    assert reflow("1  Under 5 minutes.\n2  A little knowledge.") == "1  Under 5 minutes.\n2  A little knowledge."
    assert reflow("Wait for\n15 minutes.") == "Wait for 15 minutes."

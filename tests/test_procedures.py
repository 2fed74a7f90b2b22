"""The procedure loader: each kind of mistake located; broken files skipped, good ones kept."""

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT
from shift.procedures import load_procedures, parse_due, parse_procedure

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
    assert [str(p) for p in problems] == []
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


def test_bundled_emergency_protocols():
    procedures, problems = load_procedures(ROOT / "procedures")
    emergency = {p.id: p for p in procedures if p.kind == "emergency"}
    assert len(emergency) == 14 and not [p for p in problems if p.is_error]
    for protocol in emergency.values():
        immediate = [s for s in protocol.steps if s.immediate]
        assert 3 <= len(immediate) <= 5, protocol.id
        assert protocol.template and protocol.sources, protocol.id
    medical = emergency["medical"]
    assert any("1-877-202-0008" in s.title for s in medical.steps)
    assert emergency["fire-alarm"].step("all-clear") is not None


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

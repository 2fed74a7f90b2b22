"""The site file: the shipped sample loads; every mistake is located, never a traceback."""

from pathlib import Path

import pytest

from conftest import SITE_FILE
from shift.site import load_site


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # problems name files relative to the working directory


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def edited(old: str, new: str) -> str:
    text = SITE_FILE.read_text()
    assert old in text
    return text.replace(old, new, 1)


def errors(problems):
    return [str(p) for p in problems if p.is_error]


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_shipped_site_loads_with_only_sample_warnings():
    site, problems = load_site(SITE_FILE)
    assert errors(problems) == []
    warnings = [str(p) for p in problems]
    assert any("contacts.security.phone" in w and "sample" in w for w in warnings)
    assert any("civic_address" in w for w in warnings)
    assert site.name == "Bata Library" and str(site.zone) == "America/Toronto"
    assert site.contacts["emergency"].phone == "9-911"
    assert {z.kind for z in site.zones} >= {"floor", "washroom", "study_room"}
    assert [c.key for c in site.tally.categories][:2] == ["d", "i"]
    assert site.tally.category("reference").read is True
    assert {c.id for c in site.tally.channels} == {"in_person", "phone", "email", "chat"}


def test_unknown_key_is_located_with_a_suggestion(tmp_path):
    text = edited('timezone = "America/Toronto"', 'timezone = "America/Toronto"\ntimezon = "x"')
    _, problems = load_text(tmp_path, text)
    found = errors(problems)
    assert len(found) == 1
    assert found[0].startswith(f"site.toml:{line_of(text, 'timezon =')}: error: library.timezon: unknown key")
    assert "did you mean 'timezone'" in found[0]


def test_bad_time_is_located(tmp_path):
    text = edited('tuesday   = "08:30-23:00"', 'tuesday   = "08:30-25:00"')
    _, problems = load_text(tmp_path, text)
    assert errors(problems) == [
        f"site.toml:{line_of(text, 'tuesday ')}: error: hours.tuesday: '25:00' is not a real time of day"
    ]


def test_toml_syntax_error_gives_line_and_no_crash(tmp_path):
    text = edited('friday    = "08:30-18:00"', 'friday    = "08:30-18:00')
    site, problems = load_text(tmp_path, text)
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"site.toml:{line_of(text, 'friday ')}: error: TOML syntax:")
    assert site.name.startswith("Library")  # the fallback site still lets the desk start


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('monday    = "08:30-23:00"', 'monday    = "18:00-09:00"',
         "hours.monday: '18:00-09:00' closes before it opens"),
        ('monday    = "08:30-23:00"', 'monday    = ["08:00-12:00", "11:00-14:00"]',
         "opening periods overlap"),
        ('monday    = "08:30-23:00"', "monday    = 830", "hours.monday: expected 'closed', 'HH:MM-HH:MM'"),
        ('monday    = "08:30-23:00"\n', "", "missing 'monday'"),
        ("date = 2027-02-15", "date = 2026-12-24", "overlap another exception (Winter holiday closure"),
        ("from = 2027-04-08\nto = 2027-04-28", "from = 2027-04-28\nto = 2027-04-08", "2027-04-08 is before 2027-04-28"),
        ('timezone = "America/Toronto"', 'timezone = "Mars/Olympus"', "'Mars/Olympus' is not a known time zone"),
        ('[contacts.it_help]', '[contacts.it_helpdesk]', "missing contact 'it_help'"),
        ('phone = "705-555-0101"', 'phone = "call Bob"', "'call Bob' is not a phone number"),
        ('key = "i"', 'key = "d"', "'d' is already used by category 'directional'"),
        ('key = "b"', 'key = "u"', "'u' is already an app key"),
        ('key = "b"', 'key = "ctrl+"', "'ctrl+' is not a key name"),
        ('# "shift.end" = "ctrl+e"', '"shift.ends" = "ctrl+e"', "unknown key 'shift.ends' (did you mean 'shift.end'?)"),
        ('kind = "study_room"', 'kind = "lounge"', "'lounge' is not a zone kind"),
        ('read = true', 'read = "yes"', "expected true or false, found text"),
        ('id = "reserves"', 'id = "main"', "duplicate desk id 'main'"),
        ('theme = "textual-dark"', 'theme = "neon"', "'neon' is not a theme"),
    ],
)
def test_mistakes_are_errors_with_locations(tmp_path, old, new, expected):
    text = edited(old, new)
    _, problems = load_text(tmp_path, text)
    found = errors(problems)
    assert any(expected in f for f in found), found
    assert all(f.startswith("site.toml:") for f in found)
    assert all(f.split(":")[1].isdigit() for f in found), found  # every error has a line


def test_key_remapping_is_read(tmp_path):
    text = edited('# "shift.end" = "ctrl+e"', '"shift.end" = "ctrl+x"\n"tally.undo" = "backspace"')
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []
    assert site.keys == {"shift.end": "ctrl+x", "tally.undo": "backspace"}
    # The remapped undo key frees 'u' for a statistics category.
    text = text.replace('key = "b"', 'key = "u"')
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []


def test_missing_and_unreadable_files(tmp_path):
    _, problems = load_site(tmp_path / "nope.toml")
    assert "file not found" in str(problems[0])
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[library]\nname = "Biblioth\xe8que"\n')
    _, problems = load_site(bad)
    assert str(problems[0]).endswith("latin1.toml:2: error: the file is not UTF-8 text")


def test_email_without_report_addresses_is_a_warning(tmp_path):
    text = edited('reports = ["library-manager@library.example"]', "")
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []
    said = [str(p) for p in problems if "reports" in str(p)]
    assert said == [f"site.toml:{line_of(text, '[email.recipients]')}: warning: email.recipients: "
                    "no 'reports' addresses: end-of-shift reports will not be emailed to anyone"]
    assert "reports" not in site.email.recipients

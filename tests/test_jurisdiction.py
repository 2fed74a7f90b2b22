"""The law where the library is, read from data/jurisdiction/<id>.toml."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import ROOT, SITE_FILE, local
from shift import jurisdiction
from shift.site import load_site

ONTARIO = ROOT / "data" / "jurisdiction" / "ontario.toml"


def duties(law, level):
    return law.injuries[level].duties


def test_ontario_states_the_s51_and_s52_duties_with_their_recipients_and_sources():
    law, problems = jurisdiction.load(ROOT / "data", "ontario")
    assert problems == []
    assert law.authority == "Ministry of Labour, Immigration, Training and Skills Development"
    assert law.authority_phone == "1-877-202-0008"
    critical = {d.followup: d for d in duties(law, "critical") if d.followup}
    report = critical["Written report of the critical injury to the Ministry, the JHSC (or representative) and "
                      "the union"]
    assert report.due == jurisdiction.Due(48, "hours") and report.who == "worker"
    now = jurisdiction.Due(0, "hours")
    told = next(d for d in duties(law, "critical") if d.source.section == "s. 51" and d.due == now)
    assert "joint health and safety committee" in told.say and "union" in told.say
    notice = next(d for d in duties(law, "medical") if d.source.section == "s. 52(1)")
    assert notice.due == jurisdiction.Due(4, "days") and "JHSC" in notice.followup and "union" in notice.followup
    assert "Ministry" not in notice.followup  # only if an inspector asks
    form7 = [d for level in ("medical", "critical") for d in duties(law, level) if "Form 7" in d.followup]
    assert {d.due for d in form7} == {jurisdiction.Due(3, "business days")}
    assert "wrist, hand, ankle or foot" in law.injuries["critical"].means
    assert "more than one finger or toe" in law.injuries["critical"].means
    for level in law.injuries.values():
        for duty in level.duties:
            assert duty.source.title and duty.source.publisher
            assert duty.source.url.startswith("https://") or (duty.source.statute and duty.source.section)


def test_no_rule_of_a_province_is_spelt_in_the_code():
    for folder in ("shift", "tui"):
        for path in (ROOT / folder).glob("*.py"):
            text = path.read_text()
            for word in ("Ontario", "Ministry of Labour", "OHSA", "WSIB", "877-202", "Fire Code"):
                assert word not in text, f"{path.name} spells '{word}': it belongs in data/jurisdiction/"
    shipped = [p for p in ROOT.rglob("*") if p.suffix in (".py", ".toml", ".md") and ".venv" not in p.parts]
    wrong = "Ministry of Labour within " + "4 days"  # s. 52(1) notice goes to the committee and the union
    assert not [p for p in shipped if wrong in p.read_text(errors="ignore")]


def test_business_days_skip_weekends_and_public_holidays_never_the_librarys_own_closures(full_site):
    hours = full_site.hours
    three = jurisdiction.Due(3, "business days")
    # Friday 19:00: Monday, Tuesday, Wednesday.
    assert three.after(local(2026, 11, 27, 19, 0), hours) == local(2026, 12, 2, 19, 0)
    # Tuesday 22 December: the library's winter closure (23 Dec - 3 Jan) does not push it later.
    assert three.after(local(2026, 12, 22, 15, 0), hours) == local(2026, 12, 25, 15, 0)
    # Friday 12 February: Monday 15 February is Family Day, a public holiday.
    assert three.after(local(2027, 2, 12, 9, 30), hours) == local(2027, 2, 18, 9, 30)
    assert not jurisdiction.business_day(date(2027, 2, 15), hours)
    assert jurisdiction.business_day(date(2026, 12, 29), hours)  # closed, but not a public holiday
    assert jurisdiction.Due(48, "hours").after(local(2026, 11, 24, 19, 0), hours) == local(2026, 11, 26, 19, 0)


def test_the_drill_rule_comes_from_the_jurisdiction(full_site):
    law, zone = full_site.jurisdiction, full_site.zone
    now = local(2026, 11, 24, 19, 0)
    note, overdue = jurisdiction.drill_note(law, None, now, zone)
    assert overdue and note == ("No fire drill in the past year (none recorded): the Ontario Fire Code "
                                "requires a fire drill at least every 12 months")
    note, overdue = jurisdiction.drill_note(law, now - timedelta(days=30), now, zone)
    assert not overdue and note == "Last fire drill: 25 Oct 2026"
    assert jurisdiction.drill_note(jurisdiction.NONE, None, now, zone) == ("Fire drills: none recorded", False)


def write(folder: Path, text: str) -> Path:
    (folder / "jurisdiction").mkdir(exist_ok=True)
    path = folder / "jurisdiction" / "testland.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    text = ONTARIO.read_text().replace('id = "ontario"', 'id = "testland"')
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("old, new, expected", [
    ('due = "48 hours"', 'due = "two days"', "'two days' should be now"),
    ('source = "ohsa_52"', 'source = "ohsa_53"', "'ohsa_53' is not one of the [sources]"),
    ("({authority} only if an inspector asks)", "({ministry} only if an inspector asks)",
     "unknown placeholder {ministry}"),
    ('who = "other"', 'who = "patron"', "'patron' must be one of worker, other, anyone"),
    ("[injuries.first_aid]", "[injuries.scratch]", "'scratch' is not an injury level"),
    ('url = "https://www.ontariocourts.ca/decisions/2013/2013ONCA0075.htm"', 'url = "www.example.ca"',
     "'www.example.ca' is not a web address starting with https://"),
    ('section = "s. 21(1)"\nurl = "https://www.wsib.ca/en/businesses/claims/report-injury-or-illness"', "",
     "a law is cited with both its statute"),
    ('checked = 2026-11-30', 'checked = "recently"', "expected a date"),
    ('every_days = 365', 'every_days = 365\neverydays = 1', "unknown key 'everydays'"),
])
def test_mistakes_in_a_jurisdiction_file_are_located(tmp_path, old, new, expected):
    text = edited(old, new)
    path = write(tmp_path, text)
    law, problems = jurisdiction.load(tmp_path, "testland")
    found = [str(p) for p in problems if p.is_error]
    hit = [f for f in found if expected in f]
    assert hit, found
    assert hit[0].startswith(f"{path}:") and hit[0].split("testland.toml:")[1].split(":")[0].isdigit()  # its line
    assert law == jurisdiction.NONE  # a broken file claims no duty


def test_the_site_names_its_jurisdiction_and_a_file_beside_it_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    site_text = SITE_FILE.read_text()
    (tmp_path / "site.toml").write_text(site_text.replace('jurisdiction = "ontario"', 'jurisdiction = "testland"'))
    write(tmp_path, edited('name = "Ontario"', 'name = "Testland"'))
    site, problems = load_site(tmp_path / "site.toml")
    assert site.jurisdiction.name == "Testland" and not [p for p in problems if p.is_error]
    (tmp_path / "site.toml").write_text(site_text.replace('jurisdiction = "ontario"', 'jurisdiction = "atlantis"'))
    site, problems = load_site(tmp_path / "site.toml")
    assert any("atlantis.toml" in str(p) and "file not found" in str(p) for p in problems)
    assert site.jurisdiction == jurisdiction.NONE
    (tmp_path / "site.toml").write_text(re.sub(r"(?m)^jurisdiction = .*\n", "", site_text))
    site, problems = load_site(tmp_path / "site.toml")
    assert any("no jurisdiction named" in str(p) and not p.is_error for p in problems)
    (tmp_path / "site.toml").write_text(site_text.replace("desk_calls_authority = false",
                                                          'ministry_of_labour = "1-877-202-0008"'))
    _, problems = load_site(tmp_path / "site.toml")
    assert any("incidents.ministry_of_labour: the number is now in the jurisdiction file" in str(p)
               for p in problems)


def test_a_broken_copy_beside_the_site_gives_way_to_the_shipped_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.toml").write_text(SITE_FILE.read_text())
    (tmp_path / "jurisdiction").mkdir()
    broken = ONTARIO.read_text().replace('due = "4 days"', 'due = "four days"')
    (tmp_path / "jurisdiction" / "ontario.toml").write_text(broken)
    site, problems = load_site(tmp_path / "site.toml")
    assert site.jurisdiction.name == "Ontario" and site.jurisdiction.injuries["critical"].duties
    text = [str(p) for p in problems]
    assert any("'four days' should be now" in t for t in text)  # still an error for check
    assert any("the shipped copy is used meanwhile" in t for t in text)


def test_with_no_jurisdiction_at_all_the_form_says_the_duties_are_unknown(site):
    from shift import incidents

    bare = site._replace(jurisdiction=jurisdiction.NONE)
    shown = incidents.obligations("medical", "worker", bare)
    assert shown.heading == "LEGAL DUTIES UNKNOWN" and "Tell the manager on call now" in shown.lines[0]
    assert incidents.obligations("none", "", bare).lines == []

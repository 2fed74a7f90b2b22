"""Desk knowledge: the files load with located errors, `check` reviews them, search ranks them."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from shift.check import run_check
from shift.knowledge import load_entry_file, load_knowledge, read_levels, review_problems, shown
from shift.knowledgesearch import index, one_slip, search

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
TODAY = date(2026, 11, 30)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


ENTRY = """kind = "answer"
title = "{title}"
tags = [{tags}]
checked = 2026-05-01
body = "{body}"
"""


def test_the_sample_content_validates_against_the_sample_site():
    entries, problems = load_knowledge(KNOWLEDGE)
    assert problems == []
    site_categories = {"directional", "informational", "reference", "technology", "circulation",
                       "accessibility", "rooms"}
    assert review_problems(entries, TODAY, site_categories) == []
    kinds = {e.kind for e in entries}
    assert kinds == {"referral", "answer", "policy", "notice"}
    referral = next(e for e in entries if e.id == "accessibility-services")
    assert referral.sample and dict(referral.contact)["phone"] == "705-555-0120"


def test_a_broken_entry_is_located_by_file_and_line(tmp_path):
    path = write(tmp_path, "bad.toml", 'kind = "referal"\ntitle = "X"\nchecked = "last May"\nphnoe = "1"\n')
    entry, problems = load_entry_file(path)
    assert entry is None
    said = {(p.line, p.where): p.message for p in problems}
    assert "'referal' is not a kind of entry" in said[(1, "kind")]
    assert said[(3, "checked")].startswith("expected a date")
    assert "unknown key 'phnoe'" in said[(4, "phnoe")]
    syntax = write(tmp_path, "syntax.toml", 'kind = "answer"\ntitle = "Open quote\nchecked = 2026-01-01\n')
    entry, problems = load_entry_file(syntax)
    assert entry is None and problems[0].line == 2 and "TOML syntax" in problems[0].message


def test_a_notice_needs_its_dates_and_incident_and_ends_on_its_date(tmp_path):
    path = write(tmp_path, "n.toml", 'kind = "notice"\ntitle = "Person"\nchecked = 2026-05-01\n'
                                     'from = 2026-06-01\nuntil = 2026-12-01\nincident = "abc"\n')
    entry, problems = load_entry_file(path)
    assert problems == [] and entry is not None
    assert shown([entry], date(2026, 5, 31)) == []  # not yet
    assert shown([entry], date(2026, 11, 30)) == [entry]  # the last day it runs
    assert shown([entry], date(2026, 12, 1)) == []  # ended on its date
    ended = review_problems([entry], date(2026, 12, 1), None)
    assert [(p.where, p.severity) for p in ended] == [("until", "warning")]
    missing = write(tmp_path, "m.toml", 'kind = "notice"\ntitle = "Person"\nchecked = 2026-05-01\n')
    _, problems = load_entry_file(missing)
    assert {p.message.split(" (")[0] for p in problems} == {
        "missing required key 'from'", "missing required key 'until'", "missing required key 'incident'"}


def test_check_reports_a_broken_entry_and_warns_about_an_old_one(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    write(folder, "old.toml", 'kind = "policy"\ntitle = "Old"\nchecked = 2025-06-01\n')
    write(folder, "broken.toml", 'kind = "policy"\ntitle = "Broken"\nchecked = 2026-05-01\ntally = 3\n')
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "--knowledge", str(folder)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "knowledge/broken.toml:4: error: tally: expected text in quotes, found a whole number" in result.stdout
    # Located at the `checked` line, like every other problem.
    assert ("knowledge/old.toml:3: warning: checked: last checked 2025-06-01, more than a year ago"
            in result.stdout)


def test_check_refuses_a_statistics_type_the_site_does_not_have(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    write(folder, "x.toml", 'kind = "answer"\ntitle = "X"\nchecked = 2026-05-01\ntally = "referals"\n')
    problems, status = run_check(ROOT / "data" / "site.toml", ROOT / "procedures", TODAY, folder)
    assert status == 1
    assert any(p.where == "tally" and p.line == 4 and "'referals' is not one of the site's statistics types"
               in p.message for p in problems)


def test_one_slip():
    assert one_slip("microflim", "microfilm")  # two letters swapped
    assert one_slip("acess", "access") and one_slip("accesss", "access") and one_slip("axcess", "access")
    assert not one_slip("micrfolim", "microfilm")


def test_ranking_title_beats_tags_beats_body(tmp_path):
    for name, title, tags, body in (("body", "Other thing", '"x"', "about scanners here"),
                                    ("title", "Scanners", '"y"', "nothing"),
                                    ("tag", "Third", '"scanners"', "nothing")):
        write(tmp_path, f"{name}.toml", ENTRY.format(title=title, tags=tags, body=body))
    entries, _ = load_knowledge(tmp_path)
    assert [h.entry.id for h in search(index(entries), "scanners")] == ["title", "tag", "body"]
    # Every word typed must match somewhere.
    assert search(index(entries), "scanners zebra") == []


def test_search_the_sample_content():
    entries, _ = load_knowledge(KNOWLEDGE)
    indexed = index(entries)
    assert search(indexed, "acces")[0].entry.title == "Student Accessibility Services"
    assert search(indexed, "microflim")[0].entry.id == "microfilm-and-microfiche"
    # The exact title beats entries that mention its words in their text.
    assert search(indexed, "Loan periods")[0].entry.id == "loan-periods"
    assert search(indexed, "interlibrary loan")[0].entry.id == "interlibrary-loan"


def test_a_symlink_loop_is_a_located_problem_not_a_crash(tmp_path):
    (tmp_path / "loop1.toml").symlink_to(tmp_path / "loop2.toml")
    (tmp_path / "loop2.toml").symlink_to(tmp_path / "loop1.toml")
    write(tmp_path, "good.toml", 'kind = "policy"\ntitle = "Good"\nchecked = 2026-05-01\n')
    entries, problems = load_knowledge(tmp_path)
    assert [e.title for e in entries] == ["Good"]
    assert {Path(p.file).name for p in problems} == {"loop1.toml", "loop2.toml"}


def test_typing_notice_lists_the_notices_first(tmp_path):
    write(tmp_path, "trespass.toml", 'kind = "notice"\ntitle = "Man, grey beard"\nchecked = 2026-05-01\n'
                                     'from = 2026-04-20\nuntil = 2027-04-20\nincident = "abc"\n')
    write(tmp_path, "signs.toml", ENTRY.format(title="Signs", tags='"x"', body="put up a notice on the door"))
    write(tmp_path, "fines.toml", 'kind = "policy"\ntitle = "Fines"\nchecked = 2026-05-01\n')
    entries, _ = load_knowledge(tmp_path)
    assert [h.entry.id for h in search(index(entries), "notice")] == ["trespass", "signs"]
    assert [h.entry.id for h in search(index(entries), "notices")][0] == "trespass"
    assert [h.entry.id for h in search(index(entries), "policy")] == ["fines"]


def test_check_warns_about_a_checked_date_still_to_come(tmp_path):
    write(tmp_path, "typo.toml", 'kind = "policy"\ntitle = "Typo"\nchecked = 2062-05-01\n')
    entries, _ = load_knowledge(tmp_path)
    found = review_problems(entries, TODAY, None)
    assert [(p.line, p.where, p.severity) for p in found] == [(3, "checked", "warning")]
    assert "2062-05-01 is after today" in found[0].message
    assert review_problems(entries, date(2062, 5, 1), None) == []


def test_a_read_level_definition_shows_an_escape_as_a_symbol(tmp_path):
    write(tmp_path, "read-scale.toml", 'kind = "answer"\ntitle = "READ"\nchecked = 2026-05-01\n'
                                       'body = "3  Some \\u001b[5mtime"\n')
    entries, _ = load_knowledge(tmp_path)
    assert read_levels(entries) == {3: "Some ␛[5mtime"}

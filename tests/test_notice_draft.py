"""`python main.py notice new --incident ID`: the manager's draft of a notice, from an incident.

The draft is refused by check (and not shown at the desk) until its description is written; once
written it loads, and neither it nor anything of the incident reaches a statistics export."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from conftest import local
from shift.knowledge import load_entry_file, load_knowledge, shown
from shift.shifts import end_shift
from shift.tally import record
from test_incidents import file

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = "Woman, about 30, short red hair, usually a yellow raincoat"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60)


def test_a_notice_drafted_from_an_incident_is_finished_by_hand_and_never_exported(tmp_path, store, site, shift):
    incident = file(store, site, shift, category="Banned person present", people=f"Jane Doe. {DESCRIPTION}.",
                    occurred_at=local(2026, 11, 24, 19, 10))
    record(store, site.tally, shift, "directional")
    end_shift(store, shift, "Quiet.")
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    db = str(store.path)

    done = run("notice", "new", "--incident", incident.id[:8], "--db", db, "--knowledge", str(knowledge),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "describe the person in neutral words" in done.stdout
    (draft,) = (knowledge / "notices").glob("notice-*.toml")
    text = draft.read_text(encoding="utf-8")
    assert f'incident = "{incident.id}"' in text and "Banned person present" in text
    assert "Jane Doe" not in text  # nothing of what the incident says about people is copied out

    # Not finished: check names the file and the line, and the desk does not show it.
    checked = run("check", "--knowledge", str(knowledge), cwd=tmp_path)
    assert checked.returncode == 1
    assert f"knowledge/notices/{draft.name}:10: error: title: must not be empty" in checked.stdout
    entries, _ = load_knowledge(knowledge)
    assert incident.id not in {e.incident for e in entries}

    draft.write_text(text.replace('title = ""', f'title = "{DESCRIPTION}"'), encoding="utf-8")
    entry, problems = load_entry_file(draft)
    assert problems == [] and entry is not None and entry.incident == incident.id
    today = date.today()
    assert entry.starts == today and shown([entry], today) == [entry]
    assert shown([entry], entry.until) == []  # ends on its date

    # The coordinator's statistics, in every format: no notice, nothing of the incident's people.
    for fmt in ("csv", "txt", "html"):
        exported = run("stats", "--db", db, "--from", "2026-11-01", "--to", "2026-11-30", "--format", fmt,
                       cwd=tmp_path)
        assert exported.returncode == 0, exported.stderr
        assert "Directional" in exported.stdout or "directional" in exported.stdout
        for secret in (DESCRIPTION, "yellow raincoat", "Jane Doe", incident.id, "green parka"):
            assert secret not in exported.stdout


def test_an_unknown_or_ambiguous_incident_writes_nothing(tmp_path, store, site, shift):
    knowledge = tmp_path / "knowledge"
    done = run("notice", "new", "--incident", "0123456789", "--db", str(store.path), "--knowledge",
               str(knowledge), cwd=tmp_path)
    assert done.returncode == 1 and "no incident with an id starting '0123456789'" in done.stderr
    assert not knowledge.exists()
    short = run("notice", "new", "--incident", "ab", "--db", str(store.path), "--knowledge", str(knowledge),
                cwd=tmp_path)
    assert short.returncode == 1 and "first 8 characters at least" in short.stderr

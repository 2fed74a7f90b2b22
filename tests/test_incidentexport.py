"""Incident reports exported as text and CSV: every character as written, supplements after the original."""

import csv
import dataclasses
import io
import subprocess
import sys
from datetime import date

import pytest

from conftest import ROOT, local
from shift import incidentexport, incidents
from shift.files import FileRefused
from shift.incidents import IncidentForm

HOSTILE = "<script>alert(1)</script> [red]shouted[/red] [/b] \x1b[31mred\x1b[0m\nsecond line"


def form(**changes):
    base = IncidentForm(category="Abusive or threatening behaviour", occurred_at=local(2026, 11, 24, 19, 5),
                        zone_id="main-floor", what_happened=HOSTILE, reporter="Sam [desk]")
    return dataclasses.replace(base, **changes)


@pytest.fixture
def filed(store, site, shift, clock):
    first = incidents.file_incident(store, site, shift, form(actions="=SUM(A1:A9) asked them to leave"))
    clock.advance(minutes=30)
    incidents.add_supplement(store, site, shift, first.id, "Sam", "Security arrived 19:40 <b>late</b>")
    incidents.file_incident(store, site, shift, form(category="Hazardous condition", what_happened="Wet floor",
                                                     occurred_at=local(2026, 11, 20, 18, 0)))
    return first


def test_text_keeps_every_character_and_puts_supplements_after_the_original(store, site, filed, tmp_path):
    out = tmp_path / "incidents.txt"
    assert incidentexport.export(store, site, "text", out) == 2
    text = out.read_bytes().decode("utf-8")
    assert "<script>alert(1)</script> [red]shouted[/red] [/b] \x1b[31mred\x1b[0m" in text
    assert text.index("Wet floor") < text.index("[red]shouted")  # oldest first
    assert text.index("[red]shouted") < text.index("Security arrived 19:40 <b>late</b>")
    assert "2026-11-24 19:05  Abusive or threatening behaviour" in text
    assert f"Incident {filed.id}" in text


def test_csv_round_trips_every_field_and_defuses_formulas(store, site, filed, tmp_path):
    out = tmp_path / "incidents.csv"
    incidentexport.export(store, site, "csv", out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r["category"] for r in rows] == ["Hazardous condition", "Abusive or threatening behaviour"]
    row = rows[1]
    assert row["what_happened"] == HOSTILE  # newlines, brackets and the escape, exactly
    assert row["reporter"] == "Sam [desk]"
    assert row["actions"] == "'=SUM(A1:A9) asked them to leave"  # shown as text by a spreadsheet
    assert row["supplements"] == "2026-11-24 20:00 Sam: Security arrived 19:40 <b>late</b>"
    assert row["occurred"] == "2026-11-24 19:05"


def test_dates_and_category_filter(store, site, filed, tmp_path):
    assert incidentexport.export(store, site, "text", tmp_path / "a.txt", since=date(2026, 11, 21)) == 1
    assert incidentexport.export(store, site, "text", tmp_path / "b.txt", until=date(2026, 11, 20)) == 1
    assert incidentexport.export(store, site, "csv", tmp_path / "c.csv", category="Injury") == 0
    header_only = b"\xef\xbb\xbf" + ",".join(incidentexport.CSV_HEADER).encode() + b"\r\n"
    assert (tmp_path / "c.csv").read_bytes() == header_only
    incidentexport.export(store, site, "text", tmp_path / "d.txt", category="Injury")
    assert "No incident reports match." in (tmp_path / "d.txt").read_text()


def test_an_existing_file_or_a_bad_format_is_refused(store, site, filed, tmp_path):
    out = tmp_path / "x.txt"
    out.write_text("keep me")
    with pytest.raises(FileRefused, match="already exists"):
        incidentexport.export(store, site, "text", out)
    assert out.read_text() == "keep me"
    with pytest.raises(FileRefused, match="not an incident export format"):
        incidentexport.export(store, site, "alma", tmp_path / "y.dat")


def test_cli_export_incidents(store, site, filed, tmp_path):
    store.close()  # the command line needs the database to itself
    out = tmp_path / "out.csv"
    cmd = [sys.executable, "main.py", "--db", str(store.path), "export", "incidents"]
    done = subprocess.run([*cmd, "--format", "csv", "--output", str(out), "--from", "2026-11-24"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"Wrote 1 incident report(s) to {out}" in done.stdout
    bad = subprocess.run([*cmd, "--format", "text", "--output", str(tmp_path / "z.txt"), "--from", "24/11/2026"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "not a date: write YYYY-MM-DD" in bad.stderr

"""Offline circulation files, byte for byte: Alma .dat, Koha .koc, CSV for people."""

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import ROOT
from evergreen_reader import read_offline
from koc_reader import read_koc
from shift import circexport, circulation, files
from shift.circexport import ExportError, export
from shift.circulation import ScanSession, Transaction
from test_circulation import card, item

EXPECTED = Path(__file__).parent / "expected"


@pytest.fixture
def scenario(store, site, shift, clock, monkeypatch):
    """Two loans, a return, a renewal, an in-house use, a payment, and a voided return."""
    monkeypatch.setattr(circexport, "generator_version", lambda: "0.1.0")
    ids = iter(range(1, 1000))  # ids are random UUIDs; fixed ones make the CSV comparable
    monkeypatch.setattr("shift.store.new_id", lambda: f"00000000-0000-4000-8000-{next(ids):012d}")

    def at(session, code, **delta):
        clock.advance(**delta)
        return circulation.scan(store, site.circulation, site.zone, shift, session, code)

    loans = ScanSession("loan")
    at(loans, card(1))
    at(loans, item(1))  # 19:30:00.000
    at(loans, item(2), minutes=1, seconds=15, milliseconds=250)  # 19:31:15.250
    returns = ScanSession("return")
    at(returns, item(3), minutes=8, seconds=50, milliseconds=255)  # 19:40:05.505
    renewals = ScanSession("renew")
    at(renewals, card(2), minutes=5)
    at(renewals, item(4))  # 19:45:05.505
    in_house = ScanSession("in_house")
    at(in_house, item(5), minutes=5)  # 19:50:05.505
    clock.advance(minutes=5)
    circulation.record_payment(store, shift, card(2), 250)  # 19:55:05.505
    at(returns, item(6), seconds=1)
    circulation.void_last(store, shift)
    return store


def expected(name: str) -> bytes:
    return (EXPECTED / name).read_bytes()


def test_alma_file_byte_for_byte(scenario, site, tmp_path):
    result = export(scenario, site, "alma", tmp_path / "out.dat")
    data = (tmp_path / "out.dat").read_bytes()
    assert data == expected("circ-scenario.dat")
    assert result.written == 4
    assert result.left_out == {"in-house uses (Alma files have no line for them)": 1,
                               "payments (Alma files have no line for them)": 1}
    lines = data.split(b"\r\n")
    assert lines[-1] == b""  # CRLF after every line, the last one too
    lines = lines[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    for line in lines:
        kind = line[12:13]
        assert line[:12].isdigit() and kind in (b"L", b"R")
        if kind == b"R":
            assert len(line) == 93
        else:
            assert len(line) == 12 + 1 + 80 + len(line[93:]) and line[93:] in (card(1).encode(), card(2).encode())
    assert lines[3].startswith(b"202611241945L")  # the renewal, as a loan


def test_koha_file_byte_for_byte_and_read_as_koha_reads_it(scenario, site, tmp_path):
    result = export(scenario, site, "koha", tmp_path / "out.koc")
    data = (tmp_path / "out.koc").read_bytes()
    assert data == expected("circ-scenario.koc")
    assert result.written == 5 and result.left_out == {"in-house uses (Koha files have no line for them)": 1}
    koc = read_koc(data)
    assert koc.error == "" and koc.rejected == []
    assert koc.header == {"Version": "1.0", "Generator": "Solo Shift", "GeneratorVersion": "0.1.0"}
    assert [r["command"] for r in koc.accepted] == ["issue", "issue", "return", "issue", "payment"]
    assert koc.accepted[1] == {"date": "2026-11-24", "time": "19:31:15", "id": "250", "command": "issue",
                               "cardnumber": card(1), "barcode": item(2)}
    assert koc.accepted[4]["amount"] == "2.50"


def test_the_koc_reader_refuses_another_version_and_bad_rows():
    body = "2026-11-24 19:30:00 000\treturn\t31000000000010\n"
    assert read_koc(f"Version=1.1\tGenerator=X\tGeneratorVersion=1\n{body}".encode()).error
    koc = read_koc(("Version=1.0\tGenerator=X\tGeneratorVersion=1\r\n"
                    f"{body}\n2026-11-24 19:30\treturn\tX\n"
                    "2026-11-24 19:30:00 000\tissue\t2100\n"
                    "2026-11-24 19:30:00 000\trenew\t2100\t3100\n"
                    "2026-11-24 19:30:00 000\tpayment\t2100\t$2\n").encode())
    assert koc.error == "" and len(koc.accepted) == 1
    assert [why.split()[0] for _, _, why in koc.rejected] == ["no", "timestamp", "issue", "unknown", "amount"]


def test_csv_for_people_byte_for_byte(scenario, site, tmp_path):
    result = export(scenario, site, "csv", tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == expected("circ-scenario.csv")
    assert result.written == 6 and result.left_out == {}


def test_csv_cells_are_neutralised():
    assert circexport.safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert [circexport.safe_cell(v) for v in ("+1", "-2", "@a", "a=b")] == ["'+1", "'-2", "'@a", "a=b"]
    assert circexport.safe_cell("a\x1b[31mb\tc") == "a␛[31mb␉c"
    txn = Transaction("id1", "s", datetime(2026, 1, 5, 15, tzinfo=timezone.utc), "loan", "31", "2", None,
                      "patron blocked: =cmd|' /C calc'!A0")
    text = circexport.render_csv([txn], ZoneInfo("America/Toronto")).data.decode("utf-8-sig")
    assert text.splitlines()[1] == "2026-01-05 10:00:00-05:00,loan,2,31,,patron blocked: =cmd|' /C calc'!A0,id1"


def test_each_format_exports_what_it_has_not_exported_yet(scenario, site, shift, tmp_path):
    first = export(scenario, site, "alma", tmp_path / "1.dat")
    again = export(scenario, site, "alma", tmp_path / "2.dat")
    assert first.written == 4 and again.path is None and again.written == 0
    assert not (tmp_path / "2.dat").exists()
    assert export(scenario, site, "koha", tmp_path / "1.koc").written == 5  # another format: all of them
    circulation.scan(scenario, site.circulation, site.zone, shift, ScanSession("return"), item(9))
    newer = export(scenario, site, "alma", tmp_path / "3.dat")
    assert newer.written == 1 and newer.left_out == {}  # the in-house use was settled by the first file
    assert (tmp_path / "3.dat").read_bytes().startswith(b"202611241955R" + item(9).encode())
    everything = export(scenario, site, "alma", tmp_path / "4.dat", include_all=True)
    assert everything.written == 5
    rows = scenario.rows("SELECT format, count FROM circ_exports ORDER BY rowid")
    assert [(r["format"], r["count"]) for r in rows] == [("alma", 4), ("koha", 5), ("alma", 1), ("alma", 5)]


def test_voided_transactions_are_never_exported(scenario, site, tmp_path):
    export(scenario, site, "csv", tmp_path / "all.csv", include_all=True)
    assert item(6).encode() not in (tmp_path / "all.csv").read_bytes()


def test_loans_whose_card_was_purged_are_left_out_and_counted(scenario, site, clock, tmp_path):
    export(scenario, site, "alma", tmp_path / "a.dat")
    clock.advance(days=15)
    result = export(scenario, site, "koha", tmp_path / "b.koc")
    assert result.purged == 3  # two loans and the renewal, uploaded 15 days ago
    redo = export(scenario, site, "koha", tmp_path / "c.koc", include_all=True)
    assert redo.written == 2  # the return and the payment (its card was never in an Alma file)
    assert redo.left_out[circexport._PURGED] == 3


def test_an_existing_file_is_never_replaced(scenario, site, tmp_path):
    target = tmp_path / "out.dat"
    target.write_bytes(b"an earlier export not yet uploaded")
    with pytest.raises(ExportError, match="already exists"):
        export(scenario, site, "alma", target)
    assert target.read_bytes() == b"an earlier export not yet uploaded"
    assert scenario.rows("SELECT COUNT(*) AS n FROM circ_exports")[0]["n"] == 0


def test_an_unwritable_place_writes_and_records_nothing(scenario, site, tmp_path, monkeypatch):
    with pytest.raises(ExportError, match="does not exist"):
        export(scenario, site, "alma", tmp_path / "no" / "such" / "out.dat")
    with pytest.raises(ExportError, match="is a folder"):
        export(scenario, site, "alma", tmp_path)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    folder = tmp_path / "usb"
    folder.mkdir()
    with pytest.raises(ExportError, match="Cannot write .*No space left on device"):
        export(scenario, site, "alma", folder / "out.dat")
    assert list(folder.iterdir()) == []  # no half file, no temporary file left behind
    assert scenario.rows("SELECT COUNT(*) AS n FROM circ_exports")[0]["n"] == 0


def test_the_screen_may_ask_for_the_folder_to_be_made(scenario, site, clock, tmp_path):
    folder = tmp_path / "exports"
    path = circexport.default_path(folder, "koha", clock.now(), site.zone, desk="main")
    assert path == folder / "circ-main-20261124-1955.koc"
    export(scenario, site, "koha", path, create_folder=True)
    assert circexport.default_path(folder, "koha", clock.now(), site.zone, "main").name == \
        "circ-main-20261124-1955-2.koc"
    assert circexport.default_path(folder, "csv", clock.now(), site.zone, "../2nd floor").name == \
        "circ-2nd-floor-20261124-1955.csv"  # a desk id never makes a path


# -- the command line ---------------------------------------------------------------


def run(*args, db):
    return subprocess.run([sys.executable, "main.py", "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_cli_export_prints_what_was_written_and_left_out(scenario, tmp_path):
    db = scenario.path
    scenario.close()  # the CLI needs the file to itself
    out = tmp_path / "out.dat"
    done = run("export", "circ", "--format", "alma", "--output", str(out), db=db)
    assert done.returncode == 0, done.stderr
    assert f"Wrote 4 transaction(s) to {out}" in done.stdout
    assert "Left out: in-house uses (Alma files have no line for them): 1." in done.stdout
    assert "Left out: payments (Alma files have no line for them): 1." in done.stdout
    assert out.read_bytes().count(b"\r\n") == 4
    again = run("export", "circ", "--format", "alma", "--output", str(tmp_path / "again.dat"), db=db)
    assert again.returncode == 0 and "Nothing new to export" in again.stdout
    everything = run("export", "circ", "--format", "alma", "--output", str(tmp_path / "all.dat"), "--all", db=db)
    assert "Wrote 4 transaction(s)" in everything.stdout


def test_cli_export_to_an_unwritable_path_exits_1_without_a_traceback(scenario, tmp_path):
    db = scenario.path
    scenario.close()
    done = run("export", "circ", "--format", "koha", "--output", str(tmp_path / "missing" / "x.koc"), db=db)
    assert done.returncode == 1
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr


def test_cli_refuses_a_database_another_copy_holds(scenario, tmp_path):
    done = run("export", "circ", "--format", "csv", "--output", str(tmp_path / "x.csv"), db=scenario.path)
    assert done.returncode == 1
    assert "already open in another copy" in done.stderr and "Traceback" not in done.stderr


def test_cli_import_blocked(tmp_path):
    db = tmp_path / "desk.db"
    good = tmp_path / "blocked.csv"
    good.write_text(f"patron,reason\n{card(1)},fines\n{card(2)},\n", encoding="utf-8")
    done = run("import", "blocked", str(good), db=db)
    assert done.returncode == 0, done.stderr
    assert "Imported 2 blocked card(s)" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(f"patron,reason\n{card(3)},fines\nbad card,x\n", encoding="utf-8")
    refused = run("import", "blocked", str(bad), db=db)
    assert refused.returncode == 1 and "Imported" not in refused.stdout
    assert f"{bad}:3: card 'bad card' contains spaces" in refused.stderr
    assert "nothing imported: the list in force is unchanged" in refused.stderr
    missing = run("import", "blocked", str(tmp_path / "nope.csv"), db=db)
    assert missing.returncode == 1 and "cannot be read" in missing.stderr and "Traceback" not in missing.stderr


def test_evergreen_file_byte_for_byte_and_read_as_evergreen_reads_it(scenario, site, tmp_path):
    result = export(scenario, site, "evergreen", tmp_path / "out.jsonl")
    data = (tmp_path / "out.jsonl").read_bytes()
    assert data == expected("circ-scenario.jsonl")
    assert result.written == 5 and result.left_out == {"payments (Evergreen files have no line for them)": 1}
    upload = read_offline(data)
    assert upload.rejected == []
    assert [c["type"] for c in upload.commands] == ["checkout", "checkout", "checkin", "renew", "in_house_use"]
    assert upload.commands[1] == {"timestamp": 1795566675, "type": "checkout", "delta": 0,
                                  "patron_barcode": card(1), "barcode": item(2),
                                  "checkout_time": "2026-11-25T00:31:15.250Z"}
    assert upload.commands[2]["backdate"] == "2026-11-25T00:40:05.505Z"  # returned when it was scanned


def test_the_evergreen_reader_refuses_what_evergreen_would_mishandle():
    upload = read_offline(b'{"timestamp":1,"type":"checkin","barcode":"31"}\n\nnot json\n'
                          b'{"timestamp":2,"type":"checkout","barcode":"31"}\n'
                          b'{"timestamp":3,"type":"register"}\n'
                          b'{"timestamp":4,"type":"checkin","barcode":"31","backdate":"2026-11-24"}\n')
    assert len(upload.commands) == 1
    assert [why.split()[0] for _, _, why in upload.rejected] == ["not", "no", "unknown", "backdate"]


def test_cli_import_blocked_refuses_what_is_not_a_card_of_this_site(tmp_path):
    # A blocked "card" the site's [circulation.patron] pattern refuses can never be scanned, so
    # it never warns: a list holding one is a wrong file or a wrong column, and changes nothing.
    db = tmp_path / "desk.db"
    good = tmp_path / "blocked.csv"
    good.write_text(f"patron,reason\n{card(1)},fines\n", encoding="utf-8")
    assert run("import", "blocked", str(good), db=db).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(f"patron,reason\n{card(3)},fines\n12345,short\n=cmd|calc,formula\n"
                   f"{card(4)[:-1]}{(int(card(4)[-1]) + 1) % 10},check digit\n{item(2)},an item\n", encoding="utf-8")
    refused = run("import", "blocked", str(bad), db=db)
    assert refused.returncode == 1 and "Imported" not in refused.stdout
    for line in (3, 4, 5, 6):
        assert f"{bad}:{line}: patron card" in refused.stderr, line
    assert "nothing imported: the list in force is unchanged" in refused.stderr
    assert count_blocked(db) == [card(1)]


def count_blocked(db):
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute(
            "SELECT patron FROM blocked_patrons WHERE list_id = "
            "(SELECT id FROM blocked_lists ORDER BY imported_at DESC, rowid DESC LIMIT 1)")]
    finally:
        conn.close()

"""Offline circulation, without the UI: scans, duplicates, blocked cards, undo, purge."""

import os
import sqlite3

import pytest

from conftest import local
from shift import circexport, circulation
from shift.barcodes import BarcodePattern, luhn_digit
from shift.circulation import BadScan, ScanSession, classify
from shift.siterecords import CirculationConfig


def card(n: int) -> str:
    """A valid patron card of the shipped site: 14 digits, prefix 2, Luhn."""
    body = f"2{n:012d}"
    return body + luhn_digit(body)


def item(n: int) -> str:
    """A valid item barcode of the shipped site: 14 digits, prefix 3, Luhn."""
    body = f"3{n:012d}"
    return body + luhn_digit(body)


def scan(store, site, shift, session, code):
    return circulation.scan(store, site.circulation, site.zone, shift, session, code)


def txn_rows(store):
    return store.rows("SELECT t.*, p.patron FROM circ_transactions t "
                      "LEFT JOIN circ_patrons p ON p.txn_id = t.id ORDER BY t.rowid")


# -- classify ------------------------------------------------------------------


def test_classify_cards_items_and_surrounding_whitespace(site):
    config = site.circulation
    assert classify(config, card(1), expecting_patron=False) == "patron"
    assert classify(config, item(1), expecting_patron=True) == "item"
    assert classify(config, f"  {item(1)}\r\n", expecting_patron=False) == "item"


def test_when_both_patterns_match_the_expected_kind_wins():
    anything = CirculationConfig(BarcodePattern("patron card"), BarcodePattern("item barcode"))
    assert classify(anything, "ABC123", expecting_patron=True) == "patron"
    assert classify(anything, "ABC123", expecting_patron=False) == "item"


def test_neither_pattern_gives_both_reasons(site):
    with pytest.raises(BadScan) as caught:
        classify(site.circulation, "12345", expecting_patron=False)
    message = str(caught.value)
    assert "neither a patron card nor an item barcode" in message
    assert "item barcode '12345' has 5 characters; expected 14" in message
    assert "patron card '12345' has 5 characters" in message
    bad_check = item(7)[:-1] + str((int(item(7)[-1]) + 1) % 10)
    with pytest.raises(BadScan, match="fails its check digit"):
        classify(site.circulation, bad_check, expecting_patron=False)


@pytest.mark.parametrize("junk, words", [
    ("3100\x1b[31m00", "control characters"),
    ("3100 0000", "spaces"),
    ("31000é", "not plain ASCII"),
])
def test_junk_is_refused_with_a_clear_message(site, junk, words):
    with pytest.raises(BadScan, match=words) as caught:
        classify(site.circulation, junk, expecting_patron=False)
    assert "\x1b" not in str(caught.value)  # shown as \x1b, never as a real escape


# -- scanning ----------------------------------------------------------------------


def test_a_loan_needs_a_card_first_and_is_committed_with_it(store, site, shift, tmp_path):
    session = ScanSession("loan")
    with pytest.raises(BadScan, match="scan the patron's card first"):
        scan(store, site, shift, session, item(1))
    assert txn_rows(store) == []

    result = scan(store, site, shift, session, card(1))
    assert (result.kind, result.patron, session.patron) == ("patron", card(1), card(1))
    result = scan(store, site, shift, session, item(1))
    assert result.kind == "recorded" and result.warnings == ()
    # Committed before returning: another connection sees it.
    other = sqlite3.connect(tmp_path / "desk.db")
    try:
        row = other.execute("SELECT t.action, t.item, p.patron FROM circ_transactions t "
                            "JOIN circ_patrons p ON p.txn_id = t.id").fetchall()
    finally:
        other.close()
    assert row == [("loan", item(1), card(1))]


def test_another_card_switches_patron(store, site, shift):
    session = ScanSession("loan")
    scan(store, site, shift, session, card(1))
    scan(store, site, shift, session, item(1))
    scan(store, site, shift, session, card(2))
    scan(store, site, shift, session, item(2))
    assert [(r["item"], r["patron"]) for r in txn_rows(store)] == [(item(1), card(1)), (item(2), card(2))]


def test_returns_and_in_house_use_need_no_card_and_store_none(store, site, shift):
    session = ScanSession("return")
    scan(store, site, shift, session, item(1))
    session.patron = card(1)  # a card scanned earlier is not attached to a return
    scan(store, site, shift, session, item(2))
    session.mode = "in_house"
    scan(store, site, shift, session, item(3))
    rows = txn_rows(store)
    assert [(r["action"], r["patron"]) for r in rows] == [("return", None), ("return", None), ("in_house", None)]


def test_a_duplicate_scan_is_not_recorded_again(store, site, shift, clock):
    session = ScanSession("return")
    scan(store, site, shift, session, item(1))
    clock.advance(seconds=2)
    result = scan(store, site, shift, session, item(1))
    assert result.kind == "duplicate" and result.transaction is None
    assert "already recorded at 19:30" in result.warnings[0]
    assert len(txn_rows(store)) == 1


def test_a_duplicate_loan_is_same_item_same_card(store, site, shift):
    session = ScanSession("loan")
    scan(store, site, shift, session, card(1))
    scan(store, site, shift, session, item(1))
    assert scan(store, site, shift, session, item(1)).kind == "duplicate"
    session.mode = "renew"  # a renewal after the loan is a new transaction
    assert scan(store, site, shift, session, item(1)).kind == "recorded"
    assert scan(store, site, shift, session, item(1)).kind == "duplicate"
    assert [r["action"] for r in txn_rows(store)] == ["loan", "renew"]


def test_a_loan_of_an_item_on_loan_to_another_card_is_recorded_with_a_warning(store, site, shift):
    session = ScanSession("loan")
    scan(store, site, shift, session, card(1))
    scan(store, site, shift, session, item(1))
    scan(store, site, shift, session, card(2))
    result = scan(store, site, shift, session, item(1))
    assert result.kind == "recorded"
    assert result.warnings == ("on loan to another card since 19:30",)
    rows = txn_rows(store)
    assert rows[-1]["warning"] == "on loan to another card since 19:30"
    assert card(1) not in rows[-1]["warning"]  # warnings are never purged: no card numbers in them


def test_after_a_void_the_same_scan_is_recorded_again(store, site, shift):
    session = ScanSession("return")
    scan(store, site, shift, session, item(1))
    assert circulation.void_last(store, shift).item == item(1)
    assert scan(store, site, shift, session, item(1)).kind == "recorded"


def test_after_an_upload_the_lsp_knows_better_than_the_desk(store, site, shift, tmp_path):
    session = ScanSession("return")
    scan(store, site, shift, session, item(1))
    circexport.export(store, site, "alma", tmp_path / "out.dat")
    # Loaned again in the LSP since, returned again at the desk: a new return.
    assert scan(store, site, shift, session, item(1)).kind == "recorded"


def test_a_scan_and_its_card_are_one_transaction(store, site, shift, monkeypatch):
    real_insert = store.insert

    def failing(table, row, **kw):
        if table == "circ_patrons":
            raise sqlite3.OperationalError("disk I/O error")
        return real_insert(table, row, **kw)

    monkeypatch.setattr(store, "insert", failing)
    session = ScanSession("loan", card(1))
    with pytest.raises(sqlite3.OperationalError):
        scan(store, site, shift, session, item(1))
    assert txn_rows(store) == []


# -- blocked patrons ---------------------------------------------------------------


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_import_blocked_and_warn_at_scan_time(store, site, shift, tmp_path):
    path = write(tmp_path, "blocked.csv", f"CardNumber,Reason\r\n{card(1)},Fines over $50\r\n{card(2)},\r\n",
                 encoding="utf-8-sig")
    assert circulation.import_blocked(store, path) == (2, [])
    assert circulation.blocked_reason(store, card(1)) == "Fines over $50"
    assert circulation.blocked_reason(store, card(2)) == "no reason given"
    assert circulation.blocked_reason(store, card(3)) is None

    session = ScanSession("loan")
    result = scan(store, site, shift, session, card(1))
    assert result.blocked == "Fines over $50" and "BLOCKED" in result.warnings[0]
    result = scan(store, site, shift, session, item(1))  # the person may still go on
    assert result.kind == "recorded" and result.warnings == ("patron blocked: Fines over $50",)
    assert txn_rows(store)[0]["warning"] == "patron blocked: Fines over $50"


def test_the_latest_list_is_in_force(store, tmp_path):
    circulation.import_blocked(store, write(tmp_path, "a.csv", f"patron\n{card(1)}\n"))
    circulation.import_blocked(store, write(tmp_path, "b.csv", f"barcode,reason\n{card(2)},lost card\n"))
    assert circulation.blocked_reason(store, card(1)) is None
    assert circulation.blocked_reason(store, card(2)) == "lost card"
    assert circulation.blocked_list(store).source == "b.csv"


def test_bad_rows_are_reported_by_file_and_line_and_nothing_is_imported(store, tmp_path):
    good = write(tmp_path, "good.csv", f"card,reason\n{card(2)},\"two\nlines\"\n\n{card(3)}\n")
    assert circulation.import_blocked(store, good) == (2, [])  # a quoted line break, a blank line: fine
    assert circulation.blocked_reason(store, card(2)) == "two\nlines".replace("\n", " ")
    path = write(tmp_path, "blocked.csv",
                 f"card,reason\n{card(1)},ok\n,no card\n1234 5678,space\n\n{card(4)}\n")
    count, problems = circulation.import_blocked(store, path)
    assert count == 0
    assert problems == [
        f"{path}:3: no card number in column 'card'",
        f"{path}:4: card '1234 5678' contains spaces",
        f"{path}: nothing imported: the list in force is unchanged",
    ]
    assert circulation.blocked_list(store).source == "good.csv"
    assert circulation.blocked_reason(store, card(1)) is None


@pytest.mark.parametrize("tail, where", [
    ('"{c}\n{d}\n', ":3: not readable as CSV"),  # a quote never closed would swallow the rest
    ('{c},"' + "x" * 200_000 + '"\n{d}\n', ":3: not readable as CSV"),  # a field over the CSV limit
], ids=["quote never closed", "oversized field"])
def test_a_file_that_cannot_be_read_whole_changes_nothing(store, tmp_path, tail, where):
    listing = "card\n" + "".join(f"{card(n)}\n" for n in range(10, 110))
    assert circulation.import_blocked(store, write(tmp_path, "full.csv", listing))[0] == 100
    path = write(tmp_path, "broken.csv", "card\n" + f"{card(1)}\n" + tail.format(c=card(2), d=card(3)))
    count, problems = circulation.import_blocked(store, path)
    assert count == 0
    assert any(where in p for p in problems), problems
    assert problems[-1].endswith("the list in force is unchanged")
    assert circulation.blocked_list(store).cards == 100 and circulation.blocked_reason(store, card(10))


@pytest.mark.parametrize("content, expected", [
    (b"name,reason\nx,y\n", ":1: no card column"),
    (b"", ": the file is empty"),
    (b"card\n\xff\xfe\n", ":2: not UTF-8"),
    (b"card\n", "no blocked card found: the list in force is unchanged"),
])
def test_a_bad_file_changes_nothing_and_says_why(store, tmp_path, content, expected):
    path = tmp_path / "blocked.csv"
    path.write_bytes(content)
    count, problems = circulation.import_blocked(store, path)
    assert count == 0
    assert any(expected in p for p in problems), problems
    assert circulation.blocked_list(store) is None


def test_an_unreadable_file_is_a_problem_not_a_traceback(store, tmp_path):
    count, problems = circulation.import_blocked(store, tmp_path / "missing.csv")
    assert count == 0 and "cannot be read" in problems[0]
    count, problems = circulation.import_blocked(store, tmp_path)  # a folder
    assert count == 0 and "cannot be read" in problems[0]


# -- undo, counts, payments, purge -------------------------------------------------


def test_void_last_undoes_the_last_live_unexported_scan(store, site, shift, tmp_path):
    assert circulation.void_last(store, shift) is None
    session = ScanSession("return")
    scan(store, site, shift, session, item(1))
    circexport.export(store, site, "csv", tmp_path / "out.csv")
    scan(store, site, shift, session, item(2))
    scan(store, site, shift, session, item(3))
    circulation.record_payment(store, shift, card(1), 250)  # the fee form's to correct
    assert circulation.void_last(store, shift).item == item(3)
    assert circulation.void_last(store, shift).item == item(2)
    assert circulation.void_last(store, shift) is None  # item 1 was exported
    assert store.rows("SELECT COUNT(*) AS n FROM circ_voids")[0]["n"] == 2


def test_counts_and_transactions_leave_out_voided(store, site, shift, clock):
    session = ScanSession("return")
    scan(store, site, shift, session, item(1))
    scan(store, site, shift, session, item(2))
    session.mode = "in_house"
    scan(store, site, shift, session, item(3))
    circulation.void_last(store, shift)
    start, end = local(2026, 11, 24, 0, 0), local(2026, 11, 25, 0, 0)
    assert circulation.counts_by_action(store, start, end) == {"return": 2}
    assert [t.item for t in circulation.transactions(store, start, end)] == [item(1), item(2)]
    every = circulation.transactions(store, start, end, include_voided=True)
    assert [t.voided for t in every] == [False, False, True]
    assert circulation.counts_by_action(store, local(2026, 11, 25, 0, 0), local(2026, 11, 26, 0, 0)) == {}


def test_record_payment_writes_the_transaction_and_its_card(store, shift):
    txn = circulation.record_payment(store, shift, card(1), 250)
    assert (txn.action, txn.amount_cents, txn.patron) == ("payment", 250, card(1))
    assert [(r["action"], r["amount_cents"], r["patron"]) for r in txn_rows(store)] == [("payment", 250, card(1))]
    with pytest.raises(ValueError):
        circulation.record_payment(store, shift, card(1), 0)
    with pytest.raises(ValueError):
        circulation.record_payment(store, shift, "12 34", 100)


def test_cards_are_purged_only_after_an_lsp_upload_old_enough(store, site, shift, clock, tmp_path):
    session = ScanSession("loan", card(1))
    scan(store, site, shift, session, item(1))
    circexport.export(store, site, "csv", tmp_path / "people.csv")  # not an upload
    clock.advance(days=30)
    assert circulation.purge_patrons(store, site.circulation) == 0
    scan(store, site, shift, session, item(2))
    circexport.export(store, site, "alma", tmp_path / "alma.dat")
    clock.advance(days=14)
    assert circulation.purge_patrons(store, site.circulation) == 0  # not *more* than 14 days yet
    clock.advance(seconds=1)
    assert circulation.purge_patrons(store, site.circulation) == 2
    assert [r["patron"] for r in txn_rows(store)] == [None, None]
    # Unexported cards cannot be purged at all (the schema's trigger).
    session.patron = card(2)
    scan(store, site, shift, session, item(3))
    with pytest.raises(sqlite3.IntegrityError):
        store.execute("DELETE FROM circ_patrons")


def test_purge_after_zero_days_purges_uploaded_cards_at_the_next_chance(store, site, shift, clock, tmp_path):
    site = site._replace(circulation=site.circulation._replace(purge_after_days=0))
    scan(store, site, shift, ScanSession("loan", card(1)), item(1))
    result = circexport.export(store, site, "alma", tmp_path / "a.dat")
    assert result.purged == 0  # exported this very moment
    clock.advance(seconds=1)
    assert circulation.purge_patrons(store, site.circulation) == 1


def test_mask_shows_only_the_last_four():
    assert circulation.mask(card(1)) == "••••••••••" + card(1)[-4:]
    assert circulation.mask(None) == ""
    assert circulation.mask("123") == "•••"


def test_local_times_use_the_site_zone(store, site, shift, clock):
    clock.advance(hours=1, minutes=35)  # 21:05 in Toronto, 02:05 UTC the next day
    session = ScanSession("return")
    scan(store, site, shift, session, item(1))
    clock.advance(minutes=1)
    assert "at 21:05" in scan(store, site, shift, session, item(1)).warnings[0]


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_blocked_list_that_is_a_pipe_or_huge_changes_nothing_and_never_hangs(store, tmp_path, kind):
    assert circulation.import_blocked(store, write(tmp_path, "ok.csv", f"card\n{card(1)}\n"))[0] == 1
    path = tmp_path / "blocked.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        with open(path, "wb") as handle:
            handle.write(b"card\n")
            handle.truncate(60_000_000)
    count, problems = circulation.import_blocked(store, path)
    assert count == 0 and "cannot be read" in problems[0]
    assert circulation.blocked_list(store).source == "ok.csv"

"""Fines and fees taken at the desk, and policy overrides."""

import sqlite3

import pytest

from conftest import shown
from shift import money
from shift.procedures import parse_procedure
from tui.app import SoloShiftApp


@pytest.mark.parametrize("text,cents", [("2.50", 250), ("$2.5", 250), ("12", 1200), (" 1,250.05 ", 125005)])
def test_amounts_are_read_as_cents(text, cents):
    assert money.parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "2.505", "-3", "0", "0.00", "$20000.00", "2.50; DROP"])
def test_bad_amounts_are_refused_with_a_message(text):
    with pytest.raises(ValueError, match="amount"):
        money.parse_amount(text)


def test_fees_are_recorded_and_summed_for_the_cash_count(store, site, shift):
    config = site.circulation
    money.record_fee(store, config, shift, "2.50", "cash", "R-1001", "Overdue fine")
    money.record_fee(store, config, shift, "$10", "cash", "R-1002", "Lost card")
    money.record_fee(store, config, shift, "4.00", "debit", "", "Printing")
    taken = money.fees(store, shift.id)
    assert [f.amount_cents for f in taken] == [250, 1000, 400]
    assert money.totals_by_method(taken) == {"cash": 1250, "debit": 400}
    summary = money.cash_summary(store, shift.id)
    assert "cash $12.50 in 2 payment(s)" in summary
    assert "R-1001, R-1002" in summary
    assert "debit $4.00 (not in the drawer)" in summary


def test_no_fees_says_so(store, shift):
    assert "No fines or fees" in money.cash_summary(store, shift.id)


def test_unknown_method_is_refused(store, site, shift):
    with pytest.raises(ValueError, match="payment method"):
        money.record_fee(store, site.circulation, shift, "1.00", "bitcoin")
    assert store.rows("SELECT * FROM fees") == []


def test_override_needs_what_why_and_who(store, shift):
    with pytest.raises(ValueError, match="who approved it"):
        money.record_override(store, shift, "Block lifted", "Says the fine is paid", " ")
    saved = money.record_override(store, shift, "Block lifted [fines]", "Says the fine is paid; needs the item tonight",
                                  "Manager on call")
    assert money.overrides(store, shift.id) == [saved]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("UPDATE overrides SET why = 'x'")


def test_a_step_can_show_the_fees_and_nothing_else(tmp_path):
    text = '''id = "c"
title = "C"
kind = "closing"
owner = "Coordinator"
reviewed = 2026-10-01

[[steps]]
id = "cash"
title = "Count the cash"
kind = "number"
show = "fees"

[[steps]]
id = "other"
title = "Other"
show = "weather"
'''
    procedure, problems = parse_procedure(text, tmp_path / "c.toml")
    assert procedure is None
    assert any("'weather' is not something a step can show" in p.message for p in problems)
    procedure, problems = parse_procedure(text.replace('show = "weather"\n', ""), tmp_path / "c.toml")
    assert procedure.steps[0].show == "fees" and procedure.steps[1].show == ""


async def test_fee_and_override_from_the_desk_are_saved_and_logged(store, site, shift):
    app = SoloShiftApp(store, site)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("dollar_sign")
        await pilot.pause()
        for key in "2.5":
            await pilot.press(key)
        await pilot.press("tab", "tab")
        for key in "R-77":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        rows = app.store.rows("SELECT amount_cents, method, receipt FROM fees")
        assert rows == [{"amount_cents": 250, "method": "cash", "receipt": "R-77"}]
        assert "$2.50 cash recorded" in shown(app, "#saved")
        await pilot.press("o")
        await pilot.pause()
        for key in "[b]lock":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        assert "Not saved: An override needs why, who approved it" in shown(app, "#money-error")
        assert app.store.rows("SELECT * FROM overrides") == []
        await pilot.press("escape")
        await pilot.pause()
        assert "fee taken: $2.50 cash" in shown(app, "#log")


def test_a_fee_with_a_patron_card_is_also_an_offline_payment(store, site, shift):
    from shift import circulation

    card = "20000000000014"  # the shipped site's pattern: 14 digits, prefix 2, Luhn
    money.record_fee(store, site.circulation, shift, "4.00", "cash", receipt="R-9", patron=card)
    [payment] = circulation.exportable(store, "koha")
    assert (payment.action, payment.patron, payment.amount_cents) == ("payment", card, 400)
    assert store.rows("SELECT amount_cents FROM fees") == [{"amount_cents": 400}]


def test_a_bad_card_on_a_fee_records_neither_fee_nor_payment(store, site, shift):
    with pytest.raises(ValueError, match="check digit"):
        money.record_fee(store, site.circulation, shift, "4.00", "cash", patron="20000000000018")
    assert store.rows("SELECT * FROM fees") == []
    assert store.rows("SELECT * FROM circ_transactions") == []

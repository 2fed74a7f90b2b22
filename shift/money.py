"""Money and overrides at the desk: fines and fees taken, policy overrides.

Both are append-only rows of the shift; the fees total is what the closing
cash count checks the drawer against.
"""

import re
from datetime import datetime
from typing import NamedTuple

from shift import circulation
from shift.clock import from_iso
from shift.shifts import Shift
from shift.siterecords import CirculationConfig
from shift.store import Store

MAX_CENTS = 1_000_000  # $10,000: anything above is a typing slip
_AMOUNT = re.compile(r"^\$?\s*(\d{1,7})(?:\.(\d{1,2}))?$")


class Fee(NamedTuple):
    id: str
    recorded_at: datetime
    amount_cents: int
    method: str
    receipt: str
    reason: str


class Override(NamedTuple):
    id: str
    recorded_at: datetime
    what: str
    why: str
    approved_by: str


def parse_amount(text: str) -> int:
    """'2.50', '$2.5' or '12' as cents; a clear ValueError for anything else."""
    match = _AMOUNT.match(text.strip().replace(",", ""))
    if not match:
        raise ValueError(f"'{text.strip()}' is not an amount: type dollars and cents, e.g. 2.50")
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents <= 0:
        raise ValueError("The amount must be more than $0.00")
    if cents > MAX_CENTS:
        raise ValueError("That amount is more than $10,000: check it")
    return cents


def dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def record_fee(store: Store, config: CirculationConfig, shift: Shift, amount: str, method: str,
               receipt: str = "", reason: str = "", patron: str = "") -> Fee:
    """A fee taken. With the patron's card (the main system is down), it is also an
    offline-circulation payment, so the Koha upload settles the patron's account;
    the card is kept only there, and purged after the upload like any other."""
    cents = parse_amount(amount)
    if method not in config.fee_methods:
        raise ValueError(f"'{method}' is not a payment method here ({', '.join(config.fee_methods)})")
    patron = patron.strip()
    if patron and (problem := config.patron.problem(patron)):
        raise ValueError(f"Not taken as a payment for the card: {problem}")
    with store.transaction():
        row = store.insert("fees", {
            "shift_id": shift.id, "recorded_at": store.now_iso(), "amount_cents": cents,
            "method": method, "receipt": receipt.strip(), "reason": reason.strip(),
        })
        if patron:
            circulation.record_payment(store, shift, patron, cents)
    return _fee(row)


def record_override(store: Store, shift: Shift, what: str, why: str, approved_by: str) -> Override:
    missing = [name for name, value in (("what was overridden", what), ("why", why),
                                         ("who approved it", approved_by)) if not value.strip()]
    if missing:
        raise ValueError(f"An override needs {', '.join(missing)}")
    row = store.insert("overrides", {
        "shift_id": shift.id, "recorded_at": store.now_iso(), "what": what.strip(),
        "why": why.strip(), "approved_by": approved_by.strip(),
    })
    return _override(row)


def fees(store: Store, shift_id: str) -> list[Fee]:
    return [_fee(r) for r in store.rows(
        "SELECT * FROM fees WHERE shift_id = ? ORDER BY recorded_at, rowid", (shift_id,))]


def overrides(store: Store, shift_id: str) -> list[Override]:
    return [_override(r) for r in store.rows(
        "SELECT * FROM overrides WHERE shift_id = ? ORDER BY recorded_at, rowid", (shift_id,))]


def totals_by_method(taken: list[Fee]) -> dict[str, int]:
    out: dict[str, int] = {}
    for fee in taken:
        out[fee.method] = out.get(fee.method, 0) + fee.amount_cents
    return out


def cash_summary(store: Store, shift_id: str) -> str:
    """One line for the closing cash count: what the drawer should hold beyond the float."""
    taken = fees(store, shift_id)
    if not taken:
        return "No fines or fees were recorded in Solo Shift this shift."
    by_method = totals_by_method(taken)
    cash = [f for f in taken if f.method == "cash"]
    receipts = ", ".join(f.receipt for f in cash if f.receipt) or "none recorded"
    others = "; ".join(f"{m} {dollars(c)}" for m, c in by_method.items() if m != "cash")
    line = (f"Recorded this shift: cash {dollars(by_method.get('cash', 0))} in {len(cash)} "
            f"payment(s), receipts {receipts}")
    return line + (f"; also {others} (not in the drawer)." if others else ".")


def _fee(row: dict) -> Fee:
    return Fee(row["id"], from_iso(row["recorded_at"]), row["amount_cents"], row["method"],
               row["receipt"], row["reason"])


def _override(row: dict) -> Override:
    return Override(row["id"], from_iso(row["recorded_at"]), row["what"], row["why"], row["approved_by"])

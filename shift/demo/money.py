"""Fines and fees taken at the desk, and policy overrides, through the desk's own functions."""

from __future__ import annotations

from shift import money
from shift.demo.base import Demo, DemoShift

FEES = (  # (amount, reason, weight)
    ("2.50", "Overdue fines", 30), ("5.00", "Replacement library card", 12), ("0.75", "Overdue fines", 20),
    ("12.00", "Overdue course reserve (4 hours late)", 6), ("1.50", "Printing", 15),
    ("35.00", "Lost item: processing fee", 3), ("8.25", "Overdue fines", 10),
)
METHOD_WEIGHT = {"cash": 40, "debit": 35, "credit": 20, "other": 5}
OVERRIDES = (
    ("Loaned a course reserve overnight", "Exam at 9:00; instructor's email shown", "D. Haddad, manager on call"),
    ("Renewed a recalled item once more", "Patron in hospital; family asked", "Coordinator (by phone)"),
    ("Waived a $2.50 overdue fine", "Book drop jammed over the weekend", "D. Haddad, manager on call"),
    ("Let a visitor without a card use a public computer", "Job application due tonight; guest login given",
     "Coordinator (by phone)"),
    ("Kept the group room past its booking", "Next booking cancelled; nobody waiting", "Shift lead (self)"),
)


class Receipts:
    """Receipt numbers from the cash book, in order."""

    def __init__(self) -> None:
        self.next = 10417

    def take(self) -> str:
        self.next += 1
        return f"R-{self.next}"


def write_money(demo: Demo, planned: DemoShift, receipts: Receipts) -> None:
    """Now and then a fee or two, rarely an override."""
    config = demo.site.circulation
    methods = [m for m in METHOD_WEIGHT if m in config.fee_methods] or list(config.fee_methods)
    weights = [METHOD_WEIGHT.get(m, 1) for m in methods]
    start, end = max(planned.start, planned.open_from), min(planned.end, planned.open_until)
    if end <= start:
        return
    for _ in range(demo.rng.choices((0, 1, 2, 3), (60, 25, 10, 5))[0]):
        amount, reason, _w = demo.rng.choices(FEES, [f[2] for f in FEES])[0]
        method = demo.rng.choices(methods, weights)[0]
        demo.at(start + (end - start) * demo.rng.random())
        take_fee(demo, planned, receipts, amount, method, reason)
    if demo.chance(0.04):
        demo.at(start + (end - start) * demo.rng.random())
        money.record_override(demo.store, planned.shift, *demo.pick(OVERRIDES))


def take_fee(demo: Demo, planned: DemoShift, receipts: Receipts, amount: str, method: str, reason: str,
             patron: str = "") -> None:
    """One fee at the desk's clock; with a card (the main system is down) also an offline payment."""
    money.record_fee(demo.store, demo.site.circulation, planned.shift, amount, method,
                     receipt=receipts.take() if method == "cash" else "", reason=reason, patron=patron)

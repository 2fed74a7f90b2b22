"""Offline circulation: now and then Alma is down and the desk scans loans, returns, renewals
and in-house use (F7), through the desk's own scan function; once Alma is back the desk
exports the session as an Alma file (Ctrl+X), which marks what it wrote. The last sessions
are not exported yet, as on a real desk waiting for the upload.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from shift import circexport, circulation
from shift.barcodes import BarcodePattern, luhn_digit
from shift.circulation import ScanSession
from shift.demo.base import Demo, DemoShift
from shift.demo.money import Receipts, take_fee

BLOCKED = (("Unpaid fines over $50", 2), ("Lost items not returned", 1), ("Card reported stolen", 1))
EXPORT_FORMAT = "alma"  # the site's LSP: the demo's exports are what the desk would upload


def make_barcode(demo: Demo, pattern: BarcodePattern) -> str:
    """A barcode the site's pattern accepts: its prefix, digits, and its check digit."""
    prefix = pattern.prefixes[0] if pattern.prefixes else ""
    length = max(pattern.min_length, len(prefix) + 2, min(14, pattern.max_length))
    body = prefix + "".join(demo.pick("0123456789") for _ in range(length - len(prefix) - 1))
    code = body + (luhn_digit(body) if pattern.check_digit == "luhn" else demo.pick("0123456789"))
    problem = pattern.problem(code)
    if problem:
        raise ValueError(f"the demo cannot make a {pattern.what} for this site: {problem}")
    return code


class Circulation:
    def __init__(self, demo: Demo, folder: Path, export_until: datetime) -> None:
        self.demo = demo
        self.folder = folder
        self.export_until = export_until  # sessions after this are left for the upload
        config = demo.site.circulation
        self.items = [make_barcode(demo, config.item) for _ in range(600)]
        self.patrons = [make_barcode(demo, config.patron) for _ in range(200)]
        self.blocked = self.patrons[:4]
        self.on_loan: dict[str, str] = {}  # item -> card, for renewals and returns
        self.waiting = False  # a session not yet exported
        self.files: list[Path] = []
        self._imported = False

    def write(self, planned: DemoShift, receipts: Receipts, force: bool = False) -> None:
        """Export what waits once Alma is back; now and then (or when `force`d) a session."""
        demo = self.demo
        start, end = max(planned.start, planned.open_from), min(planned.end, planned.open_until)
        if self.waiting and planned.start < self.export_until and demo.chance(0.8):
            self._export(planned.start + demo.minutes(5, 50))
        if end - start > timedelta(hours=2) and (force or demo.chance(0.035)):
            self._import_blocked(start)
            down = start + (end - start - timedelta(hours=1)) * demo.rng.random()
            self._session(planned, down, min(end, down + demo.minutes(30, 150)), receipts)

    def _import_blocked(self, at: datetime) -> None:
        """The blocked-patron list, imported once like `python main.py import blocked FILE`."""
        if self._imported:
            return
        self._imported = True
        rows = ["card,reason"] + [f"{card},{BLOCKED[n % len(BLOCKED)][0]}" for n, card in enumerate(self.blocked)]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "blocked-patrons.csv"
            path.write_text("\n".join(rows) + "\n")
            self.demo.at(at - timedelta(days=1))
            circulation.import_blocked(self.demo.store, path)

    def _session(self, planned: DemoShift, start: datetime, end: datetime, receipts: Receipts) -> None:
        demo = self.demo
        t = start
        while t < end:
            mode = demo.rng.choices(("loan", "return", "renew", "in_house"), (45, 35, 10, 10))[0]
            session = ScanSession(mode)
            if mode in ("loan", "renew"):
                mine = [i for i, p in self.on_loan.items() if p in self.patrons] if mode == "renew" else []
                card = (self.on_loan[demo.pick(mine)] if mine else
                        demo.pick(self.blocked) if demo.chance(0.03) else demo.pick(self.patrons[4:]))
                t = self._scan(planned, session, card, t)
                items = ([i for i, p in self.on_loan.items() if p == card][:2] if mode == "renew" else
                         [i for i in demo.rng.sample(self.items, 4) if i not in self.on_loan][:demo.rng.randint(1, 4)])
                for item in items:
                    t = self._scan(planned, session, item, t)
                    self.on_loan[item] = card
                if mode == "loan" and demo.chance(0.08):  # a fine paid while Alma is down: the card goes with it
                    demo.at(t + demo.seconds(20, 60))
                    take_fee(demo, planned, receipts, demo.pick(["2.50", "5.00", "0.75"]), "cash", "Overdue fines",
                             patron=card)
            else:
                loaned = list(self.on_loan)
                count = demo.rng.randint(1, 5)
                picks = (demo.rng.sample(loaned, min(count, len(loaned))) if mode == "return" and loaned
                         and demo.chance(0.5) else demo.rng.sample(self.items, count))
                for item in picks:
                    t = self._scan(planned, session, item, t)
                    if mode == "return":
                        self.on_loan.pop(item, None)
                    elif demo.chance(0.02):  # scanned twice: the desk records it once
                        t = self._scan(planned, session, item, t)
            if demo.chance(0.01):
                demo.at(t + demo.seconds(3, 10))
                circulation.void_last(demo.store, planned.shift)  # the wrong item: undone at once (u)
            t += demo.minutes(1, 7)
        self.waiting = True

    def _scan(self, planned: DemoShift, session: ScanSession, code: str, t: datetime) -> datetime:
        demo = self.demo
        t += demo.seconds(3, 12)
        demo.at(t)
        circulation.scan(demo.store, demo.site.circulation, demo.site.zone, planned.shift, session, code)
        return t

    def _export(self, at: datetime) -> None:
        """Alma is back: the desk writes the Alma file (Ctrl+X in F7) into its exports folder."""
        demo = self.demo
        demo.at(at)
        path = circexport.default_path(self.folder, EXPORT_FORMAT, at, demo.site.zone, demo.site.desks[0].id)
        result = circexport.export(demo.store, demo.site, EXPORT_FORMAT, path, create_folder=True)
        if result.path is not None:
            self.files.append(result.path)
        self.waiting = False

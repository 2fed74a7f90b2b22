"""Past shifts, newest first: open a shift's report, email it, or write it to a file.

The list and its counts come from `shift/pastshifts.py` (two queries for every
shift there is); this screen only shows them and carries out the keys.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from shift import pastshifts, report, reportmail
from shift.files import FileRefused
from shift.text import printable
from tui.ask import AskText
from tui.bindings import screen_commands
from tui.keybar import KeyBar

WORKER_WIDTH = 20  # so the six columns fit 80 columns


def _cell(text: str, right: bool = False) -> Text:
    # A Text, never a str: DataTable reads a str as markup, and a name is what someone typed.
    return Text(printable(text), justify="right" if right else "left", no_wrap=True, overflow="ellipsis")


class PastShiftsScreen(Screen[None]):
    AUTO_FOCUS = "#past-list"
    BINDINGS = [
        # Before the list's own Enter, so the help lists it (a click on a row still opens it).
        Binding("enter", "open", "Report", id="past.open", priority=True),
        Binding("e", "email", "Email it", id="past.email"),
        Binding("o", "write", "Write to file", id="past.write"),
        Binding("g", "go_to_date", "Go to date", id="past.date"),
        Binding("escape", "close", "Back", id="past.close"),
    ]
    HELP_NOTE = ("Newest first. Incidents filed in the shift, timed tasks missed, alarms raised. Enter shows the "
                 "report; e emails it to the manager (never a demo shift); o writes it as a printable page.")
    DEFAULT_CSS = """
    PastShiftsScreen #past-head { height: 1; padding: 0 1; background: $primary-muted; text-style: bold; }
    PastShiftsScreen #past-list { height: 1fr; }
    PastShiftsScreen #past-status { height: auto; max-height: 3; padding: 0 1; }
    PastShiftsScreen #past-status.error { color: $text-error; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.shifts: list[pastshifts.PastShift] = []
        self.said: dict[str, tuple[str, bool]] = {}  # what happened to a shift's report here (text, failed)

    def compose(self) -> ComposeResult:
        yield Static("Past shifts", id="past-head", markup=False)
        table: DataTable = DataTable(id="past-list", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="past-status", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#past-list", DataTable)
        for label, right in (("Date", False), ("Hours", False), ("Worker", False), ("Incidents", True),
                             ("Missed", True), ("Alarms", True)):
            table.add_column(_cell(label, right), key=label.lower())
        self.reload()

    def palette_commands(self):
        return screen_commands(self, "past shifts")

    def reload(self) -> None:
        table = self.query_one("#past-list", DataTable)
        try:
            self.shifts = pastshifts.past_shifts(self.app.store)
        except sqlite3.Error as exc:
            self._say(f"Could not read the shifts: {exc}", failed=True)
            return
        keep = table.cursor_row
        table.clear()
        site = self.app.site
        for shift in self.shifts:
            day, hours, worker, *counts = pastshifts.row_text(shift, site)
            if len(worker) > WORKER_WIDTH:
                worker = worker[:WORKER_WIDTH - 1] + "…"
            table.add_row(_cell(day), _cell(hours), _cell(worker), *(_cell(n, right=True) for n in counts),
                          key=shift.id)
        self.query_one("#past-head", Static).update(f"Past shifts: {len(self.shifts)}, newest first")
        if self.shifts:
            table.move_cursor(row=min(keep, len(self.shifts) - 1))
        self._show_status()

    def _current(self) -> pastshifts.PastShift | None:
        table = self.query_one("#past-list", DataTable)
        if not self.shifts or not 0 <= table.cursor_row < len(self.shifts):
            return None
        return self.shifts[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_status()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def _show_status(self) -> None:
        shift = self._current()
        if shift is None:
            self._say("No shift has been recorded yet.")
            return
        said = self.said.get(shift.id)
        if said is not None:
            self._say(*said)
        else:
            self._say(f"{shift.worker}, {self.app.site.desk_name(shift.desk)}: {pastshifts.mail_text(shift)}.")

    def _say(self, text: str, failed: bool = False) -> None:
        status = self.query_one("#past-status", Static)
        status.set_class(failed, "error")
        status.update(printable(text))

    # -- keys ---------------------------------------------------------------------

    def action_open(self) -> None:
        from tui.report import ReportScreen

        shift = self._current()
        if shift is not None:
            self.app.push_screen(ReportScreen(shift.id))

    def action_email(self) -> None:
        shift = self._current()
        if shift is None:
            return
        why = reportmail.refusal(self.app.store, self.app.site, shift.id)
        if why:
            self._tell(shift.id, f"Not emailed: {why}.", failed=True)
            return
        if self.app.timers is None:
            self._tell(shift.id, "Not emailed: the desk is still starting; try again in a moment.", failed=True)
            return
        self._tell(shift.id, "Emailing the report…")
        self.app.timers.send_report(shift.id, lambda ok, detail: self._emailed(shift.id, ok, detail))

    def _emailed(self, shift_id: str, ok: bool, detail: str) -> None:
        at = f"{self.app.clock.now().astimezone(self.app.site.zone):%H:%M}"
        text = f"Report {detail} at {at}." if ok else f"Report NOT emailed ({at}): {detail}"
        self.said[shift_id] = (text, not ok)
        if not ok:
            self.app.notify(text, title="Shift report", severity="error", markup=False, timeout=20)
        if self.is_attached:
            self.reload()

    def action_write(self) -> None:
        shift = self._current()
        if shift is None:
            return
        folder = self.app.store.path.parent / "exports"
        try:
            path = pastshifts.write_report(self.app.store, self.app.site, shift.id, folder)
        except (FileRefused, OSError, sqlite3.Error, ValueError) as exc:
            self._tell(shift.id, f"Not written: {exc}", failed=True)
            return
        self._tell(shift.id, f"Wrote {path} (a printable page, readable by you only).")
        self.app.notify(f"Report written to {path}", title="Shift report", markup=False)

    def _tell(self, shift_id: str, text: str, failed: bool = False) -> None:
        self.said[shift_id] = (text, failed)
        self._say(text, failed)

    def action_go_to_date(self) -> None:
        self.app.push_screen(AskText("Go to a date", "The date (YYYY-MM-DD): the list moves to its last shift, or "
                                                     "the nearest one before it.", enter="goes to the date"),
                             self._go_to)

    def _go_to(self, answer: str | None) -> None:
        if not answer:
            return
        try:
            day = date.fromisoformat(answer.strip())
        except ValueError:
            self._say(f"'{answer.strip()}' is not a date: write YYYY-MM-DD.", failed=True)
            return
        zone = self.app.site.zone
        # Newest first: the first shift that started on or before that day.
        row = next((n for n, s in enumerate(self.shifts) if s.started_at.astimezone(zone).date() <= day), None)
        if row is None:
            self._say(f"No shift on or before {report.day_text(day)}.", failed=True)
            return
        self.query_one("#past-list", DataTable).move_cursor(row=row)
        found = self.shifts[row].started_at.astimezone(zone).date()
        if found != day:  # said, also when the cursor was there already (it would seem to do nothing)
            self._say(f"No shift on {report.day_text(day)}: the nearest before it is on {report.day_text(found)}.")
        else:  # an earlier error goes, also when the cursor does not move
            self._show_status()

    def action_close(self) -> None:
        self.dismiss(None)

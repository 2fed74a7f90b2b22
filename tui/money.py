"""Money and overrides at the desk: a fine or fee taken, a policy override."""

from __future__ import annotations

import sqlite3

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from shift import money
from shift.shifts import Shift


class _RecordDialog(ModalScreen):
    """A small form: Tab moves, Enter or Ctrl+S saves, Esc cancels."""

    TITLE_TEXT = ""
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="money.save"),
        Binding("escape", "cancel", "Cancel", id="money.cancel"),
    ]

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.TITLE_TEXT, classes="title")
            with Grid(id="entry-grid"):
                yield from self.fields()
            yield Static("Tab moves · Enter or Ctrl+S saves · Esc cancels", classes="note", markup=False)
            yield Static("", id="money-error", classes="warning", markup=False)

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def action_save(self) -> None:
        try:
            saved = self.record()
        except (ValueError, sqlite3.Error) as exc:
            self.query_one("#money-error", Static).update(f"Not saved: {exc}")
            return
        self.dismiss(saved)

    def record(self):
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


class FeeScreen(_RecordDialog):
    TITLE_TEXT = "Fine or fee taken"

    def fields(self) -> ComposeResult:
        methods = self.app.site.circulation.fee_methods
        yield Label("Amount ($)")
        yield Input(placeholder="e.g. 2.50", id="amount", max_length=12)
        yield Label("Paid by")
        yield Select([(Content(m), m) for m in methods], value=methods[0], allow_blank=False, id="method")
        yield Label("Receipt no.")
        yield Input(id="receipt", max_length=40)
        yield Label("For")
        yield Input(placeholder="e.g. overdue fine, lost card, printing", id="reason")
        yield Label("Patron card")
        yield Input(placeholder="only if the main system is down (Koha upload)", id="patron",
                    max_length=40)

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    def record(self) -> money.Fee:
        return money.record_fee(
            self.app.store, self.app.site.circulation, self.shift, self.value("#amount"),
            str(self.query_one("#method", Select).value), self.value("#receipt"), self.value("#reason"),
            self.value("#patron"),
        )


class OverrideScreen(_RecordDialog):
    TITLE_TEXT = "Policy override"

    def fields(self) -> ComposeResult:
        yield Label("Overridden")
        yield Input(placeholder="e.g. fines block lifted for one loan", id="what")
        yield Label("Why")
        yield Input(placeholder="e.g. says the fine is paid; needs the item tonight", id="why")
        yield Label("Approved by")
        yield Input(placeholder="name and role", id="approved")

    def on_mount(self) -> None:
        self.query_one("#what", Input).focus()

    def record(self) -> money.Override:
        return money.record_override(self.app.store, self.shift, self.value("#what"), self.value("#why"),
                                     self.value("#approved"))

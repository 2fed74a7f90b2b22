"""Ending the shift: a handover note and follow-ups for the next person."""

from __future__ import annotations

import sqlite3

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from shift.shifts import Shift
from tui.keeptyping import KeepsTyping


class EndShiftScreen(KeepsTyping, ModalScreen[bool]):
    BINDINGS = [
        Binding("ctrl+s", "end", "End shift", id="endshift.confirm"),
        Binding("escape", "cancel", "Back to the desk", id="endshift.cancel"),
    ]

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("End the shift", classes="title")
            yield Label("Handover note for the next person")
            yield TextArea(id="handover")
            yield Label("Left unresolved (one per line; shown to every shift until resolved)")
            yield TextArea(id="followups-text")
            yield Static("Ctrl+S ends the shift · Esc goes back to the desk (what you typed is kept)",
                         classes="note", markup=False)
            yield Static("", id="end-error", markup=False)

    def on_mount(self) -> None:
        self.bring_back_typing()

    def unsaved_key(self) -> tuple[str, str]:
        return self.shift.id, "handover"

    def typed(self) -> dict[str, str]:
        return {name: self.query_one(f"#{name}", TextArea).text for name in ("handover", "followups-text")}

    def retype(self, fields: dict[str, str]) -> None:
        for name, text in fields.items():
            if self.query(f"#{name}"):
                self.query_one(f"#{name}", TextArea).text = text

    def action_end(self) -> None:
        note = self.query_one("#handover", TextArea).text
        followups = self.query_one("#followups-text", TextArea).text.splitlines()
        try:
            self.app.core.end_shift(self.shift, note, followups)
        except sqlite3.Error as exc:
            self.query_one("#end-error", Static).update(f"NOT saved: {exc}. Nothing was lost; try again.")
            return
        self.typing_done()
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

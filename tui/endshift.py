"""Ending the shift: what is still open, a handover note and follow-ups for the next person."""

from __future__ import annotations

import sqlite3

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from shift.shifts import HandoverMissing, Shift
from shift.text import printable
from tui.keeptyping import KeepsTyping

OPEN_ROWS = 4  # items shown at once, one line each; the rest scroll


class EndShiftScreen(KeepsTyping, ModalScreen[bool]):
    BINDINGS = [
        Binding("ctrl+s", "end", "End shift", id="endshift.confirm"),
        Binding("ctrl+n", "nothing", "Nothing to hand over", id="endshift.nothing"),
        Binding("escape", "cancel", "Back to the desk", id="endshift.cancel"),
    ]

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift
        self.nothing_to_hand_over = False

    def compose(self) -> ComposeResult:
        items = self.app.core.left_open(self.shift)
        with Vertical(id="dialog"):
            yield Label("End the shift", classes="title", id="end-title")
            if items:
                more = f" — {len(items) - OPEN_ROWS} more below: Shift+Tab, then ↓" if len(items) > OPEN_ROWS else ""
                yield Static(f"Still open ({len(items)}): say in the note what the next person should do{more}",
                             id="open-heading", classes="open", markup=False)
                with VerticalScroll(id="open-items"):
                    yield Static("\n".join(f"• {printable(item.text)}" for item in items), id="open-list",
                                 markup=False)
            else:
                yield Static("Nothing is left open.", id="open-heading", markup=False)
            yield Label("Handover note for the next person")
            yield TextArea(id="handover")
            yield Label("Left unresolved (one per line; shown to every shift until resolved)")
            yield TextArea(id="followups-text")
            yield Static("Ctrl+S end shift · Ctrl+N nothing to hand over · Esc back (kept)",
                         classes="note", markup=False)
            yield Static("", id="end-error", markup=False)

    def on_mount(self) -> None:
        self.bring_back_typing()
        self.query_one("#handover", TextArea).focus()

    def unsaved_key(self) -> tuple[str, str]:
        return self.shift.id, "handover"

    def typed(self) -> dict[str, str]:
        return {name: self.query_one(f"#{name}", TextArea).text for name in ("handover", "followups-text")}

    def retype(self, fields: dict[str, str]) -> None:
        for name, text in fields.items():
            if self.query(f"#{name}"):
                self.query_one(f"#{name}", TextArea).text = text

    def say(self, text: str, chosen: bool = False) -> None:
        line = self.query_one("#end-error", Static)
        line.set_class(chosen, "chosen")
        line.update(text)

    def action_nothing(self) -> None:
        self.nothing_to_hand_over = not self.nothing_to_hand_over
        if self.nothing_to_hand_over:
            self.say("Nothing to hand over: Ctrl+S ends the shift (Ctrl+N takes it back).", chosen=True)
        else:
            self.say("")

    def action_end(self) -> None:
        note = self.query_one("#handover", TextArea).text
        followups = self.query_one("#followups-text", TextArea).text.splitlines()
        try:
            self.app.core.end_shift(self.shift, note, followups, nothing_to_hand_over=self.nothing_to_hand_over)
        except HandoverMissing:
            self.say("Write a handover note, or press Ctrl+N: nothing to hand over.")
            self.query_one("#handover", TextArea).focus()
            return
        except sqlite3.Error as exc:
            self.say(f"NOT saved: {exc}. Nothing was lost; try again.")
            return
        self.typing_done()
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

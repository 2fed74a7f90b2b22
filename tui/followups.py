"""Follow-ups left by earlier shifts: see them, resolve them, add one."""

from __future__ import annotations

import sqlite3

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from shift.shifts import Shift, add_followup, deadline_text, open_followups, resolve_followup
from shift.text import printable


class FollowUpsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("r", "resolve", "Resolve selected", id="followups.resolve"),
        Binding("escape", "close", "Back", id="followups.close"),
    ]

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Follow-ups", classes="title")
            yield OptionList(id="followup-list", markup=False)
            yield Label("Add a follow-up (Enter saves it)")
            yield Input(placeholder="What needs doing", id="new-followup")
            yield Static("r resolves (asks what was done) · Tab moves · Esc goes back", classes="note",
                         markup=False)
            yield Static("", id="followup-status", markup=False)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self) -> None:
        listing = self.query_one(OptionList)
        listing.clear_options()
        zone = self.app.site.zone
        for item in open_followups(self.app.store):
            label = (f"{printable(item.text)}  "
                     f"({printable(item.worker)}, {item.created_at.astimezone(zone):%d %b %H:%M})")
            if deadline := deadline_text(item, self.app.clock.now(), zone):
                label = f"{deadline}: {label}"
            listing.add_option(Option(label, id=item.id))
        if listing.option_count:
            listing.highlighted = 0
        else:
            listing.add_option(Option("Nothing is waiting.", id="", disabled=True))

    def action_resolve(self) -> None:
        from tui.ask import AskText

        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            return
        option = listing.get_option_at_index(listing.highlighted)
        if not option.id:
            return
        item = next((f for f in open_followups(self.app.store) if f.id == option.id), None)
        if item is None:
            return
        ask = AskText(f"Resolve: {printable(item.text)}", "What was done? (a short note, e.g. \"Called IT, "
                      "ticket 4512\")", required=True)
        self.app.push_screen(ask, lambda note: self._resolved(item.id, note))

    def _resolved(self, followup_id: str, note: str | None) -> None:
        status = self.query_one("#followup-status", Static)
        if note is None:  # Esc: still open
            status.update("Not resolved: it stays open.")
            return
        try:
            resolve_followup(self.app.store, self.shift, followup_id, note)
        except (ValueError, sqlite3.Error) as exc:
            status.update(f"NOT saved: {exc}")
            return
        status.update("Resolved.")
        self.reload()
        self.query_one(OptionList).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            add_followup(self.app.store, self.shift, event.value)
        except (ValueError, sqlite3.Error) as exc:
            self.query_one("#followup-status", Static).update(f"NOT saved: {exc}")
            return
        event.input.value = ""
        self.query_one("#followup-status", Static).update("Added.")
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)

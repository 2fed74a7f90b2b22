"""Logging with details: a late entry, several at once, a channel, a READ level, a note."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from shift.hours import local_moment, parse_clock
from shift.shifts import Shift
from shift.tally import TallyEntry


class DetailEntryScreen(ModalScreen[TallyEntry | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save entry", id="entry.save"),
        Binding("escape", "cancel", "Cancel", id="entry.cancel"),
    ]

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift

    def compose(self) -> ComposeResult:
        config = self.app.site.tally
        now = self.app.clock.now().astimezone(self.app.site.zone)
        with Vertical(id="dialog"):
            yield Label("Log with details", classes="title")
            with Grid(id="entry-grid"):
                yield Label("What")
                yield Select([(Content(c.name), c.id) for c in config.categories],
                             value=config.categories[0].id, allow_blank=False, id="category")
                yield Label("How many")
                yield Input("1", id="quantity", restrict=r"[0-9]*", max_length=3)
                yield Label("Channel")
                yield Select([(Content(c.name), c.id) for c in config.channels],
                             value=config.default_channel, allow_blank=False, id="channel")
                yield Label("READ level")
                yield Select([(Content(f"READ {n}"), n) for n in range(1, 7)], prompt="not given", id="read")
                yield Label("At (HH:MM)")
                self.prefilled_at = f"{now:%H:%M}"
                yield Input(self.prefilled_at, id="at", max_length=5)
                yield Label("Note")
                yield Input(placeholder="optional", id="note")
            yield Static("Tab moves · Ctrl+S or Enter saves · Esc cancels", classes="note", markup=False)
            yield Static("", id="entry-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#category", Select).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def _moment(self, text: str) -> datetime:
        """HH:MM today, local; a time after now means yesterday (a shift past midnight)."""
        zone = self.app.site.zone
        now = self.app.clock.now()
        minutes = parse_clock(text)
        moment = local_moment(now.astimezone(zone).date(), minutes, zone)
        if moment > now:
            moment = local_moment(now.astimezone(zone).date().fromordinal(
                now.astimezone(zone).date().toordinal() - 1), minutes, zone)
        return moment

    def action_save(self) -> None:
        error = self.query_one("#entry-error", Static)
        quantity_text = self.query_one("#quantity", Input).value or "0"
        read = self.query_one("#read", Select).value
        try:
            at = self.query_one("#at", Input).value.strip()
            # The time left as offered is "now", to the second: not a late entry for the minute it opened.
            occurred = None if at == self.prefilled_at else self._moment(at)
            entry = self.app.core.tally(
                self.shift, str(self.query_one("#category", Select).value),
                channel=str(self.query_one("#channel", Select).value),
                read_level=read if isinstance(read, int) else None,
                note=self.query_one("#note", Input).value.strip(),
                quantity=int(quantity_text),
                occurred_at=occurred,
            )
        except (ValueError, sqlite3.Error) as exc:
            error.update(f"Not saved: {exc}")
            return
        self.dismiss(entry)

    def action_cancel(self) -> None:
        self.dismiss(None)

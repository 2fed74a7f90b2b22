"""Which format and which new file: the export is written from the dialog, so a bad path can be fixed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from shift.files import FileRefused
from shift.store import StoreError


class ExportDialog(ModalScreen[Any]):
    """A subclass names its formats, suggests a file for each, and writes; it is dismissed with
    what `write` returns, or None when cancelled."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog #dialog { width: 90; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    ExportDialog #export-grid { grid-size: 2; grid-columns: 12 1fr; height: auto; grid-gutter: 1 1; }
    ExportDialog #export-error { color: $text-error; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Export", id="export.save"),
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]
    TITLE_TEXT = ""
    NOTE = ""
    FORMATS: tuple[tuple[str, str], ...] = ()  # (label, format)

    def compose(self) -> ComposeResult:
        first = self.FORMATS[0][1]
        with Vertical(id="dialog"):
            yield Label(self.TITLE_TEXT, classes="title")
            with Grid(id="export-grid"):
                yield Label("Format")
                yield Select([(Content(label), fmt) for label, fmt in self.FORMATS], value=first,
                             allow_blank=False, id="format")
                yield Label("File")
                yield Input(str(self.suggested(first)), id="path")
                yield from self.options()
            yield Static(f"{self.NOTE} An existing file is never replaced. "
                         "Tab moves · Enter or Ctrl+S exports · Esc cancels", classes="note", markup=False)
            yield Static("", id="export-error", markup=False)

    def options(self) -> ComposeResult:
        """More rows for the grid (label, widget)."""
        yield from ()

    def suggested(self, fmt: str) -> Path:
        raise NotImplementedError

    def write(self, fmt: str, path: str) -> Any:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.query_one("#format", Select).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#path", Input)
        # Follow the format while the person has not typed a name of their own.
        if any(path.value == str(self.suggested(fmt)) for _, fmt in self.FORMATS):
            path.value = str(self.suggested(str(event.value)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        error = self.query_one("#export-error", Static)
        if not path:
            error.update("Give a file name.")
            return
        try:
            result = self.write(str(self.query_one("#format", Select).value), path)
        except (FileRefused, sqlite3.Error, StoreError) as exc:
            error.update(Content(f"Not exported: {exc}"))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

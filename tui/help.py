"""The help screen: every key the current screen answers to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,question_mark,q", "dismiss_help", "Close help", id="help.close")]

    def __init__(self, rows: list[tuple[str, str]], prefix_note: str = "", palette: bool = True) -> None:
        super().__init__()
        self.rows = rows
        self.prefix_note = prefix_note
        self.palette = palette  # off while locked: the help says only what works there

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label("Keys", classes="title")
            width = max((len(k) for k, _ in self.rows), default=4) + 2
            lines = [f"{key:<{width}}{description}" for key, description in self.rows]
            yield Static("\n".join(lines), markup=False, id="help-keys")
            if self.prefix_note:
                yield Static(self.prefix_note, markup=False, classes="note")
            palette = " Ctrl+P finds every command by name." if self.palette else ""
            yield Label(f"Press Esc to close.{palette}", classes="note")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

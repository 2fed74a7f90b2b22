"""Small questions asked in a dialog: a line of text, or yes/no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class AskText(ModalScreen[str | None]):
    """Ask for a line of text; Esc cancels. `required` refuses an empty answer."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ask.cancel")]

    def __init__(self, title: str, prompt: str, required: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, classes="title", markup=False)
            yield Static(self.prompt, markup=False)
            yield Input(id="answer")
            yield Static("Enter saves · Esc cancels", classes="note", markup=False)
            yield Static("", id="ask-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.required and not event.value.strip():
            self.query_one("#ask-error", Static).update("This needs an answer (Esc to cancel).")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question. With `enter_is_yes=False` only y says yes: for a question a
    reflexive Enter (the key that led here) must not answer."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("enter", "enter", "Yes", id="confirm.enter", show=False),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, enter_is_yes: bool = True) -> None:
        super().__init__()
        self.question = question
        self.enter_is_yes = enter_is_yes

    def compose(self) -> ComposeResult:
        keys = "y or Enter = yes" if self.enter_is_yes else "y = yes"
        with Vertical(id="dialog"):
            yield Static(self.question, markup=False, classes="title")
            yield Static(f"{keys} · n or Esc = no", classes="note", markup=False)

    def action_enter(self) -> None:
        if self.enter_is_yes:
            self.dismiss(True)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

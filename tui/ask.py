"""Small questions asked in a dialog: a line of text, or yes/no."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class AnswerInput(Input):
    """The answer's line. From the Enter that submits it, no later key is added to it.

    Keys typed in one burst (a keyboard wedge, a paste, fast fingers: "Enter ↓ a") reach
    this widget before the Enter's action has run and the dialog has closed; Input would
    type the "a" into the text being saved. So the line closes as Enter reaches it, and
    the keys behind it are dropped (counted in `ignored`), never typed into the answer.
    """

    def __init__(self, value: str = "") -> None:
        super().__init__(value, id="answer", select_on_focus=False)  # a given start is added to, not replaced
        self.closed = False
        self.ignored = 0

    async def _on_key(self, event: events.Key) -> None:
        # Runs before Input's own handler (Textual calls each class's handler in MRO order):
        # prevent_default keeps Input from typing the key, stop keeps it from a binding.
        if self.closed:
            self.ignored += 1
            event.stop()
            event.prevent_default()
        elif event.key == "enter":
            self.closed = True  # the Enter itself goes on to Input's submit binding

    def _on_paste(self, event: events.Paste) -> None:
        if self.closed:
            self.ignored += 1
            event.stop()
            event.prevent_default()

    def reopen(self) -> None:
        """The answer was refused (empty): typing goes on."""
        self.closed = False
        self.ignored = 0


class AskText(ModalScreen[str | None]):
    """Ask for a line of text; Esc cancels. `required` refuses an empty answer.
    `value` starts the line with text to edit. After the answer is given, keys typed
    behind the Enter are ignored (`ignored` says how many), never added to it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ask.cancel")]

    def __init__(self, title: str, prompt: str, required: bool = False, value: str = "",
                 enter: str = "saves") -> None:
        super().__init__()
        self.enter = enter  # what Enter does, said under the line
        self.title_text = title
        self.prompt = prompt
        self.required = required
        self.value = value
        self.answered = False
        self.ignored = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, classes="title", markup=False)
            yield Static(self.prompt, markup=False)
            yield AnswerInput(self.value)
            yield Static(f"Enter {self.enter} · Esc cancels", classes="note", markup=False)
            yield Static("", id="ask-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(AnswerInput).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # the Enter that answered this dialog goes no further
        if self.answered:
            return
        answer = self.query_one(AnswerInput)
        if self.required and not event.value.strip():
            answer.reopen()
            self.query_one("#ask-error", Static).update("This needs an answer (Esc to cancel).")
            return
        self.answer(event.value)

    def answer(self, value: str | None) -> None:
        self.answered = True
        answer = self.query_one(AnswerInput)
        answer.closed = True
        self.ignored = answer.ignored
        if self.ignored:
            keys = "1 key" if self.ignored == 1 else f"{self.ignored} keys"
            self.app.notify(f"{keys} typed right after Enter {'was' if self.ignored == 1 else 'were'} "
                            "ignored (not added to the answer).", markup=False)
        self.dismiss(value)

    def action_cancel(self) -> None:
        if not self.answered:
            self.answer(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question. With `enter_is_yes=False` only y says yes: for a question a
    reflexive Enter (the key that led here) must not answer. With `enter_is_no=True` that
    Enter answers no: the default for recording something out of the ordinary."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("enter", "enter", "Yes", id="confirm.enter", show=False),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, enter_is_yes: bool = True, enter_is_no: bool = False) -> None:
        super().__init__()
        self.question = question
        self.enter_is_yes = enter_is_yes and not enter_is_no
        self.enter_is_no = enter_is_no

    def compose(self) -> ComposeResult:
        yes = "y or Enter = yes" if self.enter_is_yes else "y = yes"
        no = "n, Enter or Esc = no" if self.enter_is_no else "n or Esc = no"
        with Vertical(id="dialog"):
            yield Static(self.question, markup=False, classes="title")
            yield Static(f"{yes} · {no}", classes="note", markup=False)

    def action_enter(self) -> None:
        if self.enter_is_yes or self.enter_is_no:
            self.dismiss(self.enter_is_yes)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

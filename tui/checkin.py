"""Check-in and panic dialogs, reachable from every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

PANIC_SECONDS = 5


class CheckinScreen(ModalScreen[str | None]):
    """Enter checks in. A code may be typed first; the screen is the same whatever it is."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="checkin.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Check in", classes="title")
            yield Static("Press Enter to check in (type your code first if you use one).", markup=False)
            yield Input(password=True, id="code", max_length=8, restrict=r"[0-9]*")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PanicScreen(ModalScreen[bool]):
    """A five-second countdown: Esc cancels, otherwise the alarm is raised."""

    BINDINGS = [Binding("escape", "cancel", "Cancel the alarm", id="panic.cancel", priority=True)]

    def __init__(self) -> None:
        super().__init__()
        self.left = PANIC_SECONDS

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="panic"):
            yield Label("PANIC ALARM", classes="title")
            yield Static("", id="countdown", markup=False)
            yield Static("Press Esc to cancel.", markup=False)

    def on_mount(self) -> None:
        self.show()
        self.timer = self.set_interval(1, self.tick)

    def show(self) -> None:
        self.query_one("#countdown", Static).update(f"Raising the alarm in {self.left} s")

    def tick(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.timer.stop()
            self.dismiss(True)
        else:
            self.show()

    def action_cancel(self) -> None:
        self.timer.stop()
        self.dismiss(False)


class SnoozeScreen(ModalScreen[int | None]):
    BINDINGS = [
        Binding("1", "pick(5)", "5 minutes", id="snooze.5"),
        Binding("2", "pick(10)", "10 minutes", id="snooze.10"),
        Binding("3", "pick(15)", "15 minutes", id="snooze.15"),
        Binding("escape", "pick(0)", "Cancel", id="snooze.cancel"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.task_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Snooze: {self.task_title}", markup=False, classes="title")
            yield Static("1 = 5 min · 2 = 10 min · 3 = 15 min · Esc = cancel", markup=False)

    def action_pick(self, minutes: int) -> None:
        self.dismiss(minutes or None)

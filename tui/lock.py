"""The lock screen: covers the whole desk until a staff PIN is entered.

A full screen (not a dialog), so nothing of the screens under it is drawn: no card
number, name or report. It shows the library's name, the time, the PIN field, the
safety keys, and the check-in line when check-ins are on (an alarm, a check-in due),
with the bell the timers ring as on every screen. F8, F5 and F12 are the app's own
priority keys: they work here exactly as everywhere, and the timers never stop. What
they open (the emergency picker, a walkthrough, a check-in) comes back here when left.
Every rule (the PIN, the wait after wrong tries) is shift/lock.py's.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from shift import lock
from shift.files import FileRefused
from shift.text import printable
from tui.messages import DeskChanged

if TYPE_CHECKING:
    from tui.app import SoloShiftApp


class LockScreen(Screen[None]):
    DEFAULT_CSS = """
    LockScreen { align: center middle; background: $background; }
    #lock-box { width: 60; max-width: 100%; height: auto; border: thick $primary; padding: 1 2; }
    #lock-box Static { width: 100%; text-align: center; }
    #lock-name { text-style: bold; }
    #lock-clock { text-style: bold; margin-bottom: 1; }
    #lock-emergency { height: auto; margin-bottom: 1; }
    #lock-message { color: $text-error; text-style: bold; height: auto; }
    #lock-checkin { height: auto; margin-top: 1; }
    #lock-checkin.level-warning { color: $text-warning; text-style: bold; }
    #lock-checkin.level-error { color: $text; background: $error; text-style: bold; }
    #lock-due { height: auto; color: $text-warning; }
    #lock-keys { margin-top: 1; color: $text-muted; }
    """
    NO_TOASTS = True  # a toast may name the worker (a report emailed): held until unlocked (tui/toasts.py)
    HELP_NOTE = "Locked: enter a staff PIN. F8, F5 and F12 work here as on every screen."
    AUTO_FOCUS = "#lock-pin"

    app: "SoloShiftApp"

    def __init__(self, pins: list[lock.PinHash], pins_file: str) -> None:
        super().__init__()
        self.pins = pins  # as they were when it locked: a file removed meanwhile never locks anyone out
        self.pins_file = pins_file
        self.checking = False
        self.said = ""  # the last outcome ("Wrong PIN."), shown until the next try

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(printable(self.app.site.name), id="lock-name", markup=False)
            yield Static("", id="lock-clock", markup=False)
            yield Static("", id="lock-emergency", classes="warning", markup=False)
            yield Static("Locked: enter your PIN", id="lock-prompt", markup=False)
            yield Input(password=True, id="lock-pin", max_length=lock.PIN_DIGITS[1], restrict=r"[0-9]*")
            yield Static("", id="lock-message", markup=False)
            yield Static("", id="lock-checkin", markup=False)
            yield Static("", id="lock-due", markup=False)
            yield Static("", id="lock-keys", markup=False)

    def on_mount(self) -> None:
        app = self.app
        self.query_one("#lock-keys", Static).update(
            f"{app.key_for('emergency.open')} Emergency · {app.key_for('checkin.now')} Check in · "
            f"{app.key_for('checkin.panic')} Panic")
        self.tick()
        self.show_desk_state()
        self.set_interval(1, self.tick)

    def tick(self, now: datetime | None = None) -> None:
        """The time, and how long the wait after wrong tries still runs (each second)."""
        now = now or self.app.clock.now()
        self.query_one("#lock-clock", Static).update(f"{now.astimezone(self.app.site.zone):%H:%M}")
        left = self.app.lock_tries.wait_left(now)
        message = self.said
        if left:
            message = f"{self.said} {lock.wait_text(left)}".strip()
        elif self.checking:
            message = "Checking…"
        self.query_one("#lock-message", Static).update(message)

    def on_desk_changed(self, message: DeskChanged) -> None:
        self.show_desk_state()

    def show_desk_state(self) -> None:
        """An emergency in progress, the check-in line (an alarm raised, a check-in due) and what
        timed tasks are due: the worker coming back sees them before unlocking. Task titles are the
        site's, never a person's."""
        from tui.desk import checkin_line
        from tui.start import emergency_lines

        app = self.app
        now = app.clock.now()
        shift = app.core.shift()
        emergency = self.query_one("#lock-emergency", Static)
        lines = emergency_lines(app)  # left from the lock screen: the way back in stays in sight
        emergency.display = bool(lines)
        emergency.update("\n".join(lines))
        line = self.query_one("#lock-checkin", Static)
        line.display = shift is not None and app.site.checkins is not None
        due = self.query_one("#lock-due", Static)
        due.display = False
        if shift is None:
            return
        if line.display:
            text, level = checkin_line(app, shift, now)
            for name in ("warning", "error"):
                line.set_class(level == name, f"level-{name}")
            line.update(text)
        items = app.core.due_items(shift, now)
        if items:
            more = f" (+{len(items) - 1} more)" if len(items) > 1 else ""
            due.update(f"Due now: {printable(items[0].prompt.task.title)}{more}")
            due.display = True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        pin = event.value
        event.input.value = ""
        if self.checking or not pin:
            return
        now = self.app.clock.now()
        if self.app.lock_tries.wait_left(now):
            self.said = "Not checked."  # not tried at all: a try during the wait cannot guess faster
            self.tick(now)  # the same moment: the wait that refused it is said with it
            return
        self.checking = True
        self.said = ""
        self.tick()
        self.check_pin(pin)

    @work(thread=True, exclusive=True, group="lock")
    def check_pin(self, pin: str) -> None:
        """scrypt takes a while on purpose: off the loop, so F8 and the timers never wait for it."""
        try:  # read afresh: a PIN set meanwhile works at once
            fresh = lock.read_pins(Path(self.pins_file))
        except FileRefused:
            fresh = []
        names = {p.name for p in fresh}
        who = lock.verify(fresh + [p for p in self.pins if p.name not in names], pin)
        self.app.call_from_thread(self.checked, who)

    def checked(self, who: str | None) -> None:
        self.checking = False
        if who is None:
            self.app.lock_wrong_pin()
            self.said = "Wrong PIN."
            self.tick()
            return
        self.app.unlocked(who)

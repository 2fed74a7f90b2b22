"""The floor for bench/emergency_key.py: a bare Textual app that does the same two screen switches.

    python bench/_bare_emergency.py

A first screen with a line of text; F8 pushes a modal list of protocols, `f` on it dismisses the
list and pushes a screen whose first line is the dial line ("DIAL 9-911"); Esc goes back. No database, no site
file, no timers: what Textual itself takes to switch screens twice in a real terminal.
"""

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

PROTOCOLS = {"f": "Fire alarm", "m": "Medical emergency", "d": "Disruptive person", "o": "Overdose",
             "p": "Power outage", "w": "Flood", "l": "Lockdown"}


class Picker(ModalScreen[str]):
    DEFAULT_CSS = "#picker { width: 70; height: auto; border: thick $error; background: $surface; }"

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("EMERGENCY — press the protocol's key")
            yield Static("\n".join(f"{key}  {title}" for key, title in PROTOCOLS.items()))

    def on_key(self, event) -> None:
        if event.key in PROTOCOLS:
            self.dismiss(event.key)


class Dial(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    DEFAULT_CSS = "#dial { height: 1; background: $error; text-style: bold; }"

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key_pressed = key

    def compose(self) -> ComposeResult:
        yield Static("DIAL 9-911   ·   Campus Security: 905-555-0100", id="dial")
        yield Static("Address for 911: 1 Library Road")
        yield Static(f"{PROTOCOLS[self.key_pressed]} · Step 1: make sure the alarm is sounding")


class Bare(App):
    BINDINGS = [Binding("f8", "emergency", "Emergency", priority=True)]

    def compose(self) -> ComposeResult:
        yield Static("On duty: Bench Worker")

    def action_emergency(self) -> None:
        self.push_screen(Picker(), lambda key: self.push_screen(Dial(key)) if key else None)


if __name__ == "__main__":
    Bare().run()

"""A key bar: the keys of the current screen, drawn as plain text.

Textual's Footer re-composes a widget per key whenever bindings change, which
made it the slowest part of opening the desk; the desk's keys do not change
while a screen is up, so one Static drawn once serves the same purpose.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Input, Static, TextArea

from shift.keymap import key_label, types_text


class KeyBar(Static):
    """One line: the safety keys first, then the screen's keys as far as they fit, and the
    help key (every key of the screen) last, always shown."""

    parts: list[Content] = []
    help_part: Content | None = None

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $panel; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.call_after_refresh(self.show_keys)
        # Moving into or out of a text field changes which keys work: the bar follows the focus.
        self.watch(self.screen, "focused", self._focus_moved, init=False)

    def _focus_moved(self, before: object, after: object) -> None:
        if isinstance(before, (Input, TextArea)) != isinstance(after, (Input, TextArea)):
            self.show_keys()

    def show_keys(self) -> None:
        parts: list[Content] = []
        seen: set[str] = set()
        self.help_part = None
        # In a text field a letter is typed, not a key for the screen: only keys that work there.
        typing = isinstance(self.screen.focused, (Input, TextArea))
        # App-wide keys (emergency, check-in) first, so they show however narrow the screen.
        ordered = sorted(self.screen.active_bindings.values(), key=lambda active: not active.binding.priority)
        for active in ordered:
            binding = active.binding
            if not binding.show or binding.action in seen or (typing and types_text(binding.key)):
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            if binding.action == "help":
                self.help_part = Content.assemble((key, "bold $accent"), " all keys")
                continue
            parts.append(Content.assemble((key, "bold $accent"), " ", binding.description))
        parts.append(Content.assemble((key_label("ctrl+p"), "bold $accent"), " palette"))
        self.parts = parts
        self.lay_out()

    def on_resize(self) -> None:
        if self.parts:  # not before show_keys: an empty bar needs no layout of its own
            self.lay_out()

    def lay_out(self) -> None:
        """As many keys as fit on the line, never half of one; the help key always."""
        width = max(self.content_size.width, 20)
        last = [self.help_part] if self.help_part is not None else []
        room = width - sum(part.cell_length + 2 for part in last)
        shown: list[Content] = []
        for part in self.parts:
            need = part.cell_length + (2 if shown else 0)
            if need > room:
                break
            shown.append(part)
            room -= need
        # Toasts rise above the key bar, never over it (Textual's rack leaves one line).
        for rack in self.screen.query("ToastRack"):
            rack.styles.margin = (0, 0, 1, 0)
        text = Content("  ").join(shown + last)
        if text != self.content:  # a resize mostly keeps the same line: no layout then
            self.update(text)

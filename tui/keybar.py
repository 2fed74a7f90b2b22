"""A key bar: the keys of the current screen, drawn as plain text.

Textual's Footer re-composes a widget per key whenever bindings change, which
made it the slowest part of opening the desk; the desk's keys do not change
while a screen is up, so one Static drawn once serves the same purpose.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class KeyBar(Static):
    parts: list[Content] = []

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: auto; max-height: 3; background: $panel; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.call_after_refresh(self.show_keys)

    def show_keys(self) -> None:
        parts: list[Content] = []
        seen: set[str] = set()
        # App-wide keys (emergency, check-in, help) first, so they show however narrow the screen.
        ordered = sorted(self.screen.active_bindings.values(), key=lambda active: not active.binding.priority)
        for active in ordered:
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            parts.append(Content.assemble((key, "bold $accent"), " ", binding.description))
        parts.append(Content.assemble(("^p", "bold $accent"), " palette"))
        self.parts = parts
        self.lay_out()

    def on_resize(self) -> None:
        if self.parts:  # not before show_keys: an empty bar needs no layout of its own
            self.lay_out()

    def lay_out(self) -> None:
        """Break between keys, never inside one, when they do not fit on one line."""
        width = max(self.content_size.width, 20)
        lines: list[list[Content]] = [[]]
        used = 0
        for part in self.parts:
            need = part.cell_length + (2 if lines[-1] else 0)
            if lines[-1] and used + need > width:
                lines.append([])
                used, need = 0, part.cell_length
            lines[-1].append(part)
            used += need
        # Toasts rise above the key bar, never over it (Textual's rack leaves one line).
        for rack in self.screen.query("ToastRack"):
            rack.styles.margin = (0, 0, len(lines), 0)
        text = Content("\n").join(Content("  ").join(line) for line in lines)
        if text != self.content:  # a resize mostly keeps the same lines: no layout then
            self.update(text)

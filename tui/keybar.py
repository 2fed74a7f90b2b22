"""A one-line key bar: the keys of the current screen, drawn as plain text.

Textual's Footer re-composes a widget per key whenever bindings change, which
made it the slowest part of opening the desk; the desk's keys do not change
while a screen is up, so one Static drawn once serves the same purpose.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $panel; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.call_after_refresh(self.show_keys)

    def show_keys(self) -> None:
        parts: list[Content] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            parts.append(Content.assemble((key, "bold $accent"), " ", binding.description))
        parts.append(Content.assemble(("^p", "bold $accent"), " palette"))
        self.update(Content("  ").join(parts))

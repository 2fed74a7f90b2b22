"""The sweep checklist: one line per zone, one key per result, and what to tell
the fire department, all on one screen."""

from __future__ import annotations

import sqlite3

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from shift import sweep
from shift.text import printable
from tui.ask import AskText


class SweepScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    #sweep-box { width: 90%; height: auto; max-height: 100%; border: thick $error; background: $surface; padding: 0 1; }
    #sweep-summary { margin-top: 1; text-style: bold; color: $warning; }
    #sweep-error { color: $error; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Previous zone", id="sweep.up", show=False),
        Binding("down", "move(1)", "Next zone", id="sweep.down", show=False),
        Binding("c", "mark('clear')", "Clear", id="sweep.clear"),
        Binding("r", "mark('refused')", "Refused to leave", id="sweep.refused"),
        Binding("a", "mark('assistance')", "Needs assistance", id="sweep.assistance"),
        Binding("u", "mark('not_checked')", "Not checked", id="sweep.unchecked"),
        Binding("enter", "finish", "Sweep done", id="sweep.done"),
        Binding("escape", "leave", "Back", id="sweep.leave"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.cursor = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-box"):
            yield Static("Floor sweep — ↑↓ zone · c clear · r refused · a needs assistance · u not checked · "
                         "Enter done", classes="title", markup=False)
            yield Static("", id="sweep-zones", markup=False)
            yield Static("", id="sweep-summary", markup=False)
            yield Static("", id="sweep-error", markup=False)

    def on_mount(self) -> None:
        self.show()

    def zones(self):
        return self.app.site.zones

    def show(self) -> None:
        found = sweep.results(self.app.store, self.run_id, self.zones())
        lines = []
        for index, result in enumerate(found):
            mark = "▶" if index == self.cursor else " "
            detail = f" — {printable(result.detail)}" if result.detail else ""
            lines.append(f"{mark} {printable(result.zone.name)}: {sweep.STATUSES[result.status]}{detail}")
        self.query_one("#sweep-zones", Static).update("\n".join(lines) or "No zones in site.toml.")
        summary = sweep.fire_department_summary(found)
        self.query_one("#sweep-summary", Static).update(
            "For the fire department:\n" + "\n".join(f"  {printable(line)}" for line in summary))

    def action_move(self, delta: int) -> None:
        if self.zones():
            self.cursor = (self.cursor + delta) % len(self.zones())
            self.show()

    @work(exclusive=True)
    async def action_mark(self, status: str) -> None:
        if not self.zones():
            return
        zone = self.zones()[self.cursor]
        detail = ""
        if status in ("refused", "assistance"):
            prompt = ("Where is the person? Describe them neutrally (\"appears to be...\")."
                      if status == "refused" else "Which area of refuge, and who is waiting there?")
            detail = await self.app.push_screen_wait(AskText(zone.name, prompt, required=True))
            if detail is None:
                return
        try:
            sweep.record(self.app.store, self.run_id, zone.id, status, detail)
        except (ValueError, sqlite3.Error) as exc:
            self.query_one("#sweep-error", Static).update(f"NOT saved: {exc}")
            return
        self.cursor = min(self.cursor + 1, len(self.zones()) - 1)
        self.show()

    def action_finish(self) -> None:
        self.dismiss(True)

    def action_leave(self) -> None:
        self.dismiss(False)

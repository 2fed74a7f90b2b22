"""The sweep checklist: one line per zone, one key per result, and what to tell
the fire department, all on one screen.

The number to dial stays on the top line (the same line as the emergency
screen's), and the fire department's summary is always shown whole: when
the terminal is short it is the zone list that scrolls, never the summary.
"""

from __future__ import annotations

import sqlite3

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from shift import sweep
from shift.text import printable
from tui.ask import AskText, Confirm
from tui.emergency import contacts_block


class SweepScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    SweepScreen { align: center top; }
    #sweep-dial { height: 1; width: 100%; padding: 0 1; background: $error; color: $text; text-style: bold; }
    #sweep-box {
        width: 100%; height: 1fr; border: thick $error; background: $surface; padding: 0 1;
        overflow-y: auto;
    }
    #sweep-title { height: auto; }
    #sweep-zones { height: 1fr; min-height: 3; }
    .sweep-zone { height: auto; }
    .sweep-zone.cursor { background: $accent 30%; text-style: bold; }
    #sweep-summary { height: auto; margin-top: 1; text-style: bold; color: $warning; }
    #sweep-error { height: auto; color: $error; }
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
        dial, _ = contacts_block(self.app.site)
        yield Static(Content.styled(printable(dial), "bold"), id="sweep-dial")
        with Vertical(id="sweep-box"):
            yield Static("Floor sweep: ↑↓ zone · c clear · r refused to leave · a needs assistance · "
                         "u not checked · Enter done", id="sweep-title", classes="title", markup=False)
            with VerticalScroll(id="sweep-zones", can_focus=False):
                for index, _zone in enumerate(self.zones()):
                    yield Static("", id=f"sweep-zone-{index}", classes="sweep-zone", markup=False)
                if not self.zones():
                    yield Static("No zones in site.toml.", markup=False)
            yield Static("", id="sweep-summary", markup=False)
            yield Static("", id="sweep-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#sweep-error").display = False
        self.show()

    def zones(self):
        return self.app.site.zones

    def found(self) -> list[sweep.ZoneResult]:
        return sweep.results(self.app.store, self.run_id, self.zones())

    def show(self) -> None:
        found = self.found()
        for index, result in enumerate(found):
            line = self.query_one(f"#sweep-zone-{index}", Static)
            mark = "▶" if index == self.cursor else " "
            detail = f" — {printable(result.detail)}" if result.detail else ""
            line.update(f"{mark} {printable(result.zone.name)}: {result.status_text}{detail}")
            line.set_class(index == self.cursor, "cursor")
            if index == self.cursor:
                self.query_one("#sweep-zones", VerticalScroll).scroll_to_widget(line, animate=False)
        summary = sweep.fire_department_summary(found)
        self.query_one("#sweep-summary", Static).update(
            "For the fire department:\n" + "\n".join(f"  {printable(line)}" for line in summary))

    def error(self, text: str) -> None:
        box = self.query_one("#sweep-error", Static)
        box.update(text)
        box.display = bool(text)

    def action_move(self, delta: int) -> None:
        if self.zones():
            self.cursor = (self.cursor + delta) % len(self.zones())
            self.show()

    @work(exclusive=True, group="sweep-dialog")
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
            self.error(f"NOT saved: {exc}")
            return
        self.error("")
        self.cursor = min(self.cursor + 1, len(self.zones()) - 1)
        self.show()

    @work(exclusive=True, group="sweep-dialog")
    async def action_finish(self) -> None:
        """Done; with zones nobody reported on, ask first (they go to the fire department as not checked)."""
        pending = sweep.not_yet_checked(self.found())
        if pending:
            names = "; ".join(printable(r.zone.name) for r in pending)
            zones = "1 zone is" if len(pending) == 1 else f"{len(pending)} zones are"
            question = (f"{zones} not yet checked: {names}.\n"
                        "Finish the sweep? The fire department will be told they were NOT CHECKED.")
            if not await self.app.push_screen_wait(Confirm(question, enter_is_yes=False)):
                return
        self.dismiss(True)

    def action_leave(self) -> None:
        self.dismiss(False)

"""The end-of-shift report on screen: the same text the manager receives."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from shift import report
from shift.text import printable
from tui.bindings import command_binding
from tui.keybar import KeyBar


class ReportScreen(Screen[None]):
    DEFAULT_CSS = """
    ReportScreen #report-text { padding: 1 2; }
    ReportScreen #report-head { height: 1; padding: 0 1; background: $primary-muted; text-style: bold; }
    """
    BINDINGS = [
        Binding("escape,enter", "close", "Close", id="report.close"),
        command_binding("report.past", "past_shifts"),
        Binding("pageup", "scroll('page_up')", "Page up", id="report.page_up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", id="report.page_down", show=False),
    ]

    def __init__(self, shift_id: str) -> None:
        super().__init__()
        self.shift_id = shift_id

    def compose(self) -> ComposeResult:
        built = report.build(self.app.store, self.app.site, self.shift_id, at_desk=True)
        yield Static(printable(built.title), id="report-head", markup=False)
        with VerticalScroll(id="report-body"):
            yield Static(printable(report.render_text(built), keep_newlines=True), id="report-text", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#report-body").focus()

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#report-body", VerticalScroll)
        body.scroll_page_up() if where == "page_up" else body.scroll_page_down()

    def action_past_shifts(self) -> None:
        from tui.pastshifts import PastShiftsScreen

        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        if isinstance(below, PastShiftsScreen):  # opened from that list: back to it
            self.dismiss(None)
        else:
            self.app.push_screen(PastShiftsScreen())

    def action_close(self) -> None:
        self.dismiss(None)

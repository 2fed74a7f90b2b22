"""The desk statistics on screen (Ctrl+T): the last four weeks of this desk's database.

shift/stats.py computes every figure and each cell's heat level; this screen only gives
each level a colour, per theme, with a text colour that reads on it (WCAG AA, 4.5:1).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from shift import stats, statspage
from shift.settings import HIGH_CONTRAST
from shift.stats import LEVELS, WEEKDAY_NAMES
from tui.keybar import KeyBar

# Heat level -> (text, background). Dark theme: dark to light blue (light text on the dark
# ones, black on the light ones); high contrast: greys, white to black text the same way.
HEAT = {
    "dark": {1: ("#E0E0E0", "#16324F"), 2: ("#FFFFFF", "#1F5C99"), 3: ("#000000", "#5BA3E0"),
             4: ("#000000", "#BFDFFF")},
    "high-contrast": {1: ("#FFFFFF", "#333333"), 2: ("#FFFFFF", "#666666"), 3: ("#000000", "#AAAAAA"),
                      4: ("#000000", "#FFFFFF")},
}
CELL = 6  # characters per weekday column: "  12.3"


class StatsScreen(Screen[None]):
    DEFAULT_CSS = """
    StatsScreen #stats-head { height: 2; padding: 0 1; background: $primary-muted; text-style: bold; }
    StatsScreen #stats-body { padding: 0 1; }
    StatsScreen .stats-title { text-style: bold; margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="stats.close"),
        Binding("pageup", "scroll('page_up')", "Page up", id="stats.page_up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", id="stats.page_down", show=False),
    ]

    def compose(self) -> ComposeResult:
        app = self.app
        first, last = stats.default_period(None, None, app.site.hours.local_date(app.clock.now()))
        self.figures = stats.build(stats.Sources.of(app.store), app.site, first, last)
        figures = self.figures
        # Two lines: at 80 columns the dates and "all desks" do not fit on one.
        yield Static(Text(f"Desk statistics · {statspage.desk_text(figures)}\n{statspage.dates_text(figures)}"),
                     id="stats-head")
        with VerticalScroll(id="stats-body"):
            yield Static(Text(f"Questions and transactions: {figures.total}"), classes="stats-title")
            if (counted := statspage.counted_text(figures)) is not None:
                yield Static(Text(counted), id="stats-counted")
            yield Static(Text("Load by weekday and hour: average per open hour"), classes="stats-title")
            yield Static(self.heat(True), id="heat-average")
            yield Static(self.legend(), id="heat-legend")
            yield Static(Text("Totals by weekday and hour"), classes="stats-title")
            yield Static(self.heat(False), id="heat-total")
            for heading, lines in statspage.sections(figures)[1:]:
                yield Static(Text(heading), classes="stats-title")
                yield Static(Text("\n".join(lines)))
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#stats-body").focus()
        self.watch(self.app, "theme", self._recolour, init=False)  # F9 here too

    def _recolour(self) -> None:
        self.query_one("#heat-average", Static).update(self.heat(True))
        self.query_one("#heat-total", Static).update(self.heat(False))
        self.query_one("#heat-legend", Static).update(self.legend())

    def _palette(self) -> dict[int, tuple[str, str]]:
        return HEAT["high-contrast" if self.app.theme == HIGH_CONTRAST else "dark"]

    def heat(self, averages: bool) -> Text:
        palette = self._palette()
        text = Text("     " + "".join(f"{d:>{CELL}}" for d in WEEKDAY_NAMES) + "\n")
        rows = statspage.heat_rows(self.figures, averages)
        for hour, row in zip(self.figures.hours, rows, strict=True):
            text.append(f"{hour:02d}h  ")
            for value, level in row:
                cell = f"{value:>{CELL - 1}} "
                if level:
                    colour, background = palette[level]
                    text.append(cell, style=f"{colour} on {background}")
                else:
                    text.append(cell)  # 0 in the plain text colour; never open: blank
            text.append("\n")
        text.rstrip()
        return text

    def legend(self) -> Text:
        palette = self._palette()
        blanks = f"{statspage.BLANK_AVERAGE}\n{statspage.BLANK_TOTAL}\n"
        if not self.figures.total:
            return Text(blanks + statspage.NO_ENTRIES)
        text = Text(blanks + "Busier: ")
        for level in range(1, LEVELS + 1):
            _, high = self.figures.level_range(level)
            colour, background = palette[level]
            text.append(f" ≤{high:.1f} ", style=f"{colour} on {background}")
            text.append(" ")
        text.append(" per open hour")
        return text

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#stats-body", VerticalScroll)
        body.scroll_page_up() if where == "page_up" else body.scroll_page_down()

    def action_close(self) -> None:
        self.dismiss(None)

"""The sweep checklist: one line per zone, one key per result, and what to tell
the fire department, all on one screen.

The number to dial stays on the top line (the same line as the emergency
screen's), and the fire department's summary is always shown whole: when
the terminal is short it is the zone list that scrolls (keeping a few rows,
one line per zone), and the summary gets shorter: "Clear: 3 zones" instead
of their names, then zone names without their bracketed description (the
list has both in full). Only past that (many people inside on a tiny
terminal) does the summary scroll in a box of its own.

A mark stays on the zone it was made on: only ↑↓ move, so ↓ pressed by
habit after a mark never sends the next mark to the wrong zone. Clear and
not checked are written as the key is handled, so a fast burst loses none.
A zone with a person recorded (refused to leave, needs assistance) is only
marked again after a y: the summary shows one result per zone, and never
loses a person to a stray key. Keys typed in a burst behind the Enter that
saves a person's description are dropped, never typed into it.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from shift import sweep
from shift.site import Zone
from shift.text import printable
from tui.ask import AskText, Confirm
from tui.emergency import contacts_block
from tui.theme import LEVEL_STYLE

KEYS = ("c clear · r refused to leave · a needs assistance · u could not check\n"
        "↑↓ move ▶ (a mark stays on its zone) · Enter sweep done · Esc back")
ZONE_ROWS = 4  # the zone list keeps at least this many rows; the summary has the rest
TALL = 30  # from this many rows, the address for 911 is shown too


def count_clear(lines: list[str], found: list[sweep.ZoneResult]) -> list[str]:
    """The summary with its last line, the zones that are clear, as a count."""
    if not lines or not lines[-1].startswith("Clear: "):
        return lines
    cleared = sum(1 for result in found if result.status == "clear")
    return [*lines[:-1], f"Clear: {cleared} zone{'' if cleared == 1 else 's'} (named in the list)"]


def short_name(name: str) -> str:
    """A zone's name without its description in brackets: "Third floor (silent study)" → "Third floor"."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", name) or name


class SweepScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    SweepScreen { align: center top; }
    #sweep-dial { height: 1; width: 100%; padding: 0 1; background: $error; color: $text; text-style: bold; }
    #sweep-address { height: auto; width: 100%; padding: 0 1; background: $error 60%; color: $text;
                     text-style: bold; }
    SweepScreen.drill #sweep-dial { background: $secondary; }
    SweepScreen.drill #sweep-address { background: $secondary; }
    #sweep-box {
        width: 100%; height: 1fr; border: thick $error; background: $surface; padding: 0 1;
        border-title-style: bold; border-title-color: $text;
    }
    #sweep-keys { height: auto; }
    #sweep-zones { height: 1fr; min-height: 3; }
    .sweep-zone { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    .sweep-zone.cursor { background: $panel; text-style: bold; text-wrap: wrap; }
    #sweep-summary-box { height: auto; margin-top: 1; }
    #sweep-summary { height: auto; text-style: bold; color: $text-warning; }
    #sweep-error { height: auto; color: $text-error; }
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

    def __init__(self, run_id: str, started_at: datetime | None = None, drill: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        self.started_at = started_at  # the emergency's start: the box's title counts from it
        self.drill = drill  # a drill's top line says not to dial, in the drill colour
        self.cursor = 0
        self.asking = False  # a question (a person's details, or finish?) is on its way or open

    def compose(self) -> ComposeResult:
        dial, address = contacts_block(self.app.site, self.drill)
        yield Static(Content.styled(printable(dial), "bold"), id="sweep-dial")
        yield Static(printable(address), id="sweep-address", markup=False)
        with Vertical(id="sweep-box"):
            yield Static(KEYS, id="sweep-keys", classes="title", markup=False)
            with VerticalScroll(id="sweep-zones", can_focus=False):
                for index, _zone in enumerate(self.zones()):
                    yield Static("", id=f"sweep-zone-{index}", classes="sweep-zone", markup=False)
                if not self.zones():
                    yield Static("No zones in site.toml.", markup=False)
            with VerticalScroll(id="sweep-summary-box", can_focus=False):
                yield Static("", id="sweep-summary", markup=False)
            yield Static("", id="sweep-error", markup=False)

    def on_mount(self) -> None:
        self.set_class(self.drill, "drill")
        self.query_one("#sweep-error").display = False
        self.tick()
        self.set_interval(1, self.tick)
        self.show()

    def on_resize(self) -> None:
        self.show()

    def tick(self) -> None:
        box = self.query_one("#sweep-box")
        waiting = self.app.core.waiting()
        # As on the emergency screen's clock line: marks kept in memory while storage refuses them.
        storage = " · waiting for storage" if waiting else ""  # no count: see DeskCore.waiting
        if self.started_at is None:
            box.border_title = f"Floor sweep{storage}"
            return
        elapsed = max(0, int((self.app.clock.now() - self.started_at).total_seconds()))
        box.border_title = (f"Floor sweep · {elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}"
                            f" elapsed{storage}")

    def zones(self) -> tuple[Zone, ...]:
        return self.app.site.zones

    def found(self) -> list[sweep.ZoneResult]:
        return sweep.results(self.app.store, self.run_id, self.zones())

    def show(self) -> None:
        found = self.found()
        names = self.name_width(found)
        zone = self.app.site.zone
        for index, result in enumerate(found):
            line = self.query_one(f"#sweep-zone-{index}", Static)
            line.update(self.zone_line(result, index == self.cursor, names, zone))
            line.set_class(index == self.cursor, "cursor")
        if found:
            cursor = self.query_one(f"#sweep-zone-{self.cursor}")
            zones = self.query_one("#sweep-zones", VerticalScroll)
            self.call_after_refresh(zones.scroll_to_widget, cursor, animate=False)
        self.query_one("#sweep-address").display = self.app.size.height >= TALL
        width, rows = self.summary_room()
        summary = self.query_one("#sweep-summary", Static)
        summary.update(self.summary_text(found, width, rows))
        # Only when even the short form is taller than the room left (many people inside, a
        # tiny terminal): the summary scrolls rather than take the zone list away.
        self.query_one("#sweep-summary-box").styles.max_height = max(rows, 3)

    def name_width(self, found: list[sweep.ZoneResult]) -> int:
        """The zone-name column: as wide as the longest name, but leaving the status and the
        time their columns on the line (a longer name is cut with …; the ▶ line wraps it whole)."""
        longest = max((len(printable(r.zone.name)) for r in found), default=0)
        # The box's border and padding (4), a scrollbar (2), "▶ " and the gaps between columns.
        room = max(1, self.app.size.width) - 4 - 2 - 2 - 2 - sweep.STATUS_WIDTH - 2 - 5
        return max(8, min(longest, room))

    @staticmethod
    def zone_line(result: sweep.ZoneResult, cursor: bool, names: int, zone) -> Content:
        """"▶ Second floor         NEEDS ASSISTANCE  19:32  Stairwell B…": the name, the result in the
        colour it means (shift.sweep: clear, still to report, tell the fire department), and when
        it was reported, in columns; the detail after them."""
        name = printable(result.zone.name)
        if len(name) > names and not cursor:
            name = name[:names - 1] + "…"
        at = f"{result.at.astimezone(zone):%H:%M}" if result.at else ""
        detail = f"  {printable(result.detail)}" if result.detail else ""
        return Content.assemble(f"{'▶' if cursor else ' '} {name:<{names}}  ",
                                (f"{result.status_text:<{sweep.STATUS_WIDTH}}", LEVEL_STYLE[result.level]),
                                f"  {at:>5}{detail}")

    def summary_room(self) -> tuple[int, int]:
        """The width and the rows the summary can have with ZONE_ROWS left for the zone list."""
        width, height = self.app.size
        inner = max(1, width - 4)  # the box's border and padding
        used = 1 + 2 + 1  # the dial line, the box's top and bottom border, the summary's margin
        used += self.rows(KEYS, inner)
        if height >= TALL:
            used += self.rows(contacts_block(self.app.site, self.drill)[1], max(1, width - 2))
        error = self.query_one("#sweep-error", Static)
        if error.display:
            used += self.rows(str(error.content), inner)
        return inner, height - used - min(ZONE_ROWS, max(1, len(self.zones())))

    def rows(self, text: str, width: int) -> int:
        return Content(text).get_height({}, width)  # wrapped as a Static wraps it

    def summary_text(self, found: list[sweep.ZoneResult], width: int, rows: int) -> str:
        """The fire department's summary (people first, then zones not checked), as short as the
        room needs: first the zones that are clear are counted instead of named, then zones are
        named without their description in brackets. The zone list above has both in full."""
        text = self.summary_block(sweep.fire_department_summary(found))
        if self.rows(text, width) > rows:
            text = self.summary_block(count_clear(sweep.fire_department_summary(found), found))
        if self.rows(text, width) > rows:
            short = [replace(result, zone=result.zone._replace(name=short_name(result.zone.name)))
                     for result in found]
            text = self.summary_block(count_clear(sweep.fire_department_summary(short), short))
        return text

    @staticmethod
    def summary_block(lines: list[str]) -> str:
        return "For the fire department:\n" + "\n".join(f"  {printable(line)}" for line in lines)

    def error(self, text: str) -> None:
        box = self.query_one("#sweep-error", Static)
        box.update(text)
        box.display = bool(text)

    def action_move(self, delta: int) -> None:
        if self.zones():
            self.cursor = (self.cursor + delta) % len(self.zones())
            self.show()

    def action_mark(self, status: str) -> None:
        """Record a result for the zone at ▶, which stays there. Clear and not checked are
        written at once (a burst of keys loses none); a person waits for where and who.
        A zone with a person recorded is never marked again without a y: the fire
        department's summary shows one result per zone, and must not lose a person."""
        if not self.zones():
            return
        if self.asking:  # keys typed before the question opened were meant for it: never a mark
            return
        zone = self.zones()[self.cursor]  # the zone is the one at ▶ when the key is pressed
        current = self.found()[self.cursor]
        if current.person:
            self.asking = True
            self.replace_person(zone, status, current)
            return
        if status in sweep.PEOPLE:
            self.asking = True
            self.ask_then_record(zone, status)
            return
        self.record(zone, status, "")

    @work(group="sweep-dialog")
    async def replace_person(self, zone: Zone, status: str, current: sweep.ZoneResult) -> None:
        """A person is recorded in this zone: replacing them needs y (never Enter, never a stray key)."""
        try:
            question = (f"{printable(zone.name)} already has a person recorded:\n"
                        f"{sweep.PEOPLE[current.status]} — {printable(current.detail)}\n\n"
                        f"Replace this with \"{sweep.STATUSES[status]}\"? The fire department would "
                        "no longer be told about this person.")
            if status in sweep.PEOPLE:
                question += "\n(More than one person here: y, then describe them all in one line.)"
            if not await self.app.push_screen_wait(Confirm(question, enter_is_yes=False)):
                return
            if status in sweep.PEOPLE:
                await self.ask_person(zone, status, current.detail)
            else:
                self.record(zone, status, "")
        finally:
            self.asking = False

    @work(group="sweep-dialog")
    async def ask_then_record(self, zone: Zone, status: str) -> None:
        try:
            await self.ask_person(zone, status)
        finally:
            self.asking = False

    async def ask_person(self, zone: Zone, status: str, value: str = "") -> None:
        """Where the person is and who, then the mark. Keys typed behind the Enter that saves the
        description are never added to it (tui/ask.py), nor taken as marks (`asking` until here)."""
        prompt = ("Where is the person? Describe them neutrally (\"appears to be...\")."
                  if status == "refused" else "Which area of refuge, and who is waiting there?")
        detail = await self.app.push_screen_wait(AskText(zone.name, prompt, required=True, value=value))
        if detail is not None:
            self.record(zone, status, detail)

    def record(self, zone: Zone, status: str, detail: str) -> None:
        try:
            sweep.record(self.app.store, self.run_id, zone.id, status, detail)
        except (ValueError, sqlite3.Error) as exc:
            self.error(f"NOT saved: {exc}")
            return
        self.error("")
        self.tick()  # the count waiting for storage changes with this mark
        self.show()

    def action_finish(self) -> None:
        if not self.asking:  # a question already on its way takes this Enter
            self.asking = True
            self.finish()

    @work(group="sweep-dialog")
    async def finish(self) -> None:
        """Done; with zones nobody reported on, ask first, y only (they go to the fire department as not checked)."""
        try:
            await self.confirm_finish()
        finally:
            self.asking = False

    async def confirm_finish(self) -> None:
        pending = sweep.not_yet_reported(self.found())
        if pending:
            names = "; ".join(printable(r.zone.name) for r in pending)
            zones = "1 zone is" if len(pending) == 1 else f"{len(pending)} zones are"
            question = (f"{zones} not yet reported: {names}.\n"
                        "Finish the sweep? The fire department will be told they were NOT CHECKED.")
            if not await self.app.push_screen_wait(Confirm(question, enter_is_yes=False)):
                return
        self.dismiss(True)

    def action_leave(self) -> None:
        self.dismiss(False)

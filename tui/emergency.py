"""Emergencies: a picker with one key per protocol, and the walkthrough screen.

The walkthrough is the procedure runner with what the first minute needs
always on top: the number exactly as dialled, the civic address for 911,
campus security, and a running clock since the start.
"""

from __future__ import annotations

import sqlite3

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from shift import runs
from shift.procedures import Procedure
from shift.shifts import open_shift
from shift.site import Site
from shift.text import printable
from tui.ask import Confirm
from tui.runner import RunnerScreen


class EmergencyPicker(ModalScreen["tuple[Procedure, bool] | None"]):
    DEFAULT_CSS = """
    #emergency-picker {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    #drill-state { background: $secondary; color: $text; text-style: bold; padding: 0 1; }
    #emergency-picker .title { color: $text-error; }
    """

    """Each protocol's own key starts it at once; Tab switches to drill mode first. The
    protocols come likeliest first (shift.procedures.LIKELIEST_FIRST), each key in the
    key colour."""

    NO_TOASTS = True  # nothing covers the emergency (tui/toasts.py)

    def __init__(self, protocols: list[Procedure], in_progress: set[str], drill_note: str) -> None:
        super().__init__()
        self.protocols = protocols
        self.in_progress = in_progress
        self.drill = False
        self.drill_note = drill_note

    def compose(self) -> ComposeResult:
        with Vertical(id="emergency-picker"):
            yield Static("EMERGENCY — press the protocol's key", classes="title", markup=False)
            yield Static("", id="drill-state", markup=False)
            # The notes before the list: on a small terminal the list is cut at its end, where the
            # least likely protocols are (their keys still work), never the drill switch.
            # One line each: the whole list must fit at 80x24 (lockdown is last); the drill rule
            # itself is in the shift report.
            yield Static(f"Tab: drill mode · Esc: back · {self.drill_note}", classes="note", markup=False)
            if any(p.template for p in self.protocols):
                yield Static("(template): not adapted to this library yet; follow it anyway",
                             id="template-legend", classes="note", markup=False)
            yield Static(self.listing(), id="protocol-keys")

    def listing(self) -> Content:
        """One line per protocol: its key (bold, in the key colour, as in the key bar), the title
        as the file has it (plain text, never markup), and whether it is a template or in progress."""
        lines = []
        for protocol in self.protocols:
            state = ("  — IN PROGRESS", "bold $text-error") if protocol.id in self.in_progress else ""
            template = "  (template)" if protocol.template else ""
            lines.append(Content.assemble(" ", (protocol.key, "bold $text-accent"), "   ",
                                          printable(protocol.title), template, state))
        return Content("\n").join(lines)

    def on_mount(self) -> None:
        self.show_drill()

    def show_drill(self) -> None:
        box = self.query_one("#drill-state", Static)
        box.update("DRILL MODE — do not dial: recorded apart from real events" if self.drill else "")
        box.display = self.drill

    def on_key(self, event) -> None:
        if event.key == "escape":
            event.stop()
            self.dismiss(None)
        elif event.key == "tab":
            event.stop()
            self.drill = not self.drill
            self.show_drill()
        else:
            chosen = next((p for p in self.protocols if p.key == event.character), None)
            if chosen is not None:
                event.stop()
                self.dismiss((chosen, self.drill))


def contacts_block(site: Site, drill: bool = False) -> tuple[str, str]:
    """The two lines the first minute needs: what to dial, where the building is. In a drill
    the first line says not to dial, before the number."""
    emergency = site.contacts.get("emergency")
    security = site.contacts.get("security")
    if drill:
        dial = f"DRILL — do not dial {emergency.phone}" if emergency else "DRILL — do not dial"
    else:
        dial = (f"DIAL {emergency.phone}" if emergency
                else "DIAL 911 (site file not loaded: check the desk phone's prefix)")
    if security:
        dial += f"   ·   {security.name}: {security.phone}"
    address = site.civic_address or "(civic address not set in the site file)"
    return dial, f"Address for 911: {address}"


class EmergencyScreen(RunnerScreen):
    DEFAULT_CSS = """
    #emergency-dial { height: 1; padding: 0 1; background: $error; color: $text; text-style: bold; }
    #emergency-address { height: auto; padding: 0 1; background: $error 60%; color: $text; text-style: bold; }
    #emergency-clock { height: 1; padding: 0 1; background: $error 30%; text-style: bold; }
    EmergencyScreen #run-message { height: auto; max-height: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    /* A drill: its own colour, never the emergency red, and "DRILL — do not dial" on the top line. */
    EmergencyScreen.drill #emergency-dial { background: $secondary; }
    EmergencyScreen.drill #emergency-address { background: $secondary; }
    EmergencyScreen.drill #emergency-clock { background: $secondary 30%; }
    """

    # Leaving asks first (y): the emergency goes on whether or not the screen is up.
    BINDINGS = [b if b.id != "runner.leave" else Binding(b.key, b.action, "Leave (asks)", id=b.id)
                for b in RunnerScreen.BINDINGS]
    resilient = True
    NO_TOASTS = True  # nothing covers the walkthrough (tui/toasts.py)

    def __init__(self, run: runs.RunState) -> None:
        super().__init__(run)
        self.news: list[tuple[str, str]] = []  # toasts held back while this screen is up

    def compose(self) -> ComposeResult:
        dial, address = contacts_block(self.app.site, self.run.drill)
        yield Static(Content.styled(printable(dial), "bold"), id="emergency-dial")
        yield Static(printable(address), id="emergency-address", markup=False)
        yield Static("", id="emergency-clock", markup=False)
        yield from super().compose()

    def on_mount(self) -> None:
        self.set_class(self.run.drill, "drill")
        super().on_mount()
        self.tick_clock()
        self.set_interval(1, self.tick_clock)

    def show_news(self, text: str, severity: str) -> None:
        """What would have been a toast, on this screen's own message lines (the last two, one
        line each): nothing covers the walkthrough. The next step's hint takes the place again."""
        self.news = [*self.news[-1:], (text, severity)]
        super().message("\n".join(t for t, _ in self.news), error=any(s == "error" for _, s in self.news))

    def message(self, text: str, error: bool = False) -> None:
        self.news = []  # the screen's own message (the next step's hint) replaces the news
        super().message(text, error)

    @work(exclusive=True, group="dialog")
    async def action_leave(self) -> None:
        """Leave the walkthrough only after a y (never Enter, which marks steps done): the
        desk then shows the emergency in progress until it is finished."""
        step = self.run.current()
        where = self.run.progress(step).short() if step else "the end (all steps done)"
        kind = "drill" if self.run.drill else "emergency"
        key = self.app.key_for("emergency.open")
        question = (f"Leave the {printable(self.run.procedure.short_title)} walkthrough?\n"
                    f"The {kind} stays open: the desk shows it, and {key} then {self.run.procedure.key} "
                    f"comes back to {where}.")
        if await self.app.push_screen_wait(Confirm(question, enter_is_yes=False)):
            self.dismiss(None)

    def finish(self) -> None:
        """Finish; after a real event (not a drill) keep a draft incident report from the timeline."""
        from shift import incidents, timeline  # not needed in the first minute: imported at the end

        try:
            self.run = runs.finish_run(self.app.store, self.run)
        except (ValueError, sqlite3.Error) as exc:
            self.failed(exc)
            return
        draft = None
        if not self.run.drill:
            shift = open_shift(self.app.store)
            reporter = shift.worker if shift else ""
            try:
                draft = incidents.save_draft(
                    self.app.store, shift, timeline.incident_draft_fields(self.app.store, self.run, self.app.site,
                                                                          reporter), run_id=self.run.id)
            except (ValueError, sqlite3.Error) as exc:
                self.app.notify(f"The draft incident report could not be kept ({exc}); write one with F6.",
                                severity="warning", markup=False)
        self.app.notify(f"{self.run.procedure.title}: finished.", markup=False)
        self.dismiss(draft)

    def tick_clock(self) -> None:
        now = self.app.clock.now()
        elapsed = int((now - self.run.started_at).total_seconds())
        started = self.run.started_at.astimezone(self.app.site.zone)
        drill = "DRILL · " if self.run.drill else ""
        waiting = self.app.core.waiting()
        # Short enough for one line at 80 columns: the whole policy is on the desk and in the README.
        storage = " · waiting for storage" if waiting else ""  # no count: see DeskCore.waiting
        self.query_one("#emergency-clock", Static).update(
            f"{drill}Started {started:%H:%M:%S} · "
            f"{elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d} elapsed{storage}")

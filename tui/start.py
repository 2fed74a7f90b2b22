"""The start screen: the previous handover first, then who is on duty and where."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Select, Static

from shift.desk import WAITING_TEXT
from shift.shifts import FollowUp, deadline_text, last_handover, open_followups
from shift.text import printable
from tui.keybar import KeyBar
from tui.steadyscreen import SteadyScreen

if TYPE_CHECKING:
    from tui.app import SoloShiftApp


class StartShiftScreen(SteadyScreen):
    BINDINGS = [Binding("ctrl+s", "start", "Start shift", id="shift.start")]

    def compose(self) -> ComposeResult:
        app = self.app
        site = app.site
        now = app.clock.now()
        local = now.astimezone(site.zone)
        with VerticalScroll(id="start-box"):
            yield Label(Content(f"{site.name} · {local:%A %d %B %Y}"), classes="title")
            yield Static("", id="start-status", classes="warning", markup=False)
            yield Static(Content(f"Today: {site.hours.day(local.date()).text()} · {site.hours.status_text(now)}"))
            if any(p.is_error for p in app.problems):
                count = sum(p.is_error for p in app.problems)
                yield Static(
                    f"The site file has {count} error(s); defaults are used where it is broken. "
                    "Run `python main.py check` for the details.",
                    markup=False, classes="warning",
                )
            yield Label("Handover from the previous shift", classes="section")
            handover = last_handover(app.store)
            if handover is None:
                yield Static("No earlier shift on this desk database.", markup=False)
            else:
                ended = handover.ended_at.astimezone(site.zone)
                yield Static(f"{printable(handover.worker)}, ended {ended:%a %d %b %H:%M}:", markup=False)
                yield Static(printable(handover.note or "(no note)", keep_newlines=True),
                             markup=False, id="handover-note")
            followups = open_followups(app.store)
            yield Label(f"Unresolved follow-ups ({len(followups)})", classes="section")
            yield Static(
                "\n".join(f"• {printable(f.text)}  ({printable(f.worker)}, {f.created_at.astimezone(site.zone):%d %b})"
                          + _deadline(f, app.clock.now(), site.zone) for f in followups) or "None.",
                markup=False, id="followups",
            )
        # Docked at the bottom: however long the handover note and the follow-ups are (they
        # scroll above it), the name field stays on the screen.
        with Vertical(id="start-form"):
            yield Static("", id="start-error", markup=False)
            yield Label("Who is on duty?  (Enter or Ctrl+S starts the shift)")
            yield Input(placeholder="Your name", id="worker")
            yield Label("Which desk?")
            yield Select([(Content(d.name), d.id) for d in site.desks], value=site.desks[0].id,
                         allow_blank=False, id="desk")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#worker", Input).focus()
        self.show_status()
        self.set_interval(1, self.show_status)

    def show_status(self) -> None:
        """An emergency left to resume, and entries waiting for storage, before anything else."""
        core = self.app.core
        lines = emergency_lines(self.app)
        if core.waiting():
            lines.append(WAITING_TEXT)
        found = self.query("#start-status")
        if not found:
            return  # between a recompose's removal and its new widgets (the next shift's start screen)
        box = found.first(Static)
        box.display = bool(lines)
        if "\n".join(lines) != str(box.content):
            box.update("\n".join(lines))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_start()

    def action_start(self) -> None:
        worker = self.query_one("#worker", Input).value
        desk = self.query_one("#desk", Select).value
        try:
            shift = self.app.core.start_shift(worker, str(desk))
        except ValueError as exc:
            self.query_one("#start-error", Static).update(str(exc))
            return
        # Scheduled, not awaited: this screen may be the one popped.
        self.app.call_later(self.app.show_desk, shift)


def emergency_lines(app: "SoloShiftApp") -> list[str]:
    """The desk's line for each emergency the shift left open (shift.runs.in_progress):
    "EMERGENCY IN PROGRESS: Fire alarm, step 2 of 14 — F8, then f"."""
    from shift import runs

    shift = app.core.shift()
    key = app.key_for("emergency.open")
    return [printable(item.line(key, "")) for item in (runs.in_progress(app.core.store, shift) if shift else [])
            if item.emergency]


def _deadline(followup: FollowUp, now: datetime, zone: tzinfo) -> str:
    text = deadline_text(followup, now, zone)
    return f"  — {text}" if text else ""

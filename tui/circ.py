"""Offline circulation (F7): scan cards and items while the main system is down.

A keyboard-wedge scanner types a whole barcode and Enter in a few
milliseconds, often many in a row. Textual runs an Input's Enter binding
from the app's queue, after the Input may already hold the next barcode's
characters, which merges and loses scans. So the scan box handles Enter (and
this screen's keys) itself, in the order the keys arrived: each scan is read,
committed and cleared before the next key is looked at.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Label, Static

from shift import circexport, circulation
from shift.circulation import ACTION_NAMES, ScanResult, ScanSession, mask
from shift.shifts import Shift
from shift.store import StoreError
from tui.bindings import screen_commands
from tui.exportdialog import ExportDialog
from tui.keybar import KeyBar

# Scanners end a barcode with Enter (CR), some with LF or Tab.
SUBMIT_KEYS = ("enter", "ctrl+j", "tab")
MODE_KEYS = {"loan": "Ctrl+L", "return": "Ctrl+R", "renew": "Ctrl+N", "in_house": "Ctrl+O"}


class ScanInput(Input, inherit_bindings=False):
    """The scan box: Enter, Paste and the screen's keys are handled here, in arrival order."""

    # Only cursor keys: the Ctrl+ keys of the stock Input (Ctrl+U, Ctrl+X, Ctrl+D …) are the screen's here.
    BINDINGS = [
        Binding("left", "cursor_left", show=False),
        Binding("right", "cursor_right", show=False),
        Binding("home", "home", show=False),
        Binding("end", "end", show=False),
        Binding("backspace", "delete_left", show=False),
        Binding("delete", "delete_right", show=False),
    ]

    def __init__(self, on_scan: Callable[[str], bool], on_unread_lines: Callable[[int], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self.on_scan = on_scan  # commits and shows; False: not saved, keep the text
        self.on_unread_lines = on_unread_lines

    async def _on_key(self, event: events.Key) -> None:
        if event.key in SUBMIT_KEYS:
            event.stop()
            event.prevent_default()
            # Read, commit, clear: no await in between, so no key can slip in.
            if self.on_scan(self.value):
                self.value = ""
            return
        if event.is_printable:
            return  # Input's own handler types it
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self.screen:
            event.stop()
            event.prevent_default()
            await self.app.run_action(active.binding.action, self.screen)

    def _on_paste(self, event: events.Paste) -> None:
        """Several pasted lines are several scans, one per line, as if typed with Enter."""
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            return  # one line: Input's own handler inserts it
        event.stop()
        event.prevent_default()
        *lines, rest = text.split("\n")
        lines[0] = self.value + lines[0]
        self.value = ""
        for done, line in enumerate(lines):
            if not self.on_scan(line):
                self.value = line
                self.on_unread_lines(len(lines) - done - 1 + (1 if rest else 0))
                return
        self.insert_text_at_cursor(rest)


class CirculationScreen(Screen):
    DEFAULT_CSS = """
    CirculationScreen { layout: vertical; }
    CirculationScreen #circ-head { height: auto; padding: 0 1; background: $panel; }
    CirculationScreen #circ-mode { text-style: bold; color: $text; background: $primary; padding: 0 1; height: 1; }
    CirculationScreen #circ-patron { padding: 0 1; height: 1; }
    CirculationScreen #circ-blocked { display: none; height: auto; padding: 0 1; background: $error;
                                      color: $text; text-style: bold; }
    CirculationScreen #circ-blocked.-shown { display: block; }
    CirculationScreen #scan { margin: 0 1; }
    CirculationScreen #circ-message { padding: 0 1; height: auto; min-height: 1; text-style: bold; }
    CirculationScreen #circ-message.-error { color: $text-error; background: $error-muted; }
    CirculationScreen #circ-message.-warning { color: $text-warning; background: $warning-muted; }
    CirculationScreen #circ-message.-ok { color: $text-success; }
    CirculationScreen #circ-counts { padding: 0 1; height: auto; color: $text-muted; }
    CirculationScreen #circ-log { padding: 0 1; height: auto; max-height: 6; }
    CirculationScreen #circ-list-title { padding: 0 1; text-style: bold; background: $panel; }
    CirculationScreen #circ-list { padding: 0 1; height: 1fr; overflow-y: auto; }
    """
    BINDINGS = [
        # In the order the key bar shows them as far as the line goes (F1 lists them all).
        Binding("escape", "leave", "Back to desk", id="circ.leave"),
        Binding("ctrl+l", "mode('loan')", "Loan", id="circ.loan"),
        Binding("ctrl+r", "mode('return')", "Return", id="circ.return"),
        Binding("ctrl+u", "undo", "Undo last scan", id="circ.undo"),
        Binding("ctrl+n", "mode('renew')", "Renew", id="circ.renew"),
        Binding("ctrl+o", "mode('in_house')", "In-house use", id="circ.in_house"),
        Binding("ctrl+d", "patron_done", "Done with patron", id="circ.patron_done"),
        Binding("ctrl+x", "export", "Export file", id="circ.export"),
    ]
    HELP_NOTE = ("Letters and digits go into the scan box, so this screen's keys are Ctrl+ keys. Scan the "
                 "patron's card, then the items; another card switches patron. A bad scan is refused with "
                 "the reason; a repeated scan is not recorded twice. Nothing is deleted: undo records a void.")

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift
        self.session = ScanSession()
        self.messages: deque[tuple[str, str, str]] = deque(maxlen=6)  # (time, style, text), newest first

    def compose(self) -> ComposeResult:
        with Vertical(id="circ-head"):
            yield Static("Offline circulation: scans are saved here and exported for the LSP later",
                         markup=False)
            yield Static("", id="circ-mode", markup=False)
            yield Static("", id="circ-patron", markup=False)
        yield Static("", id="circ-blocked", markup=False)
        yield ScanInput(self.process_scan, self.unread_lines, id="scan",
                        placeholder="Scan a patron card or an item barcode")
        yield Static("", id="circ-message", markup=False)
        yield Static("", id="circ-counts", markup=False)
        yield Static("", id="circ-log", markup=False)
        yield Static("Scans this shift, newest first", id="circ-list-title", markup=False)
        yield Static("", id="circ-list", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_patron(None)
        self.refresh_scans()
        listing = circulation.blocked_list(self.app.store)
        if listing is None:
            self.say("No blocked-patron list imported (python main.py import blocked FILE): "
                     "blocked cards cannot be flagged.", "warning")
        else:
            imported = listing.imported_at.astimezone(self.app.site.zone)
            self.say(f"Blocked-patron list in force: {listing.cards} card(s) from {listing.source}, "
                     f"imported {imported:%Y-%m-%d %H:%M}.", "ok")
        self.query_one(ScanInput).focus()

    def on_screen_resume(self) -> None:
        self.query_one(ScanInput).focus()

    # -- scanning ------------------------------------------------------------

    def process_scan(self, value: str) -> bool:
        """Record one scan; True when the box may be cleared (saved, or refused with a reason)."""
        if not value.strip():
            return True
        app = self.app
        try:
            result = circulation.scan(app.store, app.site.circulation, app.site.zone, self.shift,
                                      self.session, value)
        except ValueError as exc:  # BadScan: nothing written
            self.say(str(exc), "error")
            app.bell()
            return True
        except (sqlite3.Error, StoreError) as exc:
            self.say(f"NOT SAVED (database error: {exc}). The scan is still in the box: Enter tries again.",
                     "error")
            app.bell()
            return False
        self.show_result(result)
        if app.timers is not None:
            app.timers.catch_up()  # a burst of scans holds the loop: a prompt or alarm due meanwhile goes first
        return True

    def unread_lines(self, count: int) -> None:
        if count:
            self.say(f"{count} more pasted line(s) were not read: paste them again once this one is saved.",
                     "error")

    def show_result(self, result: ScanResult) -> None:
        if result.kind == "patron":
            self.show_patron(result.patron, result.blocked)
            if result.blocked is not None:
                self.say(f"Patron card {mask(result.patron)} is BLOCKED: {result.blocked}", "error")
                self.app.bell()
            else:
                self.say(f"Patron card {mask(result.patron)}: now scan the items", "ok")
            return
        if result.kind == "duplicate":
            self.say(result.warnings[0], "warning")
            self.app.bell()
            return
        txn = result.transaction
        assert txn is not None
        when = txn.scanned_at.astimezone(self.app.site.zone)
        to = f" to {mask(txn.patron)}" if txn.patron else ""
        text = f"Saved {when:%H:%M:%S}: {ACTION_NAMES[txn.action]} {txn.item}{to}"
        if result.warnings:
            self.say(f"{text}. WARNING: {'; '.join(result.warnings)}", "warning")
            self.app.bell()
        else:
            self.say(text, "ok")
        self.refresh_scans()

    # -- what is on screen -----------------------------------------------------

    def say(self, text: str, style: str) -> None:
        message = self.query_one("#circ-message", Static)
        message.update(Content(text))
        message.set_classes(f"-{style}")
        when = f"{self.app.clock.now().astimezone(self.app.site.zone):%H:%M:%S}"
        self.messages.appendleft((when, style, text))
        colours = {"error": "bold $text-error", "warning": "$text-warning", "ok": "$text-success"}
        # The newest is the message above; earlier ones stay visible a while.
        earlier = list(self.messages)[1:]
        self.query_one("#circ-log", Static).update(Content("\n").join(
            Content.assemble((f"{at}  ", "dim"), (line, colours[kind])) for at, kind, line in earlier))

    def show_mode(self) -> None:
        mode = self.session.mode
        patron = " (card first)" if mode in circulation.NEEDS_PATRON and not self.session.patron else ""
        self.query_one("#circ-mode", Static).update(
            f"MODE: {ACTION_NAMES[mode].upper()}{patron}   "
            + " · ".join(f"{key} {ACTION_NAMES[m].lower()}" for m, key in MODE_KEYS.items()))

    def show_patron(self, patron: str | None, blocked: str | None = None) -> None:
        self.show_mode()
        self.query_one("#circ-patron", Static).update(
            f"Patron: {mask(patron)}" if patron else "Patron: none (scan a card)")
        banner = self.query_one("#circ-blocked", Static)
        if blocked is not None:
            banner.update(Content(f"BLOCKED CARD {mask(patron)}: {blocked}. Check before lending; "
                                  "an override is recorded from the desk."))
        banner.set_class(blocked is not None, "-shown")

    def refresh_scans(self) -> None:
        app = self.app
        zone = app.site.zone
        now = app.clock.now()
        counts = circulation.counts_by_action(app.store, self.shift.started_at, now + timedelta(minutes=1))
        self.query_one("#circ-counts", Static).update(
            "This shift: " + " · ".join(f"{ACTION_NAMES[a]} {counts.get(a, 0)}" for a in circulation.SCAN_MODES))
        lines = []
        for txn in circulation.recent(app.store, self.shift, limit=40):
            when = txn.scanned_at.astimezone(zone)
            line = f"{when:%H:%M:%S}  {ACTION_NAMES[txn.action]:<13} {txn.item:<16} {mask(txn.patron)}"
            if txn.warning:
                line += f"  ! {txn.warning}"
            lines.append(line)
        self.query_one("#circ-list", Static).update(
            Content("\n".join(lines) if lines else "No scans yet in this shift."))

    # -- keys ----------------------------------------------------------------

    def action_mode(self, mode: str) -> None:
        self.session.mode = mode
        self.show_mode()
        self.say(f"Mode: {ACTION_NAMES[mode]}", "ok")

    def action_patron_done(self) -> None:
        self.session.patron = None
        self.show_patron(None)
        self.say("Done with that patron: scan the next card", "ok")

    def action_undo(self) -> None:
        try:
            voided = circulation.void_last(self.app.store, self.shift)
        except (sqlite3.Error, StoreError) as exc:
            self.say(f"Undo NOT saved: {exc}", "error")
            return
        if voided is None:
            self.say("Nothing to undo (exported scans cannot be undone here).", "warning")
            return
        self.say(f"Undone: {ACTION_NAMES[voided.action]} {voided.item} (recorded as a void)", "ok")
        self.refresh_scans()

    def action_export(self) -> None:
        self.app.push_screen(CircExportScreen(self.shift.desk), self._exported)

    def _exported(self, result: circexport.ExportResult | None) -> None:
        if result is not None:
            self.say(" ".join(result.summary()), "ok" if result.path else "warning")

    def action_leave(self) -> None:
        self.dismiss(None)

    def palette_commands(self):
        return screen_commands(self, "circulation")


class CircExportScreen(ExportDialog):
    TITLE_TEXT = "Export offline circulation"
    NOTE = "Only scans not yet exported in this format are written."
    FORMATS = tuple((f"{name} ({circexport.FORMATS[fmt]})", fmt) for fmt, name in circexport.FORMAT_NAMES.items())

    def __init__(self, desk: str) -> None:
        super().__init__()
        self.desk = desk  # named in the file name

    def options(self) -> ComposeResult:
        yield Label("")
        yield Checkbox("Also what was already exported in this format", id="all")

    def suggested(self, fmt: str) -> Path:
        app = self.app
        return circexport.default_path(app.store.path.parent / "exports", fmt, app.clock.now(), app.site.zone,
                                        self.desk)

    def write(self, fmt: str, path: str) -> circexport.ExportResult:
        return circexport.export(self.app.store, self.app.site, fmt, path,
                                 include_all=self.query_one("#all", Checkbox).value, create_folder=True)

"""The Solo Shift app: opens on the start screen, or on the desk of a shift still open."""

from __future__ import annotations

import logging
import time
from typing import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from shift.clock import Clock
from shift.keymap import COMMANDS
from shift.problems import Problem
from shift.procedures import Procedure
from shift.shifts import open_shift
from shift.site import Site
from shift.store import Store
from shift.text import printable
from tui.bindings import command_binding
from tui.help import HelpScreen
from tui.theme import HIGH_CONTRAST

log = logging.getLogger("solo_shift")


class SoloShiftApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Solo Shift"
    BINDINGS = [
        command_binding("app.help", "help"),
        command_binding("app.theme", "toggle_contrast", show=False),
        command_binding("app.quit", "quit", show=False, priority=True),
    ]

    def __init__(self, store: Store, site: Site, problems: list[Problem] = (),
                 procedures: list[Procedure] = (), procedure_problems: list[Problem] = (),
                 started: float | None = None) -> None:
        super().__init__()
        self.store = store
        self.site = site
        self.problems = list(problems)
        self.procedures = list(procedures)
        # How many procedure files were skipped for errors (the picker says so).
        self.procedure_errors = len({p.file for p in procedure_problems if p.is_error})
        self.clock: Clock = store.clock
        self._started = started
        self.title = site.name

    def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST)
        self.theme = self.site.theme
        if self.site.keys:
            self.set_keymap(self.site.keys)
        from tui.desk import desk_screen
        from tui.start import StartShiftScreen

        current = open_shift(self.store)
        if current is None:
            self.push_screen(StartShiftScreen())
        else:
            self.push_screen(desk_screen(self.site)(current))
            local = current.started_at.astimezone(self.site.zone)
            self.notify(f"Resumed the shift {printable(current.worker)} started at {local:%a %H:%M}.", markup=False)
        if self._started is not None:
            self.call_after_refresh(self._log_startup)

    def _log_startup(self) -> None:
        log.info("start-up to first screen: %.0f ms", (time.perf_counter() - self._started) * 1000)

    def show_desk(self, shift) -> None:
        from tui.desk import desk_screen

        self.switch_screen(desk_screen(self.site)(shift))

    def show_start(self) -> None:
        from tui.start import StartShiftScreen

        self.switch_screen(StartShiftScreen())

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        rows = []
        seen = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if (binding.action, key) in seen or not binding.description:
                continue
            seen.add((binding.action, key))
            rows.append((self.get_key_display(binding), binding.description))
        note = getattr(self.screen, "HELP_NOTE", "")
        self.push_screen(HelpScreen(rows, note))

    def action_toggle_contrast(self) -> None:
        normal = self.site.theme if self.site.theme != "high-contrast" else "textual-dark"
        self.theme = normal if self.theme == "high-contrast" else "high-contrast"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in COMMANDS:
            if command.id.startswith("app."):
                action = {"app.help": self.action_help, "app.theme": self.action_toggle_contrast,
                          "app.quit": self.action_quit}[command.id]
                yield SystemCommand(command.title, command.help, action)
        commands = getattr(screen, "palette_commands", None)
        if commands:
            yield from commands()

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
from shift.shifts import Shift, open_shift
from shift.site import Site
from shift.store import Store, StoreError
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
        self._refused = ""  # why the database cannot be used, if it cannot
        self._resumed: Shift | None = None
        self._started = started
        self.title = site.name

    def get_default_screen(self) -> Screen:
        """The first screen: the desk of a shift still open, else the start screen.

        Built as the app's only screen (rather than pushed over an empty one),
        which keeps the first layout to a single screen.
        """
        try:
            self.store.verify()  # the integrity check started when the file was opened
        except StoreError as exc:
            self._refused = str(exc)
            return Screen()
        self._resumed = open_shift(self.store)
        if self._resumed is None:
            from tui.start import StartShiftScreen

            return StartShiftScreen()
        from tui.desk import desk_screen

        return desk_screen(self.site)(self._resumed)

    def on_mount(self) -> None:
        if self._refused:
            self.exit(return_code=1, message=self._refused)
            return
        self.register_theme(HIGH_CONTRAST)
        self.theme = self.site.theme
        if self.site.keys:
            self.set_keymap(self.site.keys)
        if self._resumed is not None:
            local = self._resumed.started_at.astimezone(self.site.zone)
            self.notify(f"Resumed the shift {printable(self._resumed.worker)} started at {local:%a %H:%M}.",
                        markup=False)
        if self._started is not None:
            self.call_after_refresh(self._log_startup)

    def _log_startup(self) -> None:
        log.info("start-up to first screen: %.0f ms", (time.perf_counter() - self._started) * 1000)

    def _below(self) -> Screen | None:
        return self.screen_stack[-2] if len(self.screen_stack) > 1 else None

    async def show_desk(self, shift: Shift) -> None:
        """From the start screen to the desk: reuse a desk screen underneath, if any."""
        from tui.desk import DeskScreen, desk_screen

        below = self._below()
        if isinstance(below, DeskScreen):
            await self.pop_screen()
            await below.load(shift)
        else:
            await self.push_screen(desk_screen(self.site)(shift))

    async def show_start(self) -> None:
        """From the desk back to the start screen, shown afresh with the new handover."""
        from tui.start import StartShiftScreen

        below = self._below()
        if isinstance(below, StartShiftScreen):
            await self.pop_screen()
            await below.recompose()
            below.on_mount()
        else:
            await self.push_screen(StartShiftScreen())

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

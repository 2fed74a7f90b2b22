"""The Solo Shift app: opens on the start screen, or on the desk of a shift still open."""

from __future__ import annotations

import gc
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from textual import events
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from shift import lock, settings
from shift.clock import Clock
from shift.desk import DeskCore, Said
from shift.files import FileRefused
from shift.jurisdiction import drill_note
from shift.keymap import COMMAND_BY_ID, COMMANDS, key_label, safety_first
from shift.problems import Problem
from shift.shifts import Shift, open_shift
from shift.site import Site
from shift.store import Store, StoreError
from shift.text import printable
from tui.bindings import action_runner, command_binding, palette_help
from tui.theme import THEMES, app_theme
from tui.toasts import Toast, Toasts

if TYPE_CHECKING:
    from shift.companionserver import Changed, CompanionServer
    from shift.incidents import Draft
    from shift.procedures import Procedure
    from tui.lock import LockScreen
    from tui.timers import DeskTimers

log = logging.getLogger("solo_shift")
IDLE_CHECK_SECONDS = 2  # how often the idle lock looks at the clock
# The app's own keys that work on the lock screen: the safety keys, help, colours, moving between fields.
WHILE_LOCKED = frozenset({"emergency", "check_in", "panic", "acknowledge", "help", "toggle_contrast", "lock",
                          "next_field"})


class SoloShiftApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Solo Shift"
    BINDINGS = [
        command_binding("app.help", "help"),
        # Priority: a modal dialog (check-in, panic, any form) keeps only priority keys of the app.
        command_binding("app.theme", "toggle_contrast", show=False, priority=True),
        command_binding("app.quit", "quit", show=False, priority=True),
        command_binding("app.lock", "lock", show=False, priority=True),
        command_binding("emergency.open", "emergency", priority=True),
        command_binding("checkin.now", "check_in", priority=True),
        command_binding("checkin.panic", "panic", show=False, priority=True),
        command_binding("checkin.acknowledge", "acknowledge", show=False, priority=True),
        command_binding("companion.pair", "pair", show=False),
        # Moving between fields is handled as the key arrives (priority), not after the
        # field has taken its own keys: typed ahead in one burst, the text after a Tab
        # would otherwise land in the field being left.
        Binding("tab", "next_field(True)", show=False, priority=True),
        Binding("shift+tab", "next_field(False)", show=False, priority=True),
    ]

    def __init__(self, store: Store, site: Site, problems: list[Problem] = (),
                 procedures: list[Procedure] = (), procedure_problems: list[Problem] = (),
                 started: float | None = None, site_path: Path | None = None,
                 procedures_dir: Path | None = None, knowledge_dir: Path | None = None) -> None:
        super().__init__()
        self.knowledge_dir = knowledge_dir  # desk knowledge, read each time the search opens (None: none)
        self.site_path = site_path  # watched: timings are re-planned when it changes
        self.timers: "DeskTimers | None" = None
        self.store = store
        # Every operation and every timing or safety decision goes through the desk core.
        self.core = DeskCore(store, site)
        self.problems = list(problems)
        # Procedures are read from procedures_dir just after the first paint (or at
        # once, the first time anything asks for them); tests pass them ready.
        self._procedures_dir = procedures_dir
        self._procedures: list[Procedure] | None = None
        self._procedure_problems = list(procedure_problems)
        if procedures_dir is None:
            self._set_procedures(list(procedures), self._procedure_problems)
        self.clock: Clock = store.clock
        self._refused = ""  # why the database cannot be used, if it cannot
        self._told_check_failed = False
        self.survive_errors = False  # headless only (tests): set to try what the real desk does
        self._started = started
        self.title = site.name
        # Every toast goes through here: at most two, withdrawn with their cause, none over an emergency.
        self.toasts = Toasts(self, self._emergency_on_stack, self._say_in_emergency)
        self.last_activity = self.clock.now()  # the last key or mouse event: the idle lock counts from it
        self._lock_tries: lock.Tries | None = None
        self._under_lock: Callable[[], Screen] | None = None  # the first screen, built once unlocked
        self.companion: "CompanionServer | None" = None  # the phone page's server ([companion])
        self.companion_problem = ""  # why it is not serving, if it is not

    def _set_procedures(self, procedures: list[Procedure], problems: list[Problem]) -> None:
        from shift.procedures import emergency_protocols

        self._procedures = procedures
        # Emergency protocols never go missing: a broken file falls back to the bundled copy.
        self._emergency, self.emergency_fallbacks = emergency_protocols(procedures)
        # How many procedure files were skipped for errors (the picker says so).
        self.procedure_errors = len({p.file for p in problems if p.is_error})

    @property
    def site(self) -> Site:
        return self.core.site

    @site.setter
    def site(self, site: Site) -> None:
        self.core.site = site

    @property
    def procedures(self) -> list[Procedure]:
        if self._procedures is None:
            from shift.procedures import load_procedures

            self._set_procedures(*load_procedures(self._procedures_dir))
        return self._procedures

    @property
    def emergency_protocols(self) -> list[Procedure]:
        self.procedures  # noqa: B018 (loads them when not loaded yet)
        return self._emergency

    @property
    def procedures_loaded(self) -> list[Procedure]:
        """The procedures if already read, else none (for what may wait a moment)."""
        if self._procedures is None:
            return []
        return self._procedures + [p for p in self._emergency if p.id in self.emergency_fallbacks]

    def get_default_screen(self) -> Screen:
        """The first screen: the lock screen when the desk was left locked, else the desk of a
        shift still open, else the start screen.

        Built as the app's only screen (rather than pushed over an empty one),
        which keeps the first layout to a single screen. It does not wait for the
        integrity check started when the file was opened (see _watch_check).
        """
        try:
            resumed = open_shift(self.store)
            left_locked = lock.left_locked(self.store)
        except sqlite3.DatabaseError:
            # A damaged file can fail a read before its check is done: wait for the verdict.
            try:
                self.store.verify()
            except StoreError as exc:
                self._refused = str(exc)
                return Screen()
            raise
        if left_locked:  # closed or killed while locked: it opens locked
            cover = self._lock_screen("idle")  # quiet here: no screen yet to say anything on
            if cover is None:
                self.call_later(self._lock_screen, "")  # says why it could not lock (a refused pins file)
            else:
                # The lock screen is the first screen: the desk is built only once a PIN is
                # entered, so nothing of it is drawn and none of its keys works before that.
                self._under_lock = lambda: self._first_screen(resumed)
                return cover
        return self._first_screen(resumed)

    def _first_screen(self, resumed: Shift | None) -> Screen:
        if resumed is None:
            from tui.start import StartShiftScreen

            return StartShiftScreen()
        from tui.desk import desk_screen

        # Said on the desk's status line: a toast would cost the first paint a layer of its own.
        local = resumed.started_at.astimezone(self.site.zone)
        return desk_screen(self.site)(
            resumed, f"Resumed the shift {printable(resumed.worker)} started at {local:%a %H:%M}.")

    def on_mount(self) -> None:
        if self._refused:
            self.exit(return_code=1, message=self._refused)
            return
        for theme in THEMES:
            self.register_theme(theme)
        # The desk's last F9 choice, kept beside the database, wins over the site's theme.
        self.settings_path = settings.settings_path(self.store.path)
        self.desk_settings = settings.load(self.settings_path)
        self.theme = app_theme(settings.theme_at_start(self.site.theme, self.desk_settings))
        if self.site.keys:
            self.set_keymap(self.site.keys)
        self.call_after_refresh(self._first_paint_done)
        self._check_watch = self.set_interval(0.1, self._watch_check)
        # Timers start just after the first screen is painted: they import and
        # start APScheduler, which the first paint does not need to wait for.
        self.set_timer(0.25, self._start_timers)
        if self.site.companion is not None:
            self.set_timer(0.3, self._start_companion)  # aiohttp is imported after the first paint too
        self.set_interval(2, self._flush_pending)
        self.set_interval(1, self._check_toasts)
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_lock)

    def _watch_check(self) -> None:
        """The integrity check runs once the first screen is up (0.4 s on five years of records).

        Until its verdict every write waits for it (Store.verify): a key pressed in that moment
        is recorded a moment later, never into a damaged file; reads go ahead. A failed check is
        said as before: the desk closes with the message and status 1, the file unchanged. What
        was recorded in the moment before is kept in memory, then in the waiting file beside the
        database (main.py says so). Only what is under way is not cut short: an emergency (F8
        works throughout), the panic countdown, a dialog, or an alarm still open. The failure is
        then said (on the walkthrough's message line during an emergency), every write stays in
        memory, and the desk closes once only its first screen is left and no alarm is open.
        """
        verdict = self.store.checked()
        if verdict is None:
            return
        if verdict:
            self._check_watch.stop()
            changed = self.store.rules_changed()
            if changed:  # tampering, or a repair by hand: recorded on, and said until closed
                self.notify(changed, severity="error", markup=False, timeout=3600)
            return
        try:
            self.store.verify()
            return  # (it failed: verify says why)
        except StoreError as exc:
            message = str(exc)
        if len(self.screen_stack) <= 1 and not self._alarm_raised():
            self._check_watch.stop()
            self.exit(return_code=1, message=message)
        elif not self._told_check_failed and (getattr(self.screen, "show_news", None) is not None
                                              or not self._emergency_on_stack()):
            # The emergency picker has no message line: said once a protocol is chosen (after the
            # walkthrough's own first hint), or as a toast once the picker is left.
            self._told_check_failed = True
            self.call_after_refresh(
                self.notify, f"{message} Nothing more is written to it: entries are kept in memory, and in a "
                "file beside it when the desk closes, which it does once this is done.",
                severity="error", markup=False, timeout=3600)

    # -- the lock screen ----------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # Any key or mouse use counts as someone at the desk: the idle lock waits from the last one.
        if isinstance(event, (events.Key, events.MouseDown, events.MouseMove, events.MouseScrollDown,
                              events.MouseScrollUp)):
            self.last_activity = self.clock.now()
        await super().on_event(event)

    @property
    def locked(self) -> bool:
        from tui.lock import LockScreen

        return any(isinstance(screen, LockScreen) for screen in self.screen_stack)

    @property
    def lock_tries(self) -> lock.Tries:
        """Wrong PIN tries since the last unlock, read from the record once (a restart keeps the wait)."""
        if self._lock_tries is None:
            self._lock_tries = lock.tries_since_unlock(self.store)
        return self._lock_tries

    def action_lock(self, how: str = "key") -> None:
        """Cover everything with the lock screen (`how`: "key" or "idle")."""
        if self.locked:
            return
        cover = self._lock_screen(how)
        if cover is None:
            return
        shift = self.core.shift()
        lock.record(self.store, "locked", shift.id if shift else None, how)
        self.push_screen(cover)
        self.toasts.sync()  # toasts come down before the lock screen is drawn (they may name the worker)

    def _lock_screen(self, how: str) -> "LockScreen | None":
        """A lock screen with the staff PINs, or None (said, except for the idle lock) when there is none."""
        from tui.lock import LockScreen

        try:
            pins = lock.read_pins(Path(self.site.lock.pins_file)) if self.site.lock.pins_file else []
        except FileRefused as exc:
            if how != "idle":
                self.notify(f"The screen cannot be locked: {exc}", severity="error", markup=False, timeout=10)
            return None
        if not pins:
            if how == "key":
                self.notify("No staff PIN is set, so the screen cannot be locked: the coordinator sets one with "
                            "python main.py pin set NAME.", severity="warning", markup=False, timeout=10)
            return None
        return LockScreen(pins, self.site.lock.pins_file)

    def check_idle_lock(self) -> None:
        """Lock after the site's idle minutes; never over an emergency under way (the number to
        dial stays in sight) or the panic countdown."""
        from tui.checkin import PanicScreen

        if not self.screen_stack or self.locked or self._in_emergency() or isinstance(self.screen, PanicScreen):
            return
        if lock.idle_due(self.last_activity, self.clock.now(), self.site.lock):
            self.action_lock("idle")

    def lock_wrong_pin(self) -> None:
        now = self.clock.now()
        self.lock_tries.failed(now)
        shift = self.core.shift()
        lock.record(self.store, "wrong_pin", shift.id if shift else None)

    def unlocked(self, who: str) -> None:
        """The right PIN: back to exactly where the worker was (the screens under the lock)."""
        from tui.lock import LockScreen

        shift = self.core.shift()
        lock.record(self.store, "unlocked", shift.id if shift else None, who=who)
        self.lock_tries.clear()
        self.last_activity = self.clock.now()
        if isinstance(self.screen, LockScreen):
            if self._under_lock is not None and len(self.screen_stack) == 1:  # it opened locked
                # switch_screen drops the replaced screen's result callback, which the app's first
                # screen never had (Textual 8.2.8 then fails with an empty stack): give it one.
                self.screen._push_result_callback(self, None)
                self.switch_screen(self._under_lock())
                self._under_lock = None
            else:
                self.pop_screen()
        self.call_later(self.toasts.sync)  # what was held while locked shows now

    def _alarm_raised(self) -> bool:
        try:
            return self.core.alarm_raised()
        except sqlite3.DatabaseError:  # too damaged to read: nothing to keep the desk open for
            return False

    def _handle_exception(self, error: Exception) -> None:
        """An error nobody expected: logged with its traceback, and the desk goes on.

        Textual ends the app on any unhandled error, which would leave a person
        alone at the desk with no emergency key. Textual has no public hook for
        this, so this one private method is overridden (checked against 8.2.8).
        Under test (headless) errors still end the app, so no test hides one.
        """
        if self.is_headless and not self.survive_errors:
            super()._handle_exception(error)
            return
        log.error("unexpected error; the desk goes on", exc_info=error)
        self.notify(f"Something went wrong ({type(error).__name__}); it is written in the desk log. "
                    "The desk goes on: F8 and F12 work.", severity="error", markup=False, timeout=15,
                    about="fault")  # the same fault again replaces this toast, not stacks another

    def action_next_field(self, forward: bool) -> None:
        if not self.screen.focus_chain:
            raise SkipAction()  # no fields here: the screen's own Tab (drill mode in the emergency picker)
        if forward:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def _flush_pending(self) -> None:
        """Retry entries the disk refused (kept in memory, in order)."""
        waited, left = self.core.flush()
        if waited and not left:
            self.notify("Storage is back: every entry kept in memory is now saved.", markup=False)
            self.refresh_timers()

    async def action_quit(self) -> None:
        """Close the app; with entries still waiting for storage, only after a clear y."""
        from tui.ask import Confirm

        _, left = self.core.flush()
        stops = self.core.quit_warning(self.clock.now())
        if not left and not stops:
            self.exit()
            return
        question = (f"{left} entries are still waiting for storage (the database refuses them). If you "
                    "quit, they are kept in a file beside the database and written at the next start; "
                    "if that file cannot be written either, they are lost. " if left else "") + stops
        self.push_screen(Confirm(f"{question} Quit anyway?".strip(), enter_is_yes=False),
                         lambda yes: self.exit() if yes else None)

    # -- toasts -------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True, about: str = "") -> None:
        """A toast, through the desk's rules (tui/toasts.py); `about` names the condition it is
        about ("checkin", "channel", "prompt:KEY"), so it goes when that condition does."""
        if threading.current_thread() is not threading.main_thread():
            self.call_from_thread(self.notify, message, title=title, severity=severity, timeout=timeout,
                                  markup=markup, about=about)
            return
        self.toasts.add(Toast(message, title, severity, self.NOTIFICATION_TIMEOUT if timeout is None else timeout,
                              markup, about))

    def _emergency_on_stack(self) -> bool:
        return any(getattr(screen, "NO_TOASTS", False) for screen in self.screen_stack)

    def _say_in_emergency(self, toast: Toast) -> None:
        """A toast held back during an emergency is said on the walkthrough's message line."""
        for screen in reversed(self.screen_stack):
            show_news = getattr(screen, "show_news", None)
            if show_news is not None:
                show_news(toast.message, toast.severity)
                return

    def _check_toasts(self) -> None:
        """Each second: toasts whose time is up, or whose cause is gone, come down; held ones go up."""
        if any(t.about for t in self.toasts.toasts):
            self.withdraw_settled()
        else:
            self.toasts.sync()

    def withdraw_settled(self) -> None:
        """Take down toasts about something that is no longer so (asked of the desk core)."""
        now = self.clock.now()
        self.toasts.withdraw(lambda about: self.core.still_so(about, now))

    def key_for(self, command_id: str) -> str:
        """How the key of a command is shown (after the site's remapping)."""
        return key_label(self.keys_of(command_id).split(",")[0])

    def keys_of(self, command_id: str) -> str:
        """The keys of a command after the site's remapping, as Textual names them."""
        keys = self.site.keys.get(command_id) if self.site.keys else None
        return keys or COMMAND_BY_ID[command_id].keys

    def get_key_display(self, binding: Binding) -> str:
        """Every key shown anywhere (key bar, help, palette, messages) in one notation:
        "Ctrl+E", "Esc", "F7", "$" (shift/keymap.py decides it)."""
        return binding.key_display or key_label(binding.key)

    def say(self, said: Said, title: str = "") -> None:
        self.notify(said.text, title=title, severity="information" if said.ok else "error",
                    markup=False, timeout=5 if said.ok else 10)

    def _start_timers(self) -> None:
        from tui.timers import DeskTimers  # APScheduler: imported after the desk is on screen

        if not self.screen_stack:
            return  # the app is closing
        if self.store.checked() is None:
            # What the timers record at once (a channel test, a missed prompt) would wait for the
            # integrity check on this thread: they start at its verdict (passed or failed).
            self.set_timer(0.1, self._start_timers)
            return
        self.procedures  # noqa: B018 (read the procedure files now, after the first paint)
        self.timers = DeskTimers(self)
        self.timers.start()

    async def on_unmount(self) -> None:
        if self.timers is not None:
            self.timers.shutdown()
        if self.companion is not None:
            await self.companion.stop()

    # -- the phone companion ------------------------------------------------

    def _start_companion(self) -> None:
        from shift.companionserver import CompanionServer

        config = self.site.companion
        if config is None or self.companion is not None or not self.screen_stack:
            return
        self.companion = CompanionServer(self.core, config, self._from_companion)
        self.run_worker(self._serve(self.companion), group="companion", exit_on_error=False)

    async def _serve(self, server: "CompanionServer") -> None:
        """On this loop, beside the desk: its requests are handled between key presses."""
        import ssl

        try:
            await server.start()
        except (OSError, ssl.SSLError) as exc:
            from tui.pairing import PairingScreen

            self.companion_problem = f"The phone page is not being served: {exc}"
            log.error("companion not started: %s", exc)
            if isinstance(self.screen, PairingScreen):  # a code shown a moment before: taken down
                self.screen.dismiss(None)
            self.notify(f"{self.companion_problem}. Check-ins work at the desk (F5).", severity="error",
                        markup=False, timeout=30)

    def _from_companion(self, changed: "Changed") -> None:
        """An action from a phone: said on the desk, and everything recomputed now (a panic's chain
        starts at once, a stand-down goes out, the check-in line shows where it came from)."""
        from tui.pairing import PairingScreen

        if changed.what == "paired" and isinstance(self.screen, PairingScreen):
            self.screen.dismiss(None)  # the phone opened its page: the code has done its work
        if changed.news:
            self.notify(changed.news, title="Phone", severity="error" if changed.what == "panic" else "information",
                        markup=False, timeout=15 if changed.what == "panic" else 8)
        self._tick_now()
        if changed.what == "step":
            self.refresh_timers(runs=True)

    def action_pair(self) -> None:
        """A new pairing code for the open shift (the one before stops working), as a QR code."""
        from shift import companion
        from tui.pairing import PairingScreen

        config = self.site.companion
        if config is None:
            self.notify("No phone companion is set up: [companion] in site.toml (see the README).", markup=False)
            return
        shift = self.core.shift()
        if shift is None:
            self.notify("Start the shift first: a phone is paired with a shift.", markup=False)
            return
        if isinstance(self.screen, PairingScreen):
            return
        if self.companion_problem:
            # No code: whatever holds the address would be sent the token by the phone that scans it.
            self.notify(f"{self.companion_problem}. No pairing code is shown. Check-ins work at the desk (F5).",
                        severity="error", markup=False, timeout=15)
            return
        token = companion.pair(self.store, shift)
        self.push_screen(PairingScreen(companion.worker_url(config, token)),
                         lambda _: self.call_later(self.toasts.sync))  # what waited shows now
        self.toasts.sync()  # toasts come down before the code is drawn: nothing covers it

    def refresh_timers(self, runs: bool = False) -> None:
        """Tell every screen the desk's state changed (prompts, check-ins, records; runs too)."""
        from tui.messages import DeskChanged

        for screen in self.screen_stack:
            screen.post_message(DeskChanged(runs))
        self.withdraw_settled()

    # -- emergencies ------------------------------------------------------

    def _in_emergency(self) -> bool:
        from tui.emergency import EmergencyPicker, EmergencyScreen

        return isinstance(self.screen, (EmergencyPicker, EmergencyScreen))

    def action_emergency(self) -> None:
        from shift import runs
        from tui.emergency import EmergencyPicker

        if self._in_emergency():
            return
        shift = open_shift(self.store)
        in_progress = {r.procedure.id for r in runs.open_runs(self.store, shift)} if shift else set()
        note, _ = drill_note(self.site.jurisdiction, runs.last_drill(self.store), self.clock.now(), self.site.zone,
                             with_rule=False)  # the picker's one line; the rule is in the report
        picker = EmergencyPicker(self.emergency_protocols, in_progress, note)
        self.push_screen(picker, self._start_emergency)
        self.toasts.sync()  # toasts come down before the picker is drawn

    def start_emergency(self, procedure: "Procedure") -> None:
        """A protocol chosen by name (the palette's "emergency: fire alarm"): what F8 then its key
        does — the emergency screen, with the number to dial — and nothing while one is open."""
        if not self._in_emergency():
            self._start_emergency((procedure, False))

    def _start_emergency(self, chosen: "tuple[Procedure, bool] | None") -> None:
        from tui.emergency import EmergencyScreen, contacts_block

        if chosen is None:
            self.call_later(self.toasts.sync)  # what waited during the picker may show now
            return
        procedure, drill = chosen
        try:
            run = self.core.start_emergency(procedure, drill)
        except Exception:  # never storage (kept in memory): a fault of ours, logged, and the number shown
            log.exception("emergency %s could not start", procedure.id)
            dial, address = contacts_block(self.site)
            self.notify(f"{dial}. {address}. The walkthrough could not open: follow the protocol on paper.",
                        severity="error", markup=False, timeout=60)
            return
        self.push_screen(EmergencyScreen(run), self._after_emergency)
        self.toasts.sync()

    def _after_emergency(self, draft: "Draft | None") -> None:
        from tui.ask import Confirm

        self.refresh_timers(runs=True)
        self.call_later(self.toasts.sync)  # what waited during the walkthrough shows now
        if draft is None:
            return
        if self.locked:  # the form shows the worker's name: not over the lock screen
            self.notify(f"The emergency's draft incident report waits under Incidents "
                        f"({self.key_for('incident.browse')}).", markup=False, timeout=15)
            return

        def answered(now: bool | None) -> None:
            shift = open_shift(self.store)
            if now and shift is not None:
                from tui.incident import IncidentFormScreen

                self.push_screen(IncidentFormScreen(shift, draft), lambda _: self.refresh_timers())

        self.push_screen(Confirm(
            "Write the incident report now? It is prefilled from the timeline (category, times, place, "
            "actions). If not now, the draft waits under Incidents (Ctrl+F) and in the shift report."), answered)

    # -- lone worker ------------------------------------------------------

    def action_check_in(self) -> None:
        from tui.checkin import CheckinScreen

        if not isinstance(self.screen, CheckinScreen):
            self.push_screen(CheckinScreen(), self._checked_in)

    def _checked_in(self, code: str | None) -> None:
        if code is None:
            return
        self.say(self.core.check_in(code))
        self._tick_now()

    def action_panic(self) -> None:
        from tui.checkin import PanicScreen

        if not isinstance(self.screen, PanicScreen):
            self.push_screen(PanicScreen(), self._panic)

    def _panic(self, raise_it: bool | None) -> None:
        if not raise_it:
            return
        said = self.core.panic()
        self.notify(said.text, severity="error", markup=False, timeout=10)
        self._tick_now()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action not in WHILE_LOCKED:
            return False  # locked: nobody closes the desk or runs its commands (a restart opens it locked anyway)
        if action == "acknowledge":
            return self.core.alarm_open()  # offered only while an alarm is raised
        return True

    def action_acknowledge(self) -> None:
        from tui.ask import AskText

        if not self.core.alarm_open():
            return
        self.push_screen(AskText("Acknowledge the alarm", "Who answered it (name, role)?", required=True),
                         self._acknowledged)

    def _acknowledged(self, who: str | None) -> None:
        if who:
            self.say(self.core.acknowledge(who))
            self._tick_now()  # the stand-down goes out now, not at the next wake-up

    def _tick_now(self) -> None:
        if self.timers is not None:
            self.timers.check()
        else:
            self.refresh_timers()

    def step_completed(self, procedure_id: str, step_id: str) -> None:
        """A procedure step that does a timed task (completed_by) marks that day's prompt done."""
        self.core.step_completed(procedure_id, step_id)
        self.refresh_timers()

    def _first_paint_done(self) -> None:
        self.store.start_check()  # deferred by main.open_desk: it took no processor time from the start-up
        if not gc.isenabled():  # paused by main.open_desk for the start-up
            # What start-up built lives all evening: frozen, the collector never scans it
            # again. Resuming without this costs the first paint a collection over all of
            # it (~30 ms); the price is that a few start-up cycles are never freed.
            gc.freeze()
            gc.enable()
        if self._started is not None:
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
        if self.timers is not None:
            self.timers.check()  # the new shift's alert channels are tested now, not at the next wake-up
        if self.site.companion is not None:
            self.action_pair()  # the worker pairs the phone as the shift starts

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
        from tui.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        # One row per binding with all its keys ("s, Ctrl+S"); the safety keys first.
        keys: dict[str, list[str]] = {}
        about: dict[str, str] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            # Textual's own (focus, copy) have no id and are not the desk's keys.
            if not binding.description or not binding.id:
                continue
            group = keys.setdefault(binding.id, [])
            if key_label(key) not in group:
                group.append(key_label(key))
            command = COMMAND_BY_ID.get(binding.id)
            about[binding.id] = command.help if command else binding.description
        ids = list(keys)
        rows = [(", ".join(keys[ids[i]]), about[ids[i]]) for i in safety_first(ids)]
        note = getattr(self.screen, "HELP_NOTE", "")
        self.push_screen(HelpScreen(rows, note, palette=not self.locked))

    def action_toggle_contrast(self) -> None:
        """F9 on every screen, remembered at this desk (a file beside the database) for the next start."""
        chosen = settings.toggled(self.site.theme, self.theme)
        self.theme = app_theme(chosen)
        self.desk_settings = self.desk_settings._replace(high_contrast=chosen == settings.HIGH_CONTRAST)
        try:
            settings.save(self.settings_path, self.desk_settings)
        except FileRefused as exc:
            log.warning("theme choice not kept: %s", exc)
            self.notify(f"{'High contrast' if chosen == settings.HIGH_CONTRAST else 'Normal colours'} until the "
                        f"desk closes; not remembered after a restart: {exc}", severity="warning", markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Every app-wide binding (those that work on every screen) is also a palette command.
        actions = {binding.id: binding.action for binding in self.BINDINGS if getattr(binding, "id", None)}
        for command in COMMANDS:
            if command.id in actions:
                yield SystemCommand(command.title, palette_help(self.keys_of(command.id), command.help),
                                    action_runner(self, actions[command.id]))
        # Every emergency protocol by name, likeliest first, as "emergency: fire alarm".
        for protocol in self.emergency_protocols:
            yield SystemCommand(f"emergency: {protocol.short_title.lower()}",
                                f"{self.key_for('emergency.open')}, then {protocol.key} · {protocol.title}",
                                lambda p=protocol: self.start_emergency(p))
        commands = getattr(screen, "palette_commands", None)
        if commands:
            yield from commands()


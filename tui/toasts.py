"""The desk's toasts: few, above the key bar, gone when their cause is, never over an emergency.

Every `App.notify` goes through `Toasts.add` (the app overrides `notify`):

- at most two at once: a third pushes out the least serious, oldest first (so two
  errors are never hidden by news that a tally was saved);
- a message about a condition (`about`: "checkin", "channel", "prompt:KEY") replaces
  the one before it about the same thing, and is withdrawn as soon as the desk core
  says the condition is gone (`DeskCore.still_so`), e.g. "Check in now" once the
  person has checked in;
- while an emergency (its picker or walkthrough) is anywhere on the screen stack,
  nothing is shown: toasts wait, their time starting when they are first seen, and
  any already up are taken down (the walkthrough is never covered); meanwhile each
  new one is also handed to `on_held`, which says it on the walkthrough's own
  message line (the person who pressed F12 mid-emergency sees "Alarm raised");
- the key bar moves the toast rack above itself (`KeyBar.lay_out`).

Only public Textual pieces are used: a `Notification` posted as a `Notify` message,
`App.clear_notifications`. Taking one toast down is done by ending its notification
(its timeout set to 0: Textual drops expired ones) and showing the rest again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from textual.notifications import Notification, Notify, SeverityLevel

if TYPE_CHECKING:
    from textual.app import App

MAX_SHOWN = 2
_RANK = {"information": 0, "warning": 1, "error": 2}


@dataclass(eq=False)
class Toast:
    message: str
    title: str = ""
    severity: SeverityLevel = "information"
    timeout: float = 5.0
    markup: bool = True
    about: str = ""
    shown_at: float | None = None  # when first on screen: its time runs from then
    notification: Notification | None = field(default=None, repr=False)

    def expired(self, now: float) -> bool:
        return self.shown_at is not None and now >= self.shown_at + self.timeout


class Toasts:
    def __init__(self, app: "App", holding: Callable[[], bool],
                 on_held: Callable[[Toast], None] | None = None) -> None:
        self.app = app
        self.holding = holding  # True while nothing may be shown (an emergency on the stack)
        self.on_held = on_held  # told of each toast that arrives while held
        self.toasts: list[Toast] = []  # at most MAX_SHOWN, oldest first
        self._up: list[Toast] = []  # those posted to Textual now

    def showing(self) -> list[Toast]:
        """What is on screen now (nothing while held)."""
        self.sync()
        return list(self._up)

    def add(self, toast: Toast) -> None:
        if toast.about:
            self.toasts = [t for t in self.toasts if t.about != toast.about]
        self.toasts.append(toast)
        while len(self.toasts) > MAX_SHOWN:
            # The least serious goes first; among equals the oldest.
            self.toasts.remove(min(self.toasts, key=lambda t: _RANK.get(t.severity, 0)))
        if self.on_held is not None and self.holding():
            self.on_held(toast)
        self.sync()

    def withdraw(self, keep: Callable[[str], bool]) -> None:
        """Take down every toast about a condition that `keep(about)` says is gone."""
        self.toasts = [t for t in self.toasts if not t.about or keep(t.about)]
        self.sync()

    def sync(self) -> None:
        """Make what Textual shows match `self.toasts` (or nothing, while held)."""
        now = time.time()
        self.toasts = [t for t in self.toasts if not t.expired(now)]
        self._up = [t for t in self._up if not t.expired(now)]  # Textual takes those down itself
        held = self.holding()
        wanted = [] if held else list(self.toasts)
        if held:
            # Toasts already up on a screen beneath (seen through a dialog) come down too.
            for screen in self.app.screen_stack:
                screen.query("ToastHolder").remove()
        if wanted == self._up:
            return
        if all(t in wanted for t in self._up):  # only new ones: post them, leave the rest as they are
            for toast in wanted:
                if toast not in self._up:
                    self._post(toast, now)
            self._up = wanted
            return
        for toast in self._up:  # one goes: end them all and show the rest again
            if toast.notification is not None:
                toast.notification.timeout = 0  # a Notify still on its way is dropped as expired
        self.app.clear_notifications()
        for toast in wanted:
            self._post(toast, now)
        self._up = wanted

    def _post(self, toast: Toast, now: float) -> None:
        if toast.shown_at is None:
            toast.shown_at = now
        left = toast.shown_at + toast.timeout - now
        toast.notification = Notification(toast.message, toast.title, toast.severity, left, markup=toast.markup)
        self.app.post_message(Notify(toast.notification))

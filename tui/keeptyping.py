"""Forms whose typing survives a crash, a power cut or a closed window.

A form screen says what it holds (`typed`) and how to put it back (`retype`);
once a second, what changed is written to disk (shift/unsaved.py). Opening
the form again brings it back; saving or giving it up clears it.
"""

from __future__ import annotations

import logging
import sqlite3

from shift import unsaved

log = logging.getLogger("solo_shift")
KEEP_EVERY = 1.0  # seconds: at most one write a second while someone types


class KeepsTyping:
    """Mixin for a form screen (before the Screen class in its bases)."""

    def unsaved_key(self) -> tuple[str, str]:
        """(shift id, form name) the typing is kept under."""
        raise NotImplementedError

    def typed(self) -> dict[str, str]:
        raise NotImplementedError

    def retype(self, fields: dict[str, str]) -> None:
        raise NotImplementedError

    def bring_back_typing(self) -> None:
        """Put back what was kept for this form, then keep what is typed from now on."""
        found = unsaved.recover(self.app.store, *self.unsaved_key())
        if found is not None:
            fields, at = found
            self.retype(fields)
            self.app.notify(f"Brought back what was typed here before (kept at "
                            f"{at.astimezone(self.app.site.zone):%H:%M}).", markup=False)
        self._kept: dict[str, str] | None = self.typed()
        self.set_interval(KEEP_EVERY, self.keep_typing)

    def keep_typing(self) -> None:
        if getattr(self, "_kept", None) is None:
            return  # not opened yet, or saved or given up
        now = self.typed()
        if now == self._kept:
            return
        try:
            unsaved.keep(self.app.store, *self.unsaved_key(), now)
        except sqlite3.Error as exc:  # tried again next second; the text is still on screen
            log.error("typing in %s not kept: %s", self.unsaved_key()[1], exc)
            return
        self._kept = now

    def typing_done(self) -> None:
        """The form was saved or given up: forget what was kept."""
        self._kept = None
        try:
            unsaved.clear(self.app.store, *self.unsaved_key())
        except sqlite3.Error as exc:  # at worst the text comes back once more
            log.error("kept typing of %s not cleared: %s", self.unsaved_key()[1], exc)

    def dismiss(self, result=None):
        self.keep_typing()  # closed without saving (Esc): keep the last of it, not the last second's
        return super().dismiss(result)

"""Messages the app sends to its screens: screens update themselves, nobody reaches into them."""

from __future__ import annotations

from textual.message import Message


class DeskChanged(Message, bubble=False):
    """The desk's state changed: prompts, check-ins and records (and, with `runs`, procedure runs)."""

    def __init__(self, runs: bool = False) -> None:
        super().__init__()
        self.runs = runs

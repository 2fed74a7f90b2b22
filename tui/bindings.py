"""Bindings built from the command table in shift/keymap.py: one id, one default key."""

from textual.binding import Binding

from shift.keymap import COMMANDS


def command_binding(command_id: str, action: str, show: bool = True, priority: bool = False) -> Binding:
    command = next(c for c in COMMANDS if c.id == command_id)
    label = command.title.split(": ", 1)[1].capitalize()
    return Binding(command.keys, action, label, id=command.id, show=show, priority=priority)

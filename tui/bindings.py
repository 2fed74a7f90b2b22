"""Bindings built from the command table in shift/keymap.py: one id, one default key."""

from typing import Iterator

from textual.app import SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from shift.keymap import COMMANDS, keys_label


def command_binding(command_id: str, action: str, show: bool = True, priority: bool = False) -> Binding:
    command = next(c for c in COMMANDS if c.id == command_id)
    label = command.label or command.title.split(": ", 1)[1].capitalize()
    return Binding(command.keys, action, label, id=command.id, show=show, priority=priority)


def action_runner(node: DOMNode, action: str):
    """A palette callback that runs `action` on `node`, as its key would."""
    async def run() -> None:
        await node.run_action(action)
    return run


def screen_commands(screen: Screen, namespace: str) -> Iterator[SystemCommand]:
    """A screen's own keys in the command palette, as "namespace: what it does"."""
    for binding in screen.BINDINGS:
        yield SystemCommand(f"{namespace}: {binding.description.lower()}", palette_help(binding.key),
                            action_runner(screen, binding.action))


def palette_help(keys: str, text: str = "") -> str:
    """A palette entry's second line: its keys in the desk's one notation, then what it does."""
    shown = keys_label(keys, " or ")
    return f"{shown} · {text}" if text else shown

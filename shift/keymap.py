"""The desk's commands and their default keys, as data.

The TUI builds its bindings from this table (each binding's id is the key
here), and a site may remap any of them in `[keys]` of site.toml. Keeping it
outside the TUI lets `check` validate a remapping without starting Textual.
"""

import unicodedata
from typing import NamedTuple


class Command(NamedTuple):
    id: str
    keys: str  # Textual key names, comma-separated
    title: str  # namespaced, as shown in the command palette
    help: str
    label: str = ""  # a short label for the key bar, when the title is too long for it


COMMANDS: tuple[Command, ...] = (
    Command("app.help", "f1,question_mark", "app: help", "List every key"),
    Command("emergency.open", "f8", "emergency: emergency protocols", "The emergency picker, from every screen",
            "EMERGENCY"),
    Command("app.theme", "f9", "app: toggle high contrast", "Switch the high-contrast theme on or off"),
    Command("app.quit", "ctrl+q", "app: quit", "Close the app (the shift stays open)"),
    # Not Ctrl+L: offline circulation's Loan key. A desk run inside tmux (whose prefix is Ctrl+B) remaps it in [keys].
    Command("app.lock", "ctrl+b", "app: lock the screen",
            "Hide everything until a staff PIN is entered (F8, F5 and F12 still work)", "Lock"),
    Command("tally.undo", "u", "tally: undo last entry", "Void the last desk-statistics entry", "Undo"),
    Command("tally.detail", "l", "tally: log with details", "Late entry: count, time, channel, READ, note", "Details"),
    Command("tally.clear", "escape", "tally: clear channel and READ",
            "Forget the channel/READ chosen for the next entry"),
    Command("shift.end", "ctrl+e", "shift: end shift", "Write the handover note and end the shift"),
    Command("report.view", "ctrl+r", "report: this shift so far", "The end-of-shift report as it stands now"),
    Command("stats.view", "ctrl+t", "stats: desk statistics",
            "Desk statistics, last four weeks: load by weekday and hour, types, survey figures", "Statistics"),
    Command("report.past", "ctrl+d", "report: past shifts",
            "Every shift, newest first: open its report, email it, write it to a file", "Past shifts"),
    Command("shift.followups", "f", "shift: follow-ups", "See and resolve what earlier shifts left open"),
    Command("checkin.now", "f5", "checkin: check in", "Lone-worker check-in (works from every screen)"),
    Command("checkin.panic", "f12", "checkin: panic alarm", "Raise an alarm after a 5-second countdown (Esc cancels)"),
    # Not Ctrl+K: text fields use it (delete to the end of the line). Offered only while an alarm is raised.
    Command("checkin.acknowledge", "ctrl+g", "checkin: acknowledge alarm", "Record who answered a raised alarm"),
    Command("prompt.done", "x", "prompt: done", "Mark the selected Due now task done"),
    Command("prompt.snooze", "z", "prompt: snooze", "Snooze the selected Due now task for 5, 10 or 15 minutes"),
    Command("prompt.skip", "s", "prompt: skip", "Skip the selected Due now task, with a reason"),
    Command("prompt.up", "up", "prompt: select the one above", "Move the Due now selection up"),
    Command("prompt.down", "down", "prompt: select the one below", "Move the Due now selection down"),
    Command("procedure.list", "f2", "procedure: all procedures", "Every procedure; resume one in progress",
            "Procedures"),
    Command("procedure.opening", "f3", "procedure: opening", "Run (or resume) the opening procedure", "Opening"),
    Command("procedure.closing", "f4", "procedure: closing", "Run (or resume) the closing procedure"),
    Command("incident.new", "f6", "incident: new incident report",
            "Record an incident (only category, time, place and what happened are required)", "Incident"),
    Command("incident.browse", "ctrl+f", "incident: browse and search",
            "Past incidents by date, category and text; add a supplement", "Incidents"),
    Command("circ.scan", "f7", "circulation: offline circulation",
            "Loans, returns, renewals and in-house use while the main system is down", "Circulation"),
    Command("money.fee", "dollar_sign", "money: fine or fee taken",
            "Record money taken at the desk (amount, method, receipt)", "Fee"),
    Command("knowledge.search", "slash", "knowledge: search desk knowledge",
            "Referrals, ready answers, policies and notices: type a few letters, Enter opens one", "Knowledge"),
    Command("companion.pair", "ctrl+y", "companion: pair a phone",
            "The QR code that pairs the worker's phone with this shift ([companion] in site.toml); "
            "a new code stops the old one working", "Pair phone"),
    # On an opened desk-knowledge entry. Not letters: the site's channel keys log the question there.
    Command("knowledge.copy", "ctrl+c", "knowledge: copy the entry",
            "Copy an opened entry's contact details or answer text, for a reply by email", "Copy"),
    Command("knowledge.report", "exclamation_mark", "knowledge: report the problem",
            "On a ready answer with a problem report form (a broken link): fill it in; it is recorded and emailed",
            "Report problem"),
    Command("money.override", "o", "money: policy override", "Record a policy override: what, why, who approved",
            "Override"),
)

COMMAND_BY_ID = {c.id: c for c in COMMANDS}

# READ levels 1-6 are typed as a prefix before a statistics key.
READ_KEYS = tuple(str(n) for n in range(1, 7))


def default_keys() -> dict[str, str]:
    return {c.id: c.keys for c in COMMANDS}


def reserved_keys(remap: dict[str, str] | None = None) -> frozenset[str]:
    """Keys the app itself uses, after a site's remapping."""
    keys = default_keys()
    keys.update(remap or {})
    taken = {k.strip() for value in keys.values() for k in value.split(",")}
    return frozenset(taken | set(READ_KEYS))


# -- how keys are written: one notation on the key bar, the help screen, the palette and in messages --

SAFETY = ("emergency.open", "checkin.now", "checkin.panic", "checkin.acknowledge")  # listed first, always

_NAMED = {
    "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space", "backspace": "Backspace",
    "delete": "Del", "insert": "Ins", "home": "Home", "end": "End", "pageup": "PgUp", "pagedown": "PgDn",
    "up": "↑", "down": "↓", "left": "←", "right": "→",
}
_TYPED = {"space": " ", "slash": "/", "backslash": "\\", "minus": "-", "plus": "+"}
_MODIFIERS = {"ctrl": "Ctrl", "alt": "Alt", "shift": "Shift", "super": "Super", "meta": "Meta"}


def _character(name: str) -> str | None:
    """The character a key types ("dollar_sign" -> "$", "a" -> "a"), or None for a key that types none."""
    if len(name) == 1:
        return name if name.isprintable() else None
    if name in _TYPED:
        return _TYPED[name]
    try:
        char = unicodedata.lookup(name.replace("_", " ").upper())
    except KeyError:
        return None
    return char if char.isprintable() else None


def _split(key: str) -> tuple[list[str], str]:
    *modifiers, name = key.strip().split("+") if key.strip() != "+" else ["+"]
    return [m.lower() for m in modifiers], name


def key_label(key: str) -> str:
    """One Textual key name as people read it: "Ctrl+E", "Esc", "F7", "$", "?", "PgUp", "s"."""
    modifiers, name = _split(key)
    lowered = name.lower()
    if lowered in _NAMED:
        text = _NAMED[lowered]
    elif len(lowered) > 1 and lowered[0] == "f" and lowered[1:].isdigit():
        text = lowered.upper()
    else:
        char = _character(name)
        text = char if char is not None else name.replace("_", " ").title()
        if modifiers and len(text) == 1:
            text = text.upper()  # Ctrl+E, as printed on the key, not Ctrl+e
    return "+".join([_MODIFIERS.get(m, m.title()) for m in modifiers] + [text])


def keys_label(keys: str, sep: str = ", ") -> str:
    """Every key of a binding ("s,ctrl+s" -> "s, Ctrl+S")."""
    return sep.join(key_label(k) for k in keys.split(",") if k.strip())


def types_text(key: str) -> bool:
    """True for a key a text field takes as typing (a letter, a digit, "$"): in a field it never
    reaches the screen's own keys, so it is not offered there."""
    modifiers, name = _split(key)
    return not (set(modifiers) - {"shift"}) and _character(name) is not None


def usable_keys(keys: str, in_text_field: bool) -> list[str]:
    """The keys of a binding that work where the focus is: all of them, or, in a text field,
    those that are not typed into it (Ctrl+S works in a field, s does not)."""
    found = [k.strip() for k in keys.split(",") if k.strip()]
    return [k for k in found if not (in_text_field and types_text(k))]


def safety_first(command_ids: list[str]) -> list[int]:
    """The order to list keys in: the safety keys first (emergency, check-in, panic, acknowledge,
    in that order), then the rest as they were."""
    def rank(index: int) -> tuple[int, int]:
        cid = command_ids[index]
        return (SAFETY.index(cid), 0) if cid in SAFETY else (len(SAFETY), index)
    return sorted(range(len(command_ids)), key=rank)

"""The desk's commands and their default keys, as data.

The TUI builds its bindings from this table (each binding's id is the key
here), and a site may remap any of them in `[keys]` of site.toml. Keeping it
outside the TUI lets `check` validate a remapping without starting Textual.
"""

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
    Command("tally.undo", "u", "tally: undo last entry", "Void the last desk-statistics entry", "Undo"),
    Command("tally.detail", "l", "tally: log with details", "Late entry: count, time, channel, READ, note", "Details"),
    Command("tally.clear", "escape", "tally: clear channel and READ",
            "Forget the channel/READ chosen for the next entry"),
    Command("shift.end", "ctrl+e", "shift: end shift", "Write the handover note and end the shift"),
    Command("report.view", "ctrl+r", "report: this shift so far", "The end-of-shift report as it stands now"),
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

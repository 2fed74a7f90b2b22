"""Desk knowledge on screen: search as you type, open an entry, log the question from it.

The entries, their ranking and what a logged question records are decided in shift/knowledge.py
and shift/knowledgesearch.py; these screens only show them. Everything in an entry is text the
coordinator typed: shown with markup off.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from shift.knowledge import Entry, load_knowledge, log_note, read_levels, shown
from shift.knowledgesearch import index, search
from shift.shifts import Shift
from shift.tally import TallyEntry
from shift.text import printable

RESULT_ROWS = 12


class KnowledgeScreen(ModalScreen["TallyEntry | None"]):
    """Type a few letters; the best matches first; Enter (or ↓ to choose, then Enter) opens one.
    Dismissed with the tally logged from an entry, if one was."""

    DEFAULT_CSS = """
    #knowledge-results { height: auto; max-height: 14; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back", id="knowledge.close"),
        Binding("down", "to_results", "Choose", id="knowledge.down", show=False),
    ]

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Desk knowledge", classes="title")
            yield Input(placeholder="type a few letters: acces, printing, fines, notice…", id="knowledge-query")
            yield OptionList(id="knowledge-results", markup=False)
            yield Static("", id="knowledge-problems", classes="warning", markup=False)
            yield Static("Enter opens the first (↓ to choose another) · Esc goes back", classes="note",
                         markup=False)

    def on_mount(self) -> None:
        folder = self.app.knowledge_dir
        entries, problems = load_knowledge(folder) if folder is not None else ([], [])
        self.today: date = self.app.clock.now().astimezone(self.app.site.zone).date()
        self.entries = shown(entries, self.today)
        self.levels = read_levels(entries)
        self.indexed = index(self.entries)
        broken = len({p.file for p in problems if p.is_error})
        note = self.query_one("#knowledge-problems", Static)
        note.display = bool(broken) or not entries
        note.update(f"{broken} knowledge file(s) have errors and are not listed: run `python main.py check`."
                    if broken else "No desk knowledge is loaded (the knowledge folder is empty or missing).")
        self.show_results("")
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_results(event.value)

    def show_results(self, query: str) -> None:
        listing = self.query_one(OptionList)
        listing.clear_options()
        for hit in search(self.indexed, query)[:RESULT_ROWS]:
            listing.add_option(Option(self.label(hit.entry), id=hit.entry.id))
        if listing.option_count:
            listing.highlighted = 0

    def label(self, entry: Entry) -> str:
        flags = f"  — OLD (checked {entry.checked})" if entry.is_old(self.today) else ""
        return f"{printable(entry.title)}  ({entry.kind_name}){flags}"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is not None:
            self.open(listing.get_option_at_index(listing.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.open(event.option.id)

    def action_to_results(self) -> None:
        listing = self.query_one(OptionList)
        if listing.option_count:
            listing.focus()

    def open(self, entry_id: str | None) -> None:
        entry = next((e for e in self.entries if e.id == entry_id), None)
        if entry is not None:
            self.app.push_screen(EntryScreen(entry, self.shift, self.levels, self.today), self._after_entry)

    def _after_entry(self, logged: TallyEntry | None) -> None:
        if logged is not None:
            self.dismiss(logged)  # logged: back to the desk, which says what was saved

    def action_close(self) -> None:
        self.dismiss(None)


class EntryScreen(ModalScreen["TallyEntry | None"]):
    """One entry in full. When it names a statistics type, one key logs the question: a channel
    key of the site (Space for the default channel), after an optional READ level 1-6."""

    DEFAULT_CSS = """
    #entry-text { height: auto; max-height: 16; }
    """

    def __init__(self, entry: Entry, shift: Shift, levels: dict[int, str], today: date) -> None:
        super().__init__()
        self.entry = entry
        self.shift = shift
        self.levels = levels
        self.today = today
        self.read_level: int | None = None

    @property
    def loggable(self) -> bool:
        return bool(self.entry.tally) and self.app.site.tally.category(self.entry.tally) is not None

    BINDINGS = [Binding("escape", "close", "Back", id="entry.close")]

    def on_mount(self) -> None:
        self.query_one("#entry-text", VerticalScroll).focus()
        self.show_keys()

    def channel_keys(self) -> dict[str, str]:
        """Key -> channel id: the site's channel keys, and Space for the default channel."""
        config = self.app.site.tally
        keys = {ch.key: ch.id for ch in config.channels if ch.key}
        keys.setdefault("space", config.default_channel)
        return keys

    def on_key(self, event: events.Key) -> None:
        # The site's channel keys, read as they come (a site may have its own): nothing else here types.
        if not self.loggable:
            return
        if event.key in {str(n) for n in range(1, 7)}:
            event.stop()
            self.action_read(int(event.key))
        elif event.key in self.channel_keys():
            event.stop()
            self.action_log(self.channel_keys()[event.key])

    def compose(self) -> ComposeResult:
        entry = self.entry
        with Vertical(id="dialog"):
            yield Label(f"{entry.kind_name}: {printable(entry.title)}", classes="title", markup=False)
            warnings = []
            if entry.is_old(self.today):
                warnings.append(f"OLD: last checked {entry.checked}; it may be out of date")
            if entry.sample:
                warnings.append("SAMPLE: local facts here are the sample site's")
            if warnings:
                yield Static("\n".join(warnings), classes="warning", markup=False)
            with VerticalScroll(id="entry-text"):
                if entry.contact:
                    yield Static(entry.contact_text(), id="entry-contact", markup=False)
                if entry.kind == "notice":
                    yield Static(f"From {entry.starts} until {entry.until}\n{entry.conditions}",
                                 id="entry-notice", markup=False)
                if entry.body.strip():
                    yield Static(entry.body.strip(), id="entry-body", markup=False)
            yield Static("", id="entry-keys", classes="note", markup=False)

    def show_keys(self) -> None:
        from shift.keymap import key_label

        config = self.app.site.tally
        if not self.loggable:
            self.query_one("#entry-keys", Static).update("↑↓ scroll · Esc back")
            return
        names = {ch.id: ch.name for ch in config.channels}
        keys = [f"{key_label(key)} {names.get(cid, cid)}" for key, cid in self.channel_keys().items()]
        category = config.category(self.entry.tally)
        name = category.name if category else self.entry.tally
        lines = [f"Log this question as {name}: " + " · ".join(keys)]
        if self.read_level is not None:
            lines.append(f"READ {self.read_level}: {self.levels.get(self.read_level, '')}".rstrip(": "))
        else:
            lines.append("1-6 first for a READ level · Esc back")
        self.query_one("#entry-keys", Static).update("\n".join(lines))

    def action_read(self, level: int) -> None:
        self.read_level = level
        self.show_keys()

    def action_log(self, channel: str) -> None:
        try:
            logged = self.app.core.tally(self.shift, self.entry.tally, channel=channel,
                                         read_level=self.read_level, note=log_note(self.entry))
        except (ValueError, sqlite3.Error) as exc:
            self.notify(f"Not saved: {exc}", severity="error", markup=False, timeout=10)
            return
        self.dismiss(logged)

    def action_close(self) -> None:
        self.dismiss(None)



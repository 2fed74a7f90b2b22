"""Desk knowledge on screen: search as you type, open an entry, log the question from it, copy
it out for a reply by email, fill in its problem report.

The entries, their ranking and what a logged question records are decided in shift/knowledge.py
and shift/knowledgesearch.py, copies in shift/copyout.py, problem reports in
shift/problemreports.py; these screens only show them. Everything in an entry is text the
coordinator typed, and everything in a form what the worker typed: shown with markup off.
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

from shift import copyout, problemreports, tally
from shift.knowledge import Entry, load_knowledge, log_note, read_levels, shown
from shift.knowledgesearch import index, search
from shift.shifts import Shift
from shift.tally import TallyEntry
from shift.text import printable, reflow
from tui.bindings import command_binding

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
    #entry-text { height: 1fr; max-height: 16; }  /* what is left at 80x24 once the keys are shown */
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

    BINDINGS = [
        Binding("escape", "close", "Back", id="entry.close"),
        command_binding("knowledge.copy", "copy"),
        command_binding("knowledge.report", "report_problem"),
    ]

    def on_mount(self) -> None:
        self.query_one("#entry-text", VerticalScroll).focus()
        self.show_keys()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return bool(self.entry.copy_text()[1])
        if action == "report_problem":
            return self.entry.form is not None
        return True

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
                    conditions = printable(reflow(entry.conditions), keep_newlines=True)
                    yield Static(f"From {entry.starts} until {entry.until}\n{conditions}",
                                 id="entry-notice", markup=False)
                if entry.body.strip():
                    # Lines wrapped by hand in the file are joined, so the text wraps cleanly at any width;
                    # an escape in it shows as ␛, never reaching the terminal as a sequence.
                    yield Static(printable(reflow(entry.body), keep_newlines=True), id="entry-body", markup=False)
            yield Static("", id="entry-said", markup=False)
            yield Static("", id="entry-keys", classes="note", markup=False)

    def other_keys(self) -> str:
        """The copy and report keys this entry offers, as the site has them."""
        offered = []
        what, _ = self.entry.copy_text()
        if what:
            offered.append(f"{self.app.key_for('knowledge.copy')} copy the {what}")
        if self.entry.form is not None:
            offered.append(f"{self.app.key_for('knowledge.report')} report the problem to {self.entry.form.send_to}")
        return " · ".join(offered)

    def show_keys(self) -> None:
        from shift.keymap import key_label

        config = self.app.site.tally
        others = self.other_keys()
        if not self.loggable:
            self.query_one("#entry-keys", Static).update("\n".join(filter(None, [others, "↑↓ scroll · Esc back"])))
            return
        names = {ch.id: ch.name for ch in config.channels}
        keys = [f"{key_label(key)} {names.get(cid, cid)}" for key, cid in self.channel_keys().items()]
        category = config.category(self.entry.tally)
        name = category.name if category else self.entry.tally
        lines = [f"Log this question as {name}: " + " · ".join(keys)]
        # A type the site does not score keeps no READ level: said as the desk says it, never a
        # definition that looks as if the level will be logged.
        _, not_kept = tally.read_level_kept(config, self.entry.tally, self.read_level)
        if not_kept:
            lines.append(f"{not_kept} · Esc back")
        elif self.read_level is not None:
            lines.append(f"READ {self.read_level}: {self.levels.get(self.read_level, '')}".rstrip(": "))
        elif category is not None and not category.read:
            lines.append("Esc back")
        else:
            lines.append("1-6 first for a READ level · Esc back")
        if others:
            lines.append(others)
        self.query_one("#entry-keys", Static).update("\n".join(lines))

    def action_copy(self) -> None:
        """To the terminal's clipboard, which may or may not take it (the app cannot tell), and into
        the shift's record, which the report shows in full: said exactly so."""
        what, text = self.entry.copy_text()
        if not text:
            return
        self.app.copy_to_clipboard(text)
        said = f"Copied the {what} to the terminal's clipboard (if your terminal allows it), "
        try:
            copied = copyout.record(self.app.store, self.shift, self.entry)
        except sqlite3.Error as exc:
            said += f"but NOT into the shift report ({exc})."
        else:
            if copied is not None and self.app.store.waiting("copied_out", id=copied.id):
                said += "and kept in memory for the shift report (storage is failing; written when it returns)."
            else:
                said += f"and into this shift's report ({self.app.key_for('report.view')} at the desk) and log."
        self.query_one("#entry-said", Static).update(said)

    def action_report_problem(self) -> None:
        if self.entry.form is not None:
            self.app.push_screen(ProblemFormScreen(self.entry, self.shift))

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




class ProblemFormScreen(ModalScreen[None]):
    """A ready answer's problem report: its fields, Ctrl+S records it and emails it to the address
    the entry names. What it then says is what happened: recorded or only kept in memory, and
    "emailed" only once the mail server has accepted it; a report not sent says why and Ctrl+S
    tries again (the desk also retries it every few minutes)."""

    DEFAULT_CSS = """
    ProblemFormScreen Input { margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="problem.send"),
        Binding("escape", "leave", "Back", id="problem.leave"),
    ]

    def __init__(self, entry: Entry, shift: Shift) -> None:
        super().__init__()
        assert entry.form is not None
        self.entry = entry
        self.form = entry.form
        self.shift = shift
        self.report: problemreports.ProblemReport | None = None
        self.leaving = False  # Esc once with text typed: a second Esc leaves without it

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Problem report: {self.form.title}", classes="title", markup=False)
            yield Static(f"Goes to {self.form.send_to}, and into this shift's record", classes="note", markup=False)
            for field in self.form.fields:
                yield Label(field.label + ("  (required)" if field.required else ""), markup=False)
                yield Input(placeholder=field.hint, id=f"field-{field.id}", max_length=problemreports.FIELD_LIMIT,
                            compact=True)
            yield Static("", id="form-said", markup=False)
            yield Static("Ctrl+S records and emails it · Tab next field · Esc back", id="form-keys",
                         classes="note", markup=False)

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, str]:
        return {field.id: self.query_one(f"#field-{field.id}", Input).value for field in self.form.fields}

    def on_input_changed(self, event: Input.Changed) -> None:
        self.leaving = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter goes to the next field; on the last, it sends."""
        event.stop()
        inputs = list(self.query(Input))
        at = inputs.index(event.input)
        if at + 1 < len(inputs):
            inputs[at + 1].focus()
        else:
            self.action_send()

    def say(self, text: str, failed: bool = False) -> None:
        said = self.query_one("#form-said", Static)
        said.set_class(failed, "warning")
        said.update(text)

    def action_send(self) -> None:
        if self.report is None:
            try:
                self.report = problemreports.record(self.app.store, self.shift, self.entry, self.values())
            except ValueError as exc:
                self.say(f"Not recorded: {exc}", failed=True)
                return
            except sqlite3.Error as exc:
                self.say(f"NOT recorded: {exc}", failed=True)
                return
            for field in self.query(Input):
                field.disabled = True  # recorded as it is: a correction is a new report
        self.send()

    def recorded_text(self) -> str:
        assert self.report is not None
        at = f"{self.report.recorded_at.astimezone(self.app.site.zone):%H:%M}"
        if self.app.store.waiting("problem_reports", id=self.report.id):
            return f"Kept in memory {at} (storage is failing; written when it returns), not yet recorded."
        return f"Recorded {at}."

    def send(self) -> None:
        assert self.report is not None
        timers = self.app.timers
        if timers is None:
            self.say(f"{self.recorded_text()} NOT SENT yet: the desk is still starting; Ctrl+S tries again.",
                     failed=True)
            return
        if timers.sending_problem_report(self.report.id):
            return
        if problemreports.state(self.app.store, self.report.id).outcome == "sent":
            return  # sent once: never twice from here
        self.say(f"{self.recorded_text()} Emailing to {self.report.send_to}…")
        self.query_one("#form-keys", Static).update("Esc back (the email goes on being sent)")
        timers.send_problem_report(self.report.id, self._sent)

    def _sent(self, ok: bool, detail: str) -> None:
        if not self.is_attached or self.report is None:
            return  # left meanwhile: the outcome is recorded, the desk's log and the report say it
        at = f"{self.app.clock.now().astimezone(self.app.site.zone):%H:%M}"
        if ok:
            self.say(f"{self.recorded_text()} Sent {at}: {printable(detail)}.")
            self.query_one("#form-keys", Static).update("Esc back")
        else:
            self.say(f"{self.recorded_text()} NOT SENT ({at}): {printable(detail)}", failed=True)
            self.query_one("#form-keys", Static).update(
                "Ctrl+S tries again now (the desk also retries every few minutes) · Esc back")

    def action_leave(self) -> None:
        typed = any(v.strip() for v in self.values().values())
        if self.report is None and typed and not self.leaving:
            self.leaving = True
            self.say("Not recorded yet: Esc again leaves without it, Ctrl+S records and emails it.", failed=True)
            return
        self.dismiss(None)


class ReadScaleScreen(ModalScreen["int | None"]):
    """The READ scale's six levels as the READ scale entry defines them, the chosen one marked:
    a digit picks another for the next entry, Esc keeps the one chosen."""

    BINDINGS = [Binding("escape,enter", "choose(0)", "Back", id="readscale.close")] + [
        Binding(str(n), f"choose({n})", f"READ {n}", id=f"readscale.{n}", show=False) for n in range(1, 7)]

    def __init__(self, levels: dict[int, str], chosen: int) -> None:
        super().__init__()
        self.levels = levels
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("READ scale: how much effort the question took", classes="title")
            if self.levels:
                text = "\n".join(f"{'→' if n == self.chosen else ' '} {n}  {printable(self.levels.get(n, ''))}"
                                 for n in range(1, 7))
            else:
                text = ("No READ scale entry is loaded (knowledge/answers/read-scale.toml): its definitions "
                        "cannot be shown. Run `python main.py check`.")
            yield Static(text, id="read-levels", markup=False)
            yield Static("1-6 chooses the level for the next entry · Esc keeps READ "
                         f"{self.chosen}", classes="note", markup=False)

    def action_choose(self, level: int) -> None:
        self.dismiss(level or None)

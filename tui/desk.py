"""The desk screen: what the desk worker looks at all evening.

Statistics keys come from the site file, so the screen class is built per
site with its BINDINGS (the public way to declare bindings); every binding
has an id, so a site can remap keys with `[keys]`.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from shift import circulation, desklog, money, prompts, tally, urgency
from shift.desk import WAITING_TEXT
from shift.hours import duration_text
from shift.keymap import COMMANDS
from shift.shifts import Shift, deadline_text, open_followups
from shift.site import Site
from shift.text import printable, reflow
from tui.bindings import action_runner, command_binding, palette_help
from tui.header import SplitLines
from tui.keybar import KeyBar
from tui.messages import DeskChanged
from tui.steadyscreen import SteadyScreen
from tui.theme import LEVEL_STYLE


def desk_screen(site: Site) -> type["DeskScreen"]:
    """The desk screen class for this site's statistics keys."""
    bindings = [
        command_binding("tally.undo", "undo"),
        command_binding("tally.detail", "detail"),
        # Before the rest: at 80 columns the key bar shows it (the desk's answers, found by a newcomer).
        command_binding("knowledge.search", "knowledge"),
        command_binding("tally.clear", "clear_prefix", show=False),
        command_binding("shift.followups", "followups"),
        command_binding("shift.end", "end_shift"),
        command_binding("report.view", "report", show=False),
        command_binding("stats.view", "stats", show=False),
        command_binding("report.past", "past_shifts", show=False),
        # Shown in the Due now panel's heading when something is due.
        command_binding("prompt.done", "prompt_done", show=False),
        command_binding("prompt.snooze", "prompt_snooze", show=False),
        command_binding("prompt.skip", "prompt_skip", show=False),
        command_binding("prompt.up", "prompt_move(-1)", show=False),
        command_binding("prompt.down", "prompt_move(1)", show=False),
        command_binding("procedure.list", "procedures"),
        command_binding("procedure.opening", "procedure_kind('opening')"),
        command_binding("procedure.closing", "procedure_kind('closing')"),
        command_binding("incident.new", "incident"),
        command_binding("incident.browse", "incidents"),
        command_binding("circ.scan", "circulation"),
        command_binding("money.fee", "fee"),
        command_binding("money.override", "override"),
    ]
    bindings += [
        # Shown in the statistics panel beside their counts, so not repeated in the footer.
        Binding(c.key, f"tally('{c.id}')", c.name, id=f"tally.log.{c.id}", show=False)
        for c in site.tally.categories
    ]
    bindings += [
        Binding(ch.key, f"channel('{ch.id}')", f"Next entry: {ch.name}", id=f"tally.channel.{ch.id}", show=False)
        for ch in site.tally.channels if ch.key
    ]
    bindings += [
        Binding(str(n), f"read({n})", f"Next entry: READ {n}", id=f"tally.read.{n}", show=False)
        for n in range(1, 7)
    ]
    return type("DeskScreen", (DeskScreen,), {"BINDINGS": bindings})


class DeskScreen(SteadyScreen):
    HELP_NOTE = (
        "Channel keys and READ levels 1-6 are typed before a statistics key and apply to "
        "that one entry; with none, the entry is in person with no READ level."
    )

    def __init__(self, shift: Shift, greeting: str = "") -> None:
        super().__init__()
        self.shift = shift
        self.greeting = greeting  # first shown in the status line (e.g. that the shift was resumed)
        self.pending_channel: str | None = None
        self.pending_read: int | None = None
        self._read_levels: dict[int, str] | None = None  # the READ scale entry's, once read
        self.due_selected: tuple[str, datetime] | None = None  # the Due now row x, z and s act on

    @property
    def site(self) -> Site:
        return self.app.site

    def compose(self) -> ComposeResult:
        yield SplitLines(3, id="header")
        yield Static("", id="emergency-line", markup=False)
        yield Static("", id="drill-line", markup=False)
        yield Static("", id="suggest", markup=False)
        yield Static("", id="checkin-line", markup=False)
        yield Static("", id="due", markup=False)
        # Few widgets on purpose: each one costs start-up time; headings are part of the text.
        with Horizontal(id="body"):
            yield Static("", id="counts")
            yield Static("", id="log")
        yield Static("", id="pending", markup=False)
        yield Static(self.greeting, id="saved", markup=False)
        yield KeyBar()

    async def load(self, shift: Shift) -> None:
        """Show another shift on this screen (the next person's, after a handover)."""
        self.shift = shift
        self.pending_channel = self.pending_read = None
        self.greeting = ""
        await self.recompose()
        self.show_everything()

    def on_mount(self) -> None:
        self.show_everything()
        self.set_interval(1, self.tick)

    def show_everything(self) -> None:
        self.finished: set[str] = set()
        self.in_progress: dict[str, str] = {}
        self.open_runs: list = []  # shift.runs.InProgress, as the desk lists them
        self.last_drill: datetime | None = None
        self.runs_read = False
        self.refresh_records()
        self.tick()
        self.show_pending()
        self.show_timers()
        # Runs need the procedure format (shift.runs and shift.procedures): read
        # just after the first paint, like the procedure files themselves.
        self.call_after_refresh(self._read_runs)

    def _read_runs(self) -> None:
        self.refresh_runs()
        self.tick()

    # -- display -------------------------------------------------------

    def now(self) -> datetime:
        return self.app.clock.now()

    def tick(self) -> None:
        top = self.app.screen
        if top is not self and not isinstance(top, ModalScreen):
            return  # covered by another full screen (a runner, the next shift's start)
        now = self.now()
        hours = self.site.hours
        local = now.astimezone(self.site.zone)
        header = self.query_one("#header", SplitLines)
        desk = self.site.desk_name(self.shift.desk)
        header.set_line(0, Content.styled(f"{printable(self.site.name)} · {printable(desk)}", "bold"),
                        Content.styled(f"{local:%a %d %b %Y  %H:%M:%S}", "bold"))
        solo = " · solo shift" if hours.is_solo(now) else ""
        # "closes in 2 h" is plain; under 30 minutes a warning, under 5 an error (shift/urgency.py).
        closing = urgency.time_left(hours.time_until_close(now))
        header.set_line(1, f"On duty: {printable(self.shift.worker)}",
                        Content.assemble((hours.status_text(now), f"bold {LEVEL_STYLE[closing]}"), (solo, "bold")))
        drill = ("" if not self.runs_read
                 else f"Last drill: {self.last_drill.astimezone(self.site.zone):%d %b %Y}" if self.last_drill
                 else "No drill recorded")
        header.set_line(2, Content.styled(f"Today: {hours.day(local.date()).text()}", "$text-muted"),
                        Content.styled(drill, "$text-muted"))
        self.show_suggestion(now)
        self.show_waiting()
        if local.minute != self.shown_minute:  # deadlines turn OVERDUE and the day rolls over
            self.refresh_records()

    # -- timed prompts and check-ins ---------------------------------------

    def open_prompts(self) -> list[prompts.PromptStatus]:
        return self.app.core.due_items(self.shift, self.now())

    def on_desk_changed(self, message: DeskChanged) -> None:
        if not self.query("#due"):
            return  # not composed yet
        if message.runs:
            self.refresh_runs()
        self.show_timers()
        self.refresh_records()
        self.tick()

    def show_timers(self) -> None:
        if not self.query("#due"):
            return  # not composed yet
        zone = self.site.zone
        due = self.query_one("#due", Static)
        items = self.open_prompts()
        due.display = bool(items)
        due.set_class(any(s.escalated for s in items), "escalated")
        chosen = self._selected(items)
        keys = "↑↓ select · x done · z snooze · s skip" if len(items) > 1 else "x done · z snooze · s skip"
        lines = [Content.styled(f"Due now  ({keys})", "bold")]
        first = max(0, min(chosen - DUE_ROWS + 1, len(items) - DUE_ROWS))  # the selected row stays in view
        for index, status in enumerate(items[first:first + DUE_ROWS], start=first):
            ago = duration_text(self.now() - status.prompt.due_at)
            # The state before the title: a long title is cut at the panel's edge, never the state.
            tag = "MISSED " if status.state == "missed" else ("OVERDUE " if status.escalated else "")
            mark = "▶" if index == chosen else " "
            row = Content.assemble(f"{mark} {status.prompt.due_at.astimezone(zone):%H:%M}  ",
                                   (tag, LEVEL_STYLE[urgency.prompt(status.escalated)]),
                                   f"{printable(status.prompt.task.title)}  ({ago} ago)")
            lines.append(row.stylize("reverse") if index == chosen and len(items) > 1 else row)
        hidden = len(items) - min(len(items), DUE_ROWS)
        if hidden:
            lines.append(Content.styled(f"  +{hidden} more (↑↓)", "dim"))
        due.update(Content("\n").join(lines))
        self.show_checkin()

    def _selected(self, items: list[prompts.PromptStatus]) -> int:
        """Where the selection is: it follows its task when others come due or are settled."""
        keys = [(s.prompt.task.id, s.prompt.due_at) for s in items]
        return keys.index(self.due_selected) if self.due_selected in keys else 0

    def action_prompt_move(self, step: int) -> None:
        items = self.open_prompts()
        if items:
            chosen = max(0, min(len(items) - 1, self._selected(items) + step))
            self.due_selected = (items[chosen].prompt.task.id, items[chosen].prompt.due_at)
            self.show_timers()

    def show_checkin(self) -> None:
        line = self.query_one("#checkin-line", Static)
        line.display = self.site.checkins is not None
        if self.site.checkins is None:
            return
        text, level = checkin_line(self.app, self.shift, self.now())
        for name in ("warning", "error"):
            line.set_class(level == name, f"level-{name}")
        line.update(text)

    def selected_open(self) -> "prompts.PromptStatus | None":
        """The selected Due now row (the first, most pressing, until another is chosen)."""
        items = self.open_prompts()
        if not items:
            self.notify("No timed task is due now.", markup=False)
            return None
        return items[self._selected(items)]

    def action_prompt_done(self) -> None:
        status = self.selected_open()
        if status is None:
            return
        self.app.core.settle_prompt(self.shift, status.prompt, "done")
        self.saved(f"done: {status.prompt.task.title} "
                   f"({duration_text(self.now() - status.prompt.due_at)} after it was due)")
        self.refresh_counts()
        self.show_timers()

    def action_prompt_snooze(self) -> None:
        from tui.checkin import SnoozeScreen

        status = self.selected_open()
        if status is not None:
            self.app.push_screen(SnoozeScreen(status.prompt.task.title),
                                 lambda minutes: self._snoozed(status, minutes))

    def _snoozed(self, status, minutes: int | None) -> None:
        if not minutes:
            return
        until = self.now() + timedelta(minutes=minutes)
        self.app.core.settle_prompt(self.shift, status.prompt, "snoozed", until=until)
        self.saved(f"snoozed until {until.astimezone(self.site.zone):%H:%M}: {status.prompt.task.title}")
        self.show_timers()

    def action_prompt_skip(self) -> None:
        from tui.ask import AskText

        status = self.selected_open()
        if status is not None:
            self.app.push_screen(AskText(f"Skip: {status.prompt.task.title}", "Why is it skipped?", required=True),
                                 lambda reason: self._skipped(status, reason))

    def _skipped(self, status, reason: str | None) -> None:
        if not reason:
            return
        self.app.core.settle_prompt(self.shift, status.prompt, "skipped", reason=reason)
        self.saved(f"skipped: {status.prompt.task.title}")
        self.show_timers()

    def refresh_runs(self) -> None:
        """Which procedures this shift has finished or has in progress (from the database)."""
        from shift import runs

        store = self.app.store
        self.last_drill = runs.last_drill(store)
        self.finished = runs.finished_procedure_ids(store, self.shift)
        self.open_runs = runs.in_progress(store, self.shift)
        self.in_progress = {item.procedure_id: item.where for item in self.open_runs}
        self.runs_read = True

    def show_suggestion(self, now: datetime) -> None:
        self.show_open_emergencies()
        emergency_key, resume_key = self.app.key_for("emergency.open"), self.app.key_for("procedure.list")
        lines: list[str | Content] = [printable(item.line(emergency_key, resume_key))
                                      for item in self.open_runs if not item.emergency]
        offer = None
        if self.app.procedures_loaded:
            from shift import runs

            offer = runs.suggested(self.app.procedures_loaded, self.site.hours, now, self.finished)
        if offer is not None and offer.id not in self.in_progress:
            key = "F3" if offer.kind == "opening" else "F4"
            lines.append(Content.styled(f"Suggested: {printable(offer.title)} — press {key}",
                                        LEVEL_STYLE["warning"]))
        box = self.query_one("#suggest", Static)
        box.display = bool(lines)
        text = Content("\n").join(Content(line) if isinstance(line, str) else line for line in lines)
        if text != box.content:  # asked every second: a new layout only when the text changes
            box.update(text)

    def show_open_emergencies(self) -> None:
        """An emergency left open is the desk's first line, a banner in the alarm colour ("EMERGENCY
        IN PROGRESS: Fire alarm, step 2 of 14 — F8, then f"); a drill's below it in the drill
        colour, never the red (shift.runs.InProgress.level)."""
        key = self.app.key_for("emergency.open")
        for selector, level in (("#emergency-line", "error"), ("#drill-line", "drill")):
            box = self.query_one(selector, Static)
            text = "\n".join(printable(item.line(key, "")) for item in self.open_runs
                             if item.emergency and item.level == level)
            box.display = bool(text)
            if text != str(box.content):  # asked every second: a new layout only when the text changes
                box.update(text)

    def refresh_records(self) -> None:
        """Circulation, fees and follow-up deadlines: they change on their own screens and with
        the clock, never with a statistics key, so a keypress does not read them again."""
        store, zone, now = self.app.store, self.site.zone, self.now()
        self.shown_minute = now.astimezone(zone).minute
        start, end = tally.day_bounds(now, zone)
        circ = circulation.counts_by_action(store, start, end)
        self.record_lines = [f"     {circulation.ACTION_NAMES[a]:<16}{n:>5}" for a, n in sorted(circ.items())]
        taken = money.fees(store, self.shift.id)
        if taken:
            total = money.dollars(sum(f.amount_cents for f in taken))
            self.record_lines.append(f"     {'Fees this shift':<16}{total:>5}")
        # OVERDUE (and due within five minutes) in the error colour, due within 30 minutes a warning.
        self.deadline_lines = [
            Content.assemble((deadline_text(f, now, zone), LEVEL_STYLE[urgency.deadline(f.due_at, now)] or "bold"),
                             f": {printable(f.text)}")
            for f in open_followups(store) if f.due_at is not None]
        self.refresh_counts()

    def refresh_counts(self) -> None:
        store, zone, config, now = self.app.store, self.site.zone, self.site.tally, self.now()
        found = tally.desk_counts(store, self.shift, now, zone)
        width = 16

        def row(key: str, name: str, category: str | None) -> str:
            mine = sum(found.shift.values()) if category is None else found.shift.get(category, 0)
            today = sum(found.today.values()) if category is None else found.today.get(category, 0)
            return f"{key:>3}  {printable(name)[:width]:<{width}}{mine:>6}{today:>7}"

        # The total first: at 80x24 the panel may be cut before the last category.
        lines = [Content.styled(row("", "Total", None), "bold")]
        lines += [Content(row(c.key, c.name, c.id)) for c in config.categories]
        records = self.record_lines
        self.query_one("#counts", Static).update(Content("\n").join([
            _heading(f"{'Desk statistics':<21}{'shift':>6}{'today':>7}"), *lines,
            *([_heading("Circulation and fees (today)"), Content("\n".join(records))] if records else []),
            *self._by_hour(found.by_hour, now),
        ]))
        log = [
            f"{line.at.astimezone(zone):%H:%M}  {printable(line.text)}"
            for line in desklog.recent(store, config, zone, self.shift, limit=LOG_LINES,
                                       task_titles={t.id: t.title for t in self.site.tasks})
        ]
        deadlines = self.deadline_lines
        deadline_part = ([_heading("Deadlines (f: follow-ups)"), *deadlines, Content("")] if deadlines else [])
        self.query_one("#log", Static).update(Content("\n").join(
            [*deadline_part, _heading("Recent log"), Content("\n".join(log))]))

    def _by_hour(self, by_hour, now: datetime) -> list[Content]:
        """Today's entries as a bar per hour, from opening (or the first entry) to now, the
        current hour marked."""
        local = now.astimezone(self.site.zone)
        opening = self.site.hours.opening(local.date())
        first = min([local.hour] + ([opening.astimezone(self.site.zone).hour] if opening else []) + list(by_hour))
        hours = range(first, local.hour + 1)
        if not by_hour:
            return [_heading("By hour"), Content("nothing logged yet today")]
        most = max(by_hour.values())
        bars, labels = [], ""
        for hour in hours:
            count = by_hour.get(hour, 0)
            bar = BARS[-(-count * (len(BARS) - 1) // most)] if count else "·"
            bars.append(Content.styled(bar, "reverse") if hour == local.hour else Content(bar))
            label = f"{hour:02d}" if hour == local.hour or (hour - first) % 4 == 0 else ""
            if label and len(labels) <= 2 * (hour - first):
                labels = labels.ljust(2 * (hour - first)) + label
        return [_heading(f"By hour today  (now {by_hour.get(local.hour, 0)}, most {most})"),
                Content(" ").join(bars), Content(labels)]

    def show_pending(self) -> None:
        parts = []
        if self.pending_channel:
            parts.append(self.site.tally.channel(self.pending_channel).name)
        if self.pending_read:
            parts.append(f"READ {self.pending_read}")
        text = f"Next entry: {' · '.join(parts)}  (Esc clears)" if parts else ""
        meaning = self.read_levels().get(self.pending_read or 0, "")
        if meaning:  # the level's definition, cut to the line; ? shows all six
            head, keys = f"Next entry: {' · '.join(parts)}: ", " (? all six · Esc clears)"
            room = max(self.size.width - 2, 40) - len(head) - len(keys)  # the line, inside its padding
            shown = meaning if len(meaning) <= room else meaning[:max(room - 1, 0)] + "…"
            text = f"{head}{shown}{keys}"
        self.query_one("#pending", Static).update(text)

    def read_levels(self) -> dict[int, str]:
        """The READ scale entry's definitions, read once, when a READ level is first typed."""
        if self._read_levels is None:
            from shift.knowledge import read_scale

            self._read_levels = read_scale(self.app.knowledge_dir) if self.pending_read else None
        return self._read_levels or {}

    def on_key(self, event: events.Key) -> None:
        # ? after a READ level: the six levels and what each means. Read as the key comes, not a
        # binding: the help key stays ? everywhere else (and listed as such in help).
        if event.key == "question_mark" and self.pending_read:
            event.stop()
            event.prevent_default()
            self.show_read_scale()

    def show_read_scale(self) -> None:
        from tui.knowledge import ReadScaleScreen

        self.app.push_screen(ReadScaleScreen(self.read_levels(), self.pending_read), self._read_chosen)

    def _read_chosen(self, level: int | None) -> None:
        if level is not None:
            self.pending_read = level
        self.show_pending()

    def show_waiting(self) -> None:
        """While storage refuses writes, say so until every entry kept in memory is written."""
        waiting = self.app.core.waiting()
        line = self.query_one("#saved", Static)
        content = str(line.content)
        if waiting:
            text = WAITING_TEXT
            if not content.startswith("Kept in memory") and content != text:
                line.update(text)
        elif content.startswith("Kept in memory") or content == WAITING_TEXT:
            line.update("Storage is back: every entry kept in memory is saved.")

    def saved(self, text: str) -> None:
        at = f"{self.now().astimezone(self.site.zone):%H:%M:%S}"
        waiting = self.app.core.waiting()
        if waiting:  # never "Saved" for what only memory holds
            self.query_one("#saved", Static).update(
                f"Kept in memory {at} (storage is failing; written when it returns): {text}")
        else:
            self.query_one("#saved", Static).update(f"Saved {at}: {text}")

    def failed(self, exc: Exception) -> None:
        self.query_one("#saved", Static).update(f"NOT saved: {exc}")
        self.notify(f"Not saved: {exc}", severity="error", markup=False, timeout=10)

    # -- actions -------------------------------------------------------

    def action_tally(self, category: str) -> None:
        config = self.site.tally
        _, not_kept = tally.read_level_kept(config, category, self.pending_read)
        try:
            entry = self.app.core.tally(self.shift, category, channel=self.pending_channel,
                                        read_level=self.pending_read)
        except (ValueError, sqlite3.Error) as exc:
            self.failed(exc)
            return
        self.pending_channel = self.pending_read = None
        self.show_pending()
        self.refresh_counts()
        self.saved(desklog.describe_tally(config, entry, self.site.zone) + (f" ({not_kept})" if not_kept else ""))

    def action_channel(self, channel: str) -> None:
        self.pending_channel = channel
        self.show_pending()

    def action_read(self, level: int) -> None:
        self.pending_read = level
        self.show_pending()

    def action_clear_prefix(self) -> None:
        self.pending_channel = self.pending_read = None
        self.show_pending()

    def action_undo(self) -> None:
        try:
            entry = self.app.core.undo(self.shift)
        except sqlite3.Error as exc:
            self.failed(exc)
            return
        if entry is None:
            self.notify("Nothing to undo in this shift.", markup=False)
            return
        self.refresh_counts()
        name = self.site.tally.category(entry.category)
        self.saved(f"undone: {name.name if name else entry.category} at "
                   f"{entry.occurred_at.astimezone(self.site.zone):%H:%M}")

    def action_detail(self) -> None:
        from tui.entry import DetailEntryScreen

        self.app.push_screen(DetailEntryScreen(self.shift), self._after_detail)

    def _after_detail(self, entry) -> None:
        if entry is not None:
            self.refresh_counts()
            self.saved(f"{entry.quantity} × {self.site.tally.category(entry.category).name} "
                       f"at {entry.occurred_at.astimezone(self.site.zone):%H:%M}")

    def action_followups(self) -> None:
        from tui.followups import FollowUpsScreen

        self.app.push_screen(FollowUpsScreen(self.shift), lambda _: self.refresh_records())

    def action_incident(self) -> None:
        from tui.incident import IncidentFormScreen

        self.app.push_screen(IncidentFormScreen(self.shift), lambda _: self.refresh_records())

    def action_incidents(self) -> None:
        from tui.incidents import IncidentBrowser

        self.app.push_screen(IncidentBrowser(self.shift), lambda _: self.refresh_records())

    def action_circulation(self) -> None:
        from tui.circ import CirculationScreen

        self.app.push_screen(CirculationScreen(self.shift), lambda _: self.refresh_records())

    def action_knowledge(self) -> None:
        from tui.knowledge import KnowledgeScreen

        self.app.push_screen(KnowledgeScreen(self.shift), self._after_knowledge)

    def _after_knowledge(self, entry) -> None:
        self.refresh_counts()  # the log too: a copy or a problem report may have been recorded
        if entry is not None:  # a question logged from an entry
            self.saved(desklog.describe_tally(self.site.tally, entry, self.site.zone))

    def action_fee(self) -> None:
        from tui.money import FeeScreen

        self.app.push_screen(FeeScreen(self.shift), self._after_fee)

    def action_override(self) -> None:
        from tui.money import OverrideScreen

        self.app.push_screen(OverrideScreen(self.shift), self._after_override)

    def _after_fee(self, fee) -> None:
        if fee is not None:
            self.refresh_records()
            self.saved(f"{money.dollars(fee.amount_cents)} {fee.method} recorded")

    def _after_override(self, override) -> None:
        if override is not None:
            self.refresh_counts()
            self.saved("Override recorded")

    def action_end_shift(self) -> None:
        from tui.endshift import EndShiftScreen

        self.app.push_screen(EndShiftScreen(self.shift), self._after_end)

    def _after_end(self, ended: bool | None) -> None:
        if ended:
            from tui.report import ReportScreen

            if self.app.timers is not None:  # else the timers send it when they start
                self.app.timers.check()  # an alarm left open: those it reached are told now
                self.app.timers.send_reports(announce=True)

            # The finished shift's report first; closing it opens the start screen.
            # Scheduled, not awaited: these run inside a dialog's dismissal.
            self.app.push_screen(ReportScreen(self.shift.id), lambda _: self.app.call_later(self.app.show_start))

    def action_past_shifts(self) -> None:
        from tui.pastshifts import PastShiftsScreen

        self.app.push_screen(PastShiftsScreen())

    def action_report(self) -> None:
        from tui.report import ReportScreen

        self.app.push_screen(ReportScreen(self.shift.id))

    def action_stats(self) -> None:
        from tui.stats import StatsScreen

        self.app.push_screen(StatsScreen())

    def action_procedures(self) -> None:
        from shift import runs
        from tui.procedures import ProcedurePicker

        offer = runs.suggested(self.app.procedures, self.site.hours, self.now(), self.finished)
        routine = [p for p in self.app.procedures if p.kind != "emergency"]  # those have their own key
        picker = ProcedurePicker(routine, self.in_progress, offer.id if offer else None,
                                 self.app.procedure_errors)
        self.app.push_screen(picker, self.start_procedure)

    def action_procedure_kind(self, kind: str) -> None:
        from shift import runs

        procedure = runs.first_of_kind(self.app.procedures, kind)
        if procedure is None:
            self.notify(f"No {kind} procedure is loaded (see python main.py check).", severity="warning",
                        markup=False)
            return
        self.start_procedure(procedure)

    def start_procedure(self, procedure) -> None:
        from shift import runs
        from tui.runner import RunnerScreen

        if procedure is None:
            return
        try:
            run = runs.start_run(self.app.store, self.shift, procedure)
        except (ValueError, sqlite3.Error) as exc:
            self.failed(exc)
            return
        self.app.push_screen(RunnerScreen(run), self._after_run)

    def _after_run(self, _result=None) -> None:
        # An open closing procedure shortens the check-in interval: the deadline is shown at once.
        self.app.refresh_timers(runs=True)
        self.refresh_counts()

    def palette_commands(self):
        for binding in self.BINDINGS:
            if binding.id and binding.id.startswith("tally.log."):
                title = f"tally: log {binding.description.lower()}"
                about = "one question of this type, now"
            elif binding.id and binding.id.startswith(("tally.channel.", "tally.read.")):
                title = f"tally: {binding.description.lower()}"
                about = "then the type's key"
            else:
                command = next((c for c in COMMANDS if c.id == binding.id), None)
                if command is None:
                    continue
                title, about = command.title, command.help
            yield SystemCommand(title, palette_help(binding.key, about), action_runner(self, binding.action))
        # Emergency protocols are "emergency: …" on every screen (the app's commands), opening the
        # emergency screen as F8 does; never the plain runner, which has no number to dial.
        for procedure in self.app.procedures:
            if procedure.kind == "emergency":
                continue
            about = " ".join(reflow(procedure.description).split()) if procedure.description else procedure.kind
            yield SystemCommand(f"procedure: run {procedure.title.lower()}", printable(about),
                                lambda p=procedure: self.start_procedure(p))


DUE_ROWS = 3  # Due now rows shown; the rest are "+N more", reached with the arrows
LOG_LINES = 40  # the recent log fills whatever height the terminal has
BARS = " ▁▂▃▄▅▆▇█"


def _heading(text: str) -> Content:
    """Headings are bold and neutral: colour on this screen means state."""
    return Content.styled(text, "bold")


def checkin_line(app, shift: Shift, now: datetime) -> tuple[str, str | None]:
    """The check-in line (the desk's, and the lock screen's) and its urgency level: an open alarm
    with each step's state, a check-in due, the next one, an alert channel that fails."""
    zone = app.site.zone
    st = app.core.checkin_state(shift, now)  # the deadline the timers enforce
    assert st is not None
    parts = []
    failed_shown = False  # an open alarm's line already says FAILED, with the reason
    if st.alarm_open and st.alarm_reason != "duress":  # a duress alarm stays silent on screen
        key = app.key_for("checkin.acknowledge")
        steps, failed = [], []
        for step in app.core.alarm_steps(shift, now):
            if step.state == "sent":
                steps.append(f"{step.what}: sent {step.at.astimezone(zone):%H:%M}")
            elif step.state == "failed":
                failed.append(step)
            else:
                steps.append(f"{step.what}: sending…")
        if failed:  # one line for them all: the reasons in full are in the report
            why = failed[0].detail if len(failed[0].detail) <= 48 else failed[0].detail[:47] + "…"
            steps.insert(0, f"{', '.join(s.what for s in failed)}: FAILED ({why}) — retrying every minute")
            failed_shown = True
        parts.append(f"ALARM ({st.alarm_reason}) since {st.alarm_started.astimezone(zone):%H:%M}: "
                     + ("; ".join(steps) or "no alert step set: call for help by phone")
                     + f" — {key} when answered")
    elif not app.core.checkins_active(now):
        parts.append("Check-ins start when you are alone (F5 checks in)")
    elif now >= st.deadline:
        parts.append(f"CHECK IN NOW (F5): due {st.deadline.astimezone(zone):%H:%M}")
    else:
        parts.append(f"Next check-in by {st.deadline.astimezone(zone):%H:%M} (F5)")
    if st.last_from == "phone" and not (st.alarm_open and st.alarm_reason != "duress"):
        parts.append(f"checked in from phone {st.last_checkin.astimezone(zone):%H:%M}")
    if st.channel_ok is False and not failed_shown:
        parts.append(f"ALERT CHANNEL UNREACHABLE: {st.channel_detail or 'alarms cannot reach anyone'}")
    shown_alarm = st.alarm_open and st.alarm_reason != "duress"
    due = app.core.checkins_active(now) and now >= st.deadline
    level = urgency.checkin(shown_alarm, due, st.channel_ok is False)
    return " · ".join(parts), level


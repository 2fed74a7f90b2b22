"""The procedure runner: one step at a time, in large clear text.

Every answer is written by shift.runs before the screen moves on; what the
screen shows is always recomputed from the run's rows.
"""

from __future__ import annotations

import sqlite3

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from shift import money, notices, runs, sweep
from shift.hours import duration_text
from shift.procedures import Step, dialled_title
from shift.text import printable, reflow
from tui.ask import AskText, Confirm
from tui.keybar import KeyBar
from tui.messages import DeskChanged


class StepInput(Input):
    """The answer line of a number or text step: Enter answers, and the key bar says so."""

    BINDINGS = [Binding("enter", "submit", "Answer", id="runner.answer.field")]


class RunnerScreen(Screen):
    DEFAULT_CSS = """
    #run-head { height: 1; padding: 0 1; background: $primary-muted; text-style: bold; }
    #run-title { width: 1fr; }
    #run-template { width: auto; color: $warning; padding: 0 1; }
    #run-progress { width: auto; }
    #run-main { height: 1fr; }
    #run-body { padding: 1 2; height: 1fr; }
    /* After a sweep: the step (title, instructions, answer) keeps the space it needs, first;
       the fire department's summary takes the rest, and scrolls on its own when it is longer. */
    #run-main.after-sweep #run-body { height: auto; max-height: 100%; padding: 1 2 0 2; }
    #run-sweep { height: 1fr; padding: 0 2; display: none; }
    #run-main.after-sweep #run-sweep { display: block; }
    /* A short terminal (24 rows) after a sweep: a plainer title and narrower margins leave the
       summary a few rows even beside a long instruction. */
    RunnerScreen.short #run-main.after-sweep #run-body { padding: 0 1; }
    RunnerScreen.short #run-main.after-sweep #run-sweep { padding: 0 1; }
    RunnerScreen.short #run-main.after-sweep #step-title { border: none; background: $primary-muted; }
    #step-title { text-style: bold; margin-bottom: 1; border: tall $primary; padding: 0 1; }
    #step-due { text-style: bold; }
    #step-due.late { color: $text-warning; }
    #step-call { text-style: bold; background: $error 20%; padding: 0 1; margin-bottom: 1; }
    #step-call.missing { color: $text-error; }
    #step-where { text-style: bold; margin-bottom: 1; }
    #step-where.missing { color: $text-error; }
    #step-notice { border: round $accent; padding: 0 1; margin-bottom: 1; }
    #step-sweep { border-left: thick $warning; background: $warning 10%; padding: 0 1; text-style: bold; }
    #step-instructions { margin-bottom: 1; }
    #step-announce { border: round $warning; padding: 0 1; margin-bottom: 1; text-style: bold; }
    #step-figures { border: round $secondary; padding: 0 1; margin-bottom: 1; }
    #run-answer { dock: bottom; height: auto; background: $surface; }
    #step-options { padding: 0 2; text-style: bold; }
    #step-value { max-width: 60; }
    #step-earlier { color: $text-muted; }
    #step-notes { color: $text-muted; }
    #run-message { height: 1; padding: 0 1; color: $text-muted; }
    #run-message.error { color: $text-error; text-style: bold; }
    /* What to do about a call (Enter as soon as it is made) is an instruction, not a hint. */
    #run-message.call { color: $text; text-style: bold; }
    """

    BINDINGS = [
        Binding("enter", "answer", "Done / answer", id="runner.answer"),
        Binding("s,ctrl+s", "skip", "Skip", id="runner.skip"),
        Binding("n,ctrl+n", "note", "Note", id="runner.note"),
        Binding("pageup,b", "back", "Back", id="runner.back"),
        Binding("pagedown", "forward", "Forward", id="runner.forward"),
        Binding("up", "select(-1)", "Previous choice", id="runner.up", show=False),
        Binding("down", "select(1)", "Next choice", id="runner.down", show=False),
        *[Binding(str(n), f"pick({n})", f"Choice {n}", id=f"runner.pick.{n}", show=False) for n in range(1, 10)],
        Binding("escape", "leave", "Leave (resume later)", id="runner.leave"),
    ]
    resilient = False  # emergencies: writes the disk refuses wait in memory instead of failing
    KEYS_NOTE = ("In a number or text field, letters are typed into the field: use Ctrl+S to skip "
                 "and Ctrl+N for a note. Answering an earlier step again records a correction.")

    @property
    def HELP_NOTE(self) -> str:  # noqa: N802 (the name every screen's help note has)
        """F1 also says where this procedure's words come from, each source as written in its file."""
        procedure = self.run.procedure
        about = [printable(reflow(procedure.description), keep_newlines=True)] if procedure.description else []
        sources = [f"\u2022 {printable(str(c))}" for c in procedure.sources]
        where = ["Where this comes from:", *sources] if sources else []
        return "\n\n".join(part for part in (self.KEYS_NOTE, "\n".join(about), "\n".join(where)) if part)

    def __init__(self, run: runs.RunState) -> None:
        super().__init__()
        self.run = run
        self.viewing: str | None = None  # a step id when looking back; None = the current step
        self.selected: int | None = None  # no answer is pre-chosen: the person picks one

    def compose(self) -> ComposeResult:
        with Horizontal(id="run-head"):
            yield Static(printable(self.run.procedure.title), id="run-title", markup=False)
            # One word in the title row: the full line is in the picker, check and the shift report.
            template = Static("TEMPLATE", id="run-template", markup=False)
            template.display = self.run.procedure.template
            yield template
            yield Static("", id="run-progress", markup=False)
        with Vertical(id="run-main"):
            with VerticalScroll(id="run-body"):
                yield Static("", id="step-title", markup=False)
                yield Static("", id="step-due", markup=False)
                yield Static("", id="step-call", markup=False)
                yield Static("", id="step-where", markup=False)
                yield Static("", id="step-instructions", markup=False)
                yield Static("", id="step-announce", markup=False)
                yield Static("", id="step-notice", markup=False)
                yield Static("", id="step-figures", markup=False)
                yield Static("", id="step-earlier", markup=False)
                yield Static("", id="step-notes", markup=False)
                yield Static("", id="summary", markup=False)
                # The answer stays at the foot of the step however long its text: what is typed
                # (a cash count under a long instruction at 80x24) is always in sight.
                with Vertical(id="run-answer"):
                    yield Static("", id="step-options", markup=False)
                    yield StepInput(id="step-value")
            with VerticalScroll(id="run-sweep"):
                yield Static("", id="step-sweep", markup=False)
        yield Static("", id="run-message", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(self.app.size.height < 30, "short")
        self.show()
        self.set_interval(15, self.show_due)

    def on_resize(self) -> None:
        self.set_class(self.app.size.height < 30, "short")

    def on_desk_changed(self, message: DeskChanged) -> None:
        """A step done from the paired phone: the run as recorded, moved on to its next step."""
        if not message.runs or self.app.store.pending:
            return
        try:
            run = runs.load_run(self.app.store, self.run.id)
        except (sqlite3.Error, IndexError, ValueError):
            return
        if len(run.history) != len(self.run.history):
            self.after_write(run)
            self.message("A step was recorded from the phone.")

    # -- what is on screen -------------------------------------------------

    def step(self) -> Step | None:
        if self.viewing is not None:
            return self.run.procedure.step(self.viewing)
        return self.run.current()

    def show(self) -> None:
        step = self.step()
        summary = self.query_one("#summary", Static)
        for widget_id in ("#step-title", "#step-due", "#step-call", "#step-where", "#step-instructions",
                          "#step-announce", "#step-notice", "#step-figures", "#step-options", "#step-value",
                          "#step-earlier", "#step-notes"):
            self.query_one(widget_id).display = step is not None
        summary.display = step is None
        if step is None:
            self.show_sweep_summary(None)
            self.query_one("#run-progress", Static).update("All steps done")
            summary.update(self.summary_text())
            self.message("Enter finishes the procedure · PageUp looks back at a step")
            return
        self.query_one("#run-progress", Static).update(str(self.run.progress(step)))
        self.query_one("#step-title", Static).update(printable(self.step_title(step)))
        self.show_call(step)
        self.show_where(step)
        self.show_notice(step)
        self.show_sweep_summary(step)
        instructions = self.query_one("#step-instructions", Static)
        instructions.display = bool(step.instructions)
        instructions.update(printable(reflow(step.instructions), keep_newlines=True))
        announce = self.query_one("#step-announce", Static)
        announce.display = bool(step.announce)
        announce.update("Read aloud:\n" + printable(reflow(step.announce), keep_newlines=True))
        figures = self.query_one("#step-figures", Static)
        figures.display = step.show == "fees"
        if figures.display:
            figures.update(money.cash_summary(self.app.store, self.run.shift_id))
        self.show_due()
        self.show_answer_area(step)
        earlier = self.run.latest.get(step.id)
        box = self.query_one("#step-earlier", Static)
        box.display = earlier is not None
        if earlier is not None:
            when = earlier.recorded_at.astimezone(self.app.site.zone)
            what = ("skipped: " + printable(earlier.reason or "no reason")) if earlier.status == "skipped" \
                else ("answered " + printable(earlier.answer) if earlier.answer is not None else "done")
            box.update(f"Recorded at {when:%H:%M}: {what}. Answering again records a correction.")
        notes = self.run.notes_for(step.id)
        self.query_one("#step-notes", Static).update(
            "\n".join(f"Note: {printable(n.text)}" for n in notes))
        self.query_one("#step-notes", Static).display = bool(notes)

    def step_title(self, step: Step) -> str:
        """The title as shown: a call step's number as the site dials it ("Call 9-911"), the same
        number as the DIAL line and the CALL box."""
        contact = self.app.site.contacts.get(step.call) if step.call else None
        return dialled_title(step, contact.phone if contact else None)

    def show_call(self, step: Step) -> None:
        """A call step shows whom to call and the number exactly as it is dialled."""
        box = self.query_one("#step-call", Static)
        box.display = bool(step.call)
        box.remove_class("missing")
        if not step.call:
            return
        contact = self.app.site.contacts.get(step.call)
        if contact is None:
            box.add_class("missing")
            box.update(f"CALL: no '{printable(step.call)}' contact in site.toml: use the desk's phone list")
            return
        notes = f"\n{printable(contact.notes)}" if contact.notes else ""
        if self.run.drill and step.call == "emergency":
            box.update(f"DRILL — do not dial. Say what you would say to {printable(contact.name)} "
                       f"({printable(contact.phone)}), then Enter.")
            return
        box.update(f"CALL {printable(contact.name)}: {printable(contact.phone)}{notes}")

    def show_where(self, step: Step) -> None:
        """Where the things a step needs are kept (the site's [places]): "Where: ..." beside the instructions."""
        box = self.query_one("#step-where", Static)
        box.display = bool(step.places)
        places = self.app.site.places
        missing = [p for p in step.places if p not in places]
        box.set_class(bool(missing), "missing")
        box.update("\n".join(f"Where: {printable(places[p])}" if p in places else
                             f"Where: no '{printable(p)}' place in site.toml: ask Campus Security"
                             for p in step.places))

    def notice_text(self, step: Step) -> str | None:
        return notices.for_step(self.app.site.notices, self.run, step) if step.notice else None

    def show_notice(self, step: Step) -> None:
        """A notice step shows the notice, filled from this run's answers, as it will be recorded."""
        box = self.query_one("#step-notice", Static)
        box.display = bool(step.notice)
        if not step.notice:
            return
        text = self.notice_text(step)
        if text is None:
            box.update(f"No '{printable(step.notice)}' notice in site.toml: write the notice by hand.")
        else:
            box.update("Notice to post (kept with this step when you press Enter):\n\n"
                       + printable(text, keep_newlines=True))

    def sweep_lines(self) -> list[str]:
        return sweep.run_summary(self.app.store, self.run.id, self.app.site.zones)

    def show_sweep_summary(self, step: Step | None) -> None:
        """Every step after a sweep keeps what the fire department must be told on screen: below
        the step's own title, instructions and answer, which come first and are never pushed off
        screen by it (a long summary scrolls in its own box; the run's summary has it in full)."""
        box = self.query_one("#step-sweep", Static)
        box.display = step is not None and sweep.follows_sweep(self.run.visible_steps(), step)
        self.query_one("#run-main").set_class(box.display, "after-sweep")
        if box.display:
            box.update("For the fire department (from the sweep):\n"
                       + "\n".join(printable(line) for line in self.sweep_lines()))
            self.query_one("#run-sweep", VerticalScroll).scroll_home(animate=False)

    def show_due(self) -> None:
        step = self.step()
        due_box = self.query_one("#step-due", Static)
        due = self.run.due_at(step, self.app.site.hours) if step else None
        due_box.display = due is not None
        due_box.remove_class("late")
        if due is None:
            return
        now = self.app.clock.now()
        text = f"Due {due.astimezone(self.app.site.zone):%H:%M}"
        if now > due and step.id not in self.run.latest:
            text += f" — LATE by {duration_text(now - due)}"
            due_box.add_class("late")
        due_box.update(text)

    def show_answer_area(self, step: Step) -> None:
        options = self.query_one("#step-options", Static)
        value = self.query_one("#step-value", Input)
        options.display = step.kind in ("yesno", "choice")
        value.display = step.kind in ("number", "text")
        if options.display:
            earlier = self.run.latest.get(step.id)
            choices = step.options()
            if self.selected is None and earlier is not None and earlier.answer in choices:
                self.selected = choices.index(earlier.answer)
            options.update("\n".join(
                f"{'▶' if i == self.selected else ' '} {i + 1}  {printable(choice)}"
                for i, choice in enumerate(choices)))
        if value.display:
            value.placeholder = (f"a number, expected {step.range_text()}" if step.kind == "number" and
                                 step.range_text() else "a number" if step.kind == "number" else "type the answer")
            value.restrict = r"[0-9$.,\- ]*" if step.kind == "number" else None
            value.focus()
        else:
            self.set_focus(None)
        scroll = " · ↑↓ scroll summary" if self.query_one("#step-sweep").display else ""
        if step.sweep:
            self.message("Enter opens the sweep checklist (zone by zone)")
        elif step.call and self.run.drill and step.call == "emergency":
            self.message("Enter when you have said it (a drill: nothing is dialled); its time is recorded" + scroll)
            self.query_one("#run-message").add_class("call")
        elif step.call:
            self.message("Enter as soon as the call is made: its time is recorded" + scroll)
            self.query_one("#run-message").add_class("call")
        elif step.kind == "check":
            self.message("Enter when done · s skip · n note" + scroll)
        elif step.kind in ("yesno", "choice"):
            self.message("↑↓ or 1-9 choose · Enter answers")
        else:
            self.message("Type, then Enter · Ctrl+S skip · Ctrl+N note" + scroll)

    def message(self, text: str, error: bool = False) -> None:
        box = self.query_one("#run-message", Static)
        box.set_class(error, "error")
        box.remove_class("call")  # a call step's instruction adds it back after this
        box.update(text)

    def summary_text(self) -> str:
        """What needs attention first (skips, out-of-range values, notes, corrections), then what was done."""
        summary = self.run.summary()
        zone = self.app.site.zone
        sections = (
            ("Skipped", [f"{printable(s.title)} — {printable(r) or 'no reason given'}" for s, r in summary.skipped]),
            ("Out of range", [f"{printable(s.title)} — {printable(v)} (expected {s.range_text()})"
                              for s, v in summary.out_of_range]),
            ("Notes", [f"{printable(s.title)} — {printable(t)}" for s, t in summary.notes]),
            ("Corrections", [f"{printable(s.title)} — {printable(b.answer or b.status)} → "
                             f"{printable(a.answer or a.status)}" for s, b, a in summary.corrections]),
        )
        lines = []
        if any(step.sweep for step in self.run.visible_steps()):
            lines += ["For the fire department (from the sweep):"]
            lines += [f"  {printable(line)}" for line in self.sweep_lines()] + [""]
        for heading, items in sections:
            if items:
                lines += [f"{heading} ({len(items)}):"] + [f"  • {item}" for item in items] + [""]
        lines.append(f"Done ({len(summary.done)}):")
        for step, outcome in summary.done:
            answer = f": {printable(step.value_text(outcome.answer))}" if outcome.answer is not None else ""
            at = outcome.recorded_at.astimezone(zone)
            lines.append(f"  ✓ {printable(self.step_title(step))}{answer}  ({at:%H:%M})")
        return "\n".join(lines)

    # -- recording ---------------------------------------------------------

    def after_write(self, run: runs.RunState, step: Step | None = None) -> None:
        if step is not None and run.latest.get(step.id) and run.latest[step.id].status != "skipped":
            self.app.step_completed(run.procedure.id, step.id)
        self.run = run
        self.viewing = None
        self.selected = None
        self.query_one("#step-value", Input).value = ""
        self.show()

    def failed(self, exc: Exception) -> None:
        self.message(f"NOT saved: {exc}", error=True)

    def action_answer(self) -> None:
        step = self.step()
        if step is None:
            self.finish()
            return
        if step.sweep:
            self.open_sweep(step)
            return
        answer = None
        if step.kind in ("yesno", "choice"):
            if self.selected is None:
                self.message("Choose an answer first: ↑↓ or its number, then Enter.", error=True)
                return
            answer = step.options()[self.selected]
        elif step.kind in ("number", "text"):
            answer = self.query_one("#step-value", Input).value
        elif step.notice:
            answer = self.notice_text(step)  # the exact text shown is what is recorded
        self.record(step, answer)

    def open_sweep(self, step: Step) -> None:
        from tui.sweep import SweepScreen

        def swept(done: bool | None) -> None:
            if done:
                self.record(step, None)

        self.app.push_screen(SweepScreen(self.run.id, self.run.started_at, self.run.drill), swept)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_answer()

    def record(self, step: Step, answer: str | None, note: str = "", confirm: bool = False) -> None:
        try:
            self.after_write(runs.record_answer(self.app.store, self.run, step, answer, note, confirm,
                                                resilient=self.resilient), step)
        except runs.NeedsNote as exc:
            self.ask_note_then_record(step, answer, str(exc))
        except runs.NeedsConfirmation as exc:
            self.confirm_then_record(step, answer, str(exc))
        except (ValueError, sqlite3.Error) as exc:
            self.failed(exc)

    @work(exclusive=True, group="dialog")
    async def ask_note_then_record(self, step: Step, answer: str | None, why: str) -> None:
        note = await self.app.push_screen_wait(AskText(self.step_title(step), why.capitalize() + ".", required=True))
        if note is not None:
            self.record(step, answer, note=note)

    @work(exclusive=True, group="dialog")
    async def confirm_then_record(self, step: Step, answer: str | None, why: str) -> None:
        # No by default: the Enter that submitted the number, pressed again by reflex, must not
        # record a value outside the range. Only y does.
        if await self.app.push_screen_wait(Confirm(f"{why}. Record it anyway?", enter_is_no=True)):
            self.record(step, answer, confirm=True)
        else:
            self.message("Not recorded: correct it and press Enter (then y keeps it as it is).")

    @work(exclusive=True, group="dialog")
    async def action_skip(self) -> None:
        step = self.step()
        if step is None:
            return
        if not step.skippable:
            self.message("Nobody goes back in until the fire department gives the all-clear: "
                         "this step cannot be skipped.", error=True)
            return
        prompt = "Why is this step skipped?" + ("" if step.required else " (optional)")
        reason = await self.app.push_screen_wait(AskText(f"Skip: {self.step_title(step)}", prompt,
                                                         required=step.required))
        if reason is None:
            return
        try:
            self.after_write(runs.skip_step(self.app.store, self.run, step, reason, resilient=self.resilient))
        except (ValueError, sqlite3.Error) as exc:
            self.failed(exc)

    @work(exclusive=True, group="dialog")
    async def action_note(self) -> None:
        step = self.step()
        if step is None:
            return
        text = await self.app.push_screen_wait(AskText(f"Note: {self.step_title(step)}", "Add a note to this step.",
                                                       required=True))
        if text is None:
            return
        try:
            self.run = runs.add_note(self.app.store, self.run, step, text, resilient=self.resilient)
            self.show()
            self.message("Note saved.")
        except (ValueError, sqlite3.Error) as exc:
            self.failed(exc)

    def finish(self) -> None:
        try:
            runs.finish_run(self.app.store, self.run)
        except (ValueError, sqlite3.Error) as exc:
            self.failed(exc)
            return
        self.app.notify(f"{self.run.procedure.title}: finished.", markup=False)
        self.dismiss()

    # -- moving around -----------------------------------------------------

    def _move(self, delta: int) -> None:
        """Look back (or forward again) over answered steps; never past the current one."""
        ids = [s.id for s in self.run.visible_steps()]
        current = self.run.current()
        limit = ids.index(current.id) if current else len(ids)
        here = ids.index(self.viewing) if self.viewing in ids else limit
        target = max(0, min(here + delta, limit))
        self.viewing = None if target == limit else ids[target]
        self.selected = None
        self.show()

    def action_back(self) -> None:
        self._move(-1)

    def action_forward(self) -> None:
        self._move(1)

    def action_select(self, delta: int) -> None:
        """↑↓ choose an answer; on a step without choices they scroll the sweep summary, or the
        step's own text (a long instruction at 80x24 above an answer line that stays in sight)."""
        step = self.step()
        if step is not None and step.kind in ("yesno", "choice"):
            start = -1 if delta > 0 else 0
            self.selected = ((start if self.selected is None else self.selected) + delta) % len(step.options())
            self.show_answer_area(step)
        elif self.query_one("#step-sweep").display:
            box = self.query_one("#run-sweep", VerticalScroll)
            box.scroll_relative(y=delta, animate=False)
        else:
            self.query_one("#run-body", VerticalScroll).scroll_relative(y=delta, animate=False)

    def action_pick(self, number: int) -> None:
        step = self.step()
        if step is not None and step.kind in ("yesno", "choice") and number <= len(step.options()):
            self.selected = number - 1
            self.show_answer_area(step)

    def action_leave(self) -> None:
        self.dismiss()

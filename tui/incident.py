"""The incident report form: a legal document, written calmly, saved once.

Everything is checked and written by shift.incidents; this screen only reads
the fields, shows what is missing, and asks the person about anything that
looks like a library card number before it could be saved.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, Select, Static, TextArea
from textual.widgets.select import InvalidSelectValueError

from shift import incidents, jurisdiction
from shift.incidents import IdentifiersFound, IncidentForm, IncidentProblems
from shift.privacy import Finding, judgement_words
from shift.shifts import Shift
from shift.text import printable
from tui.bindings import screen_commands
from tui.keeptyping import KeepsTyping
from tui.keybar import KeyBar

REMINDER = ("Describe, don't judge: what you saw and heard; people as \u201cappears to be\u2026\u201d; "
            "words said quoted exactly. Never write a library card number.")
PEOPLE_HINT = ("Describe neutrally: \u201cappears to be in his 30s, about 180 cm, grey hoodie\u201d. "
               "Quote words exactly as said. No card numbers, no opinions.")
# Multi-line fields (TextArea) and one-line fields (Input), by IncidentForm field name.
_AREAS = ("what_happened", "people", "witnesses", "refused_details", "actions")
_LINES = ("location", "injury_details", "followup", "followup_by", "reporter")
_CALLS = (("security_called_at", "Security called at"), ("police_called_at", "Police called at"),
          ("ambulance_called_at", "Ambulance called at"))
_DESCRIBING = ("what_happened", "people", "witnesses", "refused_details", "actions", "injury_details")


def local_text(moment: datetime, zone) -> str:
    return f"{moment.astimezone(zone):%a %d %b %Y %H:%M}"


class IdentifiersDialog(ModalScreen[str | None]):
    """What looks like a patron identifier, shown literally: remove, keep, or go back."""

    BINDINGS = [
        Binding("r", "answer('remove')", "Remove them all", id="privacy.remove"),
        Binding("k", "answer('keep')", "Keep: not patron identifiers", id="privacy.keep"),
        Binding("escape", "answer(None)", "Back to editing", id="privacy.back"),
    ]
    DEFAULT_CSS = """
    IdentifiersDialog #privacy-findings { margin: 1 0; color: $text-warning; text-style: bold; }
    """

    def __init__(self, findings: dict[str, list[Finding]], labels: dict[str, str]) -> None:
        super().__init__()
        self.findings = findings
        self.labels = labels

    def compose(self) -> ComposeResult:
        lines = [f"{self.labels.get(name, name)}: \u201c{printable(f.text)}\u201d \u2014 {f.why}"
                 for name, found in self.findings.items() for f in found]
        with Vertical(id="dialog"):
            yield Static("This looks like a library card or student number", classes="title", markup=False)
            yield Static("Card numbers never go in an incident report: the person described may "
                         "one day read it.", markup=False)
            yield Static("\n".join(lines), id="privacy-findings", markup=False)
            yield Static("r removes them all and saves \u00b7 k keeps them (they are not patron "
                         "identifiers) and saves \u00b7 Esc goes back to editing", classes="note", markup=False)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class SavedNotice(ModalScreen[None]):
    """After saving: the follow-ups the law requires, with their deadlines."""

    BINDINGS = [Binding("enter,escape", "close", "Close", id="incident.notice.close")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Incident saved", classes="title", markup=False)
            yield Static(self.text, id="notice-text", markup=False)
            yield Static("Enter closes", classes="note", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class LeaveDialog(ModalScreen[str | None]):
    BINDINGS = [
        Binding("d", "answer('draft')", "Keep as a draft", id="incident.leave.draft"),
        Binding("y", "answer('discard')", "Discard", id="incident.leave.discard"),
        Binding("n,escape", "answer(None)", "Back to the report", id="incident.leave.back"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Leave this incident report?", classes="title", markup=False)
            yield Static("d keeps it as a draft to finish later (Ctrl+F lists drafts) \u00b7 "
                         "y discards what you typed (until the shift ends, Ctrl+O in a new report "
                         "brings it back) \u00b7 n or Esc goes back to the report",
                         classes="note", markup=False)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class IncidentFormScreen(KeepsTyping, Screen["incidents.Incident | None"]):
    AUTO_FOCUS = "#category"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save report", id="incident.save"),
        Binding("escape", "leave", "Leave", id="incident.cancel"),
        Binding("ctrl+o", "bring_back", "Bring back the discarded report", id="incident.bring_back"),
    ]
    HELP_NOTE = ("Tab moves between fields. Only category, time, place and what happened are "
                 "required (and your name). Times: now, HH:MM (today) or YYYY-MM-DD HH:MM; "
                 "a called-at time left blank means not called.")
    DEFAULT_CSS = """
    IncidentFormScreen #incident-head { height: 1; padding: 0 1; background: $primary-muted; text-style: bold; }
    IncidentFormScreen #incident-reminder { padding: 0 1; color: $text-warning; }
    IncidentFormScreen #incident-body { height: 1fr; padding: 0 1; }
    IncidentFormScreen #incident-body > Label { margin-top: 1; text-style: bold; }
    IncidentFormScreen #incident-body TextArea { height: 5; }
    IncidentFormScreen #when, IncidentFormScreen #zone, IncidentFormScreen #category { max-width: 70; }
    IncidentFormScreen .calls { height: auto; }
    IncidentFormScreen .calls Vertical { width: 1fr; height: auto; }
    IncidentFormScreen .calls Label { text-style: bold; margin-top: 1; }
    IncidentFormScreen #obligations { display: none; border: heavy $error; background: $error 15%;
                                      padding: 0 1; margin-top: 1; text-style: bold; }
    IncidentFormScreen #obligations.medical { border: round $warning; background: $warning 10%; }
    IncidentFormScreen #judgement { display: none; padding: 0 1; color: $text-muted; }
    IncidentFormScreen #incident-error { padding: 0 1; color: $text-error; text-style: bold; height: auto; }
    IncidentFormScreen #incident-discarded { display: none; padding: 0 1; color: $text-warning; }
    IncidentFormScreen #incident-body > Label.missing, IncidentFormScreen .calls Label.missing {
        color: $text-error; width: 100%; }
    IncidentFormScreen .missing Input, IncidentFormScreen Input.missing, IncidentFormScreen TextArea.missing,
    IncidentFormScreen Select.missing > SelectCurrent { border: tall $error; }
    """

    def __init__(self, shift: Shift, draft: incidents.Draft | None = None) -> None:
        super().__init__()
        self.shift = shift
        self.draft = draft
        self._initial: dict[str, object] = {}
        self._start: IncidentForm | None = None  # the form as opened (from a draft: exact times)
        self._label_text: dict[str, str] = {}  # a marked field's label as written, to put back

    def palette_commands(self):
        return screen_commands(self, "incident")

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        site = self.app.site
        form = self._start_form()
        zone = site.zone
        title = "Incident report" + (" (completing a draft)" if self.draft else "")
        yield Static(title, id="incident-head", markup=False)
        yield Static(REMINDER, id="incident-reminder", markup=False)
        yield Static("", id="incident-discarded", markup=False)
        with VerticalScroll(id="incident-body"):
            yield Label("Category *", id="label-category")
            categories = [(Content(c), c) for c in site.incidents.categories]
            if form.category and form.category not in site.incidents.categories:
                categories.append((Content(form.category), form.category))
            yield Select(categories, prompt="choose a category", id="category",
                         value=form.category or Select.NULL)
            yield Label("When did it happen? *  (now, HH:MM today, YYYY-MM-DD HH:MM)", id="label-when")
            yield Input(incidents.when_text(form.occurred_at, zone), placeholder="e.g. 19:05", id="when")
            yield Label("Where? *  (a zone, the exact place, or both)", id="label-zone")
            yield Select([(Content(z.name), z.id) for z in site.zones], prompt="zone", id="zone",
                         value=form.zone_id if form.zone_id in {z.id for z in site.zones} else Select.NULL)
            yield Input(form.location, placeholder="exact place, e.g. by the printers near room 204", id="location")
            yield Label("What happened? *  (in order, what you saw and heard)", id="label-what_happened")
            yield TextArea(form.what_happened, id="what_happened")
            yield Label("People involved")
            yield TextArea(form.people, id="people", placeholder=PEOPLE_HINT)
            yield Label("Witnesses (names and how to reach them)")
            yield TextArea(form.witnesses, id="witnesses")
            yield Label("Refused to give details (describe them)")
            yield TextArea(form.refused_details, id="refused_details")
            yield Label("Actions taken")
            yield TextArea(form.actions, id="actions")
            with Horizontal(classes="calls"):
                for name, label in _CALLS:
                    with Vertical():
                        yield Label(label, id=f"label-{name}")
                        yield Input(incidents.when_text(getattr(form, name), zone),
                                    placeholder="HH:MM, blank = not called", id=name)
            yield Label("Injury", id="label-injury")
            law = self.app.site.jurisdiction
            yield Select([(Content(jurisdiction.label(law, i)), i) for i in jurisdiction.INJURY_LEVELS],
                         value=form.injury, allow_blank=False, id="injury")
            yield Label("Who was hurt", id="hurt-label")
            yield Select([(Content(incidents.HURT_LABELS[h]), h) for h in incidents.HURT],
                         value=form.hurt if form.hurt in incidents.HURT else Select.NULL,
                         prompt="Choose: the law's duties differ", id="hurt")
            yield Static("", id="obligations", markup=False)
            yield Label("Injury details")
            yield Input(form.injury_details, placeholder="what the injury appears to be, first aid given",
                        id="injury_details")
            yield Label("Severity", id="label-severity")
            yield Select([(Content(incidents.SEVERITY_LABELS[s]), s) for s in incidents.SEVERITIES],
                         value=form.severity, allow_blank=False, id="severity")
            yield Label("Follow-up needed")
            yield Input(form.followup, placeholder="blank if none", id="followup")
            yield Label("Follow-up by whom")
            yield Input(form.followup_by, id="followup_by")
            yield Label("Reported by *", id="label-reporter")
            yield Input(form.reporter, id="reporter")
        yield Static("", id="judgement", markup=False)
        yield Static("", id="incident-error", markup=False)
        yield KeyBar()

    def _start_form(self) -> IncidentForm:
        if self.draft is not None:
            form = incidents.form_from_draft(self.draft, self.app.clock.now())
        else:
            # A report is written as soon as it happens: "when" starts at the moment the form
            # opened (kept to the second while the field is left as it is), and is easy to change.
            form = IncidentForm(occurred_at=self.app.clock.now())
        self._start = form
        if not form.reporter and not self.shift.worker.startswith("("):  # "(not signed in)"
            form.reporter = self.shift.worker
        return form

    def on_mount(self) -> None:
        self._initial = self._values()
        self.bring_back_typing()
        self._show_obligations()
        self._show_judgement()
        self._show_discarded()

    # -- typing kept through a crash (tui/keeptyping.py) ----------------------

    def unsaved_key(self) -> tuple[str, str]:
        return self.shift.id, f"incident:{self.draft.id}" if self.draft else "incident"

    def typed(self) -> dict[str, str]:
        return {name: str(value) for name, value in self._values().items()}

    def retype(self, fields: dict[str, str]) -> None:
        for name, value in fields.items():
            found = self.query(f"#{name}")
            if not found:
                continue
            widget = found.first()
            if isinstance(widget, TextArea):
                widget.text = value
            elif isinstance(widget, Input):
                widget.value = value
            elif isinstance(widget, Select) and value:
                try:
                    widget.value = value
                except InvalidSelectValueError:  # a choice the site file no longer offers
                    pass

    # -- reading the fields -------------------------------------------------------

    def _values(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for name in _AREAS:
            values[name] = self.query_one(f"#{name}", TextArea).text
        for name in _LINES + ("when",) + tuple(n for n, _ in _CALLS):
            values[name] = self.query_one(f"#{name}", Input).value
        for name in ("category", "zone", "injury", "hurt", "severity"):
            value = self.query_one(f"#{name}", Select).value
            values[name] = "" if value is Select.NULL else str(value)
        return values

    def _form(self, lenient: bool = False) -> IncidentForm:
        """The form as typed. A time that cannot be read raises IncidentProblems with every other
        problem of the form too (left out as blank when lenient)."""
        values = self._values()
        now = self.app.clock.now()
        zone = self.app.site.zone
        times: dict[str, datetime | None] = {}
        unreadable: dict[str, str] = {}
        for name, label in (("occurred_at", "When"),) + _CALLS:
            key = "when" if name == "occurred_at" else name
            text = str(values[key])
            if self._start is not None and text and text == self._initial.get(key):
                times[name] = getattr(self._start, name)  # untouched: the draft's exact moment
                continue
            try:
                times[name] = incidents.parse_when(text, now, zone)
            except ValueError as exc:
                unreadable[name] = f"{label}: {exc}"
                times[name] = None
        if unreadable and not lenient:
            found = incidents.field_problems(self._build(values, times), self.app.site, self.shift, now, unreadable)
            raise IncidentProblems([text for _, text in found], [name for name, _ in found])
        return self._build(values, times)

    def _build(self, values: dict[str, object], times: dict[str, datetime | None]) -> IncidentForm:
        return IncidentForm(
            category=str(values["category"]), zone_id=str(values["zone"]),
            injury=str(values["injury"]), hurt=str(values["hurt"]), severity=str(values["severity"]),
            draft_id=self.draft.id if self.draft else None,
            run_id=self.draft.run_id if self.draft else None,
            **{name: str(values[name]) for name in _AREAS + _LINES}, **times,
        )

    def _put(self, form: IncidentForm) -> None:
        """Write the text fields of `form` back into the widgets (after removing identifiers)."""
        for name in _AREAS:
            area = self.query_one(f"#{name}", TextArea)
            if area.text != getattr(form, name):
                area.text = getattr(form, name)
        for name in _LINES:
            self.query_one(f"#{name}", Input).value = getattr(form, name)

    def _error(self, text: str) -> None:
        self.query_one("#incident-error", Static).update(text)

    # A form field (shift.incidents) -> its widget here.
    _WIDGET = {"occurred_at": "when", "zone_id": "zone"}

    def _label(self, widget_id: str) -> Label | None:
        found = self.query(f"#label-{widget_id}") or self.query(f"#{widget_id}-label")
        return found.first(Label) if found else None

    def _mark(self, problems: list[tuple[str, str]]) -> None:
        """Each field a problem is about: marked, its label saying what it needs; the first focused."""
        self._unmark_all()
        first = None
        for field_name, text in problems:
            widget_id = self._WIDGET.get(field_name, field_name)
            found = self.query(f"#{widget_id}")
            if not found:
                continue
            widget = found.first()
            widget.add_class("missing")
            label = self._label(widget_id)
            if label is not None:
                plain = self._label_text.setdefault(widget_id, str(label.content))
                label.add_class("missing")
                label.update(Content(f"{plain}  \u2190 {text}"))
            first = first or widget
        if first is not None:
            first.focus()
            first.scroll_visible(animate=False)

    def _unmark(self, widget) -> None:
        if widget is None or not widget.has_class("missing"):
            return
        widget.remove_class("missing")
        label = self._label(widget.id or "")
        if label is not None and label.has_class("missing"):
            label.remove_class("missing")
            label.update(Content(self._label_text.get(widget.id or "", str(label.content))))

    def _unmark_all(self) -> None:
        for widget in list(self.query(".missing")):
            if not isinstance(widget, Label):
                self._unmark(widget)

    # -- live hints ---------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        self._unmark(event.select)
        if event.select.id in ("injury", "hurt"):
            self._show_obligations()
            if self.query_one("#obligations").display:
                self.query_one("#obligations").scroll_visible(animate=False)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._unmark(event.text_area)
        self._show_judgement()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._unmark(event.input)
        if event.input.id == "location":
            self._unmark(self.query_one("#zone"))  # the place may be a zone, typed words, or both
        if event.input.id == "injury_details":
            self._show_judgement()

    def _show_obligations(self) -> None:
        injury = str(self.query_one("#injury", Select).value)
        hurt = self.query_one("#hurt", Select).value
        hurt_asked = injury != "none"
        self.query_one("#hurt-label").display = hurt_asked
        self.query_one("#hurt").display = hurt_asked
        found = incidents.obligations(injury, "" if hurt is Select.NULL else str(hurt), self.app.site)
        panel = self.query_one("#obligations", Static)
        panel.display = bool(found.lines)
        panel.set_class(not found.grave, "medical")
        panel.update("\n".join([found.heading] + [f"\u2022 {line}" for line in found.lines]) if found.lines else "")

    def _show_judgement(self) -> None:
        text = "\n".join(self.query_one(f"#{name}", TextArea).text for name in _AREAS)
        text += "\n" + self.query_one("#injury_details", Input).value
        words = judgement_words(text)
        line = self.query_one("#judgement", Static)
        line.display = bool(words)
        if words:
            quoted = ", ".join(f"\u201c{printable(w)}\u201d" for w in words)
            line.update(f"A reminder: {quoted} judges rather than describes. Say what you saw and heard "
                        "(e.g. \u201cunsteady on his feet\u201d), or quote the words said. It will still save.")

    # -- saving -------------------------------------------------------------------

    def action_save(self, confirmed: bool = False) -> None:
        try:
            form = self._form()
            form.identifiers_confirmed = confirmed
            incident = incidents.file_incident(self.app.store, self.app.site, self.shift, form)
        except IncidentProblems as exc:
            count = len(exc.problems)
            self._error(f"Not saved: {count} field{'s' if count > 1 else ''} to fill in, each marked; "
                        "the cursor is on the first.")
            self._mark(list(zip(exc.fields, exc.problems, strict=True)))
            return
        except IdentifiersFound as exc:
            found = exc.findings  # `exc` is gone once this block ends; the callback needs them
            self._error("")
            self.app.push_screen(IdentifiersDialog(found, incidents.TEXT_FIELDS),
                                 lambda answer: self._after_identifiers(answer, found))
            return
        except (ValueError, sqlite3.Error) as exc:
            self._error(f"NOT saved: {exc}. Everything you typed is still here; try Ctrl+S again.")
            return
        self._saved(incident)

    def _after_identifiers(self, answer: str | None, findings: dict[str, list[Finding]]) -> None:
        if answer == "remove":
            try:
                self._put(incidents.without_identifiers(self._form(lenient=True), findings))
            except ValueError:
                self._error("The text changed: press Ctrl+S again.")
                return
            self.action_save()
        elif answer == "keep":
            self.action_save(confirmed=True)

    def _saved(self, incident: incidents.Incident) -> None:
        self.typing_done()
        zone = self.app.site.zone
        created = incidents.followups_of(self.app.store, incident.id)
        summary = f"Incident saved ({incident.category}, {local_text(incident.occurred_at, zone)})."
        if incidents.filed_waiting(self.app.store, incident.id):  # confirmed, but not on disk yet: said so
            summary = (f"Incident kept IN MEMORY ({incident.category}, {local_text(incident.occurred_at, zone)}): "
                       "storage refused the write; it is written, with its follow-ups, when storage returns.")
        if any(f.due_at is not None for f in created):  # a duty with a deadline: said, not toasted
            lines = [summary, "", "Follow-ups created (the desk and every next shift will see them):"]
            now = self.app.clock.now()
            for f in created:
                if f.due_at is None:
                    due = "no deadline"
                elif f.due_at <= now:
                    due = "due NOW"
                else:
                    due = f"due by {local_text(f.due_at, zone)}"
                lines.append(f"\u2022 {printable(f.text)} \u2014 {due}")
            self.app.push_screen(SavedNotice("\n".join(lines)), lambda _: self.dismiss(incident))
            return
        if created:
            summary += f" {len(created)} follow-up(s) added for the next shift."
        waiting = incidents.filed_waiting(self.app.store, incident.id)
        self.app.notify(printable(summary), markup=False, severity="warning" if waiting else "information",
                        timeout=10 if waiting else 5)
        self.dismiss(incident)

    # -- leaving ------------------------------------------------------------------

    def action_leave(self) -> None:
        if self._values() == self._initial:
            self.dismiss(None)
            return
        self.app.push_screen(LeaveDialog(), self._after_leave)

    def _after_leave(self, answer: str | None) -> None:
        if answer == "discard":
            try:
                incidents.keep_discarded(self.app.store, self.app.site, self.shift.id, self.typed())
            except sqlite3.Error as exc:
                self._error(f"NOT discarded: it could not be kept to bring back ({exc}). "
                            "Esc then d keeps it as a draft.")
                return
            self.typing_done()
            self.app.notify("Discarded. Until the shift ends, F6 then Ctrl+O brings it back.", markup=False)
            self.dismiss(None)
        elif answer == "draft":
            self._keep_draft()

    # -- a discarded report, brought back ------------------------------------------

    def _discarded(self) -> tuple[dict[str, str], datetime] | None:
        if self.draft is not None:
            return None  # a draft has its own text; only a new report offers the discarded one
        try:
            return incidents.discarded(self.app.store, self.shift)
        except sqlite3.Error:
            return None

    def _show_discarded(self) -> None:
        line = self.query_one("#incident-discarded", Static)
        found = self._discarded()
        line.display = found is not None
        if found is not None:
            fields, at = found
            what = " ".join(fields.get("what_happened", "").split())[:40] or "no description"
            line.update(f"A report discarded at {at.astimezone(self.app.site.zone):%H:%M} "
                        f"(\u201c{printable(what)}\u201d): Ctrl+O brings it back.")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "bring_back":
            found = self.query("#incident-discarded")
            return self.draft is None and bool(found) and bool(found.first().display)
        return True

    def action_bring_back(self) -> None:
        found = self._discarded()
        if found is None:
            return
        if self._values() != self._initial:
            self._error("This report has typing of its own: leave it first (Esc, then d keeps it as a draft), "
                        "then F6 and Ctrl+O.")
            return
        self.retype(found[0])
        try:
            incidents.forget_discarded(self.app.store, self.shift.id)
        except sqlite3.Error:
            pass  # at worst it is offered once more
        self.keep_typing()  # kept at once as this form's typing, in case of a crash
        self._show_discarded()
        self._show_obligations()
        self._show_judgement()
        self.app.notify("Brought back the discarded report.", markup=False)

    def _keep_draft(self, confirmed: bool = False) -> None:
        form = self._form(lenient=True)
        found = {} if confirmed else incidents.identifiers_in(form, self.app.site)
        if found:
            self.app.push_screen(IdentifiersDialog(found, incidents.TEXT_FIELDS),
                                 lambda answer: self._draft_identifiers(answer, found))
            return
        store = self.app.store
        try:
            draft = incidents.save_draft(store, self.shift, incidents.draft_fields(form),
                                         run_id=form.run_id, replaces=self.draft.id if self.draft else None)
        except (ValueError, sqlite3.Error) as exc:
            self._error(f"Draft NOT saved: {exc}. Everything you typed is still here.")
            return
        self.typing_done()  # the draft holds it now
        if store.waiting("incident_drafts", id=draft.id):  # storage refused it: kept in memory
            self.app.notify("Kept as a draft IN MEMORY: storage refused the write (it is written when "
                            "storage returns). Ctrl+F lists it with the drafts to finish meanwhile.",
                            markup=False, severity="warning", timeout=10)
        else:
            self.app.notify("Kept as a draft: Ctrl+F lists drafts to finish.", markup=False)
        self.dismiss(None)

    def _draft_identifiers(self, answer: str | None, found: dict[str, list[Finding]]) -> None:
        if answer == "remove":
            try:
                self._put(incidents.without_identifiers(self._form(lenient=True), found))
            except ValueError:
                self._error("The text changed: press Esc again.")
                return
            self._keep_draft()
        elif answer == "keep":
            self._keep_draft(confirmed=True)

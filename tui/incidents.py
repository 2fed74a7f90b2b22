"""Past incidents: search them, read one exactly as recorded, add a supplement, finish a draft."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from shift import incidentexport, incidents, jurisdiction
from shift.incidents import IdentifiersFound
from shift.privacy import Finding, remove_identifiers
from shift.shifts import Shift
from shift.text import printable
from tui.bindings import screen_commands
from tui.exportdialog import ExportDialog
from tui.incident import IdentifiersDialog, IncidentFormScreen, local_text
from tui.keybar import KeyBar

MAX_LISTED = 300


def _one_line(text: str) -> str:
    return printable(" ".join(text.split()))


class SupplementDialog(ModalScreen["incidents.Supplement | None"]):
    """Add to an incident without touching it; checked for card numbers like the original."""

    AUTO_FOCUS = "#supplement-text"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save supplement", id="incident.supplement.save"),
        Binding("escape", "cancel", "Cancel", id="incident.supplement.cancel"),
    ]
    DEFAULT_CSS = """
    SupplementDialog #supplement-text { height: 8; }
    SupplementDialog #supplement-error { color: $text-error; text-style: bold; }
    """

    def __init__(self, shift: Shift, incident: incidents.Incident) -> None:
        super().__init__()
        self.shift = shift
        self.incident = incident

    def compose(self) -> ComposeResult:
        zone = self.app.site.zone
        author = "" if self.shift.worker.startswith("(") else self.shift.worker
        with Vertical(id="dialog"):
            yield Static("Supplement to the incident of " + local_text(self.incident.occurred_at, zone),
                         classes="title", markup=False)
            yield Static(f"{_one_line(self.incident.category)} \u00b7 {_one_line(self.incident.first_line)}",
                         markup=False)
            if incidents.late_now(self.incident, self.app.site, self.app.clock.now()):
                yield Static(f"More than {self.app.site.incidents.supplement_hours} h after the report: "
                             "this supplement will be marked late (it is still taken).",
                             classes="warning", markup=False)
            yield Label("Your name")
            yield Input(author, id="supplement-author")
            yield Label("What you add (the original is not changed)")
            yield TextArea(id="supplement-text")
            yield Static("Ctrl+S saves \u00b7 Esc cancels", classes="note", markup=False)
            yield Static("", id="supplement-error", markup=False)

    def action_save(self, confirmed: bool = False) -> None:
        author = self.query_one("#supplement-author", Input).value
        text = self.query_one("#supplement-text", TextArea).text
        try:
            added = incidents.add_supplement(self.app.store, self.app.site, self.shift, self.incident.id,
                                             author, text, confirmed=confirmed)
        except IdentifiersFound as exc:
            found = exc.findings  # `exc` is gone once this block ends; the callback needs them
            labels = {"author": "Your name", "text": "Supplement"}
            self.app.push_screen(IdentifiersDialog(found, labels),
                                 lambda answer: self._after_identifiers(answer, found))
            return
        except (ValueError, sqlite3.Error) as exc:
            self.query_one("#supplement-error", Static).update(
                f"NOT saved: {exc}. What you typed is still here.")
            return
        self.dismiss(added)

    def _after_identifiers(self, answer: str | None, findings: dict[str, list[Finding]]) -> None:
        if answer == "remove":
            author = self.query_one("#supplement-author", Input)
            area = self.query_one("#supplement-text", TextArea)
            try:
                author.value = remove_identifiers(author.value, findings.get("author", []))
                area.text = remove_identifiers(area.text, findings.get("text", []))
            except ValueError:
                self.query_one("#supplement-error", Static).update("The text changed: press Ctrl+S again.")
                return
            self.action_save()
        elif answer == "keep":
            self.action_save(confirmed=True)

    def action_cancel(self) -> None:
        self.dismiss(None)


class IncidentDetailScreen(Screen[None]):
    """One incident exactly as recorded, then each supplement after it."""

    BINDINGS = [
        Binding("a", "supplement", "Add a supplement", id="incident.detail.supplement"),
        Binding("escape", "close", "Back", id="incident.detail.close"),
    ]
    DEFAULT_CSS = """
    IncidentDetailScreen #detail-head { height: 1; padding: 0 1; background: $primary-muted; text-style: bold; }
    IncidentDetailScreen #detail-body { height: 1fr; padding: 0 1; }
    IncidentDetailScreen #detail-original { border: round $primary; padding: 0 1; }
    IncidentDetailScreen #detail-supplements { margin-top: 1; padding: 0 1; }
    """

    def __init__(self, shift: Shift, incident: incidents.Incident) -> None:
        super().__init__()
        self.shift = shift
        self.incident = incident

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-head", markup=False)
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-original", markup=False)
            yield Static("", id="detail-supplements", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.show()

    def palette_commands(self):
        return screen_commands(self, "incident")

    def show(self) -> None:
        site = self.app.site
        zone = site.zone
        i = self.incident
        self.query_one("#detail-head", Static).update(
            f"Incident \u00b7 {_one_line(i.category)} \u00b7 {local_text(i.occurred_at, zone)}")
        lines = [f"As recorded {local_text(i.recorded_at, zone)} (never changed)", ""]

        def add(label: str, value: str) -> None:
            if value.strip():
                text = printable(value, keep_newlines=True)
                lines.append(f"{label}: " + text.replace("\n", "\n    "))

        add("Category", i.category)
        add("Happened", local_text(i.occurred_at, zone))
        add("Where", incidents.place(i, site))
        add("What happened", i.what_happened)
        add("People involved", i.people)
        add("Witnesses", i.witnesses)
        add("Refused to give details", i.refused_details)
        add("Actions taken", i.actions)
        for label, moment in (("Security called", i.security_called_at), ("Police called", i.police_called_at),
                              ("Ambulance called", i.ambulance_called_at)):
            add(label, local_text(moment, zone) if moment else "no")
        add("Injury", jurisdiction.label(site.jurisdiction, i.injury))
        add("Who was hurt", incidents.HURT_LABELS.get(i.hurt, ""))
        add("Injury details", i.injury_details)
        add("Severity", incidents.SEVERITY_LABELS.get(i.severity, i.severity))
        add("Follow-up needed", i.followup)
        add("Follow-up by", i.followup_by)
        add("Reported by", i.reporter)
        if i.identifiers_confirmed:
            lines.append("(The reporter confirmed that long numbers in it are not patron identifiers.)")
        self.query_one("#detail-original", Static).update("\n".join(lines))
        parts = []
        for n, s in enumerate(i.supplements, 1):
            late = f"  LATE (after {site.incidents.supplement_hours} h)" if s.late else ""
            parts.append(f"Supplement {n} \u00b7 {local_text(s.recorded_at, zone)} \u00b7 "
                         f"{_one_line(s.author)}{late}\n" + printable(s.text, keep_newlines=True))
        self.query_one("#detail-supplements", Static).update(
            "\n\n".join(parts) if parts else "No supplements. a adds one.")

    def action_supplement(self) -> None:
        self.app.push_screen(SupplementDialog(self.shift, self.incident), self._after_supplement)

    def _after_supplement(self, added) -> None:
        if added is None:
            return
        self.incident = incidents.get(self.app.store, self.incident.id, self.app.site.incidents.supplement_hours)
        self.show()
        self.app.notify("Supplement saved." + (" (marked late)" if added.late else ""), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class IncidentBrowser(Screen[None]):
    AUTO_FOCUS = "#filter-text"
    BINDINGS = [
        Binding("enter", "open", "Open", id="incidents.open"),
        Binding("a", "supplement", "Add a supplement", id="incidents.supplement"),
        Binding("c", "complete", "Complete a draft", id="incidents.draft"),
        Binding("slash", "find", "Search text", id="incidents.find"),
        Binding("ctrl+o", "export", "Export these", id="incidents.export"),
        Binding("escape", "close", "Back", id="incidents.close"),
    ]
    HELP_NOTE = ("Filters apply as you type: dates are YYYY-MM-DD (local, both included); text is "
                 "found in any field or supplement. Tab moves to the list; Enter opens an incident.")
    DEFAULT_CSS = """
    IncidentBrowser #browser-head { height: 1; padding: 0 1; background: $primary-muted; text-style: bold; }
    IncidentBrowser #browser-filters { height: 1; margin: 1 1 0 1; }
    IncidentBrowser #browser-filters > * { margin-right: 1; }
    IncidentBrowser #browser-filters Input { width: 17; }
    IncidentBrowser #browser-filters #filter-category { width: 30; }
    IncidentBrowser #browser-filters #filter-text { width: 1fr; min-width: 16; margin-right: 0; }
    IncidentBrowser #browser-results { height: 1fr; margin: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    IncidentBrowser .list-title { padding: 0 1; text-style: bold; }
    IncidentBrowser #browser-drafts { height: auto; max-height: 6; margin: 0 1; text-wrap: nowrap;
                                      text-overflow: ellipsis; }
    IncidentBrowser #browser-status { padding: 0 1; height: auto; color: $text-muted; }
    IncidentBrowser #browser-status.error { color: $text-error; text-style: bold; }
    """

    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift
        self.found: list[incidents.Incident] = []
        self.drafts: list[incidents.Draft] = []

    def compose(self) -> ComposeResult:
        site = self.app.site
        yield Static("Incidents", id="browser-head", markup=False)
        with Horizontal(id="browser-filters"):
            yield Input(placeholder="from YYYY-MM-DD", id="filter-since", max_length=10, compact=True)
            yield Input(placeholder="to YYYY-MM-DD", id="filter-until", max_length=10, compact=True)
            yield Select([(Content(c), c) for c in site.incidents.categories], prompt="any category",
                         id="filter-category", compact=True)
            yield Input(placeholder="text in any field or supplement", id="filter-text", compact=True)
        yield Static("", id="browser-status", markup=False)
        yield Static("", classes="list-title", id="results-title", markup=False)
        yield OptionList(id="browser-results", markup=False)
        yield Static("Drafts to finish (c completes the highlighted one)", classes="list-title", id="drafts-title",
                     markup=False)
        yield OptionList(id="browser-drafts", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()

    def palette_commands(self):
        return screen_commands(self, "incident")

    def on_descendant_focus(self) -> None:
        # Letter keys are typed into a filter, so the keys on offer change with the focus.
        self._show_keys()

    def _show_keys(self) -> None:
        for bar in self.query(KeyBar):
            bar.show_keys()
        # The list's hint says only what works from where the cursor is: in a filter, a is typed.
        in_list = isinstance(self.focused, OptionList)
        self.query_one("#results-title", Static).update(
            "Newest first \u00b7 Enter opens \u00b7 a adds a supplement" if in_list else
            "Newest first \u00b7 Tab or Enter: to the list, where Enter opens and a adds a supplement")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "complete":
            return bool(self.drafts)
        return True

    # -- filters ------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        self.reload()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        results = self.query_one("#browser-results", OptionList)
        if self.found:
            results.focus()

    def _date(self, selector: str, label: str, problems: list[str]) -> date | None:
        text = self.query_one(selector, Input).value.strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            problems.append(f"{label} date: write YYYY-MM-DD (not applied yet)")
            return None

    def reload(self) -> None:
        site = self.app.site
        problems: list[str] = []
        since = self._date("#filter-since", "From", problems)
        until = self._date("#filter-until", "To", problems)
        category = self.query_one("#filter-category", Select).value
        text = self.query_one("#filter-text", Input).value
        status = self.query_one("#browser-status", Static)
        try:
            self.found = incidents.search(
                self.app.store, text=text, category=None if category is Select.NULL else str(category),
                since=since, until=until, zone=site.zone, supplement_hours=site.incidents.supplement_hours)
            self.drafts = incidents.open_drafts(self.app.store)
        except sqlite3.Error as exc:
            status.set_class(True, "error")
            status.update(f"Could not read the incidents: {exc}")
            return
        results = self.query_one("#browser-results", OptionList)
        results.clear_options()
        for i in self.found[:MAX_LISTED]:
            results.add_option(Option(self._label(i), id=i.id))
        if not self.found:
            results.add_option(Option("No incident matches.", id="", disabled=True))
        else:
            results.highlighted = 0
        count = f"{len(self.found)} incident(s)"
        if len(self.found) > MAX_LISTED:
            count += f", newest {MAX_LISTED} listed"
        if self.found:
            count += " \u00b7 Enter or Tab: to the list"
        status.set_class(bool(problems), "error")
        status.update(" · ".join(problems + [count]))
        self._show_drafts()

    def _label(self, i: incidents.Incident) -> Content:
        """One line per incident, in aligned columns: when, injury (CRITICAL in the error colour,
        MEDICAL in the warning colour), category, then the first words and the place; cut at the edge."""
        zone = self.app.site.zone
        width = max((len(c) for c in self.app.site.incidents.categories), default=12)
        width = min(width, 24)
        tag = incidents.injury_tag(i.injury)
        style = {"critical": "bold $text-error", "medical": "bold $text-warning"}.get(i.injury, "")
        extra = f"  (+{len(i.supplements)} supplement{'s' if len(i.supplements) > 1 else ''})" if i.supplements else ""
        category = _one_line(i.category)
        category = category if len(category) <= width else category[:width - 1] + "\u2026"
        return Content.assemble(
            f"{i.occurred_at.astimezone(zone):%a %d %b %Y %H:%M}  ",
            (f"{tag:<{incidents.INJURY_TAG_WIDTH}}", style), "  ",
            f"{category:<{width}}  {_one_line(i.first_line)} \u00b7 "
            f"{_one_line(incidents.place(i, self.app.site))}{extra}")

    def _show_drafts(self) -> None:
        zone = self.app.site.zone
        listing = self.query_one("#browser-drafts", OptionList)
        listing.clear_options()
        for d in self.drafts:
            what = d.fields.get("what_happened") or ""
            first = next((line for line in str(what).splitlines() if line.strip()), "no description yet")
            source = " (from an emergency)" if d.run_id else ""
            listing.add_option(Option(
                f"Draft {local_text(d.created_at, zone)}{source}  "
                f"{_one_line(str(d.fields.get('category') or 'no category'))} \u00b7 {_one_line(first)}", id=d.id))
        if self.drafts:
            listing.highlighted = 0
        listing.display = bool(self.drafts)
        self.query_one("#drafts-title").display = bool(self.drafts)
        self._show_keys()

    # -- actions ------------------------------------------------------------------

    def _highlighted(self) -> incidents.Incident | None:
        results = self.query_one("#browser-results", OptionList)
        if results.highlighted is None or not self.found:
            return None
        option = results.get_option_at_index(results.highlighted)
        return next((i for i in self.found if i.id == option.id), None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "browser-drafts":
            self.action_complete()
        else:
            self.action_open()

    def action_open(self) -> None:
        incident = self._highlighted()
        if incident is not None:
            self.app.push_screen(IncidentDetailScreen(self.shift, incident), lambda _: self.reload())

    def action_supplement(self) -> None:
        incident = self._highlighted()
        if incident is not None:
            self.app.push_screen(SupplementDialog(self.shift, incident), self._after_supplement)

    def _after_supplement(self, added) -> None:
        if added is not None:
            self.reload()
            self.app.notify("Supplement saved." + (" (marked late)" if added.late else ""), markup=False)

    def action_complete(self) -> None:
        listing = self.query_one("#browser-drafts", OptionList)
        if not self.drafts:
            self.app.notify("No drafts are waiting.", markup=False)
            return
        index = listing.highlighted if listing.highlighted is not None else 0
        draft = self.drafts[index]
        self.app.push_screen(IncidentFormScreen(self.shift, draft), lambda _: self.reload())

    def action_export(self) -> None:
        if not self.found:
            self.notify("No incident matches: nothing to export.", markup=False)
            return
        self.app.push_screen(IncidentExportScreen(self.found[::-1]), self._exported)

    def _exported(self, message: str | None) -> None:
        if message:
            status = self.query_one("#browser-status", Static)
            status.set_class(False, "error")
            status.update(message)

    def action_find(self) -> None:
        self.query_one("#filter-text", Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)


class IncidentExportScreen(ExportDialog):
    """The incidents the browser shows, oldest first, to a new text or CSV file."""

    NOTE = "Every word as written, supplements after each report."
    FORMATS = (("text, to print or attach (.txt)", "text"), ("CSV, for a spreadsheet (.csv)", "csv"))

    def __init__(self, found: list[incidents.Incident]) -> None:
        super().__init__()
        self.found = found
        self.TITLE_TEXT = f"Export {len(found)} incident report(s)"

    def suggested(self, fmt: str) -> Path:
        app = self.app
        return incidentexport.default_path(app.store.path.parent / "exports", fmt, app.clock.now(), app.site.zone)

    def write(self, fmt: str, path: str) -> str:
        site = self.app.site
        count = incidentexport.write(self.found, site, fmt, path, f"Incident reports: {site.name}",
                                     create_folder=True)
        return f"Exported {count} incident report(s) to {path}"

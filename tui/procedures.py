"""The procedure picker: every loaded procedure, runs in progress first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from shift.procedures import Procedure


class ProcedurePicker(ModalScreen["Procedure | None"]):
    DEFAULT_CSS = """
    #procedure-list { height: auto; max-height: 16; }
    """

    BINDINGS = [Binding("escape", "close", "Back", id="picker.close")]

    def __init__(self, procedures: list[Procedure], in_progress: dict[str, str],
                 suggested: str | None, problems: int) -> None:
        super().__init__()
        self.procedures = procedures
        self.in_progress = in_progress  # procedure id -> "step 5 of 14"
        self.suggested = suggested
        self.problems = problems

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Procedures", classes="title")
            yield OptionList(id="procedure-list", markup=False)
            if self.problems:
                yield Static(f"{self.problems} procedure file(s) have errors and are not listed: "
                             "run `python main.py check`.", classes="warning", markup=False)
            yield Static("↑↓ choose · Enter runs or resumes · Esc goes back", classes="note", markup=False)

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        ordered = sorted(self.procedures, key=lambda p: (p.id not in self.in_progress,
                                                         p.id != self.suggested, p.kind, p.title))
        for procedure in ordered:
            state = self.in_progress.get(procedure.id)
            label = f"{procedure.title}  ({procedure.kind})"
            if state:
                label += f"  — in progress, {state}"
            elif procedure.id == self.suggested:
                label += "  — due now"
            listing.add_option(Option(label, id=procedure.id))
        if listing.option_count:
            listing.highlighted = 0
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(next(p for p in self.procedures if p.id == event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)

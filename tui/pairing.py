"""The QR code that pairs the worker's phone with the shift, drawn in the terminal."""

from __future__ import annotations

import segno
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static


def qr_text(url: str) -> str:
    """The code as text, two rows of modules per line (half blocks), with the quiet zone a scanner
    needs. Drawn dark on light whatever the terminal's colours (the screen styles it so)."""
    code = segno.make(url, error="l", micro=False)  # the smallest code: a screen is not a worn label
    rows = [list(row) for row in code.matrix_iter(scale=1, border=2)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[::2], rows[1::2], strict=True):
        # Dark modules are the terminal's foreground (black), light ones its background (white).
        lines.append("".join("█" if t and b else "▀" if t else "▄" if b else " " for t, b in zip(top, bottom,
                                                                                                  strict=True)))
    return "\n".join(lines)


class PairingScreen(ModalScreen[None]):
    """The code beside the address it holds (for a phone that cannot scan) and what a new code
    does; whole on 80×24. Nothing is drawn over the code: news is said on its own line."""

    BINDINGS = [Binding("escape", "close", "Close", id="pairing.close")]
    NO_TOASTS = True  # a toast over the code would stop it scanning (tui/toasts.py)

    def __init__(self, url: str, note: str = "") -> None:
        super().__init__()
        self.url = url
        self.note = note  # the server's state, when it is not serving

    def compose(self) -> ComposeResult:
        with Horizontal(id="pairing"):
            yield Static(Content.styled(qr_text(self.url), "#000000 on #ffffff"), id="qr")
            with Vertical(id="pairing-text"):
                yield Label("Pair your phone", classes="title")
                yield Static("Scan this code with the phone's camera and open the page.", markup=False)
                yield Static(self.url, id="pairing-url", markup=False)
                yield Static(self.note, id="pairing-note", markup=False)
                yield Static(f"It works until the shift ends. A new code ({self.app.key_for('companion.pair')}) "
                             "stops this one working. Esc closes.", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pairing-note").display = bool(self.note)

    def show_news(self, text: str, severity: str) -> None:
        note = self.query_one("#pairing-note", Static)
        note.update(text)
        note.display = True

    def action_close(self) -> None:
        self.dismiss(None)

"""What the fuzz tests share: the two sizes, and text a person, a paste or a file could bring.

SOLO_SHIFT_FUZZ picks the size: "suite" (the default, small: the suite stays fast) or
"large", run from a command (see README, Trust):
    SOLO_SHIFT_FUZZ=large .venv/bin/python -m pytest tests/test_fuzz_*.py -p no:randomly --timeout 0
"""

from __future__ import annotations

import os
import unicodedata

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LARGE = os.environ.get("SOLO_SHIFT_FUZZ", "suite") == "large"
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("suite", max_examples=40, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("large", max_examples=3000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile("large" if LARGE else "suite")


def examples(suite: int, large: int) -> int:
    """How many examples a test runs: slow tests (a database, a screen) take fewer."""
    return large if LARGE else suite


# Pieces that mean something to a terminal, Textual/Rich, HTML, Markdown, a spreadsheet,
# a bidirectional renderer or a C string; joined with arbitrary text in between.
HOSTILE_PIECES = [
    "[b]", "[/b]", "[/]", "[link=x]", "[@click=app.quit]", "[red on blue]", "[bold italic]x", "[", "]",
    "\\[b]", "$accent", "{x}", "%s", "\x1b[31m", "\x1b[2J", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "\x1bP",
    "\x9b31m", "\x85", "\x90", "\x07", "\x08", "\x00", "\x7f", "\r", "\r\n", "\n", "\t", "\x0b", "\x0c",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</td></tr></table>", "<!--", "&amp;",
    "&#x3c;", "=1+1", "+1", "-1", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\")", "\"", "'", ",", ";",
    "# heading", "* item", "1. item", "| a | b |", "```", "`", "*x*", "_x_", "[x](http://x)", "> quote",
    "    indented", "\\", "\u202e", "\u202d", "\u200f", "\u2066", "\u200b", "\ufeff", "\u00ad",
    "שלום", "مرحبا", "👩\u200d👩\u200d👧", "🏳️\u200d🌈", "e\u0301\u0301\u0301", "Z\u0336\u0337",
    "\u2028", "\u2029", "٣", "３", "ｘ", "x" * 300,
]
TEXT_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
HOSTILE = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(TEXT_CHARS, max_size=12)),
                   min_size=1, max_size=8).map("".join)
LONG = st.sampled_from(HOSTILE_PIECES).map(lambda piece: (piece + " ") * 400)  # a very long line
ANY_TEXT = st.one_of(HOSTILE, HOSTILE, HOSTILE, LONG)

# A marker that must be shown as typed wherever the text is shown: if markup were applied
# it would lose its brackets, if HTML were not escaped it would become a tag.
PROBE = "[b]Z7[/b]<i>&"


def terminal_unsafe(text: str) -> list[str]:
    """The characters that a terminal could obey: C0 controls but the line break, DEL, C1."""
    return sorted({f"U+{ord(c):04X}" for c in text
                   if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F})


def formula_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run as a formula (OWASP: = + - @, and a tab or CR before one)."""
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"

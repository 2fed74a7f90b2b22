"""Making text a person or a file supplied safe to show, without changing it."""

from __future__ import annotations

import re

# C0 controls and DEL become their visible Unicode "control pictures", so an
# ANSI escape in a note shows as ␛[31m instead of recolouring the terminal.
# C1 controls (U+0080..U+009F) can also start terminal sequences. The tables are built
# once: an export calls this for every field of every scan.
# Bidirectional embeddings, overrides and isolates too: invisible, they make a terminal show text
# in another order than it was typed (a name or a number read backwards). Letters of right-to-left
# scripts need none of them.
_BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_TABLE = ({c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | {c: 0xFFFD for c in range(0x80, 0xA0)}
          | {c: 0xFFFD for c in _BIDI_CONTROLS})
_TABLE_KEEPING_NEWLINES = {c: v for c, v in _TABLE.items() if c != 0x0A}


def printable(text: str, keep_newlines: bool = False) -> str:
    return text.translate(_TABLE_KEEPING_NEWLINES if keep_newlines else _TABLE)


# A tab or a carriage return first is how formulas slip past a check of the first character (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def not_a_formula(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


# A list item: "- ", "* ", "• ", "1. ", "1) ", or a digit then two blanks ("3  Some time…", a
# scale's levels as the READ scale entry lists them).
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\d\s)\s")


def reflow(text: str) -> str:
    """Text a coordinator wrapped by hand in a file, as paragraphs the screen can wrap itself:
    lines of a paragraph are joined; blank lines and list items ("- ", "1. ", "1  ") still break."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        for line in block.splitlines():
            if lines and not _LIST_ITEM.match(line):
                lines[-1] = f"{lines[-1]} {line.strip()}"
            else:
                lines.append(line.rstrip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


# Every ASCII punctuation mark that can mean something in CommonMark or a table (a list's
# "1." or "-", emphasis, a link or image, code, an entity, a heading, a tag, a cell); the
# rest (: , ; / ? @ ' " $ % ^ { }) means nothing there and stays readable.
_MARKDOWN_PUNCTUATION = {ord(c): "\\" + c for c in "\\`*_[]()<>#+-.!|~&="}


def typed(text: str) -> str:
    """Text a person typed, as it shows: without blanks at the ends of lines and blank lines
    before or after it; its lines, blank lines between and leading spaces kept."""
    return "\n".join(line.rstrip(" \t\r") for line in text.split("\n")).strip("\n")


def hang(line: str) -> str:
    """A line of a text list whose typed text runs over several lines: each further line starts
    two columns in from the line's own indent, so it reads as part of that item."""
    first, *rest = line.split("\n")
    indent = " " * (len(first) - len(first.lstrip(" ")) + 2)
    return "\n".join([first, *(f"{indent}{more}" if more else "" for more in rest)])


def markdown_literal(text: str) -> str:
    """One line of text as Markdown that shows exactly these characters: every ASCII punctuation
    mark backslash-escaped (CommonMark allows it for all of them), so nothing a person typed
    becomes emphasis, a heading, a list, a link, a table cell or markup; control characters
    made visible. Leading and trailing blanks are dropped (Markdown would read them as an
    indented code block or a line break)."""
    return printable(text).strip().translate(_MARKDOWN_PUNCTUATION)


def markdown_typed_line(line: str) -> str:
    """One line of a text a person typed, as Markdown that shows it as typed, leading blanks
    included: they become character references (a space a non-breaking one), which Markdown
    neither strips nor reads as an indent and a browser does not collapse."""
    shown = printable(line.rstrip(" \t\r")).rstrip()
    body = shown.lstrip()
    lead = "".join("&nbsp;" if c == " " else f"&#x{ord(c):x};" for c in shown[:len(shown) - len(body)])
    return lead + body.translate(_MARKDOWN_PUNCTUATION)

"""The shift report as Markdown, and from that Markdown one self-contained, printable HTML page.

Markdown is the source of the page: each section renders to Markdown, and
markdown-it (CommonMark, with tables; raw HTML off) turns it into the page's
HTML inside `shift/htmlpage.py`'s `page` (inline styles, print styles, no
scripts). Every text from the report's lines goes through `markdown_literal`, so
what a person typed (`*`, `#`, `[x](y)`, `<script>`, a leading `1.`) shows as
those characters, never as formatting, a link or markup. The plain text is
`report.render_text`, from the same sections: it keeps each character as typed,
with no backslashes, for the email's text part, the desk's screen and `report
--format txt`.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt

from shift.htmlpage import esc, page
from shift.report import Report, Section, Table, render_text
from shift.text import markdown_literal, markdown_typed_line, typed

FORMATS = ("md", "html", "txt")


def render(reports: list[Report], fmt: str) -> str:
    """One document in one of FORMATS: each report in turn (several for a day with several shifts)."""
    if fmt == "md":
        return "\n".join(markdown(r) for r in reports)
    if fmt == "html":
        return html(reports)
    if fmt == "txt":
        return "\n".join(render_text(r) for r in reports)
    raise ValueError(f"unknown report format {fmt!r}: one of {', '.join(FORMATS)}")


def markdown(report: Report) -> str:
    return "\n".join([f"# {markdown_literal(report.title)}", "", *(_section(s) for s in report.sections)])


@cache
def _parser() -> MarkdownIt:
    # "html": False — a tag in the text is text; linkify and typographer stay off.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def html(reports: list[Report]) -> str:
    """A whole page: each report's title, then each section in its own <section id=...> (a reader,
    the print styles and the tests find it), the section's Markdown rendered by markdown-it.
    With several reports the later ones' ids end in -2, -3..."""
    md = _parser()
    parts = []
    for number, report in enumerate(reports, 1):
        suffix = "" if number == 1 else f"-{number}"
        parts.append(f'<article id="report{suffix}">\n{md.render(f"# {markdown_literal(report.title)}")}')
        for section in report.sections:
            css = ' class="attention"' if section.key == "attention" else ""
            parts.append(f'<section id="{esc(section.key + suffix)}"{css}>\n{md.render(_section(section))}'
                         "</section>")
        parts.append("</article>")
    title = reports[0].title if len(reports) == 1 else f"{reports[0].title} ({len(reports)} shifts)"
    return page(title, "\n".join(parts))


def _section(section: Section) -> str:
    out = [f"## {markdown_literal(section.title)}", ""]
    if section.prose:
        out += _prose(section.lines)
    else:
        groups: list[list[str | Table]] = [[]]
        for line in section.lines:
            if line == "":
                groups.append([])
            else:
                groups[-1].append(line)
        for number, group in enumerate(g for g in groups if g):
            out += _group(group, "-*"[number % 2])
    return "\n".join(out) + "\n"


def _prose(lines: list[str | Table]) -> list[str]:
    """Text (the handover note as typed) as one paragraph whose lines stay lines."""
    text = "\n".join(line for line in lines if isinstance(line, str))
    shown = [markdown_typed_line(line) for line in text.split("\n")]
    while shown and not shown[0]:
        shown.pop(0)
    return [_hard_breaks(shown, ""), ""] if shown else []


def _hard_breaks(lines: list[str], indent: str) -> str:
    """Lines of one paragraph kept as lines: a backslash at the end of a line is a hard break
    (a lone backslash stands for an empty line); the last line takes none (it would be shown)."""
    while len(lines) > 1 and not lines[-1]:
        lines = lines[:-1]
    return "\\\n".join([lines[0], *(f"{indent}{line}" for line in lines[1:])])


def _depth(line: str) -> int:
    return (len(line) - len(line.lstrip(" "))) // 2


def _group(group: list[str | Table], marker: str) -> list[str]:
    """Lines separated from the next ones by a blank line. Indented lines are items under the
    line above them; a first line with everything else beneath it (an incident, an emergency)
    is a heading of its own."""
    out: list[str] = []
    texts = [line for line in group if isinstance(line, str)]
    shift = 0
    if len(group) > 1 and isinstance(group[0], str) and _depth(group[0]) == 0 and "\n" not in group[0] and all(
            _depth(line) > 0 for line in texts[1:]) and len(texts) == len(group):
        out += [f"### {markdown_literal(group[0])}", ""]
        group, shift = group[1:], 1
    depth = -1
    for line in group:
        if isinstance(line, Table):
            out += ["", *_table(line), ""]
            depth = -1
            continue
        depth = min(max(_depth(line) - shift, 0), depth + 1)
        indent = "  " * depth
        # A text typed on several lines (a note, what happened) stays those lines inside its item.
        first, *rest = typed(line).split("\n")
        parts = [f"{indent}{marker} {markdown_literal(first)}", *(markdown_typed_line(more) for more in rest)]
        out.append(_hard_breaks(parts, indent + "  "))
    return out + [""]


def _table(table: Table) -> list[str]:
    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(markdown_literal(c) for c in cells) + " |"

    return [row(table.header), "| " + " | ".join(["---"] + ["---:"] * (len(table.header) - 1)) + " |",
            *(row(r) for r in table.rows)]

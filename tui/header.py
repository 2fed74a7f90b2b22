"""The desk's top lines in one widget: text on the left, text on the right.

One widget instead of a row of containers and labels: every widget costs
layout time when the desk first opens.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class SplitLines(Widget):
    DEFAULT_CSS = """
    SplitLines { height: auto; padding: 0 1; }
    """

    def __init__(self, count: int, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[tuple[Content, Content]] = [(Content(""), Content(""))] * count

    def set_line(self, index: int, left: Content | str, right: Content | str = "") -> None:
        left = left if isinstance(left, Content) else Content(left)
        right = right if isinstance(right, Content) else Content(right)
        if self.lines[index] != (left, right):
            self.lines[index] = (left, right)
            self.refresh()

    def text(self) -> str:
        return "\n".join(f"{left.plain}  {right.plain}".strip() for left, right in self.lines)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines)

    def render(self) -> Content:
        width = self.content_region.width or 80
        rows = []
        for left, right in self.lines:
            if left.cell_length + 1 + right.cell_length > width:  # a narrow terminal: still one line each
                right = right.truncate(width, ellipsis=True)
                room = width - 1 - right.cell_length
                if room < 1:
                    rows.append(right)
                    continue
                left = left.truncate(room, ellipsis=True)
            gap = max(1, width - left.cell_length - right.cell_length)
            rows.append(Content.assemble(left, " " * gap, right))
        return Content("\n").join(rows)

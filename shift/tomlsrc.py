"""Reading a TOML file strictly, with every problem located as file:line.

Python 3.11's TOMLDecodeError has no line attribute (the line is only in its
message), and parsed values carry no positions, so this module keeps its own
index from key paths to the lines that define them.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, overload

from shift.files import FileRefused, read_small_file
from shift.problems import Problem, display_path

# A site or procedure file is a few kilobytes; anything near this is not one.
TOML_LIMIT = 2_000_000

_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_AT_END = "(at end of document)"
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')"  # the first part of a (dotted) key
    r"(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="  # the rest, each after a dot
)

Path_ = tuple  # a key path: ("tally", "categories", 2, "key")


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_\-]+)", text)
    return tuple(a or b or c for a, b, c in parts)


class LineIndex:
    """Maps key paths to the line that defines them, by scanning the text."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        current: tuple = ()
        in_multiline = False
        for number, raw in enumerate(text.splitlines(), start=1):
            # Skip the inside of multi-line strings: their lines are not keys.
            quotes = raw.count('"""') + raw.count("'''")
            if in_multiline:
                if quotes % 2 == 1:
                    in_multiline = False
                continue
            header = _HEADER.match(raw)
            if header:
                name = _split_dotted(header.group(2))
                if header.group(1) == "[[":
                    # Array-of-tables index is per parent path, resolved with
                    # the indices of enclosing arrays already in `current`.
                    parent = self._resolve(name[:-1], current)
                    key = parent + (name[-1],)
                    index = counts.get(key, 0)
                    counts[key] = index + 1
                    current = key + (index,)
                else:
                    current = self._resolve(name, current)
                self.lines.setdefault(current, number)
                continue
            assignment = _KEY.match(raw)
            if assignment:
                self.lines.setdefault(current + _split_dotted(assignment.group(1)), number)
                if quotes % 2 == 1:
                    in_multiline = True

    @staticmethod
    def _resolve(name: tuple, current: tuple) -> tuple:
        """[a.b] under an open [[a]] means the latest a[i].b."""
        resolved: list = []
        cur = list(current)
        for part in name:
            resolved.append(part)
            if len(cur) > len(resolved) - 1 and cur[: len(resolved)] == resolved:
                nxt = cur[len(resolved)] if len(cur) > len(resolved) else None
                if isinstance(nxt, int):
                    resolved.append(nxt)
        return tuple(resolved)

    def line_for(self, path: tuple) -> int | None:
        """The line of the longest prefix of `path` that the file defines.

        A prefix that stops before an array index (the `steps = [...]` line for
        steps written inline) is not the item's line: then there is none.
        """
        last_index = max((i for i, part in enumerate(path) if isinstance(part, int)), default=-1)
        for end in range(len(path), last_index, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def path_text(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, time):
        return "a time of day"
    return type(value).__name__


@dataclass
class Source:
    """One TOML file being read: its data, its line index and its problems."""

    path: Path
    data: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    index: LineIndex | None = None
    ok: bool = False  # False when the file could not be read or parsed

    @property
    def name(self) -> str:
        return display_path(self.path)

    @staticmethod
    def read_text(path: Path) -> tuple[str | None, list[Problem]]:
        """The file's text, or None and the reason it cannot be read."""
        name = display_path(path)
        try:
            raw = read_small_file(Path(path), TOML_LIMIT)
        except FileNotFoundError:
            return None, [Problem(name, None, "", "file not found")]
        except FileRefused as exc:
            return None, [Problem(name, None, "", str(exc))]
        except OSError as exc:
            return None, [Problem(name, None, "", f"cannot read the file: {exc.strerror}")]
        try:
            return raw.decode("utf-8"), []
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return None, [Problem(name, line, "", "the file is not UTF-8 text")]

    @classmethod
    def read(cls, path: Path) -> "Source":
        text, problems = cls.read_text(path)
        if text is None:
            return cls(Path(path), problems=problems)
        return cls.parse(text, Path(path))

    @classmethod
    def parse(cls, text: str, path: Path) -> "Source":
        src = cls(Path(path))
        try:
            src.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            found = _AT_LINE.search(message)
            line = int(found.group(1)) if found else None
            message = _AT_LINE.sub("", message).strip()
            if found:
                message += f" (column {found.group(2)})"
            elif _AT_END in message:
                # Something opened (a quote, a bracket) is never closed: the end is where it shows.
                line = text.count("\n") + 1
                message = message.replace(_AT_END, "(at the end of the file: something opened is never closed)")
            src.problems.append(Problem(src.name, line, "", f"TOML syntax: {message}"))
            return src
        src.index = LineIndex(text)
        src.ok = True
        return src

    def line(self, path: tuple) -> int | None:
        return self.index.line_for(path) if self.index else None

    def error(self, path: tuple, message: str, where: str | None = None) -> None:
        where = path_text(path) if where is None else where
        self.problems.append(Problem(self.name, self.line(path), where, message))

    def warn(self, path: tuple, message: str, where: str | None = None) -> None:
        where = path_text(path) if where is None else where
        self.problems.append(Problem(self.name, self.line(path), where, message, severity="warning"))

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def root(self) -> "Section":
        return Section(self, self.data, ())


_MISSING = object()


class Section:
    """A strict view of one TOML table: typed getters, unknown keys refused.

    Each getter records the key as known; `finish()` reports the rest as
    unknown, with the closest known key as a suggestion.
    """

    def __init__(self, src: Source, data: dict, path: tuple, label: str | None = None) -> None:
        self.src = src
        self.data = data
        self.path = path
        self.known: set[str] = set()
        # A label names the table for people ("step 4 'Lock the main doors'")
        # instead of a key path, for files where a line may not be found.
        self.label = label

    def at(self, key: str | int) -> tuple:
        return self.path + (key,)

    def _where(self, key: str | int | None) -> str | None:
        if self.label is None:
            return None
        return self.label if key is None else f"{self.label}: {path_text((key,))}"

    def error(self, key: str | int | None, message: str) -> None:
        self.src.error(self.path if key is None else self.at(key), message, self._where(key))

    def warn(self, key: str | int | None, message: str) -> None:
        self.src.warn(self.path if key is None else self.at(key), message, self._where(key))

    def has(self, key: str) -> bool:
        self.known.add(key)
        return key in self.data

    def get(self, key: str, kinds: tuple, expected: str, default: Any = None, required: bool = False) -> Any:
        self.known.add(key)
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                # In a table, at the table's line; at the top of the file, named by the key itself.
                self.error(None if self.path else key, f"missing required key '{key}' ({expected})")
            return default
        # bool is an int and a date-time is a date to isinstance, never to the person writing the file.
        if (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
                or (isinstance(value, datetime) and datetime not in kinds)):
            self.error(key, f"expected {expected}, found {type_name(value)}")
            return default
        return value

    # With a text default the answer is always text: a missing, mistyped or
    # empty value gives the default back.
    @overload
    def text(self, key: str, default: str, required: bool = False) -> str: ...
    @overload
    def text(self, key: str, default: None = None, required: bool = False) -> str | None: ...

    def text(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.get(key, (str,), "text in quotes", default, required)
        if isinstance(value, str) and required and not value.strip():
            self.error(key, "must not be empty")
            return default
        return value

    def line(self, key: str, default: str, required: bool = False) -> str:
        """Text shown on one line and put in alarm messages: no line break, tab or other control."""
        value = self.text(key, default, required)
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            self.error(key, "must be one line, without a line break, tab or other control character")
            return default
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        return self.get(key, (bool,), "true or false", default)

    @overload
    def whole(self, key: str, default: int, required: bool = False,
              minimum: int | None = None, maximum: int | None = None) -> int: ...
    @overload
    def whole(self, key: str, default: None = None, required: bool = False,
              minimum: int | None = None, maximum: int | None = None) -> int | None: ...

    def whole(self, key: str, default: int | None = None, required: bool = False,
              minimum: int | None = None, maximum: int | None = None) -> int | None:
        value = self.get(key, (int,), "a whole number", default, required)
        if isinstance(value, int) and value is not default:
            if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
                self.error(key, f"{value} is outside {minimum}..{maximum}")
                return default
        return value

    def texts(self, key: str, default: list | None = None) -> list[str]:
        value = self.get(key, (list,), "a list of texts", default if default is not None else [])
        good = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                good.append(item)
            else:
                self.error(key, f"item {i + 1}: expected text, found {type_name(item)}")
        return good

    def table(self, key: str, required: bool = False) -> "Section | None":
        value = self.get(key, (dict,), "a table", None, required)
        return Section(self.src, value, self.at(key)) if value is not None else None

    def tables(self, key: str, required: bool = False) -> list["Section"]:
        value = self.get(key, (list,), "a list of tables ([[" + path_text(self.at(key)) + "]])", None, required)
        out = []
        for i, item in enumerate(value or []):
            if isinstance(item, dict):
                out.append(Section(self.src, item, self.at(key) + (i,)))
            else:
                self.src.error(self.at(key) + (i,), f"expected a table, found {type_name(item)}")
        return out

    def finish(self) -> None:
        for key in self.data:
            if key not in self.known:
                close = difflib.get_close_matches(key, sorted(self.known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                allowed = ", ".join(sorted(self.known))
                self.error(key, f"unknown key '{key}'{hint}; allowed here: {allowed}")

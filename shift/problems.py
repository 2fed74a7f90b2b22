"""Problems found in the library's own files, located for the person who edits them."""

from pathlib import Path
from typing import NamedTuple


class Problem(NamedTuple):
    file: str
    line: int | None
    where: str  # a key path such as "hours.monday", or "" for the whole file
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        where = f"{self.where}: " if self.where else ""
        return f"{place}: {self.severity}: {where}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def display_path(path: Path) -> str:
    """Paths relative to the working directory when they are inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        # Not inside it, or it cannot be resolved (a symlink loop): the path as given still names it.
        return str(path)

"""The desk's own settings: what a person chose at this desk and expects to find after a restart.

Not a record of the shift, so not in the append-only database: a small JSON
file beside it (`desk.db` -> `desk.settings.json`), one per database (so one per
desk), replaced whole on every change (`files.replace_file`). A missing,
unreadable or damaged file is never an obstacle: the site's choices apply and
the next change writes a good one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import NamedTuple

from shift.files import replace_file

log = logging.getLogger("solo_shift.settings")

HIGH_CONTRAST = "high-contrast"


class DeskSettings(NamedTuple):
    high_contrast: bool | None = None  # F9 at this desk; None: as the site file says


def settings_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + ".settings.json")


def load(path: Path) -> DeskSettings:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DeskSettings()
    except (OSError, ValueError) as exc:
        log.warning("desk settings %s not read (%s): the site's choices apply", path, exc)
        return DeskSettings()
    contrast = raw.get("high_contrast") if isinstance(raw, dict) else None
    return DeskSettings(high_contrast=contrast if isinstance(contrast, bool) else None)


def save(path: Path, settings: DeskSettings) -> None:
    """Raises files.FileRefused (the old file stays as it was)."""
    data = {key: value for key, value in settings._asdict().items() if value is not None}
    replace_file(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def theme_at_start(site_theme: str, settings: DeskSettings) -> str:
    """The theme to open with: the desk's last F9 choice, else the site's."""
    if settings.high_contrast is None:
        return site_theme
    if settings.high_contrast:
        return HIGH_CONTRAST
    return site_theme if site_theme != HIGH_CONTRAST else "textual-dark"


def toggled(site_theme: str, current: str) -> str:
    """What F9 switches to from `current`: high contrast, or back to the site's normal theme."""
    if current == HIGH_CONTRAST:
        return site_theme if site_theme != HIGH_CONTRAST else "textual-dark"
    return HIGH_CONTRAST

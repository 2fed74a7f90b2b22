"""Headless Chromium (Debian's `chromium`, installed by .ci/run when missing) for the HTML pages.

Each call starts the browser on a file with a fresh profile and no network: the
rendered DOM as text, or a screenshot at a given window size. The screenshots are
kept as test artifacts under build/test-artifacts/.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars"]


def binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is missing: .ci/run installs it (apt-get install chromium)"
    return found


def _run(page: Path, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([binary(), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=60, check=True)


def dump_dom(page: Path, size: tuple[int, int] | None = None) -> str:
    """The page's DOM after the browser has parsed and laid it out, as HTML text; laid out in
    a window of `size` (width, height) when given."""
    return _run(page, *([f"--window-size={size[0]},{size[1]}"] if size else []), "--dump-dom").stdout


def screenshot(page: Path, name: str, size: tuple[int, int] = (1200, 1600)) -> Path:
    """A PNG of the page at `size` (width, height), kept as build/test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    out.unlink(missing_ok=True)
    _run(page, f"--window-size={size[0]},{size[1]}", f"--screenshot={out}")
    assert out.exists() and out.stat().st_size > 1000, f"no screenshot of {page}"
    return out

"""The domain must be usable without the interface: shift/ never loads Textual or Rich."""

import subprocess
import sys

from conftest import ROOT


def test_shift_imports_without_textual_or_rich():
    modules = sorted(p.stem for p in (ROOT / "shift").glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        + "".join(f"import shift.{m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(modules) >= 8
    assert result.stdout.strip() == ""


def test_tui_does_not_run_sql():
    """The interface asks shift/ for everything: no SQL strings, no sqlite_utils in tui/."""
    for path in (ROOT / "tui").glob("*.py"):
        text = path.read_text()
        assert "sqlite_utils" not in text, path
        for word in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"):
            assert word not in text, f"{path}: {word}"

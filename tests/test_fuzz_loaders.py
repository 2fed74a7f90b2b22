"""Fuzzing the loaders of the library's own files: the site, a procedure, the law.

Each example takes a shipped file and spoils it the way a hurried edit would — a value
replaced by something of another kind or by hostile text, a line deleted or doubled, a
line cut short — then loads it. Whatever the file says, loading never raises, and every
error names its place (a line or a key path), so the coordinator can find it.

Small in the suite; large from a command:
    SOLO_SHIFT_FUZZ=large .venv/bin/python -m pytest tests/test_fuzz_loaders.py -p no:randomly --timeout 0
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import fuzzing  # noqa: F401  (the suite and large profiles, SOLO_SHIFT_FUZZ)
from conftest import ROOT, SITE_FILE
from shift import jurisdiction
from shift.procedures import parse_procedure
from shift.site import load_site

# Values of every kind TOML has, and text a person or a paste could bring.
HOSTILE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
VALUES = st.one_of(
    HOSTILE_TEXT.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'),
    st.sampled_from(['""', '"[b]x[/b]"', '"<script>alert(1)</script>"', '"\\u001b[31m"', '"=1+1"',
                     '"\\u202eevil"', '"25:61-99:99"', '"closed"', '"24:00-00:00"', "true", "0", "-1",
                     "99999999999999999999", "1e400", "nan", "inf", "2026-13-45", "2026-02-29",
                     "2026-11-30T10:00:00", "10:00:00", "[]", "[1, \"a\"]", "{}", "{ a = 1 }", "[[x]]"]),
    st.integers().map(str),
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
)


@st.composite
def spoiled(draw, text: str) -> str:
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        how = draw(st.sampled_from(["value", "value", "delete", "double", "cut"]))
        if how == "value" and "=" in line and not line.lstrip().startswith("#"):
            key = line.split("=", 1)[0]
            lines[index] = f"{key}= {draw(VALUES)}"
        elif how == "delete":
            del lines[index]
        elif how == "double":
            lines.insert(index, line)
        elif how == "cut":
            lines[index] = line[: draw(st.integers(0, len(line)))]
        if not lines:
            lines = [""]
    return "\n".join(lines)


def located(problems) -> bool:
    return all(p.line or p.where for p in problems if p.is_error)


SITE_TEXT = SITE_FILE.read_text()


@given(data=st.data())
@settings(max_examples=settings().max_examples)
def test_a_spoiled_site_file_loads_with_every_error_located(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "data" / "jurisdiction", folder / "jurisdiction")
    path = folder / "site.toml"
    path.write_text(data.draw(spoiled(SITE_TEXT)))
    site, problems = load_site(path)
    own = [p for p in problems if p.file.endswith("site.toml")]  # not "jurisdiction/x.toml: file not found"
    assert located(own), [str(p) for p in own if p.is_error and not (p.line or p.where)]
    assert site.desks and site.zone  # a broken file never stops the desk from starting


PROCEDURE_TEXT = (ROOT / "procedures" / "closing.toml").read_text()


@given(data=st.data())
def test_a_spoiled_procedure_loads_with_every_error_located(data):
    procedure, problems = parse_procedure(data.draw(spoiled(PROCEDURE_TEXT)), Path("closing.toml"))
    assert located(problems), [str(p) for p in problems if p.is_error and not (p.line or p.where)]
    assert procedure is None or procedure.steps


LAW_TEXT = (ROOT / "data" / "jurisdiction" / "ontario.toml").read_text()


@given(data=st.data())
def test_a_spoiled_jurisdiction_loads_with_every_error_located(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("law")
    (folder / "jurisdiction").mkdir()
    (folder / "jurisdiction" / "ontario.toml").write_text(data.draw(spoiled(LAW_TEXT)))
    found, problems = jurisdiction.load(folder, "ontario")
    own = [p for p in problems if "jurisdiction" in p.file and p.is_error]
    assert located(own), [str(p) for p in own if not (p.line or p.where)]
    assert found is not None  # the shipped file stands in for a broken copy

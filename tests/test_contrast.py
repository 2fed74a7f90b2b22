"""Every text on the desk reads at WCAG AA (4.5:1) in both themes, at 80×24.

Two checks. From the themes: the pairs the stylesheets name (state colours on each
background, the automatic text colour on the alarm banner). From the screens: every
character actually drawn on the screens a person meets in a bad moment (an alarm,
CHECK IN NOW, OVERDUE, a countdown, the emergency, the panic dialog, a toast), its
colour against the colour behind it, with translucent layers already blended by
Textual; dim text is counted as Textual's dim (halfway to the background).
"""

from __future__ import annotations

import pytest
from rich.color import Color as RichColor
from textual.color import Color
from textual.errors import NoWidget
from textual.filter import dim_color
from textual.geometry import Region
from textual.screen import ModalScreen

from conftest import ROOT, local
from shift import checkins
from shift.procedures import load_procedures
from shift.settings import DeskSettings, save, settings_path
from tui.app import SoloShiftApp
from tui.theme import DESK_DARK, HIGH_CONTRAST

PROCEDURES, _ = load_procedures(ROOT / "procedures")
AA = 4.5
THEMES = [DESK_DARK, HIGH_CONTRAST]


def luminance(rgb: tuple[int, int, int]) -> float:
    """Relative luminance, WCAG 2.x."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_formula_matches_wcag_reference_values():
    assert contrast((255, 255, 255), (0, 0, 0)) == pytest.approx(21.0)
    assert contrast((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)  # the AA grey
    # The finding this fixes: near-white on the old high-contrast red.
    old_red = Color.parse("#FE4040")
    assert contrast(_over(old_red.get_contrast_text(0.87), old_red).rgb, old_red.rgb) < 3


def _variables(theme) -> dict[str, Color]:
    return {name: Color.parse(value) for name, value in theme.to_color_system().generate().items()
            if name in NAMED}


NAMED = {"background", "surface", "panel", "foreground", "warning", "error", "success", "accent",
         "text-warning", "text-error", "text-success", "text-accent", "text-primary", "primary-muted"}


def _over(colour: Color, background: Color) -> Color:
    return background.blend(colour, colour.a) if colour.a < 1 else colour


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_the_state_colours_read_on_every_background(theme):
    v = _variables(theme)
    failures = []
    for bg in ("background", "surface", "panel"):
        for fg in ("foreground", "text-warning", "text-error", "text-success", "text-accent", "warning", "error"):
            ratio = contrast(v[fg].rgb, v[bg].rgb)
            if ratio < AA:
                failures.append(f"{fg} on {bg}: {ratio:.2f}")
    # The alarm and DIAL banners: $text (automatic, 87%) on $error, and on $error 60% over the background.
    for name, banner in (("error", v["error"]), ("error 60%", v["background"].blend(v["error"], 0.6))):
        text = _over(banner.get_contrast_text(0.87), banner)
        ratio = contrast(text.rgb, banner.rgb)
        if ratio < AA:
            failures.append(f"$text on {name}: {ratio:.2f}")
    assert not failures, failures


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_warning_error_and_headings_are_three_different_colours(theme):
    v = _variables(theme)
    colours = {v["text-warning"].hex, v["text-error"].hex, v["foreground"].hex, v["text-accent"].hex}
    assert len(colours) == 4, colours


# -- every character drawn ------------------------------------------------------

GRAPHICS = range(0x2500, 0x25A0)  # box drawing and blocks: borders, scrollbars, not text
SYMBOLS = range(0x25A0, 0x2600)  # arrows and marks (a Select's ▼): WCAG's 3:1 for what is not text


def _rgb(colour: RichColor | None) -> tuple[int, int, int] | None:
    return None if colour is None else tuple(colour.get_truecolor())  # type: ignore[return-value]


def unreadable_cells(screen) -> list[str]:
    """Each drawn character below AA, as 'text' fg/bg ratio (one entry per run of text)."""
    width, height = screen.app.size
    found: dict[tuple, str] = {}
    lines: dict[tuple[int, int], list] = {}
    for y in range(height):
        for x in range(width):
            try:
                widget, region = screen.get_widget_at(x, y)
            except NoWidget:
                continue
            if widget is screen and isinstance(screen, ModalScreen):
                continue  # the screen beneath a dialog, dimmed on purpose: not what is read now
            key = (id(widget), y - region.y)
            if key not in lines:
                rendered = widget.render_lines(Region(0, y - region.y, region.width, 1))
                cells = []
                for segment in rendered[0] if rendered else []:
                    for char in segment.text:
                        cells.append((char, segment.style))
                lines[key] = cells
            cells = lines[key]
            if x - region.x >= len(cells):
                continue
            char, style = cells[x - region.x]
            if char.isspace() or ord(char) in GRAPHICS or style is None:
                continue
            fg, bg = _rgb(style.color), _rgb(style.bgcolor)
            if fg is None or bg is None:
                continue
            if style.reverse:
                fg, bg = bg, fg
            if style.dim:
                fg = tuple(dim_color(RichColor.from_rgb(*bg), RichColor.from_rgb(*fg)).get_truecolor())
            ratio = contrast(fg, bg)
            if ratio < (3 if ord(char) in SYMBOLS else AA):
                text = "".join(c for c, _ in cells).strip()
                found.setdefault((fg, bg, text), f"{type(widget).__name__} {text[:50]!r} "
                                                  f"#{'%02x%02x%02x' % fg}/#{'%02x%02x%02x' % bg} {ratio:.2f}")
    return sorted(found.values())


def checkin_site(full_site):
    return full_site._replace(email=None, tasks=())


async def look(app, pilot, keys=(), label=""):
    await pilot.press(*keys)
    await pilot.pause()
    await pilot.pause(0.3)
    return [f"{label or type(app.screen).__name__}: {cell}" for cell in unreadable_cells(app.screen)]


def start_in(theme, tmp_path):
    if theme is HIGH_CONTRAST:
        save(settings_path(tmp_path / "desk.db"), DeskSettings(high_contrast=True))


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
async def test_an_alarm_evening_at_80x24_reads_everywhere(theme, tmp_path, store, full_site, shift, clock):
    """The desk at 22:57: an alarm raised, deadlines overdue and near, a prefix waiting, the
    panic and check-in dialogs, the emergency picker and walkthrough, a toast."""
    start_in(theme, tmp_path)
    clock.moment = local(2026, 11, 24, 22, 57)  # closes in 3 min
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(),
                               "text": "Form 7 to WSIB", "due_at": "2026-11-25T00:00:00.000000+00:00"})
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(),
                               "text": "Report to the committee", "due_at": "2026-11-25T04:15:00.000000+00:00"})
    checkins.record(store, shift, "panic")
    app = SoloShiftApp(store, checkin_site(full_site), procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert app.theme == theme.name
        problems = await look(app, pilot, ("p", "3", "d"), "desk with an alarm")
        app.notify("Alert channel unreachable: connection refused", severity="error")
        app.notify("Check in now: press F5.", title="Lone-worker check-in", severity="warning")
        problems += await look(app, pilot, (), "desk with toasts")
        problems += await look(app, pilot, ("f12",), "panic dialog")
        problems += await look(app, pilot, ("escape", "f5"), "check-in dialog")
        problems += await look(app, pilot, ("escape", "f1"), "help")
        problems += await look(app, pilot, ("escape", "f8"), "emergency picker")
        problems += await look(app, pilot, ("f",), "fire alarm walkthrough")
        problems += await look(app, pilot, ("escape",), "leave the walkthrough?")
        problems += await look(app, pilot, ("y",), "desk with an emergency in progress")
        problems += await look(app, pilot, ("f8", "tab"), "emergency picker, drill mode")
        problems += await look(app, pilot, ("m",), "medical drill walkthrough")
        problems += await look(app, pilot, ("escape", "y"), "desk with an emergency and a drill in progress")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
async def test_the_sweep_and_a_drills_sweep_read_at_80x24(theme, tmp_path, store, site, shift, clock):
    """Each result in its colour (clear, a person inside, could not check, not yet reported),
    the ▶ line among them, and a drill's top line in the drill colour."""
    from test_sweep_80x24 import sweep_with_people_inside, walk_to

    start_in(theme, tmp_path)
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8", "f")
        await pilot.pause()
        await sweep_with_people_inside(app, pilot, clock)
        problems = await look(app, pilot, (), "sweep")
        problems += await look(app, pilot, ("up", "up"), "sweep, ▶ on a person")
        problems += await look(app, pilot, ("escape", "escape", "y", "f8", "tab", "f"), "fire drill")
        await walk_to(app, pilot, clock, "Sweep the zones you can reach safely")
        problems += await look(app, pilot, ("enter", "c"), "fire drill sweep")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
async def test_check_in_now_and_a_late_closing_step_read_at_80x24(theme, tmp_path, store, full_site, shift, clock):
    start_in(theme, tmp_path)
    clock.moment = local(2026, 11, 24, 22, 45)  # closes in 15 min; no check-in since 17:30
    app = SoloShiftApp(store, checkin_site(full_site), procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        problems = await look(app, pilot, (), "desk, check in now")
        problems += await look(app, pilot, ("f4",), "closing procedure")
        problems += await look(app, pilot, ("f7",), "offline circulation")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
async def test_the_start_screen_reads_at_80x24(theme, tmp_path, store, site):
    start_in(theme, tmp_path)
    app = SoloShiftApp(store, site, procedures=PROCEDURES)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        problems = await look(app, pilot, (), "start")
    assert not problems, "\n".join(problems)


OLD_HIGH_CONTRAST = HIGH_CONTRAST.__class__(
    name="old-high-contrast", primary="#FFFF00", secondary="#00FFFF", accent="#FFFF00", foreground="#FFFFFF",
    background="#000000", surface="#000000", panel="#1A1A1A", success="#00FF00", warning="#FFFF00",
    error="#FF4040", dark=True)


async def test_the_check_finds_the_alarm_line_the_old_high_contrast_theme_drew(store, full_site, shift):
    """The scan is not blind: the ALARM line on the old red (#FF4040) is caught, with its figure."""
    checkins.record(store, shift, "panic")
    app = SoloShiftApp(store, checkin_site(full_site), procedures=PROCEDURES)
    async with app.run_test(size=(80, 24)) as pilot:
        app.register_theme(OLD_HIGH_CONTRAST)
        app.theme = OLD_HIGH_CONTRAST.name
        problems = await look(app, pilot)
    assert any("ALARM (panic)" in p and "/#fe4040 2.94" in p for p in problems), problems

"""The desk's two themes, where colour means state and every text reads at WCAG AA (4.5:1).

Three colours carry meaning and nothing else uses them: warning (something is due
or late, a countdown under 30 minutes), error (an alarm, what to dial, a deadline
passed, a countdown under 5 minutes) and success (saved). Headings are bold in the
normal text colour; keys in the key bar have the accent, a hue no state uses.
Which level a thing has is decided in shift/urgency.py; screens map it to a class
(`.level-warning`, `.level-error`) or to a style (`LEVEL_STYLE`).

The error colour is light enough to read as text on the background and to take
dark text as a banner (ALARM, DIAL): Textual's automatic text colour picks black
on it, and black on it passes as easily as it does on the background.
`tests/test_contrast.py` checks every pair, from the themes and from the screens.
"""

from textual.theme import Theme

from shift.settings import HIGH_CONTRAST as HIGH_CONTRAST_NAME

# Textual's dark theme with the state colours made distinct (its accent and warning were
# one orange) and an error red that reads as text (Textual's #B93C5B is 3.4:1 on #121212).
DESK_DARK = Theme(
    name="desk-dark",
    primary="#0178D4",
    secondary="#004578",
    accent="#6CB6FF",
    foreground="#E0E0E0",
    background="#121212",
    surface="#1E1E1E",
    panel="#242F38",
    success="#4EBF71",
    warning="#FEA62B",
    error="#FF6B6B",
    dark=True,
    variables={
        "footer-key-foreground": "#6CB6FF",
        "input-selection-background": "#0178D4 60%",
    },
)

# Black and white; yellow only for warnings, red only for errors, cyan for keys and focus.
HIGH_CONTRAST = Theme(
    name=HIGH_CONTRAST_NAME,
    primary="#00FFFF",
    secondary="#00FFFF",
    accent="#00FFFF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    success="#00FF00",
    warning="#FFFF00",
    error="#FF5555",
    dark=True,
    variables={
        "footer-key-foreground": "#00FFFF",
        "border": "#FFFFFF",
        "input-selection-background": "#00FFFF 50%",
    },
)

THEMES = (DESK_DARK, HIGH_CONTRAST)

# The site file names themes as Textual did ("textual-dark"); the desk's dark theme stands in.
_FOR_SITE = {"textual-dark": DESK_DARK.name}


def app_theme(name: str) -> str:
    """The theme the app registers for a theme name from the site file or the desk's settings."""
    return _FOR_SITE.get(name, name)


# How a level from shift/urgency.py looks inside a line of text (header, panels).
LEVEL_STYLE = {"normal": "", "warning": "bold $text-warning", "error": "bold $text-error",
               "success": "bold $text-success"}

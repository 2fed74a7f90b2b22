"""The high-contrast theme: black, white and yellow, nothing in between."""

from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    success="#00FF00",
    warning="#FFFF00",
    error="#FF4040",
    dark=True,
    variables={
        "footer-key-foreground": "#FFFF00",
        "border": "#FFFFFF",
        "input-selection-background": "#FFFF00 50%",
    },
)

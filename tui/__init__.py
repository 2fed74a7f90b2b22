"""The Textual interface of Solo Shift: screens, widgets and stylesheets only."""

"""A screen that is laid out again only when its size really changes.

Textual lays a screen out afresh for every Resize event it receives, also when
the size is the one it already has: a new app sends its first screen three
(the app's own size, the terminal driver's, and the screen's first layout),
so the first screen would be laid out and drawn three times before the
first keypress could be read. A Resize to the size the screen already has
changes nothing, so it is dropped here.
"""

from textual import events
from textual.screen import Screen


class SteadyScreen(Screen):
    def on_resize(self, event: events.Resize) -> None:
        # outer_size is the size of the last layout (a screen's `size` is the app's, already new).
        if event.size == self.outer_size:
            event.prevent_default()  # Screen's own handler would lay everything out again

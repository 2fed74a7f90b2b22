"""One app start for startup.py and memory.py: run headless, report when ready, exit.

    python bench/_child.py FD minimal          an App with one Label
    python bench/_child.py FD desk DB_PATH     Solo Shift on DB_PATH (which has an open shift)

Once the first screen (the desk screen for `desk`) has mounted and been
refreshed, writes "<peak RSS in KiB>\\n" to file descriptor FD and exits.
Everything the app imports is imported here, inside the parent's timed span,
in the order main.py does it.
"""

import os
import resource
import sys
import time

FD, KIND = int(sys.argv[1]), sys.argv[2]
# Both apps run at the same fixed size, as a terminal reports one. Left to guess,
# headless Textual takes 80x25 from Rich, then 80x24 from the driver, and lays out
# (and renders) every widget of the first screen again for each change.
SIZE = (80, 24)


def peak_rss_kib() -> int:
    """Peak RSS of this process image. Linux: VmHWM, as ru_maxrss can carry the parent's
    peak across the spawn (subprocess uses vfork, and exec keeps the old high-water mark)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report_ready(app) -> None:
    if KIND == "desk" and not app.screen.query("#counts"):
        app.exit(return_code=2, message=f"ready, but on {type(app.screen).__name__}, not the desk screen")
        return
    # Peak memory, and CPU seconds used so far (steadier than wall time on a busy machine).
    os.write(FD, f"{peak_rss_kib()} {time.process_time():.6f}\n".encode())
    os.close(FD)
    app.exit()


def run_minimal() -> None:
    from textual.app import App
    from textual.widgets import Label

    class MinimalApp(App):
        def compose(self):
            yield Label("Hello")

        def on_mount(self) -> None:
            self.call_after_refresh(report_ready, self)

    app = MinimalApp()
    app.run(headless=True, size=SIZE)
    sys.exit(app.return_code or 0)


def run_desk(db_path: str) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    # Exactly as main.py opens the desk.
    import main

    store, app = main.open_desk(main.parse_args(["--db", db_path]))
    from tui import desk
    build = desk.desk_screen

    def ready_desk_screen(site):
        # Textual calls on_mount of every class in the MRO: this one first, then DeskScreen's.
        class ReadyDeskScreen(build(site)):
            def on_mount(self) -> None:
                self.call_after_refresh(report_ready, self.app)
        return ReadyDeskScreen

    desk.desk_screen = ready_desk_screen  # the app imports it when it builds its first screen
    with store:
        app.run(headless=True, size=SIZE)
    sys.exit(app.return_code or 0)


if KIND == "minimal":
    run_minimal()
elif KIND == "desk":
    run_desk(sys.argv[3])
else:
    sys.exit(f"unknown kind {KIND!r}")

"""A program in a real terminal (tmux), driven and read through one tmux control-mode client.

For the benchmarks that time what a person sees: keys go in with `send-keys` and the screen is
read with `capture-pane`, both as commands on the control client's pipe (about 0.1 ms each here,
against 3-5 ms for spawning a `tmux` process per look), so the screen can be looked at every
fraction of a millisecond and the first look that shows the text is close to when it was drawn.
The control client asks for no pane output and sets no size: the window keeps the size it was
created with.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


class Unexpected(Exception):
    """The screen did not show what it should have within the time allowed."""


class Terminal:
    def __init__(self, name: str, size: tuple[int, int] = (120, 40)) -> None:
        self.socket = f"{name}-{os.getpid()}"
        self.size = size
        self.client: subprocess.Popen[str] | None = None
        self.socket_path = ""

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True).stdout

    def start(self, command: str) -> None:
        """Run `command` in the pane (a new session the first time, the same pane again after)."""
        if self.client is None:
            self._tmux("new-session", "-d", "-s", "bench", "-x", str(self.size[0]), "-y", str(self.size[1]), command)
            self._tmux("set-option", "-w", "-t", "bench", "remain-on-exit", "on")
            self.socket_path = self._tmux("display-message", "-p", "#{socket_path}").strip()
            self.client = subprocess.Popen(["tmux", "-L", self.socket, "-C", "attach", "-t", "bench"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
            self._reply()  # the attach's own (empty) reply
            self.command("refresh-client -f no-output")
        else:
            self.command(f"respawn-pane -k -t bench {quote(command)}")

    def _reply(self) -> list[str]:
        assert self.client is not None and self.client.stdout is not None
        lines: list[str] = []
        inside = False
        while True:
            line = self.client.stdout.readline()
            if not line:
                raise Unexpected("the tmux control client ended")
            if not inside:
                inside = line.startswith("%begin")  # notifications outside a reply are skipped
                continue
            if line.startswith(("%end", "%error")):
                if line.startswith("%error"):
                    raise Unexpected("tmux: " + "".join(lines))
                return lines
            lines.append(line.rstrip("\n"))

    def command(self, text: str) -> list[str]:
        assert self.client is not None and self.client.stdin is not None
        self.client.stdin.write(text + "\n")
        self.client.stdin.flush()
        return self._reply()

    def keys(self, *keys: str) -> None:
        self.command("send-keys -t bench " + " ".join(quote(k) for k in keys))

    def type(self, text: str) -> None:
        self.command(f"send-keys -t bench -l -- {quote(text)}")

    def screen(self) -> str:
        return "\n".join(self.command("capture-pane -p -t bench"))

    def pane(self, what: str) -> str:
        return "\n".join(self.command(f"display-message -p -t bench {quote(what)}")).strip()

    def dead(self) -> bool:
        return self.pane("#{pane_dead}") == "1"

    def wait(self, predicate, limit: float = 30.0, every: float = 0.0) -> tuple[float, str]:
        """Look at the screen until `predicate(screen)`; the perf_counter time of that look, and the screen."""
        deadline = time.perf_counter() + limit
        while True:
            screen = self.screen()
            seen = time.perf_counter()
            if predicate(screen):
                return seen, screen
            if seen > deadline:
                raise Unexpected(screen)
            if every:
                time.sleep(every)

    def wait_for(self, text: str, limit: float = 30.0, every: float = 0.02) -> str:
        return self.wait(lambda s: text in s, limit, every)[1]

    def stop(self) -> None:
        if self.client is not None:
            self.client.stdin.close()  # type: ignore[union-attr]
            self.client.wait(timeout=10)
        self._tmux("kill-server")
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)


def quote(text: str) -> str:
    """One argument of a tmux command line."""
    return "'" + text.replace("'", "'\\''") + "'" if text else "''"

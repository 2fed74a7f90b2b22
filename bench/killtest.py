"""Kill harness: the real desk in tmux, random work, SIGKILL at random moments, then the database.

It drives `main.py` in a tmux pane as a person would (plain and detailed tallies, late
entries, procedure and emergency steps, incidents, offline-circulation scans, fees,
check-ins, ending and starting shifts), kills the Python process with SIGKILL at a random
moment (after a confirmation, right after the key that saves, or halfway through typing),
restarts it in the same pane and checks, with a read-only connection to the database:

- every entry the screen had confirmed is in the database exactly once (lost, duplicated);
- an entry whose key was pressed but not yet confirmed is there once or not at all, and whole;
- an open procedure or emergency resumes at the first step not recorded (wrong resumes).

Each entry carries a unique token typed with it (a note, a receipt, a barcode, a name), so
"exactly once" is a count. Plain one-key tallies and check-ins have no text of their own: they
are counted (confirmed <= rows <= confirmed + pressed-not-confirmed).

    python bench/killtest.py [--kills 200] [--seed N] [--keep] [--json FILE]

Prints the kills, confirmed entries, lost, duplicated, wrong resumes, and the time per cycle.
Exit status 1 when anything was lost, duplicated or resumed wrongly.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shift.barcodes import luhn_digit  # noqa: E402
from shift.procedures import Procedure, Step, dialled_title, load_procedures  # noqa: E402
from shift.site import load_site  # noqa: E402

START = datetime(2026, 11, 24, 20, 0, 0)  # a Tuesday evening: solo, open until 23:00, no prompt due before 22:30
WIDTH, HEIGHT = 160, 50
PLAIN_KEYS = "dirtcab"
DESK_BAR = "Ctrl+E End shift"
DIALOGS = ("Log with details", "Fine or fee taken", "Press Enter to check in", "End the shift",
           "press the protocol's key", "↑↓ choose · Enter runs or resumes", "Incident report",
           "Offline circulation", "Shift report:", "walkthrough?")
# Emergencies walked step by step (the fire alarm's sweep is a checklist of its own: not here).
EMERGENCIES = ("medical", "disruptive-person", "overdose", "power-outage", "flood", "lockdown")
ROUTINE = {"closing": "F4", "opening": "F3", "floor-walk": "F2"}


class Unexpected(Exception):
    """The screen did not show what it should have within the time allowed."""


class KillNow(Exception):
    """The moment chosen for this cycle's SIGKILL."""


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.started = False
        self.socket_path = ""

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True).stdout

    def start(self, command: str) -> None:
        if not self.started:
            self.run("new-session", "-d", "-s", "desk", "-x", str(WIDTH), "-y", str(HEIGHT), command)
            self.run("set-option", "-w", "-t", "desk", "remain-on-exit", "on")
            self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()
            self.started = True
        else:
            self.run("respawn-pane", "-k", "-t", "desk", command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "desk")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "desk", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "desk", "-l", "--", text)  # "--": text may start with "-"

    def pane(self, what: str) -> str:
        return self.run("display-message", "-p", "-t", "desk", what).strip()

    def stop(self) -> None:
        self.run("kill-server")
        if self.started and self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)


@dataclass
class RunTrack:
    """A procedure or emergency run of the current shift, as the screen showed it."""

    procedure: Procedure
    drill: bool = False  # a drill and a real event of one protocol are separate runs
    confirmed: list[str] = field(default_factory=list)  # step ids the screen moved past
    current: str | None = None  # the step on screen (None: all steps done)
    pending: str | None = None  # a step answered whose confirmation had not shown
    finish_pending: bool = False
    touched: bool = False  # worked on before the last kill: resume it first after the restart
    seen: bool = False  # opened since the last kill (else opening it checks where it resumes)


@dataclass
class Tally:
    kills: int = 0
    confirmed: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong_resumes: int = 0
    resume_checks: int = 0
    unexpected: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, kind: str, text: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.problems.append(f"{kind}: {text}")


def item_barcode(n: int) -> str:
    body = f"3{n:012d}"
    return body + luhn_digit(body)


class Harness:
    def __init__(self, db: Path, seed: int, verbose: bool = False) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.seed = seed
        self.verbose = verbose
        self.term = Tmux(f"kill-harness-{os.getpid()}")
        self.tally = Tally()
        self.prefix = f"k{self.rng.randrange(16**4):04x}"
        self.counter = 0
        self.scan_base = self.rng.randrange(10**6) * 10**5
        site, _ = load_site(ROOT / "data" / "site.toml")
        self.site = site
        loaded, _ = load_procedures(ROOT / "procedures")
        self.procedures = {p.id: p for p in loaded}
        # What the screen confirmed, and what was typed without a confirmation yet.
        self.tokens: dict[str, tuple[str, str, object]] = {}  # token -> (kind, state, expected)
        self.plain = {"confirmed": 0, "unconfirmed": 0}  # one-key tallies (no note)
        self.checkins = {"confirmed": 0, "unconfirmed": 0}
        self.worker: str | None = None
        self.shift_started: datetime | None = None  # local, from the header when it was confirmed
        self.runs: dict[str, RunTrack] = {}
        self.reported: set[str] = set()
        self.t0 = time.monotonic()
        self.restarts = 0

    # -- tokens ----------------------------------------------------------------

    def token(self) -> str:
        self.counter += 1
        return f"{self.prefix}-{self.counter}z"

    def typed(self, token: str, kind: str, expected: object = None) -> None:
        self.tokens[token] = (kind, "unconfirmed", expected)

    def confirmed(self, token: str) -> None:
        kind, _, expected = self.tokens[token]
        self.tokens[token] = (kind, "confirmed", expected)
        self.tally.confirmed += 1

    # -- the terminal ----------------------------------------------------------

    def now_text(self) -> str:
        # The desk's clock runs on from where the last run left it, a little ahead each restart,
        # so that late entries have earlier minutes of the shift to go back to.
        moment = START + timedelta(seconds=time.monotonic() - self.t0 + 15 * self.restarts)
        return f"{moment:%Y-%m-%d %H:%M:%S}"

    def launch(self) -> None:
        self.restarts += 1
        command = (f"cd {ROOT} && exec env SOLO_SHIFT_NOW='{self.now_text()}' SOLO_SHIFT_DB= "
                   f"{sys.executable} main.py --db {self.db}")
        self.term.start(command)
        screen = self.wait(lambda s: "Who is on duty?" in s or ("On duty:" in s and DESK_BAR in s), 30)
        if "Who is on duty?" in screen:
            if self.worker is not None:  # a shift end pressed and not confirmed had been saved
                self.worker = None
                self.runs.clear()
            return
        worker = re.search(r"On duty: (.*?)(?:  |$)", screen, re.M).group(1)  # type: ignore[union-attr]
        if worker != self.worker:  # a shift start pressed and not confirmed had been saved
            self.worker, self.shift_started = worker, self.clock(screen)
            self.runs.clear()

    def pid(self) -> int:
        return int(self.term.pane("#{pane_pid}"))

    def kill(self) -> None:
        if self.term.pane("#{pane_dead}") != "1":
            pid = self.pid()
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while self.term.pane("#{pane_dead}") != "1" and time.monotonic() < deadline:
                time.sleep(0.01)
        self.tally.kills += 1
        for track in self.runs.values():
            track.seen = False

    def screen(self) -> str:
        return self.term.screen()

    def wait(self, predicate: Callable[[str], bool], limit: float = 8.0) -> str:
        deadline = time.monotonic() + limit
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise Unexpected(screen)
            time.sleep(0.02)

    def wait_for(self, text: str, limit: float = 8.0) -> str:
        return self.wait(lambda s: text in s, limit)

    def at_desk(self, screen: str) -> bool:
        lines = screen.rstrip("\n").split("\n")
        return DESK_BAR in lines[-1] and "On duty:" in screen and not any(d in screen for d in DIALOGS)

    def desk(self) -> str:
        def ready(screen: str) -> bool:
            if "Write the incident report now?" in screen:  # after a real emergency: not now
                self.term.keys("n")
            return self.at_desk(screen)

        return self.wait(ready)

    def clock(self, screen: str) -> datetime | None:
        found = re.search(r"(\d{2} \w{3} \d{4})  (\d{2}:\d{2}:\d{2})", screen.split("\n")[0])
        return datetime.strptime(" ".join(found.groups()), "%d %b %Y %H:%M:%S") if found else None

    # -- actions: generators that yield at each moment a kill may come --------------

    def act_plain(self) -> Iterator[str]:
        screen = self.desk()
        before = int(re.search(r"Total\s+(\d+)", screen).group(1))  # type: ignore[union-attr]
        self.term.keys(self.rng.choice(PLAIN_KEYS))
        self.plain["unconfirmed"] += 1
        yield "sent"
        self.wait(lambda s: re.search(rf"Total\s+{before + 1}\s", s) is not None)
        self.plain["unconfirmed"] -= 1
        self.plain["confirmed"] += 1
        self.tally.confirmed += 1

    def act_detail(self) -> Iterator[str]:
        screen = self.desk()
        now = self.clock(screen)
        before = int(re.search(r"Total\s+(\d+)", screen).group(1))  # type: ignore[union-attr]
        quantity = self.rng.randint(1, 3)
        late = None
        if now and self.shift_started and self.rng.random() < 0.6:
            first = self.shift_started.replace(second=0) + timedelta(minutes=1)
            last = now.replace(second=0) - timedelta(minutes=1)
            if first <= last:
                span = int((last - first).total_seconds() // 60)
                late = first + timedelta(minutes=self.rng.randint(0, span))
        self.term.keys("l")
        self.wait_for("Log with details")
        self.term.keys("Tab")
        self.term.type(str(quantity))
        self.term.keys("Tab", "Tab", "Tab")
        if late is not None:
            self.term.type(f"{late:%H:%M}")
        self.term.keys("Tab")
        token = self.token()
        half = self.rng.randint(1, len(token) - 1)
        self.term.type(token[:half])
        yield "typing"
        self.term.type(token[half:])
        self.term.keys("Enter")
        self.typed(token, "detail", quantity)
        yield "sent"
        # The recent log cuts long lines: the shift's total is the confirmation.
        self.wait(lambda s: "Log with details" not in s and re.search(rf"Total\s+{before + quantity}\s", s) is not None)
        self.confirmed(token)

    def act_fee(self) -> Iterator[str]:
        self.desk()
        self.counter += 1
        cents = 100 + self.counter
        amount = f"{cents // 100}.{cents % 100:02d}"
        self.term.keys("$")
        self.wait_for("Fine or fee taken")
        self.term.type(amount)
        self.term.keys("Tab", "Tab")
        token = self.token()
        self.term.type(token)
        yield "typing"
        self.term.keys("Enter")
        self.typed(token, "fee", cents)
        yield "sent"
        self.wait(lambda s: "Fine or fee taken" not in s and f"${amount} cash recorded" in s)
        self.confirmed(token)

    def act_checkin(self) -> Iterator[str]:
        screen = self.desk()
        if "Checked in at" in screen:
            return  # the last one's toast is still up: this one could not be told apart
        self.term.keys("F5")
        self.wait_for("Press Enter to check in")
        yield "typing"
        self.term.keys("Enter")
        self.checkins["unconfirmed"] += 1
        yield "sent"
        self.wait_for("Checked in at")
        self.checkins["unconfirmed"] -= 1
        self.checkins["confirmed"] += 1
        self.tally.confirmed += 1

    def act_scan(self) -> Iterator[str]:
        self.desk()
        self.term.keys("F7")
        self.wait_for("MODE: LOAN")
        self.term.keys("C-r")
        self.wait_for("MODE: RETURN")
        for _ in range(self.rng.randint(1, 3)):
            self.counter += 1
            code = item_barcode(self.scan_base + self.counter)
            half = self.rng.randint(1, len(code) - 1)
            self.term.type(code[:half])
            yield "typing"
            self.term.type(code[half:])
            self.term.keys("Enter")
            self.typed(code, "scan")
            yield "sent"
            self.wait_for(f"Return {code}")
            self.confirmed(code)
        self.term.keys("Escape")
        self.desk()

    def act_incident(self) -> Iterator[str]:
        screen = self.desk()
        if "Incident saved" in screen:
            return  # the last one's toast is still up
        self.term.keys("F6")
        self.wait_for("What happened? *")
        self.term.keys("Enter")
        categories = self.site.incidents.categories
        self.wait(lambda s: all(c in s for c in categories[:3]))  # the list is open
        self.term.keys("Down", "Enter")
        self.wait(lambda s: "choose a category" not in s)
        self.term.keys("Tab", "Tab", "Tab")
        token = self.token()
        self.term.type(f"by the printers {token}")
        self.term.keys("Tab")
        self.term.type(f"A patron asked for help with the printer {token}")
        yield "typing"
        self.term.keys("C-s")
        self.typed(token, "incident")
        yield "sent"
        self.wait(lambda s: "Incident saved" in s and "What happened? *" not in s)
        self.confirmed(token)

    def act_end_shift(self) -> Iterator[str]:
        self.desk()
        self.term.keys("C-e")
        self.wait_for("Handover note for the next person")
        token = self.token()
        self.term.type(f"Handover {token}")
        yield "typing"
        self.term.keys("C-s")
        self.typed(token, "handover")
        yield "sent"
        self.wait_for("Shift report:")
        self.confirmed(token)
        self.worker = None
        self.runs.clear()
        self.term.keys("Escape")
        self.wait_for("Who is on duty?")
        yield from self.act_start_shift()

    def act_start_shift(self) -> Iterator[str]:
        self.wait_for("Who is on duty?")
        name = f"Worker {self.token()}"
        self.term.type(name)
        yield "typing"
        self.term.keys("Enter")
        self.typed(name, "worker")
        yield "sent"
        screen = self.wait(lambda s: f"On duty: {name}" in s and DESK_BAR in s)
        self.confirmed(name)
        self.worker = name
        self.shift_started = self.clock(screen)
        self.runs.clear()

    # -- procedures and emergencies ---------------------------------------------------

    def open_run(self, procedure: Procedure) -> str:
        """Open (start or resume) a procedure's runner from the desk; returns the screen."""
        self.desk()
        if procedure.kind == "emergency":
            self.term.keys("F8")
            self.wait_for("press the protocol's key")
            track = self.runs.get(procedure.id)
            # A real event ends a drill of the same protocol left open: resume in the run's own mode.
            if (track.drill if track else self.rng.random() < 0.5):
                self.term.keys("Tab")
                self.wait_for("DRILL MODE")
            self.term.keys(procedure.key)
        elif ROUTINE[procedure.id] != "F2":
            self.term.keys(ROUTINE[procedure.id])
        else:
            self.term.keys("F2")
            screen = self.wait_for("↑↓ choose · Enter runs or resumes")
            options = [line for line in screen.split("\n") if re.search(r"\((opening|closing|routine)\)", line)]
            index = next(i for i, line in enumerate(options) if procedure.title in line)
            self.term.keys(*(["Down"] * index), "Enter")
        return self.wait(lambda s: self.shown_step(procedure, s) is not False)

    def shown_step(self, procedure: Procedure, screen: str) -> str | None | bool:
        """The step id on screen, None for "All steps done", False when the runner is not (yet) there."""
        lines = screen.split("\n")
        for number, line in enumerate(lines):
            if procedure.title in line and "All steps done" in line:
                return None
            if procedure.title in line and re.search(r"Step \d+[a-z]? of \d+", line):
                title = next((t for t in lines[number + 1:number + 4] if "▊ " in t), None)
                if title is None:
                    return False
                text = title.split("▊ ", 1)[1].rsplit("▎", 1)[0].strip()
                matches = [s for s in procedure.steps
                           if self.step_title(s) == text or (len(text) > 20 and self.step_title(s).startswith(text))]
                return matches[0].id if len(matches) == 1 else False
        return False

    def step_title(self, step: Step) -> str:
        contact = self.site.contacts.get(step.call) if step.call else None
        return dialled_title(step, contact.phone if contact else None)

    def act_run(self, procedure: Procedure) -> Iterator[str]:
        track = self.runs.get(procedure.id)
        screen = self.open_run(procedure)
        shown = self.shown_step(procedure, screen)
        if track is not None and not track.seen:
            self.check_resume(track, shown)
        if track is None:
            track = self.runs[procedure.id] = RunTrack(procedure, drill="DRILL — do not dial" in screen)
        track.current = shown  # type: ignore[assignment]
        track.pending = None
        track.finish_pending = False
        track.touched = track.seen = True
        for _ in range(self.rng.randint(1, 4)):
            if track.current is None:
                self.term.keys("Enter")
                track.finish_pending = True
                yield "sent"
                screen = self.wait(lambda s: self.at_desk(s) or "Write the incident report now?" in s)
                if "Write the incident report now?" in screen:
                    self.term.keys("n")
                self.desk()
                del self.runs[procedure.id]
                self.tally.confirmed += 1
                return
            step = procedure.step(track.current)
            assert step is not None
            yield from self.answer(procedure, track, step)
        self.term.keys("Escape")
        if procedure.kind == "emergency":
            self.wait_for("walkthrough?")
            self.term.keys("y")
        self.desk()

    def answer(self, procedure: Procedure, track: RunTrack, step: Step) -> Iterator[str]:
        token = None
        if step.kind in ("yesno", "choice"):
            options = step.options()
            pick = next(i for i, option in enumerate(options) if option not in step.note_when)
            self.term.keys(str(pick + 1))
            yield "typing"
        elif step.kind == "number":
            low, high = step.minimum, step.maximum
            value = (low + high) / 2 if low is not None and high is not None else low if low is not None \
                else high if high is not None else 1
            self.term.type(f"{value:g}")
            yield "typing"
        elif step.kind == "text":
            token = self.token()
            self.term.type(f"answer {token}")
            yield "typing"
        self.term.keys("Enter")
        track.pending = step.id
        if token:
            self.typed(token, "step")
        yield "sent"
        self.wait(lambda s: self.shown_step(procedure, s) not in (False, step.id))
        shown = self.shown_step(procedure, self.screen())
        track.confirmed.append(step.id)
        track.pending = None
        track.current = shown  # type: ignore[assignment]
        self.tally.confirmed += 1
        if token:
            self.confirmed(token)

    # -- checks after a kill --------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)

    def check_resume(self, track: RunTrack, shown: str | None | bool) -> None:
        """`shown` is the step the reopened runner shows: the first step not recorded."""
        self.tally.resume_checks += 1
        with self.connect() as conn:
            run = self.open_run_id(conn, track.procedure.id, track.drill)
            recorded = [r[0] for r in conn.execute(
                "SELECT step_id FROM step_outcomes WHERE run_id = ?", (run,))] if run else []
        for step_id in set(recorded):
            if recorded.count(step_id) > 1:
                self.tally.problem("duplicated", f"{track.procedure.id}: step {step_id} recorded "
                                                 f"{recorded.count(step_id)} times")
        for step_id in track.confirmed:
            if step_id not in recorded:
                self.tally.problem("lost", f"{track.procedure.id}: step {step_id} was confirmed, not recorded")
        wrong = ""
        if shown is not None and shown in recorded:
            wrong = f"shows step {shown}, already recorded"
        elif track.current is not None and track.current not in recorded and shown != track.current:
            wrong = f"shows {shown or 'all steps done'}, but step {track.current} was next and is not recorded"
        elif track.current is None and shown is not None:
            wrong = f"all steps were done, it shows step {shown}"
        if wrong:
            self.tally.problem("wrong_resumes", f"{track.procedure.id}: {wrong}")
        track.touched = False

    def open_run_id(self, conn: sqlite3.Connection, procedure_id: str, drill: bool) -> str | None:
        row = conn.execute(
            """SELECT r.id FROM procedure_runs r JOIN shifts s ON s.id = r.shift_id
               WHERE s.worker = ? AND r.procedure_id = ? AND r.drill = ? AND r.id NOT IN (SELECT run_id FROM run_ends)
               ORDER BY r.started_at DESC LIMIT 1""", (self.worker, procedure_id, int(drill))).fetchone()
        return row[0] if row else None

    def count_token(self, conn: sqlite3.Connection, kind: str, token: str) -> tuple[int, bool]:
        """How many rows hold the token, and whether each is whole."""
        like = f"%{token}%"
        if kind == "detail":
            rows = conn.execute("SELECT quantity FROM tallies WHERE note LIKE ?", (like,)).fetchall()
            return len(rows), all(r[0] == self.tokens[token][2] for r in rows)
        if kind == "fee":
            rows = conn.execute("SELECT amount_cents, method FROM fees WHERE receipt LIKE ?", (like,)).fetchall()
            return len(rows), all(r == (self.tokens[token][2], "cash") for r in rows)
        if kind == "scan":
            rows = conn.execute("SELECT action FROM circ_transactions WHERE item = ?", (token,)).fetchall()
            return len(rows), all(r[0] == "return" for r in rows)
        if kind == "incident":
            rows = conn.execute("SELECT location FROM incidents WHERE what_happened LIKE ?", (like,)).fetchall()
            return len(rows), all(token in (r[0] or "") for r in rows)
        if kind == "handover":
            return conn.execute("SELECT COUNT(*) FROM shift_ends WHERE handover LIKE ?", (like,)).fetchone()[0], True
        if kind == "worker":
            return conn.execute("SELECT COUNT(*) FROM shifts WHERE worker = ?", (token,)).fetchone()[0], True
        if kind == "step":
            return conn.execute("SELECT COUNT(*) FROM step_outcomes WHERE answer LIKE ?", (like,)).fetchone()[0], True
        raise ValueError(kind)

    def verify(self, tokens: list[str], final: bool = False) -> None:
        with self.connect() as conn:
            for token in tokens:
                kind, state, _ = self.tokens[token]
                found, whole = self.count_token(conn, kind, token)
                if token in self.reported:
                    continue
                if found > 1 or (found == 0 and state == "confirmed") or not whole:
                    self.reported.add(token)  # once per token, whether found at a kill or at the end
                if found > 1:
                    self.tally.problem("duplicated", f"{kind} {token}: {found} rows")
                elif found == 0 and state == "confirmed":
                    self.tally.problem("lost", f"{kind} {token}: confirmed on screen, not in the database")
                elif not whole:
                    self.tally.problem("lost", f"{kind} {token}: only part of it was saved")
                if state == "unconfirmed" and not final:
                    # Pressed but never confirmed: what the database holds is the truth from now on.
                    self.tokens[token] = (kind, "settled" if found else "absent", self.tokens[token][2])
            for name, counter, sql in (
                    ("one-key tallies", self.plain, "SELECT COUNT(*) FROM tallies WHERE note = ''"),
                    ("check-ins", self.checkins, "SELECT COUNT(*) FROM checkin_events WHERE kind = 'checkin'")):
                rows = conn.execute(sql).fetchone()[0]
                if rows < counter["confirmed"]:
                    self.tally.problem("lost", f"{name}: {counter['confirmed']} confirmed, {rows} in the database")
                elif rows > counter["confirmed"] + counter["unconfirmed"]:
                    self.tally.problem("duplicated", f"{name}: {counter['confirmed']} confirmed and "
                                                     f"{counter['unconfirmed']} pressed, {rows} in the database")
                # The database settles the pressed ones: counted from here on.
                counter["confirmed"], counter["unconfirmed"] = max(rows, counter["confirmed"]), 0
            # A finish pressed but not confirmed: if the run ended, the next key starts a new one.
            for procedure_id, track in list(self.runs.items()):
                if track.finish_pending and self.open_run_id(conn, procedure_id, track.drill) is None:
                    del self.runs[procedure_id]

    # -- the cycle ------------------------------------------------------------------

    def action(self) -> Iterator[str]:
        screen = self.screen()
        if "Who is on duty?" in screen:
            return self.act_start_shift()
        touched = [t for t in self.runs.values() if t.touched]
        if touched:
            return self.act_run(touched[0].procedure)
        choice = self.rng.choices(
            ["plain", "detail", "fee", "checkin", "scan", "incident", "run", "emergency", "end"],
            weights=[12, 12, 6, 5, 6, 4, 14, 10, 3])[0]
        if choice == "run":
            return self.act_run(self.procedures[self.rng.choice(list(ROUTINE))])
        if choice == "emergency":
            open_ones = [t.procedure.id for t in self.runs.values() if t.procedure.kind == "emergency"]
            return self.act_run(self.procedures[self.rng.choice(open_ones or list(EMERGENCIES))])
        return getattr(self, f"act_{'end_shift' if choice == 'end' else choice}")()

    def cycle(self) -> None:
        """Start the desk, work, kill it at a random moment, check the database."""
        before = set(self.tokens)
        try:
            self.launch()
            actions = self.rng.randint(1, 3)
            for number in range(actions):
                last = number == actions - 1 and self.rng.random() < 0.6
                for _moment in self.action():
                    if last and self.rng.random() < 0.4:
                        time.sleep(self.rng.choice((0, 0, 0.002, 0.01, 0.03)))
                        raise KillNow
            time.sleep(self.rng.choice((0, 0.01, 0.05)))
        except KillNow:
            pass
        except Unexpected as exc:
            self.tally.unexpected += 1
            shown = "\n".join(line.rstrip() for line in str(exc).split("\n") if line.strip())
            self.tally.problems.append(f"unexpected screen (recovered by a restart):\n{shown}")
            if self.verbose:
                print(self.tally.problems[-1], file=sys.stderr)
        except (AttributeError, LookupError, ValueError) as exc:  # a screen read that found nothing
            self.tally.unexpected += 1
            shown = "\n".join(line.rstrip() for line in self.screen().split("\n") if line.strip())
            self.tally.problems.append(f"unexpected screen ({exc!r}; recovered by a restart):\n{shown}")
            if self.verbose:
                print(self.tally.problems[-1], file=sys.stderr)
        self.kill()
        self.verify([t for t in self.tokens if t not in before or self.tokens[t][1] == "unconfirmed"])

    def run(self, kills: int) -> float:
        started = time.monotonic()
        try:
            for _ in range(kills):
                self.cycle()
            self.verify(list(self.tokens), final=True)
        finally:
            self.term.stop()
        return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database for inspection")
    parser.add_argument("--verbose", action="store_true", help="print unexpected screens as they come")
    parser.add_argument("--json", type=Path, help="also write the headline figures to this file (bench/all.py)")
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("tmux is not installed", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    folder = Path(tempfile.mkdtemp(prefix="killtest-"))
    harness = Harness(folder / "desk.db", seed, args.verbose)
    print(f"seed {seed} · {args.kills} kills · database {folder / 'desk.db'}", flush=True)
    elapsed = harness.run(args.kills)
    t = harness.tally
    print(summary(t, elapsed))
    for line in t.problems:
        print(line)
    if args.json:
        whole = not (t.lost or t.duplicated or t.wrong_resumes)
        args.json.write_text(json.dumps([{  # the row shape of bench/_common.py figure()
            "what": f"SIGKILL at random moments, {t.kills} kills (kill harness, tmux, seed {seed})",
            "figure": f"lost {t.lost} · duplicated {t.duplicated} · wrong resumes {t.wrong_resumes}"
                      f" (of {t.confirmed} confirmed entries, {t.resume_checks} resumes checked)",
            "goal": "0 lost, 0 duplicated, 0 wrong resumes", "met": whole,
            "values": {"kills": t.kills, "confirmed": t.confirmed, "lost": t.lost, "duplicated": t.duplicated,
                       "wrong_resumes": t.wrong_resumes, "seconds": elapsed}}], indent=1))
    if args.keep:
        print(f"kept: {folder / 'desk.db'}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if t.lost or t.duplicated or t.wrong_resumes else 0


def summary(t: Tally, elapsed: float) -> str:
    per = elapsed / t.kills if t.kills else 0.0
    return (f"kills {t.kills} · confirmed entries {t.confirmed} · lost {t.lost} · duplicated {t.duplicated} · "
            f"wrong resumes {t.wrong_resumes} (of {t.resume_checks} resumes checked) · "
            f"unexpected screens {t.unexpected} · {elapsed:.0f} s, {per:.2f} s per kill cycle")


if __name__ == "__main__":
    sys.exit(main())

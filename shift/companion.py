"""The phone companion's decisions: its tokens, what its pages show, and what its buttons do.

Two kinds of page, each reached only with a token from `secrets`:

- the worker's page, `/p/<token>`: paired by a QR code the desk shows when a shift starts (and
  on a key). The latest pairing of the open shift is the one that works: a new one revokes the
  old, and the shift's end ends them all.
- a responder's page, `/a/<token>`: the link in one alarm email. It works while that alarm is
  open, so once (acknowledging ends it), and never after the shift ends.

Only each token's SHA-256 is stored (`companion_tokens`, chained like every record), so the
database and its backups open nothing; a token presented is compared with `hmac.compare_digest`.
Every action goes through the desk core's own operation (`DeskCore.check_in`, `panic`,
`acknowledge`, `shift.runs.record_answer`), so the rows are the ones the desk's keys write,
marked with their origin ("phone", "link"). The web server (shift/companionserver.py) only
carries requests here and answers; nothing in this module knows HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, NamedTuple

from shift import checkins
from shift.clock import to_iso
from shift.shifts import Shift, open_shift
from shift.store import Store

if TYPE_CHECKING:
    from shift.companionconfig import CompanionConfig
    from shift.desk import DeskCore, Said
    from shift.procedures import Step
    from shift.runs import RunState

PAIRING, ALARM = "pairing", "alarm"
PHONE, LINK = "phone", "link"  # the origin column of the rows written from each page


def new_token() -> str:
    # 192 bits: never guessed, whatever the rate limit; short enough that the QR code of a whole
    # address stays small (version 4, 33 modules, for an address of up to 78 characters).
    return secrets.token_urlsafe(24)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _tokens(store: Store, shift: Shift, purpose: str) -> list[dict]:
    rows = store.rows("SELECT * FROM companion_tokens WHERE shift_id = ? AND purpose = ? ORDER BY issued_at, rowid",
                      (shift.id, purpose))
    return rows + store.waiting("companion_tokens", shift_id=shift.id, purpose=purpose)


def _issue(store: Store, shift: Shift, purpose: str, alarm: str | None = None) -> str:
    token = new_token()
    row = {"shift_id": shift.id, "purpose": purpose, "digest": digest(token), "issued_at": store.now_iso()}
    if alarm is not None:
        row["alarm"] = alarm
    store.insert("companion_tokens", row, keep_on_failure=True)  # kept in memory, it works at once
    return token


def _same(stored: str, token: str) -> bool:
    return hmac.compare_digest(stored.encode("ascii"), digest(token).encode("ascii"))


# -- pairing the worker's phone --------------------------------------------------


def pair(store: Store, shift: Shift) -> str:
    """A new pairing token for the shift; the one before stops working."""
    return _issue(store, shift, PAIRING)


def paired_shift(store: Store, token: str) -> Shift | None:
    """The open shift, if `token` is its latest pairing; else None (revoked, ended, or never issued)."""
    shift = open_shift(store)
    if shift is None:
        return None
    pairings = _tokens(store, shift, PAIRING)
    return shift if pairings and _same(pairings[-1]["digest"], token) else None


def worker_url(config: "CompanionConfig", token: str) -> str:
    return f"{config.base_url}/p/{token}"


# -- a responder's link in an alarm email ------------------------------------------


def with_answer_link(store: Store, config: "CompanionConfig", shift: Shift, st: checkins.CheckinState,
                     body: str) -> str:
    """The alarm email's body with a link to acknowledge this alarm from a phone. None for a
    duress alarm: whoever stands at the desk cannot call one off (Ctrl+G refuses it), and its
    link would be the one way round that."""
    if st.alarm_started is None or st.alarm_reason == "duress":
        return body
    token = _issue(store, shift, ALARM, to_iso(st.alarm_started))
    return (f"{body}\n\nWhen you have answered (you are at the desk, or have reached the person), record it "
            f"here; the link works once, until the alarm ends:\n{config.base_url}/a/{token}\n")


def linked_alarm(store: Store, token: str) -> tuple[Shift, checkins.Alarm] | None:
    """The open shift and the alarm `token` was sent for, while that alarm is open; else None."""
    shift = open_shift(store)
    if shift is None:
        return None
    found = None
    for row in _tokens(store, shift, ALARM):  # every row compared, a match or not
        if _same(row["digest"], token):
            found = row["alarm"]
    if found is None:
        return None
    alarm = next((a for a in checkins.read_log(checkins.events(store, shift)).alarms
                  if a.key == found and a.ended_at is None and a.reason != "duress"), None)
    return (shift, alarm) if alarm is not None else None


# -- forms: a CSRF token per page token ----------------------------------------------


def csrf_token(secret: bytes, token: str) -> str:
    """What each form carries: derived from the page's token and a secret of this run of the desk
    (a form left open across a restart asks to be sent again)."""
    return hmac.new(secret, b"csrf\0" + token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, token: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(secret, token).encode("ascii"), given.encode("utf-8", "surrogatepass"))


# -- rate limiting, per client ----------------------------------------------------------


class RateLimiter:
    """A token bucket per client address: `burst` requests at once, then one every `every`
    seconds. Bounded: the least recently seen clients are forgotten beyond `clients`."""

    def __init__(self, burst: int = 30, every: float = 2.0, clients: int = 4096) -> None:
        self.burst, self.every, self.clients = burst, every, clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (requests left, when counted)

    def allow(self, client: str, now: float) -> bool:
        left, then = self._buckets.pop(client, (float(self.burst), now))
        left = min(float(self.burst), left + max(0.0, now - then) / self.every)
        allowed = left >= 1
        self._buckets[client] = (left - 1 if allowed else left, now)  # most recent last
        while len(self._buckets) > self.clients:
            del self._buckets[next(iter(self._buckets))]
        return allowed


# -- what the worker's page shows -----------------------------------------------------


class StepView(NamedTuple):
    run_id: str
    step_id: str
    procedure: str  # its title
    where: str  # "Step 4 of 21"
    title: str
    instructions: str
    can_do: bool  # a plain check step: "done" from the phone
    why_not: str  # else, what to do instead


class WorkerView(NamedTuple):
    first_name: str
    desk: str
    library: str
    checkin: str  # "Next check-in by 22:42", "CHECK IN NOW: due 22:42", ...
    urgent: bool
    alarm: str  # "" or what the desk shows of an open alarm
    step: StepView | None
    finished: str  # a walk with every step done: "finish it at the desk"
    checkins_on: bool


def first_name(worker: str) -> str:
    """Nothing personal on the phone beyond the worker's first name."""
    return (worker.split() or ["(nobody)"])[0]


def worker_view(core: "DeskCore", shift: Shift, now: datetime) -> WorkerView:
    """The page, from the same functions as the desk's check-in line: the deadline the timers enforce."""
    site = core.site
    zone = site.zone
    st = core.checkin_state(shift, now)
    alarm, checkin, urgent = "", "", False
    if st is None:
        checkin = "Check-ins are off at this desk."
    elif st.alarm_open and st.alarm_reason != "duress":  # a duress alarm looks like none, here too
        steps = []
        for status in core.alarm_steps(shift, now):
            if status.state == "sent" and status.at is not None:
                steps.append(f"{status.what}: sent {status.at.astimezone(zone):%H:%M}")
            elif status.state == "failed":
                steps.append(f"{status.what}: FAILED, retrying")
            else:
                steps.append(f"{status.what}: sending")
        since = st.alarm_started.astimezone(zone) if st.alarm_started else now.astimezone(zone)
        alarm = (f"ALARM ({st.alarm_reason}) since {since:%H:%M}: "
                 + ("; ".join(steps) or "no alert step is set: call for help by phone"))
        checkin, urgent = "The alarm stays on until someone who answered records it.", True
    elif not core.checkins_active(now):
        checkin = "Check-ins start when you are alone."
    elif now >= st.deadline:
        checkin, urgent = f"CHECK IN NOW: due {st.deadline.astimezone(zone):%H:%M}", True
    else:
        checkin = f"Next check-in by {st.deadline.astimezone(zone):%H:%M}"
    walk, finished = _walk_step(core, shift)
    return WorkerView(first_name(shift.worker), site.desk_name(shift.desk), site.name, checkin, urgent, alarm,
                      walk, finished, st is not None)


def _walks(core: "DeskCore", shift: Shift) -> list["RunState"]:
    """The closing procedures and floor walks under way (those the sweep check-ins are shortened for)."""
    from shift import runs

    return [r for r in runs.open_runs(core.store, shift) if r.procedure.kind in ("closing", "routine")]


def _walk_step(core: "DeskCore", shift: Shift) -> tuple[StepView | None, str]:
    for run in _walks(core, shift):
        step = run.current()
        if step is None:
            return None, f"{run.procedure.title}: every step is done. Finish it at the desk."
        return StepView(run.id, step.id, run.procedure.title, str(run.progress(step)), step.title,
                        step.instructions, *_doable(step)), ""
    return None, ""


def _doable(step: "Step") -> tuple[bool, str]:
    """Only a plain check is done from the phone: an answer, a notice to post or a zone sweep is
    recorded at the desk, where the step shows all it asks."""
    if step.sweep:
        return False, "The sweep of each zone is recorded at the desk."
    if step.kind != "check" or step.notice:
        return False, "This step asks for an answer: record it at the desk."
    return True, ""


# -- what the buttons do ----------------------------------------------------------------


def check_in(core: "DeskCore", code: str) -> "Said":
    """Check in from the phone: exactly F5, the duress code included (the same words either way)."""
    return core.check_in(code.strip(), origin=PHONE)


def panic(core: "DeskCore") -> "Said":
    return core.panic(origin=PHONE)


def step_done(core: "DeskCore", shift: Shift, run_id: str, step_id: str) -> "Said":
    """Mark the walk's current step done, as Enter on it at the desk does; refused when the desk
    has moved on meanwhile (the page showed a step that is no longer the current one)."""
    from shift import runs
    from shift.desk import Said

    run = next((r for r in _walks(core, shift) if r.id == run_id), None)
    step = run.current() if run is not None else None
    if run is None or step is None or step.id != step_id:
        return Said("Not recorded: that step is no longer the current one (it was recorded at the desk?). "
                    "The page now shows where the walk is.", False)
    if not _doable(step)[0]:
        return Said(f"Not recorded: {_doable(step)[1]}", False)
    try:
        runs.record_answer(core.store, run, step, None, resilient=True, origin=PHONE)
    except (ValueError, sqlite3.Error) as exc:
        return Said(f"NOT recorded: {exc}", False)
    core.step_completed(run.procedure.id, step.id)
    waiting = core.waiting()
    note = " (kept in memory at the desk: storage is failing)" if waiting else ""
    return Said(f"Done: {step.title}.{note}")


def acknowledge(core: "DeskCore", who: str) -> "Said":
    """A responder's answer from the link: exactly Ctrl+G at the desk."""
    return core.acknowledge(who, origin=LINK)


def desk_news(what: str, said: "Said", now: datetime, zone: tzinfo, who: str = "") -> str:
    """What the desk says about an action from the companion: "Checked in from phone 21:42"
    (the same words after the duress code); "" when nothing was recorded."""
    at = now.astimezone(zone)
    if not said.ok:
        return ""
    if what == "checkin":
        return f"Checked in from phone {at:%H:%M}."
    if what == "panic":
        return f"PANIC alarm raised from phone {at:%H:%M}: the escalation chain is being alerted."
    if what == "acknowledge":
        return f"Alarm acknowledged by {who} from the alarm email's link {at:%H:%M}."
    return f"{said.text} (from phone {at:%H:%M})"

"""The state of timed prompts, derived from their events.

Every prompt event is a row (fired, snoozed, done, skipped, missed,
escalated) with its time; what the desk shows as "Due now" is recomputed from
them, so a restart shows exactly what was open, and a prompt is fired once.
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from shift.clock import from_iso, to_iso
from shift.shifts import Shift
from shift.store import Store
from shift.tasks import Prompt

OPEN_STATES = ("due", "missed")
# A prompt found unfired this long after its time was missed (the app was
# closed, or the machine slept), rather than merely late.
MISSED_AFTER = timedelta(minutes=2)


class PromptStatus(NamedTuple):
    prompt: Prompt
    state: str  # pending | unfired | due | snoozed | missed | done | skipped
    snoozed_until: datetime | None = None
    escalated: bool = False
    closed_at: datetime | None = None

    @property
    def response(self) -> timedelta | None:
        """How long after its due time the prompt was dealt with."""
        return None if self.closed_at is None else self.closed_at - self.prompt.due_at


def _events(store: Store, prompts: list[Prompt]) -> dict[str, list[dict]]:
    if not prompts:
        return {}
    first = min(p.due_at for p in prompts)
    last = max(p.due_at for p in prompts)
    found: dict[str, list[dict]] = {}
    rows = store.rows(
        "SELECT * FROM prompt_events WHERE due_at >= ? AND due_at <= ? ORDER BY at, rowid",
        (to_iso(first), to_iso(last)),
    )
    # Events still waiting for storage count too (kept in order, after what is written).
    rows += [row for row in store.waiting("prompt_events") if to_iso(first) <= row["due_at"] <= to_iso(last)]
    for row in rows:
        found.setdefault(row["prompt_key"], []).append(row)
    return found


def status_of(prompt: Prompt, rows: list[dict], now: datetime) -> PromptStatus:
    state = "pending" if now < prompt.due_at else "unfired"
    until: datetime | None = None
    escalated = False
    closed: datetime | None = None
    for row in rows:
        event = row["event"]
        if event in ("fired", "missed") and state not in ("done", "skipped"):
            state = "due" if event == "fired" else "missed"
        elif event == "snoozed":
            state, until = "snoozed", from_iso(row["until"])
        elif event in ("done", "skipped"):
            state, closed = event, from_iso(row["at"])
        elif event == "escalated":
            escalated = True
    if state == "snoozed" and until is not None and now >= until:
        state = "unfired"  # the snooze is over: it rings again
    return PromptStatus(prompt, state, until, escalated, closed)


def final_state(last_closing: str | None, missed: bool) -> str:
    """Where a prompt ended, from its events: 'done' or 'skipped' (the last of those recorded),
    else 'missed' (it came due while the desk was closed), else 'not dealt with' (it rang, or was
    snoozed, and nothing closed it). The report and the statistics both read it here."""
    return last_closing or ("missed" if missed else "not dealt with")


def punctuality(final: str, escalated: bool, missed: bool) -> str:
    """A prompt's punctuality for the coordinator's statistics: 'on time', 'late', 'skipped' or
    'missed'. Late is the desk's own two marks: done after it escalated (OVERDUE in Due now) or
    after it was recorded MISSED; a prompt never done or skipped was missed."""
    if final == "skipped":
        return "skipped"
    if final == "done":
        return "late" if escalated or missed else "on time"
    return "missed"


def statuses(store: Store, prompts: list[Prompt], now: datetime) -> list[PromptStatus]:
    rows = _events(store, prompts)
    return [status_of(p, rows.get(p.key, []), now) for p in prompts]


def record(store: Store, prompt: Prompt, event: str, shift: Shift | None = None,
           until: datetime | None = None, reason: str = "") -> None:
    store.insert("prompt_events", {
        "prompt_key": prompt.key, "task_id": prompt.task.id, "due_at": to_iso(prompt.due_at),
        "shift_id": shift.id if shift else None, "event": event, "at": store.now_iso(),
        "until": to_iso(until) if until else None, "reason": reason,
    })


def to_fire(store: Store, prompts: list[Prompt], now: datetime) -> tuple[list[Prompt], list[Prompt]]:
    """(prompts to fire now, prompts to record as missed): each decided from the log, once."""
    fire, missed = [], []
    for status in statuses(store, prompts, now):
        if status.state != "unfired":
            continue
        late = now - status.prompt.due_at
        if status.snoozed_until is None and late >= MISSED_AFTER:
            missed.append(status.prompt)
        else:
            fire.append(status.prompt)
    return fire, missed


def open_items(store: Store, prompts: list[Prompt], now: datetime) -> list[PromptStatus]:
    """What the Due now panel lists: due or missed prompts of tasks that need acknowledging."""
    return [s for s in statuses(store, prompts, now) if s.state in OPEN_STATES and s.prompt.task.acknowledge]


def to_escalate(store: Store, prompts: list[Prompt], now: datetime) -> list[Prompt]:
    """Open prompts past their task's escalate_after, not yet escalated."""
    out = []
    for status in open_items(store, prompts, now):
        after = status.prompt.task.escalate_after
        if not status.escalated and after is not None and now >= status.prompt.due_at + after:
            out.append(status.prompt)
    return out


# A step belongs to its task's prompt only this close to it: a closing procedure
# finished at 22:40 does today's 23:00 lock-doors, never yesterday's or
# tomorrow's (24 hours away), and a step done half a day from any such prompt
# does none.
BELONGS_WITHIN = timedelta(hours=12)


def completed_by_step(prompts: list[Prompt], procedure_id: str, step_id: str, *,
                      shift_started_at: datetime, now: datetime) -> Prompt | None:
    """The one prompt a procedure step completed at `now` does (its task has
    `completed_by` = "procedure.step"), or None.

    Prompts belong to their day: of this shift's prompts of that task (due at or
    after `shift_started_at`), the one nearest `now`, the earlier of two equally
    near; none when the nearest is more than BELONGS_WITHIN away.
    """
    target = f"{procedure_id}.{step_id}"
    mine = [p for p in prompts if p.task.completed_by == target and p.due_at >= shift_started_at]
    if not mine:
        return None
    nearest = min(mine, key=lambda p: (abs(p.due_at - now), p.due_at))
    return nearest if abs(nearest.due_at - now) <= BELONGS_WITHIN else None

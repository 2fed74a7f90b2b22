"""The shift: who is on duty at which desk, from start to handover.

Whether a shift is open is derived from the log (a shift with no end row),
so a crash or a closed window resumes the same shift.
"""

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import NamedTuple

from shift.clock import from_iso
from shift.store import Store

NOT_SIGNED_IN = "(not signed in)"  # the worker of a shift an emergency opened before anyone signed in

# Who is on duty: the name signed in last, else the name the shift started with.
WORKER = """COALESCE((SELECT g.worker FROM shift_signins g WHERE g.shift_id = s.id
                     ORDER BY g.signed_in_at DESC, g.rowid DESC LIMIT 1), s.worker)"""


class Shift(NamedTuple):
    id: str
    started_at: datetime
    worker: str
    desk: str


class Handover(NamedTuple):
    """What the previous shift left for this one."""

    worker: str
    ended_at: datetime
    note: str


class FollowUp(NamedTuple):
    id: str
    created_at: datetime
    text: str
    worker: str
    due_at: datetime | None = None  # a deadline (e.g. 48 h for a critical-injury report)
    incident_id: str | None = None  # the incident it came from, if any


def _shift(row: dict) -> Shift:
    return Shift(row["id"], from_iso(row["started_at"]), row["worker"], row["desk"])


def open_shift(store: Store) -> Shift | None:
    """The shift with no end, also one whose start, sign-in or end still waits for storage."""
    ended = {row["shift_id"] for row in store.waiting("shift_ends")}
    found = next((_shift(row) for row in reversed(store.waiting("shifts")) if row["id"] not in ended), None)
    if found is None:
        rows = store.rows(
            f"""SELECT s.id, s.started_at, {WORKER} AS worker, s.desk FROM shifts s
                LEFT JOIN shift_ends e ON e.shift_id = s.id
                WHERE e.id IS NULL ORDER BY s.started_at DESC LIMIT 1"""
        )
        found = _shift(rows[0]) if rows and rows[0]["id"] not in ended else None
    signins = store.waiting("shift_signins", shift_id=found.id) if found else []
    return found._replace(worker=signins[-1]["worker"]) if found and signins else found


def shift_with_event(store: Store, kind: str) -> Shift | None:
    """The latest shift that recorded a check-in event of `kind` (e.g. one that ended with an
    alarm open, whose messages may still be owed after a restart)."""
    rows = store.rows(
        f"""SELECT s.id, s.started_at, {WORKER} AS worker, s.desk FROM checkin_events c
            JOIN shifts s ON s.id = c.shift_id WHERE c.kind = ? ORDER BY c.at DESC LIMIT 1""", (kind,))
    return _shift(rows[0]) if rows else None


def start_shift(store: Store, worker: str, desk: str) -> Shift:
    """Start a shift, or return the one already open (it survives crashes)."""
    worker = worker.strip()
    if not worker:
        raise ValueError("Who is on duty? A name is needed to start the shift.")
    current = open_shift(store)
    if current is not None and current.worker == NOT_SIGNED_IN and worker != NOT_SIGNED_IN:
        # An emergency opened this shift before anyone signed in: it becomes this person's.
        store.insert("shift_signins", {"shift_id": current.id, "worker": worker, "signed_in_at": store.now_iso()})
        return current._replace(worker=worker)
    if current is not None:
        return current
    # Kept in memory if storage refuses it: the desk (and its emergency path) works regardless.
    row = store.insert("shifts", {"started_at": store.now_iso(), "worker": worker, "desk": desk},
                       keep_on_failure=True)
    return _shift(row)


NOTHING_TO_HAND_OVER = "Nothing to hand over."


class HandoverMissing(ValueError):
    """An empty handover note, and nothing-to-hand-over not chosen."""


def handover_note(note: str, nothing_to_hand_over: bool) -> str:
    """The handover to record: the note as written, or, when the person said so explicitly,
    that there is nothing to hand over. An empty note alone is refused (ValueError): the next
    person cannot tell a quiet shift from a forgotten note."""
    if note.strip():
        return note
    if nothing_to_hand_over:
        return NOTHING_TO_HAND_OVER
    raise HandoverMissing("Write a handover note, or say there is nothing to hand over.")


def end_shift(store: Store, shift: Shift, handover: str, followups: Sequence[str] = ()) -> None:
    """Record the handover and any follow-ups, then the end, in one transaction."""
    now = store.now_iso()
    rows = [("followups", {"shift_id": shift.id, "created_at": now, "text": text.strip()})
            for text in followups if text.strip()]
    store.insert_all([*rows, ("shift_ends", {"shift_id": shift.id, "ended_at": now, "handover": handover})])


def last_handover(store: Store) -> Handover | None:
    rows = store.rows(
        f"""SELECT {WORKER} AS worker, e.ended_at, e.handover FROM shift_ends e
           JOIN shifts s ON s.id = e.shift_id ORDER BY e.ended_at DESC LIMIT 1"""
    )
    if not rows:
        return None
    r = rows[0]
    return Handover(r["worker"], from_iso(r["ended_at"]), r["handover"])


def _followup(row: dict) -> FollowUp:
    return FollowUp(row["id"], from_iso(row["created_at"]), row["text"], row["worker"],
                    from_iso(row["due_at"]) if row.get("due_at") else None, row.get("incident_id"))


def _by_deadline(followups: list[FollowUp]) -> list[FollowUp]:
    """Those with a deadline first (earliest first), then by creation (a stable sort keeps the rest)."""
    return sorted(followups, key=lambda f: (f.due_at is None, f.due_at or f.created_at, f.created_at))


def waiting_followups(store: Store, **match: str) -> list[FollowUp]:
    """Follow-ups still waiting for storage (added while it refused writes): the desk shows them
    at once, a deadline counts from the moment they were made."""
    names = {row["id"]: row["worker"] for row in store.waiting("shifts")}
    names |= {row["shift_id"]: row["worker"] for row in store.waiting("shift_signins")}
    rows = []
    for row in store.waiting("followups", **match):
        if row["shift_id"] not in names:
            found = store.rows(f"SELECT {WORKER} AS worker FROM shifts s WHERE s.id = ?", (row["shift_id"],))
            names[row["shift_id"]] = found[0]["worker"] if found else ""
        rows.append(_followup({**row, "worker": names[row["shift_id"]]}))
    return rows


def open_followups(store: Store) -> list[FollowUp]:
    """Unresolved follow-ups: those with a deadline first (earliest first), then by creation;
    those still waiting for storage too."""
    rows = store.rows(
        f"""SELECT f.id, f.created_at, f.text, {WORKER} AS worker, f.due_at, f.incident_id FROM followups f
           JOIN shifts s ON s.id = f.shift_id
           LEFT JOIN followup_resolutions r ON r.followup_id = f.id
           WHERE r.id IS NULL ORDER BY f.due_at IS NULL, f.due_at, f.created_at, f.rowid"""
    )
    found = [_followup(r) for r in rows]
    if not store.pending:  # the everyday path: the database's own order
        return found
    resolved = {row["followup_id"] for row in store.waiting("followup_resolutions")}
    return _by_deadline([f for f in found + waiting_followups(store) if f.id not in resolved])


def deadline_text(followup: FollowUp, now: datetime, zone: tzinfo) -> str:
    """'due Mon 30 Nov 14:05', 'OVERDUE since ...', or '' for a follow-up without a deadline."""
    if followup.due_at is None:
        return ""
    when = f"{followup.due_at.astimezone(zone):%a %d %b %H:%M}"
    return f"OVERDUE since {when}" if followup.due_at <= now else f"due {when}"


def add_followup(store: Store, shift: Shift, text: str) -> None:
    if not text.strip():
        raise ValueError("A follow-up needs some text.")
    store.insert("followups", {"shift_id": shift.id, "created_at": store.now_iso(), "text": text.strip()})


def resolve_followup(store: Store, shift: Shift, followup_id: str, note: str) -> None:
    """Record a follow-up as resolved, with what was done (ValueError without it: the next
    person and the manager read the note, not only that it is gone)."""
    if not note.strip():
        raise ValueError("Say briefly what was done: a resolved follow-up needs a note.")
    store.insert(
        "followup_resolutions",
        {"followup_id": followup_id, "shift_id": shift.id, "resolved_at": store.now_iso(), "note": note.strip()},
    )

"""What is being typed into a form, kept on disk until the form is saved or given up.

A form (the handover note, an incident report) hands its fields here a moment
after they change; when it is opened again after a crash, a power cut or a
closed window, they come back.

This is the one table that is a buffer, not a record: a row per shift and
form, overwritten as the typing goes on and deleted once the form is saved
or given up. Keeping every version would keep what the person took out on
purpose (a card number the privacy check asked them to remove, say); what
they saved is kept, append-only, where it belongs.
"""

from __future__ import annotations

import json
from datetime import datetime

from shift.clock import from_iso
from shift.store import Store


def keep(store: Store, shift_id: str, form: str, fields: dict[str, str]) -> None:
    store.verify()  # never write into a file that failed its check
    store.execute(
        """INSERT INTO unsaved_text (shift_id, form, saved_at, body) VALUES (?, ?, ?, ?)
           ON CONFLICT (shift_id, form) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body""",
        (shift_id, form, store.now_iso(), json.dumps(fields, ensure_ascii=False, sort_keys=True)))


def clear(store: Store, shift_id: str, form: str) -> None:
    """The form was saved or given up: nothing of it waits any more."""
    store.verify()  # never write into a file that failed its check
    store.execute("DELETE FROM unsaved_text WHERE shift_id = ? AND form = ?", (shift_id, form))


def recover(store: Store, shift_id: str, form: str) -> tuple[dict[str, str], datetime] | None:
    """The fields last kept for this form in this shift, and when; None when nothing waits."""
    rows = store.rows("SELECT body, saved_at FROM unsaved_text WHERE shift_id = ? AND form = ?",
                      (shift_id, form))
    if not rows:
        return None
    fields = json.loads(rows[0]["body"])
    return {str(k): str(v) for k, v in fields.items()}, from_iso(rows[0]["saved_at"])

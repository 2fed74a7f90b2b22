"""The recent log on the desk screen: what this shift recorded, newest first."""

from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from shift import copyout, problemreports
from shift.clock import from_iso
from shift.money import dollars
from shift.shifts import Shift
from shift.site import TallyConfig
from shift.store import Store
from shift.tally import TallyEntry, entry_from_row


class LogLine(NamedTuple):
    at: datetime
    text: str  # may contain what a person typed: show it with markup off


def describe_tally(config: TallyConfig, entry: TallyEntry, zone: ZoneInfo) -> str:
    cat = config.category(entry.category)
    chan = config.channel(entry.channel)
    parts = [cat.name if cat else entry.category]
    if entry.quantity > 1:
        parts.insert(0, f"{entry.quantity} ×")
    if entry.channel != config.default_channel:
        parts.append(f"({chan.name if chan else entry.channel})")
    if entry.read_level:
        parts.append(f"READ {entry.read_level}")
    if entry.recorded_at - entry.occurred_at >= timedelta(minutes=1):
        parts.append(f"(late entry for {entry.occurred_at.astimezone(zone):%H:%M})")
    text = " ".join(parts)
    if entry.note:
        text += f" — {entry.note}"
    return text


def recent(store: Store, config: TallyConfig, zone: ZoneInfo, shift: Shift, limit: int = 12,
           task_titles: dict[str, str] | None = None) -> list[LogLine]:
    lines: list[LogLine] = []
    for row in store.rows(
        """SELECT t.*, v.voided_at FROM tallies t LEFT JOIN tally_voids v ON v.tally_id = t.id
           WHERE t.shift_id = ? ORDER BY t.recorded_at DESC LIMIT ?""",
        (shift.id, limit),
    ):
        text = describe_tally(config, entry_from_row(row), zone)
        if row["voided_at"]:
            lines.append(LogLine(from_iso(row["voided_at"]), f"undone: {text}"))
        lines.append(LogLine(from_iso(row["recorded_at"]), f"logged: {text}"))
    for row in store.rows(
        """SELECT r.resolved_at, f.text FROM followup_resolutions r JOIN followups f ON f.id = r.followup_id
           WHERE r.shift_id = ?""",
        (shift.id,),
    ):
        lines.append(LogLine(from_iso(row["resolved_at"]), f"follow-up resolved: {row['text']}"))
    for row in store.rows(
        """SELECT o.recorded_at, o.status, o.answer, o.reason, o.corrects, o.step_id, o.origin, r.procedure_id
           FROM step_outcomes o JOIN procedure_runs r ON r.id = o.run_id
           WHERE r.shift_id = ? ORDER BY o.recorded_at DESC LIMIT ?""",
        (shift.id, limit),
    ):
        what = {"done": "done", "answered": f"answered {row['answer']}",
                "skipped": f"skipped ({row['reason'] or 'no reason'})"}[row["status"]]
        if row["corrects"]:
            what = "corrected: " + what
        if row["origin"] == "phone":
            what += " from phone"
        lines.append(LogLine(from_iso(row["recorded_at"]), f"{row['procedure_id']}: {row['step_id']} {what}"))
    for row in store.rows(
        """SELECT e.ended_at, r.procedure_id FROM run_ends e JOIN procedure_runs r ON r.id = e.run_id
           WHERE r.shift_id = ?""",
        (shift.id,),
    ):
        lines.append(LogLine(from_iso(row["ended_at"]), f"{row['procedure_id']}: finished"))
    titles = task_titles or {}
    for row in store.rows(
        """SELECT task_id, event, at, reason FROM prompt_events WHERE shift_id = ?
           AND event != 'escalated' ORDER BY at DESC LIMIT ?""",
        (shift.id, limit),
    ):
        what = {"fired": "due", "missed": "missed"}.get(row["event"], row["event"])
        reason = f" ({row['reason']})" if row["reason"] else ""
        lines.append(LogLine(from_iso(row["at"]), f"{what}: {titles.get(row['task_id'], row['task_id'])}{reason}"))
    # Only check-ins and panics: a duress check-in is logged exactly like a normal one.
    for row in store.rows(
        """SELECT kind, at, detail, origin FROM checkin_events WHERE shift_id = ?
           AND kind IN ('checkin', 'duress', 'panic', 'acknowledged') ORDER BY at DESC LIMIT ?""",
        (shift.id, limit),
    ):
        # From the companion: "checked in from phone"; an alarm answered: who, and from where (a
        # duress alarm is never acknowledged at the desk, so this says nothing of one).
        if row["kind"] == "acknowledged":
            where = "alarm email link" if row["origin"] == "link" else "at the desk"
            lines.append(LogLine(from_iso(row["at"]), f"alarm acknowledged by {row['detail']} ({where})"))
            continue
        where = " from phone" if row["origin"] == "phone" else ""
        lines.append(LogLine(from_iso(row["at"]),
                             ("PANIC alarm raised" if row["kind"] == "panic" else "checked in") + where))
    for row in store.rows(
        "SELECT recorded_at, amount_cents, method, reason FROM fees"
        " WHERE shift_id = ? ORDER BY recorded_at DESC LIMIT ?",
        (shift.id, limit),
    ):
        reason = f" — {row['reason']}" if row["reason"] else ""
        lines.append(LogLine(from_iso(row["recorded_at"]),
                             f"fee taken: {dollars(row['amount_cents'])} {row['method']}{reason}"))
    for row in store.rows(
        "SELECT recorded_at, what FROM overrides WHERE shift_id = ? ORDER BY recorded_at DESC LIMIT ?",
        (shift.id, limit),
    ):
        lines.append(LogLine(from_iso(row["recorded_at"]), f"override: {row['what']}"))
    for row in store.rows(
        "SELECT recorded_at, category FROM incidents WHERE shift_id = ? ORDER BY recorded_at DESC LIMIT ?",
        (shift.id, limit),
    ):
        lines.append(LogLine(from_iso(row["recorded_at"]), f"incident report: {row['category']}"))
    for report in problemreports.of_shift(store, shift.id)[-limit:]:
        said = problemreports.state(store, report.id).text(zone)
        lines.append(LogLine(report.recorded_at, f"problem report: {report.entry_title} → {report.send_to}, {said}"))
    for copied in copyout.of_shift(store, shift.id)[-limit:]:
        lines.append(LogLine(copied.copied_at, f"copied: {copied.what} of {copied.entry_title} "
                                               "(the text is in the shift report)"))
    lines.append(LogLine(shift.started_at, f"shift started by {shift.worker}"))
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines[:limit]

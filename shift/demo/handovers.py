"""The end of each shift: a handover note, now and then a follow-up for the next person, and
follow-ups resolved by a later shift with what was done. Every demo shift is marked as never
to be emailed, so made-up shifts never reach a real manager's inbox."""

from __future__ import annotations

from datetime import timedelta

from shift.clock import to_iso
from shift.demo.base import Demo, DemoShift
from shift.shifts import NOTHING_TO_HAND_OVER, open_followups, resolve_followup

HANDOVERS = (
    "Quiet evening. Printer 2 jammed twice; cleared.",
    "Returns bin emptied and checked in at 21:00.",
    "Group room 304 whiteboard markers out; ordered more.",
    "Patron asked about weekend hours in exam period; gave the posted hours.",
    "Busy at the start, quiet after 20:00. Nothing outstanding.",
    "Lost and found: a grey scarf and a phone charger, in the drawer.",
    "Hold shelf tidied; two items past pickup date pulled.",
    NOTHING_TO_HAND_OVER,
)
FOLLOWUPS = (
    ("Microfilm reader 2 not advancing film: facilities ticket needed", "Facilities came and replaced the motor"),
    ("Lost-and-found: black umbrella left at the desk", "Owner collected it"),
    ("Hold shelf: two items past pickup date", "Pulled and sent back to the shelves"),
    ("Printer 3 toner low: order a cartridge", "Cartridge in; printer working"),
    ("Light out in stairwell B, second landing", "Facilities replaced the bulb"),
    ("Patron asked for a call back about an interlibrary loan", "Called back; the loan has arrived"),
)
UNMAILED = "synthetic demo history: not emailed"


def end_shift(demo: Demo, planned: DemoShift) -> None:
    """The shift's end row with its handover, follow-ups left for the next person, and the
    record that its report is never emailed."""
    end = to_iso(planned.end)
    if demo.chance(0.06):
        demo.add("followups", shift_id=planned.id, created_at=end, text=demo.pick(FOLLOWUPS)[0])
    demo.add("shift_ends", shift_id=planned.id, ended_at=end, handover=demo.pick(HANDOVERS))
    demo.add("report_emails", shift_id=planned.id, at=end, outcome="skipped", detail=UNMAILED)


def resolve_followups(demo: Demo, planned: DemoShift, keep_open_after) -> int:
    """Early in the shift, the person resolves follow-ups left a day or more ago, saying what
    was done (those with a deadline always before it); those from the last days stay open."""
    resolved = 0
    at = planned.start + demo.minutes(5, 40)
    notes = dict(FOLLOWUPS)
    for followup in open_followups(demo.store):
        if followup.created_at > at - timedelta(days=1):
            continue
        deadline = followup.due_at is not None and followup.due_at - at < timedelta(days=2)
        if deadline or (planned.start < keep_open_after and demo.chance(0.35)):
            demo.at(at)
            done = "Done by the manager; see the incident file" if followup.incident_id else "Done"
            resolve_followup(demo.store, planned.shift, followup.id, notes.get(followup.text, done))
            resolved += 1
            at += demo.seconds(20, 90)
    return resolved

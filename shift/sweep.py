"""The fire marshal's sweep: each zone clear, someone refusing to leave, someone
waiting for help at an area of refuge, or not checked — and the summary the
fire department needs on arrival."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shift.clock import from_iso
from shift.site import Zone
from shift.store import Store

STATUSES = {
    "clear": "clear",
    "refused": "person refused to leave",
    "assistance": "person needing assistance at an area of refuge",
    "not_checked": "not checked",
}
# The results that record a person still inside, as the fire department's summary names them.
PEOPLE = {"assistance": "NEEDS ASSISTANCE", "refused": "REFUSED TO LEAVE"}


@dataclass(frozen=True)
class ZoneResult:
    zone: Zone
    status: str  # a key of STATUSES; "not_checked" until recorded
    detail: str = ""  # where, and a neutral description
    at: datetime | None = None  # None: nothing recorded for this zone yet

    @property
    def recorded(self) -> bool:
        return self.at is not None

    @property
    def person(self) -> bool:
        """Whether this result records a person still inside (never replaced without asking)."""
        return self.status in PEOPLE

    @property
    def status_text(self) -> str:
        """The zone's result on the checklist. A zone nobody has reported on yet ("not yet
        reported": the sweep is still going) never reads like one the marshal could not
        check ("COULD NOT CHECK": a fact the fire department needs); people inside in capitals."""
        if not self.recorded:
            return "not yet reported"
        return LIST_TEXT[self.status]

    @property
    def level(self) -> str:
        """The colour the result means: clear is "success"; not yet reported is "warning" (still
        to do); a person inside or a zone that could not be checked is "error" (tell the fire
        department)."""
        if not self.recorded:
            return "warning"
        return "success" if self.status == "clear" else "error"


# How each result reads in the checklist's status column (short: one column, 16 wide).
LIST_TEXT = {"clear": "clear", "refused": "REFUSED TO LEAVE", "assistance": "NEEDS ASSISTANCE",
             "not_checked": "COULD NOT CHECK"}
STATUS_WIDTH = max(len(text) for text in [*LIST_TEXT.values(), "not yet reported"])


def record(store: Store, run_id: str, zone_id: str, status: str, detail: str = "") -> None:
    if status not in STATUSES:
        raise ValueError(f"'{status}' is not a sweep result")
    if status in ("refused", "assistance") and not detail.strip():
        raise ValueError("say where the person is (and, neutrally, who)")
    # keep_on_failure: a sweep happens in an emergency; a refused write waits in memory.
    store.insert("sweep_results", {"run_id": run_id, "zone_id": zone_id, "status": status,
                                   "detail": detail.strip(), "recorded_at": store.now_iso()},
                 keep_on_failure=True)


def results(store: Store, run_id: str, zones: tuple[Zone, ...]) -> list[ZoneResult]:
    latest: dict[str, dict] = {}
    for row in store.rows("SELECT * FROM sweep_results WHERE run_id = ? ORDER BY recorded_at, rowid", (run_id,)):
        latest[row["zone_id"]] = row
    for row in store.waiting("sweep_results", run_id=run_id):  # results still waiting for the disk count too
        latest[row["zone_id"]] = row
    out = []
    for zone in zones:
        found = latest.get(zone.id)
        out.append(ZoneResult(zone, found["status"], found["detail"], from_iso(found["recorded_at"])) if found
                   else ZoneResult(zone, "not_checked"))
    return out


def not_yet_reported(found: list[ZoneResult]) -> list[ZoneResult]:
    """Zones with nothing recorded: finishing the sweep (after a y) reports them as not checked."""
    return [r for r in found if not r.recorded]


def follows_sweep(steps: list, step) -> bool:
    """Whether `step` comes after a sweep step among `steps` (a run's visible steps)."""
    ids = [s.id for s in steps]
    if step.id not in ids:
        return False
    return any(s.sweep for s in steps[:ids.index(step.id)])


def run_summary(store: Store, run_id: str, zones: tuple[Zone, ...]) -> list[str]:
    """The fire department's summary of a run's sweep, from its rows."""
    return fire_department_summary(results(store, run_id, zones))


def fire_department_summary(found: list[ZoneResult]) -> list[str]:
    """What to tell the fire department first: people still inside, then zones not checked
    (reported as not checked, or never reached: to the fire department both are unchecked)."""
    lines = []
    for status, label in PEOPLE.items():
        lines += [f"{label}: {r.zone.name} — {r.detail}" for r in found if r.status == status]
    unchecked = [r.zone.name for r in found if r.status == "not_checked"]
    if unchecked:
        lines.append("NOT CHECKED: " + "; ".join(unchecked))
    cleared = [r.zone.name for r in found if r.status == "clear"]
    if cleared:
        lines.append("Clear: " + "; ".join(cleared))
    return lines

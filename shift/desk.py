"""The desk core: every operation of the desk and every timing and safety decision.

The screens and the timers both go through one `DeskCore`, so what the desk
shows and what the timers enforce come from the same functions. It owns the
store, the clock and the site; `tick(now)` records what is due and returns
the effects the interface carries out (a toast, a bell, an alert to send, a
channel to test), like a protocol state machine that owns no sockets.

One policy for a write that fails, on every safety path: the row is kept in
memory, in order, counted as recorded (readers add what waits), shown as
waiting, and written once storage returns (`flush`). A safety operation never
raises because of storage and never waits on it for more than one short lock
timeout.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from shift import checkins, prompts, tally
from shift.clock import Clock
from shift.shifts import NOT_SIGNED_IN, Shift, end_shift, handover_note, open_shift, shift_with_event, start_shift
from shift.site import Site
from shift.store import Store
from shift.tally import TallyEntry
from shift.tasks import Prompt, plan

if TYPE_CHECKING:
    from shift.procedures import Procedure
    from shift.report import OpenItem
    from shift.runs import RunState

CHANNEL_RETEST = timedelta(minutes=10)  # an unreachable alert channel is tried again this often
CHANNEL_MIN_GAP = timedelta(seconds=30)
# While storage refuses writes; without a count (see DeskCore.waiting).
WAITING_TEXT = "Entries waiting for storage: kept in memory, written when it returns"


class Effect(NamedTuple):
    """Something for the interface to do; the record of it is already written."""

    kind: str  # "notify" | "bell" | "deliver" (an escalation step) | "stand_down" | "test_channel"
    text: str = ""  # notify: what to say; stand_down: the alarm's key (when it started)
    title: str = ""
    severity: str = "information"  # information | warning | error
    timeout: float = 5.0
    step: int = 0  # deliver, stand_down: the escalation step; bell: how many rings
    shift: Shift | None = None  # stand_down for a shift that has ended (else the open one)
    # notify: the condition it is about ("checkin", "prompt:KEY"), so the interface can withdraw
    # the message once `DeskCore.still_so` says the condition is gone; "" for news that stands.
    about: str = ""

    @property
    def key(self) -> str:
        """What identifies one delivery on its way (one attempt at a time per step)."""
        return f"{self.kind}:{self.step}:{self.text}"


class Said(NamedTuple):
    """What an operation tells the person, and whether it is the good news."""

    text: str
    ok: bool = True


class DeskCore:
    def __init__(self, store: Store, site: Site, clock: Clock | None = None) -> None:
        self.store = store
        self.site = site
        self.clock = clock or store.clock
        self._channel_tested_at: datetime | None = None
        self._sending: set[str] = set()  # alerts on their way: one attempt at a time per step
        self._finishing: Shift | None = None  # ended with alarms open: those they reached are still told
        self._looked_back = False  # for such a shift before this start, whose messages may still be owed

    # -- reading the state ----------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def shift(self) -> Shift | None:
        return open_shift(self.store)

    def planned(self, now: datetime) -> list[Prompt]:
        """Yesterday's, today's and tomorrow's prompts (a shift may run past midnight), once each."""
        today = self.site.hours.local_date(now)
        return plan(today - timedelta(days=1), today + timedelta(days=1), self.site.hours, self.site.tasks)

    def shift_prompts(self, shift: Shift, now: datetime) -> list[Prompt]:
        """The planned prompts that belong to this shift: none from before it began."""
        return [p for p in self.planned(now) if p.due_at >= shift.started_at]

    def due_items(self, shift: Shift, now: datetime) -> list[prompts.PromptStatus]:
        """What the Due now panel lists, most pressing first: escalated, then the newest (what
        is due this minute before what was missed hours ago)."""
        found = prompts.open_items(self.store, self.shift_prompts(shift, now), now)
        return sorted(found, key=lambda s: (not s.escalated, -s.prompt.due_at.timestamp()))

    def sweep_began(self, shift: Shift) -> datetime | None:
        """When the closing or routine procedure still open began (check-ins come more often
        while it runs), or None."""
        from shift import runs

        return min((r.started_at for r in runs.open_runs(self.store, shift)
                    if r.procedure.kind in ("closing", "routine")), default=None)

    def checkin_state(self, shift: Shift, now: datetime) -> checkins.CheckinState | None:
        """The one check-in deadline: shown on the desk and enforced by tick()."""
        policy = self.site.checkins
        if policy is None:
            return None
        return checkins.current(self.store, shift, policy, self.site.hours, now, self.sweep_began(shift))

    def checkins_active(self, now: datetime) -> bool:
        policy = self.site.checkins
        return policy is not None and checkins.active(self.site.hours, policy, now)

    def alarm_steps(self, shift: Shift, now: datetime) -> list[checkins.StepStatus]:
        """Each step of the open alarm as it really stands (what the desk shows)."""
        st = self.checkin_state(shift, now)
        return [] if st is None else checkins.step_statuses(checkins.events(self.store, shift), st)

    def alarm_open(self) -> bool:
        """An alarm the desk shows and may answer. A duress alarm is never one: the desk looks
        as after a normal check-in, and whoever stands there cannot call it off."""
        shift = self.shift()
        policy = self.site.checkins
        if shift is None or policy is None:
            return False
        st = checkins.state(self.store, shift, policy)
        return st.alarm_open and st.alarm_reason != "duress"

    def alarm_raised(self) -> bool:
        """Any alarm still open, a duress alarm included: for what must not stop while one is
        (never shown: a duress alarm looks like none)."""
        shift = self.shift()
        policy = self.site.checkins
        return shift is not None and policy is not None and checkins.state(self.store, shift, policy).alarm_open

    def quit_warning(self, now: datetime) -> str:
        """What closing the app now would stop, or "": the lone-worker protection of an open shift
        (said the same whether or not a duress alarm is open, so that it gives nothing away)."""
        if self._finishing is not None:
            return "Alerts about the last shift's open alarm are still being sent: they stop if you quit."
        if self.shift() is not None and self.checkins_active(now):
            return ("Check-ins and alarms stop while Solo Shift is closed: nobody is alerted if a check-in "
                    "is missed. To finish for the night, end the shift instead.")
        return ""

    def waiting(self) -> int:
        """How many entries are held in memory until storage takes them. Never shown as a number:
        a duress check-in adds its alarm's rows where a check-in adds one, and someone watching
        the screen (or the phone) must not be able to tell them apart."""
        return len(self.store.pending)

    def flush(self) -> tuple[int, int]:
        """Write what waits for storage: (how many waited, how many still wait)."""
        before = len(self.store.pending)
        return before, self.store.flush_pending() if before else 0

    # -- operations -----------------------------------------------------------

    def start_shift(self, worker: str, desk: str) -> Shift:
        """Start (or return the open) shift; ValueError without a name. Storage failing keeps it in memory."""
        return start_shift(self.store, worker, desk)

    def tally(self, shift: Shift, category: str, **details: Any) -> TallyEntry:
        """One desk-statistics entry (ValueError for what the site does not count)."""
        return tally.record(self.store, self.site.tally, shift, category, **details)

    def undo(self, shift: Shift) -> TallyEntry | None:
        """Void the shift's latest entry (one still waiting for storage first)."""
        return tally.void_last(self.store, shift)

    def left_open(self, shift: Shift) -> list[OpenItem]:
        """What the shift leaves open (the end-of-shift screen lists it; the report gives the same
        lines). As the desk shows it: a duress alarm stays silent."""
        from shift.report import still_open

        return still_open(self.store, self.site, shift, self.now(), at_desk=True)

    def end_shift(self, shift: Shift, handover: str, followups: list[str],
                  nothing_to_hand_over: bool = False) -> None:
        """End the shift with its handover: a note, or an explicit nothing to hand over
        (ValueError for an empty note alone). Alarms still open (a duress alarm too) end with
        it, and everyone they reached is told the desk closed with nobody answering."""
        note = handover_note(handover, nothing_to_hand_over)
        policy = self.site.checkins
        if policy is not None and checkins.state(self.store, shift, policy).alarm_open:
            checkins.record(self.store, shift, "shift_ended", shift.worker)
            self._finishing = shift
        end_shift(self.store, shift, note, followups)
        from shift.incidents import forget_discarded  # a discarded report lasts until the shift ends

        forget_discarded(self.store, shift.id)

    def check_in(self, code: str, origin: str | None = None) -> Said:
        """F5 at the desk, or Check in on the paired phone (`origin` "phone")."""
        shift = self.shift()
        policy = self.site.checkins
        if shift is None or policy is None:
            return Said("No check-in is needed: no shift is open or check-ins are off.", False)
        duress = bool(policy.duress_code) and code == policy.duress_code
        checkins.record(self.store, shift, "duress" if duress else "checkin", origin=origin)
        now = self.now()
        st = self.checkin_state(shift, now)
        assert st is not None
        zone = self.site.zone
        # The same words whatever the code was: a duress check-in must look normal.
        return Said(f"Checked in at {now.astimezone(zone):%H:%M}. "
                    f"Next check-in by {st.deadline.astimezone(zone):%H:%M}.{self._waiting_note()}")

    def panic(self, origin: str | None = None) -> Said:
        shift = self.shift() or start_shift(self.store, NOT_SIGNED_IN, self.site.desks[0].id)
        checkins.record(self.store, shift, "panic", origin=origin)
        if self.site.checkins is None or not self.site.checkins.escalation:
            return Said("Alarm raised, but no escalation chain is set in site.toml: "
                        "nobody is alerted by the desk. Call for help by phone.", False)
        return Said(f"Alarm raised: the escalation chain is being alerted.{self._waiting_note()}")

    def acknowledge(self, who: str, origin: str | None = None) -> Said:
        """Ctrl+G at the desk, or a responder's link in the alarm email (`origin` "link")."""
        shift = self.shift()
        if not who.strip() or shift is None or not self.alarm_open():
            return Said("No alarm is raised: nothing was recorded.", False)
        checkins.record(self.store, shift, "acknowledged", who.strip(), origin=origin)
        return Said(f"Alarm acknowledged by {who.strip()}.{self._waiting_note()}")

    def start_emergency(self, procedure: Procedure, drill: bool) -> RunState:
        """Start (or resume) an emergency run; with nobody signed in the event still gets a shift.

        Never fails for storage: the run starts in memory and its rows wait.
        """
        from shift import runs

        shift = self.shift() or start_shift(self.store, NOT_SIGNED_IN, self.site.desks[0].id)
        return runs.start_run(self.store, shift, procedure, drill=drill, resilient=True)

    def step_completed(self, procedure_id: str, step_id: str) -> Prompt | None:
        """A procedure step that does a timed task (completed_by) marks that day's prompt done."""
        shift = self.shift()
        if shift is None:
            return None
        now = self.now()
        done = prompts.completed_by_step(self.shift_prompts(shift, now), procedure_id, step_id,
                                         shift_started_at=shift.started_at, now=now)
        if done is not None:
            prompts.record(self.store, done, "done", shift, reason=f"{procedure_id} procedure")
        return done

    def settle_prompt(self, shift: Shift, prompt: Prompt, event: str, until: datetime | None = None,
                      reason: str = "") -> Said:
        """Done, snoozed or skipped: what the Due now keys do to a prompt."""
        prompts.record(self.store, prompt, event, shift, until=until, reason=reason)
        return Said(f"{event}: {prompt.task.title}{self._waiting_note()}")

    def _waiting_note(self) -> str:
        waiting = self.waiting()
        return " (kept in memory: storage is failing)" if waiting else ""

    # -- the timers -----------------------------------------------------------

    def tick(self, now: datetime) -> list[Effect]:
        """Record whatever is due at `now` and say what the interface must do about it."""
        effects = self._finishing_effects(now)
        shift = self.shift()
        if shift is None:
            return effects
        planned = self.shift_prompts(shift, now)
        fire, missed = prompts.to_fire(self.store, planned, now)
        for prompt in missed:
            prompts.record(self.store, prompt, "missed", shift)
        if missed:
            effects.append(Effect("notify", f"{len(missed)} task(s) came due while the desk was closed or asleep: "
                                  "see Due now.", severity="warning", timeout=10))
        for prompt in fire:
            prompts.record(self.store, prompt, "fired", shift)
            effects += [Effect("notify", prompt.task.title, title="Due now", timeout=15, about=f"prompt:{prompt.key}"),
                        Effect("bell", step=1)]
        for prompt in prompts.to_escalate(self.store, planned, now):
            prompts.record(self.store, prompt, "escalated", shift)
        if any(s.escalated for s in prompts.open_items(self.store, planned, now)):
            effects.append(Effect("bell", step=1))  # rings again on every tick until dealt with
        return effects + self._checkin_effects(shift, now)

    def next_decision(self, now: datetime) -> datetime | None:
        """When tick() next has something to do: the next prompt, check-in reminder, escalation
        step, repeat or retry."""
        later: list[datetime | None] = [self._finishing_next(now)]
        shift = self.shift()
        if shift is None:
            return min((moment for moment in later if moment is not None), default=None)
        later += [p.due_at for p in self.shift_prompts(shift, now) if p.due_at > now]
        policy = self.site.checkins
        if policy is not None:
            later.append(checkins.next_moment(self.store, shift, policy, self.site.hours, now, self.sweep_began(shift)))
        return min((moment for moment in later if moment is not None), default=None)

    def _checkin_effects(self, shift: Shift, now: datetime) -> list[Effect]:
        policy = self.site.checkins
        if policy is None:
            return []
        effects = self._channel_test(shift, now)
        st = self.checkin_state(shift, now)
        if st is not None and st.alarm_reason != "duress" and any(
                s.state == "failed" for s in checkins.step_statuses(checkins.events(self.store, shift), st)):
            effects.append(Effect("bell", step=1))  # an alert that did not go out rings until it does
        for action in checkins.next_actions(self.store, shift, policy, self.site.hours, now, self.sweep_began(shift)):
            if action.kind == "reminder":
                checkins.record(self.store, shift, "reminder", action.detail)
                effects += [Effect("bell", step=action.level),
                            Effect("notify", "Check in now: press F5.", title="Lone-worker check-in",
                                   severity="warning" if action.level < 3 else "error", timeout=20,
                                   about="checkin")]
            elif action.kind == "missed":  # at the tick's moment, like the first step it brings
                checkins.record(self.store, shift, "missed", at=now)
            elif action.kind == "escalate":
                step = policy.escalation[action.step] if action.step < len(policy.escalation) else None
                what = step.describe() if step else "desk alarm"
                checkins.record(self.store, shift, "escalation", f"{action.step}:{what}", at=now)
                if step is not None:
                    effects += self._send(Effect("deliver", step=action.step))
            elif action.kind == "resend":
                effects += self._send(Effect("deliver", step=action.step))
            elif action.kind == "stand_down":
                effects += self._send(Effect("stand_down", step=action.step, text=action.detail))
        return effects

    def _finishing_effects(self, now: datetime) -> list[Effect]:
        """The stand-downs of a shift that ended with alarms open, until each is sent (also
        after a restart: the first tick looks for such a shift)."""
        if not self._looked_back:
            self._looked_back = True
            if self._finishing is None:
                self._finishing = shift_with_event(self.store, "shift_ended")
        ended, policy = self._finishing, self.site.checkins
        if ended is None or policy is None:
            return []
        due, later = checkins.stand_downs(checkins.events(self.store, ended), len(policy.escalation), now)
        if not due and later is None:
            self._finishing = None
        return [e for a in due for e in self._send(Effect("stand_down", step=a.step, text=a.detail, shift=ended))]

    def _finishing_next(self, now: datetime) -> datetime | None:
        ended, policy = self._finishing, self.site.checkins
        if ended is None or policy is None:
            return None
        return checkins.stand_downs(checkins.events(self.store, ended), len(policy.escalation), now)[1]

    def _send(self, effect: Effect) -> list[Effect]:
        """One attempt at a time per step: nothing new while the last one is still on its way."""
        if effect.key in self._sending:
            return []
        self._sending.add(effect.key)
        return [effect]

    def _channel_test(self, shift: Shift, now: datetime) -> list[Effect]:
        """Test every alert channel at the start of a shift, and again while one is failing."""
        policy = self.site.checkins
        if policy is None or not policy.escalation:
            return []
        ok = checkins.state(self.store, shift, policy).channel_ok
        last = self._channel_tested_at
        due = ok is None or (ok is False and (last is None or now - last >= CHANNEL_RETEST))
        if not due or (last is not None and now - last < CHANNEL_MIN_GAP):
            return []
        self._channel_tested_at = now
        return [Effect("test_channel")]

    def alarm_message(self, shift: Shift, index: int) -> tuple[checkins.EscalationStep, str, str]:
        """The escalation step, and the subject and body to send for it now."""
        policy = self.site.checkins
        assert policy is not None
        now = self.now()
        st = self.checkin_state(shift, now)
        assert st is not None
        subject, body = checkins.alarm_text(self.where(shift), shift, st, now)
        if self.site.companion is not None:
            from shift import companion

            body = companion.with_answer_link(self.store, self.site.companion, shift, st, body)
        return policy.escalation[index], subject, body

    def stand_down_message(self, shift: Shift, index: int, key: str) -> tuple[checkins.EscalationStep, str, str]:
        """The step, and the stand-down to send it for the alarm that started at `key`."""
        policy = self.site.checkins
        assert policy is not None
        alarm = next(a for a in checkins.ended_alarms(checkins.events(self.store, shift)) if a.key == key)
        subject, body = checkins.stand_down_text(self.where(shift), shift, alarm)
        return policy.escalation[index], subject, body

    def where(self, shift: Shift) -> checkins.Where:
        return checkins.Where(self.site.name, self.site.desk_name(shift.desk), self.site.civic_address,
                              self.site.zone, self.site.desk_phone(shift.desk))

    def delivered(self, shift: Shift, index: int, ok: bool, detail: str) -> None:
        self._sending.discard(Effect("deliver", step=index).key)
        checkins.record(self.store, shift, "alert_sent" if ok else "alert_failed", f"{index}: {detail}")

    def stood_down(self, shift: Shift, index: int, key: str, ok: bool, detail: str) -> None:
        self._sending.discard(Effect("stand_down", step=index, text=key).key)
        checkins.record(self.store, shift, "stand_down_sent" if ok else "stand_down_failed",
                        f"{index}@{key}: {detail}")

    def channel_tested(self, shift: Shift, ok: bool, detail: str) -> bool:
        """Record a test of the alert channels; True when the failure is news to announce.

        Only the change from working (or untested) to failing is announced: while it keeps
        failing (each retest, each restart of the desk) the desk's check-in line says so.
        """
        policy = self.site.checkins
        before = checkins.state(self.store, shift, policy).channel_ok if policy is not None else None
        checkins.record(self.store, shift, "channel_ok" if ok else "channel_failed", detail)
        return not ok and before is not False

    def still_so(self, about: str, now: datetime) -> bool:
        """Whether what a message was about (Effect.about) still holds: a check-in still owed,
        a prompt still open, an alert channel still failing. Unknown subjects stand."""
        if not about:
            return True
        shift = self.shift()
        if shift is None:  # the shift ended: nothing of it is owed any more
            return False
        if about == "checkin":
            st = self.checkin_state(shift, now)
            return st is not None and self.checkins_active(now) and now >= st.deadline
        if about == "channel":
            st = self.checkin_state(shift, now)
            return st is not None and st.channel_ok is False
        if about.startswith("prompt:"):
            key = about.split(":", 1)[1]
            return any(s.prompt.key == key for s in self.due_items(shift, now))
        return True

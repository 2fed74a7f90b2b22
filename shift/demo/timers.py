"""Timed prompts and lone-worker check-ins, as the desk's timers record them.

Prompts come from the site's own plan (tasks.plan); those a procedure step does are marked
done by that step, found with prompts.completed_by_step, like the desk does. Check-ins follow
the desk's decisions: at each moment the timers would wake, checkins.next_actions says what
is due (a reminder, an escalation step, a stand-down), and it is recorded as DeskCore.tick
records it; the person checks in early, a little late, or, rarely, not at all until an alarm
is answered.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from shift import checkins, prompts
from shift.demo.base import Demo, DemoShift
from shift.demo.routines import Walked
from shift.tasks import Prompt, plan

SKIP_REASONS = {
    "returns-bin": ["Queue at the desk", "Emptied it twenty minutes ago", "Day shift emptied it at 16:45"],
    "hold-shelf": ["Checked it at opening; nothing expired", "Queue at the desk all evening"],
}
RESPONDERS = ("Campus Security (officer Reyes)", "Campus Security (officer Dubois)",
              "D. Haddad, manager on call")
TICK = timedelta(seconds=20)  # the desk wakes this often besides its planned moments


class Timers:
    def __init__(self, demo: Demo, first: date, last: date) -> None:
        self.demo = demo
        site = demo.site
        day = timedelta(days=1)
        planned = plan(first - day, last + day, site.hours, site.tasks) if site.tasks else []
        self.by_day: dict[date, list[Prompt]] = defaultdict(list)
        for prompt in planned:
            self.by_day[site.hours.local_date(prompt.due_at)].append(prompt)

    # -- prompts -------------------------------------------------------------------

    def write_prompts(self, planned: DemoShift, walked: list[Walked]) -> None:
        mine = [p for d in (planned.day - timedelta(days=1), planned.day, planned.day + timedelta(days=1))
                for p in self.by_day.get(d, []) if planned.start <= p.due_at < planned.end]
        done_by: dict[str, tuple[datetime, str]] = {}
        for run in walked:
            for step_id, at in run.done:
                found = prompts.completed_by_step(mine, run.procedure.id, step_id,
                                                  shift_started_at=planned.start, now=at)
                if found is not None:
                    done_by[found.key] = (at, f"{run.procedure.id} procedure")
        for prompt in mine:
            if prompt.key in done_by:
                self._done_by_step(planned, prompt, *done_by[prompt.key])
            else:
                self._dealt_with(planned, prompt)

    def _record(self, planned: DemoShift, prompt: Prompt, event: str, at: datetime, **extra) -> None:
        self.demo.at(at)
        prompts.record(self.demo.store, prompt, event, planned.shift, **extra)

    def _fire(self, planned: DemoShift, prompt: Prompt, until: datetime) -> None:
        """Fired at its time; escalated if still open once its task's escalate_after has passed."""
        self._record(planned, prompt, "fired", min(prompt.due_at + self.demo.seconds(0, 2), until))
        after = prompt.task.escalate_after
        if after is not None and until >= prompt.due_at + after:
            self._record(planned, prompt, "escalated", prompt.due_at + after + self.demo.seconds(0, TICK.seconds))

    def _done_by_step(self, planned: DemoShift, prompt: Prompt, at: datetime, reason: str) -> None:
        if at >= prompt.due_at:  # done before it was due: it never rings
            self._fire(planned, prompt, at)
        self._record(planned, prompt, "done", at, reason=reason)

    def _dealt_with(self, planned: DemoShift, prompt: Prompt) -> None:
        """A prompt the person answers from Due now: mostly done, sometimes snoozed first or
        skipped with a reason; now and then missed (the desk was closed) or left open."""
        demo = self.demo
        last = planned.end - timedelta(minutes=1)
        roll = demo.rng.random()
        if roll < 0.025:  # the desk was closed or asleep at its time: found missed on waking
            found = prompt.due_at + demo.minutes(3, 40)
            if found < last:
                self._record(planned, prompt, "missed", found)
                if demo.chance(0.6) and (at := found + demo.minutes(1, 10)) < last:
                    self._record(planned, prompt, "done", at)
            return
        if roll < 0.06:  # left ringing: not dealt with by the end of the shift
            self._fire(planned, prompt, last)
            return
        if roll < 0.11:
            at = prompt.due_at + demo.minutes(1, 12)
            if at < last:
                self._fire(planned, prompt, at)
                self._record(planned, prompt, "skipped", at,
                             reason=demo.pick(SKIP_REASONS.get(prompt.task.id, ["Queue at the desk"])))
                return
        if roll < 0.17:  # snoozed, rings again, then done
            snoozed = prompt.due_at + demo.seconds(20, 180)
            until = snoozed + timedelta(minutes=demo.pick([5, 10, 15]))
            done = until + demo.minutes(1, 8)
            if done < last:
                self._fire(planned, prompt, snoozed)
                self._record(planned, prompt, "snoozed", snoozed, until=until)
                self._record(planned, prompt, "fired", until + demo.seconds(0, 2))
                self._record(planned, prompt, "done", done)
                return
        late = demo.minutes(20, 50) if demo.chance(0.1) else demo.minutes(0.5, 15)
        at = min(prompt.due_at + late, last)
        self._fire(planned, prompt, at)
        if at > prompt.due_at:
            self._record(planned, prompt, "done", at)

    # -- check-ins -------------------------------------------------------------------

    def write_checkins(self, planned: DemoShift, walked: list[Walked]) -> None:
        demo, site = self.demo, self.demo.site
        policy = site.checkins
        if policy is None:
            return
        shift = planned.shift
        store, hours = demo.store, site.hours
        sweeps = [(w.start, w.end or planned.end) for w in walked if w.procedure.kind in ("closing", "routine")]
        boundaries = sorted({m for span in sweeps for m in span})
        # Leaving the desk for a walk or the closing sweep, the person checks in first.
        before_sweeps = sorted(start - demo.seconds(5, 60) for start, _ in sweeps)

        def sweep_began(t: datetime) -> datetime | None:
            return min((a for a, b in sweeps if a <= t < b), default=None)

        self._test_channels(planned)
        now = planned.start
        intent = self._intent(policy.interval)
        answer_at: datetime | None = None  # when an open alarm is answered (a late check-in or a responder)
        responder = ""
        while now < planned.end:
            st = checkins.current(store, shift, policy, hours, now, sweep_began(now))
            person = None
            if st.alarm_open:
                if answer_at is None:
                    answer_at = now + demo.minutes(2, 9)
                    responder = demo.pick(RESPONDERS) if demo.chance(0.55) else ""
                person = answer_at
            elif checkins.active(hours, policy, now):
                interval = policy.sweep_interval if sweep_began(now) is not None else policy.interval
                person = max(st.deadline + intent * (interval / policy.interval), now + timedelta(seconds=1))
                leaving = next((m for m in before_sweeps if m > now), None)
                if leaving is not None and leaving < person and checkins.active(hours, policy, leaving):
                    person = leaving
            wake = checkins.next_moment(store, shift, policy, hours, now, sweep_began(now))
            later = [m for m in (person, wake, next((b for b in boundaries if b > now), None)) if m is not None]
            moment = min(later, default=planned.end)
            if moment >= planned.end:
                break
            now = moment
            if person is not None and moment == person and checkins.active(hours, policy, moment):
                demo.at(moment)
                if st.alarm_open and responder:
                    checkins.record(store, shift, "acknowledged", responder)
                else:
                    checkins.record(store, shift, "checkin")
                answer_at, intent = None, self._intent(policy.interval)
                if not st.alarm_open:
                    continue  # a check-in on time puts every deadline later: nothing falls due now
            self._tick(planned, now, sweep_began(now))
        if checkins.state(store, shift, policy).alarm_open:  # ended with an alarm open, as the desk records it
            demo.at(planned.end)
            checkins.record(store, shift, "shift_ended", shift.worker)

    def _intent(self, interval: timedelta) -> timedelta:
        """When the person means to check in, from the deadline: early mostly, a few minutes late
        now and then (the reminders ring), rarely past the grace period (the alarm goes out)."""
        demo = self.demo
        grace = self.demo.site.checkins.grace if self.demo.site.checkins else timedelta(minutes=10)
        roll = demo.rng.random()
        if roll < 0.004:
            return grace + demo.minutes(1, 6)
        if roll < 0.10:
            return grace * demo.rng.uniform(0.05, 0.95)
        return -interval * demo.rng.uniform(0.03, 0.3)

    def _tick(self, planned: DemoShift, now: datetime, sweep_began: datetime | None) -> None:
        """What DeskCore.tick records for check-ins at `now`, with the alerts it sends delivered."""
        demo, site = self.demo, self.demo.site
        policy = site.checkins
        assert policy is not None
        shift, store = planned.shift, demo.store
        for action in checkins.next_actions(store, shift, policy, site.hours, now, sweep_began):
            demo.at(now)
            if action.kind == "reminder":
                checkins.record(store, shift, "reminder", action.detail)
            elif action.kind == "escalate":
                step = policy.escalation[action.step] if action.step < len(policy.escalation) else None
                checkins.record(store, shift, "escalation",
                                f"{action.step}:{step.describe() if step else 'desk alarm'}", at=now)
                if step is not None:
                    demo.at(now + demo.seconds(2, 6))
                    checkins.record(store, shift, "alert_sent", f"{action.step}: {self._sent(step)}")
            elif action.kind == "stand_down":
                demo.at(now + demo.seconds(2, 6))
                checkins.record(store, shift, "stand_down_sent",
                                f"{action.step}@{action.detail}: {self._sent(policy.escalation[action.step])}")

    def _sent(self, step: checkins.EscalationStep) -> str:
        """What a delivery reports, as checkins.deliver words it."""
        email = self.demo.site.email
        if step.action == "email":
            return f"emailed {', '.join(email.recipients.get(step.to, ()) if email else ())}"
        return f"ran {step.command[0] if step.command else '?'}: ok"

    def _test_channels(self, planned: DemoShift) -> None:
        """The desk tests its alert channels when a shift starts (and again while one fails)."""
        demo, site = self.demo, self.demo.site
        policy = site.checkins
        if policy is None or not policy.escalation:
            return
        email = site.email
        checked = f"mail {email.host}:{email.port}" if email else ""
        at = planned.start + demo.seconds(1, 4)
        if demo.chance(0.01) and email is not None:
            demo.at(at)
            checkins.record(demo.store, planned.shift, "channel_failed",
                            f"mail server {email.host}:{email.port} did not answer (timed out)")
            at += timedelta(minutes=10)
        demo.at(at)
        checkins.record(demo.store, planned.shift, "channel_ok", checked)

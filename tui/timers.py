"""The desk's timers: prompts coming due and lone-worker check-ins.

APScheduler wakes `DeskTimers.check` at each prompt's time and every few
seconds; every decision (fire, missed, escalate, remind) comes from shift/
and the database. This module only turns decisions into rows, bells, toasts
and background deliveries.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING

from shift import checkins, prompts, reportmail, runs
from shift.alerts import AlertError, test_channel
from shift.scheduler import DeskScheduler
from shift.shifts import Shift, open_shift
from shift.site import load_site

if TYPE_CHECKING:
    from tui.app import SoloShiftApp

log = logging.getLogger("solo_shift.timers")
CHANNEL_RETEST = timedelta(minutes=10)
REPORT_RETRY = timedelta(minutes=5)


class DeskTimers:
    def __init__(self, app: "SoloShiftApp") -> None:
        self.app = app
        self.scheduler = DeskScheduler(app.clock, self.check)
        self._site_mtime = self._mtime()
        self._channel_tested_at = None
        self._reports_tried_at = None
        self._reports_sending: set[str] = set()

    def start(self) -> None:
        self.scheduler.start(self.app.site.hours, self.app.site.tasks)
        self.check()

    def shutdown(self) -> None:
        self.scheduler.shutdown()

    def _mtime(self) -> float | None:
        path = self.app.site_path
        try:
            return os.stat(path).st_mtime if path else None
        except OSError:
            return None

    def _reload_site_if_changed(self) -> None:
        mtime = self._mtime()
        if mtime is None or mtime == self._site_mtime:
            return
        self._site_mtime = mtime
        site, problems = load_site(self.app.site_path)
        if any(p.is_error for p in problems):
            self.app.notify("site.toml was changed but has errors: the old timings stay (run check).",
                            severity="warning", markup=False, timeout=10)
            return
        self.app.site = site
        self.scheduler.replan(site.hours, site.tasks)
        self.app.notify("site.toml changed: today's prompts were planned again.", markup=False)

    # -- the periodic check -------------------------------------------------

    def check(self) -> None:
        self._reload_site_if_changed()
        now = self.app.clock.now()
        if self._reports_tried_at is None or now - self._reports_tried_at >= REPORT_RETRY:
            self.send_reports()
        shift = open_shift(self.app.store)
        if shift is None:
            return
        planned = self.prompts_for(shift)
        fire, missed = prompts.to_fire(self.app.store, planned, now)
        for prompt in missed:
            prompts.record(self.app.store, prompt, "missed", shift)
        if missed:
            self.app.notify(f"{len(missed)} task(s) came due while the desk was closed or asleep: see Due now.",
                            severity="warning", markup=False, timeout=10)
        for prompt in fire:
            prompts.record(self.app.store, prompt, "fired", shift)
            self.app.notify(prompt.task.title, title="Due now", markup=False, timeout=15)
            self.app.bell()
        for prompt in prompts.to_escalate(self.app.store, planned, now):
            prompts.record(self.app.store, prompt, "escalated", shift)
        if any(s.escalated for s in prompts.open_items(self.app.store, planned, now)):
            self.app.bell()  # rings again on every check until dealt with
        self._check_ins(shift, now)
        self.app.refresh_timers()

    def prompts_for(self, shift: Shift) -> list:
        """The planned prompts that belong to this shift: none from before it began."""
        return [p for p in self.scheduler.prompts() if p.due_at >= shift.started_at]

    # -- shift reports by email ---------------------------------------------

    def send_reports(self, announce: bool = False) -> None:
        """Email every ended shift's report not sent yet, each in a worker thread.

        With `announce` (just after a shift ends) the outcome is a toast either way;
        a retry only says so when it gets through.
        """
        self._reports_tried_at = now = self.app.clock.now()
        settings = reportmail.configured(self.app.site)
        if settings is None:
            return
        for shift_id in reportmail.unsent(self.app.store, now):
            if shift_id in self._reports_sending:
                continue
            try:
                subject, body = reportmail.message(self.app.store, self.app.site, shift_id)
            except (ValueError, sqlite3.Error) as exc:  # never lets a report stop the desk
                log.error("shift report %s not built: %s", shift_id, exc)
                continue
            self._reports_sending.add(shift_id)

            def send(shift_id=shift_id, subject=subject, body=body) -> None:
                try:
                    detail = reportmail.deliver(settings, subject, body)
                except AlertError as exc:
                    self.app.call_from_thread(self._report_sent, shift_id, subject, False, str(exc), announce)
                else:
                    self.app.call_from_thread(self._report_sent, shift_id, subject, True, detail, announce)

            self.app.run_worker(send, thread=True, group="reports", exit_on_error=False)

    def _report_sent(self, shift_id: str, subject: str, ok: bool, detail: str, announce: bool) -> None:
        self._reports_sending.discard(shift_id)
        try:
            reportmail.record(self.app.store, shift_id, ok, detail)
        except sqlite3.Error as exc:  # unrecorded, a sent report is sent again later: no harm
            log.error("shift report %s: outcome not recorded: %s", shift_id, exc)
        if ok:
            self.app.notify(f"{subject}: {detail}.", title="Shift report", markup=False, timeout=10)
            return
        log.warning("shift report %s not emailed: %s", shift_id, detail)
        if announce:
            self.app.notify(f"The shift report was not emailed ({detail}). It is kept and tried again "
                            f"every {REPORT_RETRY.seconds // 60} minutes while the desk is open.",
                            title="Shift report", severity="warning", markup=False, timeout=20)

    # -- check-ins ------------------------------------------------------------

    def sweeping(self, shift: Shift) -> bool:
        return any(r.procedure.kind in ("closing", "routine") for r in runs.open_runs(self.app.store, shift))

    def _check_ins(self, shift: Shift, now) -> None:
        policy = self.app.site.checkins
        if policy is None:
            return
        self._maybe_test_channel(shift, now)
        for action in checkins.next_actions(self.app.store, shift, policy, self.app.site.hours, now,
                                            self.sweeping(shift)):
            if action.kind == "reminder":
                checkins.record(self.app.store, shift, "reminder", action.detail)
                for _ in range(action.level):
                    self.app.bell()
                self.app.notify("Check in now: press F5.", title="Lone-worker check-in",
                                severity="warning" if action.level < 3 else "error", markup=False, timeout=20)
            elif action.kind == "escalate":
                step = policy.escalation[action.step] if action.step < len(policy.escalation) else None
                what = step.describe() if step else "desk alarm"
                checkins.record(self.app.store, shift, "escalation", f"{action.step}:{what}")
                if step is not None:
                    self.deliver(shift, action.step)
            elif action.kind == "resend":
                self.deliver(shift, action.step)

    def deliver(self, shift: Shift, index: int) -> None:
        """Send one escalation step in a worker thread; record the outcome from the loop."""
        policy = self.app.site.checkins
        st = checkins.current(self.app.store, shift, policy, self.app.site.hours, self.app.clock.now())
        subject, body = checkins.alarm_text(self.app.site.name, shift, st, self.app.site.zone,
                                            self.app.clock.now())
        step = policy.escalation[index]
        email = self.app.site.email

        def send() -> None:
            try:
                result = checkins.deliver(step, email, subject, body)
            except AlertError as exc:
                self.app.call_from_thread(self._delivered, shift, index, False, str(exc))
            else:
                self.app.call_from_thread(self._delivered, shift, index, True, result)

        self.app.run_worker(send, thread=True, group="alerts", exit_on_error=False)

    def _delivered(self, shift: Shift, index: int, ok: bool, detail: str) -> None:
        checkins.record(self.app.store, shift, "alert_sent" if ok else "alert_failed", f"{index}: {detail}")
        if not ok:
            log.warning("alert step %d failed: %s", index, detail)
        self.app.refresh_timers()

    def _maybe_test_channel(self, shift: Shift, now) -> None:
        """Test the alert channel at the start of a shift, and again while it is failing."""
        email = self.app.site.email
        if email is None or not any(s.action == "email" for s in self.app.site.checkins.escalation):
            return
        st = checkins.state(self.app.store, shift, self.app.site.checkins)
        due = st.channel_ok is None or (st.channel_ok is False and (
            self._channel_tested_at is None or now - self._channel_tested_at >= CHANNEL_RETEST))
        if not due or (self._channel_tested_at is not None and now - self._channel_tested_at < timedelta(seconds=30)):
            return
        self._channel_tested_at = now

        def probe() -> None:
            try:
                test_channel(email)
            except AlertError as exc:
                self.app.call_from_thread(self._channel_result, shift, False, str(exc))
            else:
                self.app.call_from_thread(self._channel_result, shift, True, f"{email.host}:{email.port}")

        self.app.run_worker(probe, thread=True, group="alerts", exit_on_error=False)

    def _channel_result(self, shift: Shift, ok: bool, detail: str) -> None:
        checkins.record(self.app.store, shift, "channel_ok" if ok else "channel_failed", detail)
        if not ok:
            self.app.notify(f"Alert channel unreachable: {detail}", severity="error", markup=False, timeout=15)
        self.app.refresh_timers()

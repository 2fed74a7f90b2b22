"""The desk's timers: prompts coming due and lone-worker check-ins.

APScheduler wakes `DeskTimers.check` at each prompt's time and every few
seconds; every decision (fire, missed, escalate, remind) is the desk core's
(`DeskCore.tick`), which records it and returns effects. This module only
carries the effects out: bells, toasts and background deliveries.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from shift import backup, checkins, problemreports, reportmail
from shift.alertconfig import AlertError
from shift.desk import Effect
from shift.scheduler import DeskScheduler
from shift.shifts import Shift, last_handover
from shift.site import load_site

if TYPE_CHECKING:
    from tui.app import SoloShiftApp

log = logging.getLogger("solo_shift.timers")
REPORT_RETRY = timedelta(minutes=5)
BACKUP_RETRY = timedelta(hours=1)


class DeskTimers:
    def __init__(self, app: "SoloShiftApp") -> None:
        self.app = app
        self.scheduler = DeskScheduler(app.clock, self.check)
        self._site_mtime = self._mtime()
        self.due_at: datetime | None = None  # when the desk core next has something to do
        self._reports_tried_at = None
        self._reports_sending: set[str] = set()
        self._problems_sending: set[str] = set()  # problem reports being emailed now
        self._backup_running = False
        self._backup_failed_at: datetime | None = None

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
        core = self.app.core
        now = core.now()
        if self._reports_tried_at is None or now - self._reports_tried_at >= REPORT_RETRY:
            self.send_reports()
            self.send_problem_reports()
        self._back_up_if_due(now)
        shift = core.shift()
        for effect in core.tick(now):
            self._carry_out(effect, shift)
        # From the moment this tick decided at: a moment that came during the tick is still ahead of
        # it, so it is scheduled (at once), not skipped until the next 20-second wake.
        self.due_at = core.next_decision(now)
        self.scheduler.wake_at(self.due_at)
        self.app.refresh_timers()

    def catch_up(self) -> None:
        """Called between pieces of long work (each scan of a burst in F7): a moment that came
        meanwhile is acted on now, not after the burst, when the scheduler's job finally gets
        its turn on the loop."""
        if self.due_at is not None and self.app.clock.now() >= self.due_at:
            self.check()

    def _carry_out(self, effect: Effect, shift: Shift | None) -> None:
        if effect.kind == "notify":
            self.app.notify(effect.text, title=effect.title, severity=effect.severity, markup=False,  # type: ignore[arg-type]
                            timeout=effect.timeout, about=effect.about)
        elif effect.kind == "bell":
            for _ in range(effect.step):
                self.app.bell()
        elif effect.kind == "deliver" and shift is not None:
            self.deliver(shift, effect.step)
        elif effect.kind == "stand_down" and (effect.shift or shift) is not None:
            self.stand_down(effect.shift or shift, effect.step, effect.text)
        elif effect.kind == "test_channel" and shift is not None:
            self._test_channel(shift)

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
            self._send_report(settings, shift_id, announce)

    def send_report(self, shift_id: str, done: Callable[[bool, str], None]) -> None:
        """Email one shift's report now (the past-shifts list): the same path as the automatic
        sending, the outcome recorded, then `done(ok, detail)`. The caller has checked
        `reportmail.refusal` (nobody to send to, a demo shift)."""
        settings = reportmail.configured(self.app.site)
        if settings is None:
            done(False, "no [email.recipients] reports in the site file")
            return
        self._send_report(settings, shift_id, announce=False, done=done)

    def _send_report(self, settings, shift_id: str, announce: bool,
                     done: Callable[[bool, str], None] | None = None) -> None:
        if shift_id in self._reports_sending:
            return
        try:
            mail = reportmail.message(self.app.store, self.app.site, shift_id)
        except (ValueError, sqlite3.Error) as exc:  # never lets a report stop the desk
            log.error("shift report %s not built: %s", shift_id, exc)
            if done is not None:
                done(False, f"the report could not be built: {exc}")
            return
        self._reports_sending.add(shift_id)

        def sent(ok: bool, detail: str) -> None:
            self._report_sent(shift_id, mail, ok, detail, announce)
            if done is not None:
                done(ok, detail)

        self._off_the_loop(lambda: reportmail.deliver(settings, mail.subject, mail.text, mail.html), sent,
                           group="reports")

    def _report_sent(self, shift_id: str, mail: reportmail.Mail, ok: bool, detail: str, announce: bool) -> None:
        self._reports_sending.discard(shift_id)
        subject = mail.subject
        try:
            reportmail.record(self.app.store, shift_id, ok, detail, mail.made_at)
        except sqlite3.Error as exc:  # unrecorded, a sent report is sent again later: no harm
            log.error("shift report %s: outcome not recorded: %s", shift_id, exc)
        if ok:
            self.app.notify(f"{subject}: {detail}.", title="Shift report", markup=False, timeout=10)
            return
        log.warning("shift report %s not emailed: %s", shift_id, detail)
        if announce:
            # Short: it comes up over the report itself; the reason is in the log and the report list.
            why = detail if len(detail) <= 60 else detail[:59] + "…"
            self.app.notify(f"Not emailed ({why}); tried again every {REPORT_RETRY.seconds // 60} min.",
                            title="Shift report", severity="warning", markup=False, timeout=20)

    # -- problem reports from desk knowledge ----------------------------------

    def send_problem_reports(self) -> None:
        """Try again every problem report not emailed yet (each one's state is on the desk's log and
        in the shift report). Not without a mail server: each try would only record that again."""
        if self.app.site.email is None:
            return
        try:
            waiting = problemreports.unsent(self.app.store, self.app.clock.now())
        except sqlite3.Error as exc:
            log.error("problem reports not read: %s", exc)
            return
        for report_id in waiting:
            self.send_problem_report(report_id)

    def sending_problem_report(self, report_id: str) -> bool:
        return report_id in self._problems_sending

    def send_problem_report(self, report_id: str, done: Callable[[bool, str], None] | None = None) -> None:
        """Email one problem report in a worker thread; the outcome is recorded from the loop, then
        `done(ok, detail)`. Never twice at once: a retry while it is sending waits for that one."""
        if report_id in self._problems_sending:
            return
        try:
            mail = problemreports.mail(self.app.store, self.app.site, report_id)
        except (AlertError, sqlite3.Error) as exc:
            self._problem_sent(report_id, False, str(exc), done)
            return
        self._problems_sending.add(report_id)
        self._off_the_loop(lambda: problemreports.deliver(mail.settings, mail.subject, mail.body),
                           lambda ok, detail: self._problem_sent(report_id, ok, detail, done), group="problems")

    def _problem_sent(self, report_id: str, ok: bool, detail: str, done: Callable[[bool, str], None] | None) -> None:
        self._problems_sending.discard(report_id)
        try:
            problemreports.record_send(self.app.store, report_id, ok, detail)
        except sqlite3.Error as exc:  # kept in memory by the store; anything else is only logged
            log.error("problem report %s: outcome not recorded: %s", report_id, exc)
        if not ok:
            log.warning("problem report %s not emailed: %s", report_id, detail)
        if done is not None:
            done(ok, detail)

    # -- backups ----------------------------------------------------------------

    def _back_up_if_due(self, now: datetime) -> None:
        """A copy of the database after each shift and daily (shift/backup.py decides), made in
        a worker thread; a copy that fails is said, and tried again an hour later."""
        if self._backup_running or (self._backup_failed_at is not None
                                    and now - self._backup_failed_at < BACKUP_RETRY):
            return
        store, settings = self.app.store, self.app.site.backup
        ended = last_handover(store)
        if not backup.due(settings, store.path, ended.ended_at if ended else None, now):
            return
        self._backup_running = True

        def copy() -> str:
            outcome = backup.make_backup(store.path, settings)
            if not outcome.ok:
                raise RuntimeError(outcome.summary())
            return outcome.summary()

        def done(ok: bool, detail: str) -> None:
            self._backup_running = False
            if not ok:
                self._backup_failed_at = now
                self.app.notify(f"{detail}. Tried again in an hour.", title="Backup", severity="warning",
                                markup=False, timeout=20)

        self._off_the_loop(copy, done, group="backup")

    # -- alerts ---------------------------------------------------------------

    def _off_the_loop(self, blocking: Callable[[], str], done: Callable[[bool, str], None],
                      group: str = "alerts") -> None:
        """Run a delivery or a test in a worker thread; `done(ok, detail)` runs back on the loop.
        Any exception is a failure (an AlertError, or a fault of ours): never shown as sent."""

        def work() -> None:
            try:
                detail = blocking()
            except Exception as exc:
                self.app.call_from_thread(done, False, str(exc))
            else:
                self.app.call_from_thread(done, True, detail)

        self.app.run_worker(work, thread=True, group=group, exit_on_error=False)

    def deliver(self, shift: Shift, index: int) -> None:
        """Send one escalation step; record the outcome from the loop."""
        step, subject, body = self.app.core.alarm_message(shift, index)
        email = self.app.site.email
        self._off_the_loop(lambda: checkins.deliver(step, email, subject, body),
                           lambda ok, detail: self._delivered(shift, index, ok, detail))

    def _delivered(self, shift: Shift, index: int, ok: bool, detail: str) -> None:
        self.app.core.delivered(shift, index, ok, detail)
        if not ok:
            log.warning("alert step %d failed: %s", index, detail)
        self.app.refresh_timers()

    def stand_down(self, shift: Shift, index: int, key: str) -> None:
        """Tell one step's recipients the alarm ended."""
        step, subject, body = self.app.core.stand_down_message(shift, index, key)
        email = self.app.site.email
        self._off_the_loop(lambda: checkins.deliver(step, email, subject, body),
                           lambda ok, detail: self._stood_down(shift, index, key, ok, detail))

    def _stood_down(self, shift: Shift, index: int, key: str, ok: bool, detail: str) -> None:
        self.app.core.stood_down(shift, index, key, ok, detail)
        if not ok:
            log.warning("stand-down %d not sent: %s", index, detail)

    def _test_channel(self, shift: Shift) -> None:
        policy, email = self.app.site.checkins, self.app.site.email
        if policy is not None:
            self._off_the_loop(lambda: checkins.test_channels(policy.escalation, email),
                               lambda ok, detail: self._channel_result(shift, ok, detail))

    def _channel_result(self, shift: Shift, ok: bool, detail: str) -> None:
        # Announced once, when it starts failing; while it keeps failing the desk's check-in line says so.
        if self.app.core.channel_tested(shift, ok, detail):
            self.app.notify(f"Alert channel unreachable: {detail}", severity="error", markup=False, timeout=15,
                            about="channel")
        self.app.refresh_timers()

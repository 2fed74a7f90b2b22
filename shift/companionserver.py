"""The phone companion's web server: aiohttp, on the desk's own event loop (no other process).

Thin like main.py: each request is checked (rate limit, token, CSRF), handed to shift/companion.py,
which does what the desk's key does through the desk core, and answered with a page from
shift/companionpage.py. The desk is then told (`changed`), so its screen shows the phone's
check-in at once. Handlers run on the loop that runs the desk, so a write from the phone and a
key at the desk never run at the same time.

Every answer forbids framing and caching; a wrong, expired or revoked token gets the very same
404 as a page that does not exist; every request is logged (the desk's log file, never a token).
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import sqlite3
import ssl
import time
from typing import TYPE_CHECKING, Awaitable, Callable, NamedTuple

from aiohttp import web

from shift import companion, companionpage
from shift.desk import Said
from shift.text import printable

if TYPE_CHECKING:
    from shift.companionconfig import CompanionConfig
    from shift.desk import DeskCore

log = logging.getLogger("solo_shift.companion")

HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
FLASH_SECONDS = 120  # what an action said waits this long for the page the redirect opens
MAX_FORM = 4096  # bytes: the largest form is a name and a code
_TOKENISH = re.compile(r"[A-Za-z0-9_-]{16,}")


# A form whose CSRF token is not this run's (loaded before the desk restarted, or made elsewhere).
STALE_FORM = Said("Nothing was recorded: the page was out of date (the desk may have restarted). "
                  "It is fresh now: press again.", False)

class Changed(NamedTuple):
    """What the desk is told after an action from the companion."""

    what: str  # "checkin", "panic", "step", "acknowledge"
    said: Said
    news: str  # "Checked in from phone 21:42" ("" when nothing was recorded)


class _Answer(Exception):
    """Stops a request with this response (a 404 for a token that opens nothing, a 403 for a form)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def redact(path: str) -> str:
    """A path for the log: anything that looks like a token replaced, and control characters
    shown as symbols (an encoded CR LF in a path would otherwise forge a line of the log)."""
    return printable(_TOKENISH.sub("<token>", path))[:200]


class CompanionServer:
    def __init__(self, core: "DeskCore", config: "CompanionConfig",
                 changed: Callable[[Changed], None] = lambda _: None,
                 limiter: companion.RateLimiter | None = None) -> None:
        self.core = core
        self.config = config
        self.changed = changed
        self.limiter = limiter or companion.RateLimiter()
        self.secret = secrets.token_bytes(32)  # this run's: CSRF tokens derive from it
        self._flashes: dict[str, tuple[str, bool, float, str]] = {}  # id -> text, ok, until, for which token
        self._runner: web.AppRunner | None = None
        self._opened: set[str] = set()  # pairings whose page a phone has opened (the desk says so once)

    # -- the application ------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_FORM)
        app.router.add_get("/p/{token}", self.worker)
        app.router.add_post("/p/{token}/checkin", self.check_in)
        app.router.add_get("/p/{token}/panic", self.panic_question)
        app.router.add_post("/p/{token}/panic", self.panic)
        app.router.add_post("/p/{token}/step", self.step)
        app.router.add_get("/a/{token}", self.alarm)
        app.router.add_post("/a/{token}", self.acknowledge)
        app.router.add_get("/done/{flash}", self.done)
        return app

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.config.tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.config.certificate, self.config.key, password=lambda: b"")
        return context

    async def start(self) -> str:
        """Listen; returns the address phones open. Raises OSError (port in use, address not this
        computer's) or ssl.SSLError (the certificate) for the desk to say."""
        runner = web.AppRunner(self.application(), access_log=None, handle_signals=False, shutdown_timeout=1)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.config.address, self.config.port, ssl_context=self.ssl_context()).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("companion serving on %s (listening on %s:%d)", self.config.base_url, self.config.address,
                 self.config.port)
        return self.config.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # -- every request ----------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        client = request.remote or "?"
        if not self.limiter.allow(client, time.monotonic()) and not self._opens_something(request):
            response: web.StreamResponse = self._html(companionpage.message_page(
                "Too many requests", "Wait a moment, then try again. To check in now, use the desk (F5)."), 429)
            response.headers["Retry-After"] = str(math.ceil(self.limiter.every))  # when one more is allowed
        else:
            try:
                response = await handler(request)
            except _Answer as answer:
                response = answer.response
            except web.HTTPException as exc:
                # An unknown page, a method a page does not take, a form too large: the one 404 for
                # every failure that could tell a valid address from an invalid one.
                response = self._html(companionpage.NOT_FOUND, 404) if exc.status != 413 else self._html(
                    companionpage.message_page("Too large", "That form is larger than any of this page's."), 413)
            except sqlite3.Error as exc:
                log.error("companion %s %s: the desk's storage failed: %s", request.method, redact(request.path), exc)
                response = self._html(companionpage.message_page(
                    "NOT recorded", "The desk could not read or write its records. Check in at the desk (F5), "
                    "or call for help by phone."), 503)
            except Exception:  # a fault of ours: said as a failure, never as done
                log.exception("companion %s %s failed", request.method, redact(request.path))
                response = self._html(companionpage.message_page(
                    "NOT recorded", "Something went wrong at the desk. Check in at the desk (F5), or call for "
                    "help by phone."), 500)
        response.headers.update(HEADERS)
        log.info("companion %s %s %s %d", client, request.method, redact(request.path), response.status)
        return response

    def _opens_something(self, request: web.Request) -> bool:
        """The worker's phone (this shift's pairing) and a responder's live link are never turned
        away: a panic or an acknowledgement refused because others share the phone's address (a
        campus NAT) would defeat the page. The limit is for everyone who holds no such token."""
        token = request.match_info.get("token")
        if not isinstance(token, str):
            return False
        if request.path.startswith("/p/"):
            return companion.paired_shift(self.core.store, token) is not None
        return request.path.startswith("/a/") and companion.linked_alarm(self.core.store, token) is not None

    @staticmethod
    def _html(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")

    def _not_found(self) -> _Answer:
        return _Answer(self._html(companionpage.NOT_FOUND, 404))

    def _paired(self, request: web.Request) -> tuple[str, companion.Shift]:
        token = request.match_info["token"]
        shift = companion.paired_shift(self.core.store, token)
        if shift is None:
            raise self._not_found()
        return token, shift

    async def _form(self, request: web.Request, token: str, again: str = "") -> dict[str, str]:
        """The form's fields, once its CSRF token is right. Otherwise nothing is done and the
        form is opened afresh (a page loaded before the desk restarted is one press from working
        again, never a dead end): at `again`, or the worker's page, which says so."""
        form = await request.post()
        given = form.get("csrf")
        if not isinstance(given, str) or not companion.csrf_ok(self.secret, token, given):
            raise _Answer(self._see(again) if again else self._back(token, STALE_FORM))
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def _flash(self, said: Said, token: str) -> str:
        now = time.monotonic()
        for key in [k for k, (_, _, until, _) in self._flashes.items() if until < now]:
            del self._flashes[key]
        key = secrets.token_urlsafe(16)
        self._flashes[key] = (said.text, said.ok, now + FLASH_SECONDS, token)
        return key

    def _take_flash(self, key: str, token: str) -> tuple[str, bool]:
        found = self._flashes.get(key)
        if found is None or found[3] != token or found[2] < time.monotonic():
            return "", True
        del self._flashes[key]
        return found[0], found[1]

    def _after(self, what: str, said: Said, who: str = "") -> None:
        """Tell the desk (its screen refreshes, its timers act now: a panic's chain starts at once)."""
        news = companion.desk_news(what, said, self.core.now(), self.core.site.zone, who)
        self.changed(Changed(what, said, news))

    @staticmethod
    def _see(location: str) -> web.Response:
        return web.Response(status=303, headers={"Location": location})

    def _back(self, token: str, said: Said) -> web.Response:
        """POST-redirect-GET: what the action said is shown once, on the page the redirect opens;
        as a warning while entries wait for storage (it counts, but is not yet on disk)."""
        if self.core.waiting():
            said = said._replace(ok=False)
        return self._see(f"/p/{token}?said={self._flash(said, token)}")

    # -- the worker's page -------------------------------------------------------

    async def worker(self, request: web.Request) -> web.Response:
        token, shift = self._paired(request)
        said, ok = self._take_flash(request.query.get("said", ""), token)
        now = self.core.now()
        view = companion.worker_view(self.core, shift, now)
        if companion.digest(token) not in self._opened:
            self._opened.add(companion.digest(token))
            self.changed(Changed("paired", Said("paired"), f"Phone paired {now.astimezone(self.core.site.zone):%H:%M}: "
                                 "check-ins can come from it."))
        return self._html(companionpage.worker_page(view, f"/p/{token}", companion.csrf_token(self.secret, token),
                                                    said, ok, now, self.core.site.zone))

    async def check_in(self, request: web.Request) -> web.Response:
        token, _ = self._paired(request)
        form = await self._form(request, token)
        said = companion.check_in(self.core, form.get("code", ""))
        self._after("checkin", said)
        return self._back(token, said)

    async def panic_question(self, request: web.Request) -> web.Response:
        token, _ = self._paired(request)
        return self._html(companionpage.panic_page(f"/p/{token}", companion.csrf_token(self.secret, token)))

    async def panic(self, request: web.Request) -> web.Response:
        token, _ = self._paired(request)
        await self._form(request, token, f"/p/{token}/panic")  # the question again: one press
        said = companion.panic(self.core)
        self._after("panic", said)
        return self._back(token, said)

    async def step(self, request: web.Request) -> web.Response:
        token, shift = self._paired(request)
        form = await self._form(request, token)
        said = companion.step_done(self.core, shift, form.get("run", ""), form.get("step", ""))
        self._after("step", said)
        return self._back(token, said)

    # -- a responder's link ---------------------------------------------------------

    def _linked(self, request: web.Request) -> tuple[str, companion.Shift, companion.checkins.Alarm]:
        token = request.match_info["token"]
        found = companion.linked_alarm(self.core.store, token)
        if found is None:
            raise self._not_found()
        return (token, *found)

    async def alarm(self, request: web.Request) -> web.Response:
        token, shift, alarm = self._linked(request)
        return self._html(companionpage.alarm_page(alarm, shift.worker, self.core.where(shift),
                                                   companion.csrf_token(self.secret, token), f"/a/{token}"))

    async def acknowledge(self, request: web.Request) -> web.Response:
        token, _, _ = self._linked(request)
        form = await self._form(request, token, f"/a/{token}")
        who = " ".join(form.get("who", "").split())[:100]
        if not who:
            said = Said("Not recorded: say who answered (a name and a role).", False)
            return self._html(companionpage.answered_page(said.text, False), 400)
        said = companion.acknowledge(self.core, who)
        self._after("acknowledge", said, who)
        # The link is spent: the result is shown once, at an address that carries no token.
        return self._see(f"/done/{self._flash(said, '')}")

    async def done(self, request: web.Request) -> web.Response:
        text, ok = self._take_flash(request.match_info["flash"], "")
        if not text:
            raise self._not_found()
        return self._html(companionpage.answered_page(text, ok))

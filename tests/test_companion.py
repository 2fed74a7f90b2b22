"""The phone companion through aiohttp's test client: each button writes the rows the desk's key
writes (marked with where they came from), tokens open nothing once wrong, revoked or ended, forms
need their CSRF token, and the rate limit holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from conftest import ROOT
from shift import chain, checkins, companion
from shift.companionconfig import CompanionConfig
from shift.companionserver import HEADERS, CompanionServer
from shift.desk import DeskCore
from shift.procedures import load_procedures
from shift.runs import open_runs, start_run

CONFIG = CompanionConfig("127.0.0.1", 8443)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


class Phone:
    def __init__(self, core: DeskCore, client: TestClient, server: CompanionServer, changes: list) -> None:
        self.core, self.client, self.server, self.changes = core, client, server, changes

    async def open(self, path: str):
        response = await self.client.get(path, allow_redirects=False)
        return response, await response.text()

    async def post(self, path: str, form: dict, page: str | None = None):
        """Post a form as the page would (its CSRF token from `page`, or from GETting `path`'s page)."""
        if page is None:
            _, page = await self.open(path.rsplit("/", 1)[0] if path.count("/") > 2 else path)
        response = await self.client.post(path, data={"csrf": csrf_of(page), **form}, allow_redirects=False)
        return response, await response.text()


@pytest.fixture
async def phone(store, full_site, shift):
    site = full_site._replace(companion=CONFIG)
    core = DeskCore(store, site)
    changes: list = []
    server = CompanionServer(core, CONFIG, changes.append, limiter=companion.RateLimiter(burst=1000, every=0.01))
    client = TestClient(TestServer(server.application()))
    await client.start_server()
    yield Phone(core, client, server, changes)
    await client.close()


def events(store, kind: str | None = None) -> list[dict]:
    rows = store.rows("SELECT kind, detail, origin FROM checkin_events ORDER BY rowid")
    return [r for r in rows if kind is None or r["kind"] == kind]


def all_chained(store) -> bool:
    return all(v.broken is None for v in chain.verify(store.conn))


async def test_check_in_from_the_phone_is_the_desks_row_marked_phone_and_the_desk_is_told(phone, store, shift):
    token = companion.pair(store, shift)
    response, page = await phone.open(f"/p/{token}")
    assert response.status == 200
    due = phone.core.checkin_state(shift, phone.core.now()).deadline.astimezone(phone.core.site.zone)
    assert "Sam · Bata Library Service Desk" in page
    assert f"CHECK IN NOW: due {due:%H:%M}" in page and due.hour == 18  # the deadline the desk shows
    response, _ = await phone.post(f"/p/{token}/checkin", {"code": ""}, page)
    assert response.status == 303
    after = response.headers["Location"]
    assert after.startswith(f"/p/{token}?said=")  # POST-redirect-GET
    _, page = await phone.open(after)
    assert "Checked in at 19:30. Next check-in by 20:30." in page
    assert events(store) == [{"kind": "checkin", "detail": "", "origin": "phone"}]
    assert phone.changes[-1].news == "Checked in from phone 19:30."
    # The same row as F5 at the desk, but for its origin: the desk's own stays NULL.
    phone.core.check_in("")
    assert events(store)[-1] == {"kind": "checkin", "detail": "", "origin": None}
    st = phone.core.checkin_state(shift, phone.core.now())
    assert st.last_from == ""
    assert all_chained(store)
    _, again = await phone.open(after)
    assert "Checked in at" not in again  # said once


async def test_the_duress_code_from_the_phone_is_a_silent_alarm_that_looks_like_a_check_in(
        phone, store, shift, full_site):
    policy = full_site.checkins._replace(duress_code="2468")
    phone.core.site = phone.core.site._replace(checkins=policy)
    token = companion.pair(store, shift)
    _, page = await phone.open(f"/p/{token}")
    response, _ = await phone.post(f"/p/{token}/checkin", {"code": "2468"}, page)
    _, duress_page = await phone.open(response.headers["Location"])
    assert events(store, "duress") == [{"kind": "duress", "detail": "", "origin": "phone"}]
    st = checkins.state(store, shift, policy)
    assert st.alarm_open and st.alarm_reason == "duress"
    assert phone.changes[-1].news == "Checked in from phone 19:30."  # what the desk says: as for any
    response, _ = await phone.post(f"/p/{token}/checkin", {"code": ""}, duress_page)
    _, plain_page = await phone.open(response.headers["Location"])
    # Whoever holds the phone sees the same page after either code.
    strip = re.compile(r'value="[0-9a-f]{64}"|said=[\w-]+')
    assert strip.sub("", duress_page) == strip.sub("", plain_page)
    assert "ALARM" not in duress_page


async def test_panic_asks_first_then_raises_the_alarm_as_f12_does(phone, store, shift):
    token = companion.pair(store, shift)
    response, question = await phone.open(f"/p/{token}/panic")
    assert response.status == 200 and "Raise the panic alarm?" in question
    assert events(store) == []  # asking records nothing
    response, _ = await phone.post(f"/p/{token}/panic", {}, question)
    assert response.status == 303
    assert events(store) == [{"kind": "panic", "detail": "", "origin": "phone"}]
    _, page = await phone.open(response.headers["Location"])
    assert "Alarm raised: the escalation chain is being alerted." in page
    assert "ALARM (panic) since 19:30" in page
    panic, = [c for c in phone.changes if c.what == "panic"]
    assert panic.news.startswith("PANIC alarm raised from phone 19:30")


async def test_the_walks_current_step_is_done_from_the_phone(phone, store, shift):
    procedures, _ = load_procedures(ROOT / "procedures")
    closing = next(p for p in procedures if p.id == "closing")
    run = start_run(store, shift, closing)
    first = run.current()
    token = companion.pair(store, shift)
    _, page = await phone.open(f"/p/{token}")
    assert first.title in page and "Step 1 of" in page
    response, _ = await phone.post(f"/p/{token}/step", {"run": run.id, "step": first.id}, page)
    _, after = await phone.open(response.headers["Location"])
    assert f"Done: {first.title}." in after
    outcome, = store.rows("SELECT step_id, status, origin FROM step_outcomes")
    assert outcome == {"step_id": first.id, "status": "done", "origin": "phone"}
    assert open_runs(store, shift)[0].current().id != first.id
    # The same form again (a second tap, or the desk did it meanwhile): nothing is recorded twice.
    response, _ = await phone.post(f"/p/{token}/step", {"run": run.id, "step": first.id}, page)
    _, again = await phone.open(response.headers["Location"])
    assert "Not recorded: that step is no longer the current one" in again
    assert len(store.rows("SELECT id FROM step_outcomes")) == 1
    assert all_chained(store)


async def test_wrong_revoked_and_ended_tokens_get_the_404_of_a_page_that_does_not_exist(phone, store, shift):
    missing, nothing = await phone.open("/no/such/page")
    assert missing.status == 404
    old = companion.pair(store, shift)
    assert (await phone.open(f"/p/{old}"))[0].status == 200
    _, page = await phone.open(f"/p/{old}")
    new = companion.pair(store, shift)  # a new QR code revokes the old one
    for path in (f"/p/{old}", f"/p/{old[:-1]}x", f"/p/{old}/panic", "/p/", "/a/" + new, f"/p/{new}/checkin"):
        response, text = await phone.open(path)
        assert (response.status, text) == (404, nothing), path
    response, text = await phone.post(f"/p/{old}/checkin", {}, page)  # the revoked page's form
    assert (response.status, text) == (404, nothing)
    assert events(store) == []
    assert (await phone.open(f"/p/{new}"))[0].status == 200
    phone.core.end_shift(shift, "", [], nothing_to_hand_over=True)
    response, text = await phone.open(f"/p/{new}")
    assert (response.status, text) == (404, nothing)  # the shift ended: so did its pairing
    for name, value in HEADERS.items():
        assert response.headers[name] == value


async def test_a_post_without_its_csrf_token_is_refused(phone, store, shift):
    """Nothing is done; the form is opened afresh (a page loaded before the desk restarted is one
    press from working, never a dead end)."""
    token = companion.pair(store, shift)
    for form in ({}, {"csrf": "0" * 64}, {"csrf": companion.csrf_token(b"the desk before it restarted", token)}):
        response = await phone.client.post(f"/p/{token}/checkin", data=form, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"].startswith(f"/p/{token}?said=")
        response, page = await phone.open(response.headers["Location"])
        assert "Nothing was recorded: the page was out of date" in page and csrf_of(page)
        response = await phone.client.post(f"/p/{token}/panic", data=form, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (303, f"/p/{token}/panic")
    assert events(store) == []
    response, _ = await phone.post(f"/p/{token}/checkin", {"code": ""}, page)  # pressed again: works
    assert response.status == 303 and [e["kind"] for e in events(store)] == ["checkin"]


async def test_the_rate_limit_holds_per_client(phone, store, shift):
    phone.server.limiter = companion.RateLimiter(burst=5, every=60)
    companion.pair(store, shift)
    statuses = [(await phone.open(f"/p/{'x' * 32}"))[0].status for _ in range(7)]
    assert statuses == [404] * 5 + [429, 429]
    response, _ = await phone.open("/p/another-guess-at-the-token")
    assert response.headers["Retry-After"] == "60" and response.headers["X-Frame-Options"] == "DENY"


async def test_the_paired_phone_and_a_live_link_are_served_when_their_address_is_over_the_limit(
        phone, store, shift):
    """Others behind the same address (a campus NAT) used up its requests: the worker's panic
    and a responder's acknowledgement still go through."""
    token = companion.pair(store, shift)
    phone.server.limiter = companion.RateLimiter(burst=3, every=600)
    for _ in range(5):
        await phone.open("/p/a-stranger-guessing-tokens")
    assert (await phone.open("/p/a-stranger-guessing-tokens"))[0].status == 429
    response, _ = await phone.post(f"/p/{token}/panic", {}, page=(await phone.open(f"/p/{token}/panic"))[1])
    assert response.status == 303 and events(store, "panic")
    _, _, body = phone.core.alarm_message(shift, 0)
    link = re.search(r"http://127\.0\.0\.1:8443(/a/[\w-]+)", body).group(1)
    response, _ = await phone.post(link, {"who": "Jo Marsh, security"}, page=(await phone.open(link))[1])
    assert response.status == 303 and events(store, "acknowledged")


def test_the_limiter_refills_with_time_and_forgets_old_clients():
    limiter = companion.RateLimiter(burst=2, every=10, clients=2)
    assert [limiter.allow("a", 0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("a", 10) and not limiter.allow("a", 10)
    limiter.allow("b", 10)
    limiter.allow("c", 10)
    assert len(limiter._buckets) == 2 and "a" not in limiter._buckets


async def test_the_alarm_emails_link_ends_the_alarm_once(phone, store, shift):
    phone.core.panic()  # at the desk: F12
    _, _, body = phone.core.alarm_message(shift, 0)
    link = re.search(r"http://127\.0\.0\.1:8443(/a/[\w-]+)", body)
    assert link, body
    path = link.group(1)
    response, page = await phone.open(path)
    assert response.status == 200
    assert "ALARM: panic" in page and "Sam" in page and "Since 19:30" in page
    response, _ = await phone.post(path, {"who": "  Jo   Marsh, security "}, page)
    assert response.status == 303 and response.headers["Location"].startswith("/done/")
    _, done = await phone.open(response.headers["Location"])
    assert "Alarm acknowledged by Jo Marsh, security." in done
    assert events(store, "acknowledged") == [{"kind": "acknowledged", "detail": "Jo Marsh, security",
                                              "origin": "link"}]
    assert not phone.core.alarm_open()
    assert phone.changes[-1].news == "Alarm acknowledged by Jo Marsh, security from the alarm email's link 19:30."
    _, nothing = await phone.open("/nothing")
    response, text = await phone.open(path)
    assert (response.status, text) == (404, nothing)
    response, text = await phone.post(path, {"who": "someone else"}, page)
    assert (response.status, text) == (404, nothing)
    assert len(events(store, "acknowledged")) == 1
    assert (await phone.open(response.headers.get("Location", "/done/x")))[0].status == 404
    assert all_chained(store)


async def test_a_link_needs_a_name_and_a_duress_alarm_gets_no_link(phone, store, shift, full_site):
    phone.core.panic()
    _, _, body = phone.core.alarm_message(shift, 0)
    path = re.search(r"(/a/[\w-]+)", body).group(1)
    _, page = await phone.open(path)
    response, text = await phone.post(path, {"who": "   "}, page)
    assert response.status == 400 and "say who answered" in text
    assert phone.core.alarm_open()
    phone.core.acknowledge("Jo")  # at the desk: the link is spent with the alarm
    assert (await phone.open(path))[0].status == 404

    policy = full_site.checkins._replace(duress_code="2468")
    phone.core.site = phone.core.site._replace(checkins=policy)
    phone.core.check_in("2468")
    _, _, body = phone.core.alarm_message(shift, 0)
    assert "127.0.0.1:8443" not in body and "entered the duress code" in body


async def test_the_page_shows_the_open_alarm_and_nothing_personal_beyond_a_first_name(phone, store, full_site):
    from shift.shifts import end_shift, start_shift

    end_shift(store, phone.core.shift(), "", [])
    shift = start_shift(store, "Samira Q. Example-Person", "main")
    token = companion.pair(store, shift)
    _, page = await phone.open(f"/p/{token}")
    assert "Samira · Bata Library Service Desk" in page and "Example-Person" not in page
    assert "<script" not in page.lower()


def test_a_site_file_companion_section_is_read_and_checked(tmp_path):
    from shift.site import read_site

    base = (ROOT / "data" / "site.toml").read_text()

    def problems(section: str) -> tuple[object, list[str]]:
        path = tmp_path / "site.toml"
        path.write_text(base + "\n" + section)
        site, found = read_site(path)
        return site.companion, [f"{p.severity}: {p.message}" for p in found if p.where.startswith("companion")]

    config, found = problems('[companion]\naddress = "127.0.0.1"\nport = 9000\n')
    assert config == CompanionConfig("127.0.0.1", 9000) and found == []
    assert config.base_url == "http://127.0.0.1:9000"
    config, found = problems('[companion]\naddress = "192.168.1.20"\n')
    assert config is None and any("needs the site's certificate and key" in f for f in found)
    config, found = problems('[companion]\naddress = "192.168.1.20"\ninsecure_http = true\n')
    assert config is not None and any(f.startswith("warning") and "plain HTTP" in f for f in found)
    config, found = problems('[companion]\naddress = "desk-3"\nport = 70000\ncertificate = "nope.pem"\n')
    assert config is None and len(found) >= 3
    config, found = problems('[companion]\naddress = "0.0.0.0"\n')
    assert config is None and any("give url" in f for f in found)
    for url in ("http://desk.example:8443/?a=b", "http://desk.example#x", "http://desk.example/desk",
                'http://desk.example/"><b>', "http://:8443", "http://desk.example:port", "http://a@evil.example"):
        config, found = problems(f"[companion]\naddress = '0.0.0.0'\ninsecure_http = true\nurl = '{url}'\n")
        assert config is None and any("scheme, name and port only" in f for f in found), url
    config, found = problems('[companion]\naddress = "0.0.0.0"\ninsecure_http = true\nurl = "http://desk.example:80/"\n')
    assert config is not None and config.base_url == "http://desk.example:80"


def test_the_certificate_is_checked_readable_matching_and_in_date(tmp_path):
    import datetime as dt

    import trustme

    from shift.companionconfig import certificate_problems, validity

    ca = trustme.CA()
    good = ca.issue_cert("desk.example.org")
    expired = ca.issue_cert("desk.example.org", not_before=dt.datetime(2020, 1, 1),
                            not_after=dt.datetime(2021, 1, 1))
    paths = {}
    for name, cert in (("good", good), ("expired", expired)):
        cert.cert_chain_pems[0].write_to_path(str(tmp_path / f"{name}.pem"))
        cert.private_key_pem.write_to_path(str(tmp_path / f"{name}-key.pem"))
        paths[name] = (str(tmp_path / f"{name}.pem"), str(tmp_path / f"{name}-key.pem"))
    now = dt.datetime.now(dt.timezone.utc)
    assert certificate_problems(*paths["good"], now) == []
    (problem, is_error), = certificate_problems(*paths["expired"], now)
    assert is_error and "expired on 2021-01-01" in problem
    (problem, is_error), = certificate_problems(paths["good"][0], paths["expired"][1], now)
    assert is_error and "do not load as a pair" in problem
    begins, ends = validity(Path(paths["expired"][0]).read_text())
    assert (begins.year, ends.year) == (2020, 2021)


def test_the_code_drawn_in_the_terminal_is_the_addresss_qr_code():
    import segno

    from tui.pairing import qr_text

    url = "https://desk-3.library.example.org:8443/p/" + companion.new_token()
    lines = qr_text(url).splitlines()
    modules = []
    for line in lines:  # each character is two modules, one above the other
        modules.append([c in "█▀" for c in line])
        modules.append([c in "█▄" for c in line])
    code = segno.make(url, error="l", micro=False)
    expected = [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=2)]
    assert modules[:len(expected)] == expected
    assert len(lines) <= 21 and len(lines[0]) <= 41  # beside its words on an 80×24 terminal


def test_check_says_an_expired_certificate_at_its_line(tmp_path):
    import datetime as dt
    from datetime import date

    import trustme

    from shift.check import run_check

    expired = trustme.CA().issue_cert("127.0.0.1", not_before=dt.datetime(2020, 1, 1),
                                      not_after=dt.datetime(2021, 1, 1))
    expired.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    expired.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    site = tmp_path / "site.toml"
    text = (ROOT / "data" / "site.toml").read_text()
    site.write_text(text + '\n[companion]\naddress = "127.0.0.1"\ncertificate = "cert.pem"\nkey = "key.pem"\n')
    problems, status = run_check(site, ROOT / "procedures", today=date(2026, 11, 24))
    found = [p for p in problems if p.where.startswith("companion")]
    assert status == 1 and len(found) == 1
    assert found[0].line == len(text.splitlines()) + 4 and "expired on 2021-01-01" in found[0].message


async def test_a_check_in_the_disk_refuses_is_kept_and_the_phone_says_so(phone, store, shift):
    from test_storage_failure_pilot import read_only

    token = companion.pair(store, shift)
    _, page = await phone.open(f"/p/{token}")
    with read_only(store):
        response, _ = await phone.post(f"/p/{token}/checkin", {"code": ""}, page)
        _, after = await phone.open(response.headers["Location"])
        assert store.pending and events(store) == []
    said = re.search(r'<p class="said bad" role="status">([^<]*)</p>', after)
    assert said and "kept in memory: storage is failing)" in said.group(1), after
    assert phone.core.flush() == (1, 0)
    assert events(store) == [{"kind": "checkin", "detail": "", "origin": "phone"}]
    assert all_chained(store)


async def test_a_path_with_an_encoded_line_break_is_one_line_of_the_log(phone, store, shift, caplog):
    token = companion.pair(store, shift)
    caplog.set_level("INFO", logger="solo_shift.companion")
    response, _ = await phone.open(f"/p/{token}%0D%0A2026-01-01 INFO companion 10.0.0.9 POST /p/x/checkin 303")
    assert response.status == 404
    logged = [r.getMessage() for r in caplog.records if r.name == "solo_shift.companion"]
    assert logged and not any("\r" in line or "\n" in line for line in logged)
    assert token not in " ".join(logged)


async def test_no_pairing_code_is_shown_while_the_page_is_not_served(store, full_site, shift):
    """Another program holds the port: a code would send the token to it. The desk says why and
    shows none; check-ins stay at the desk."""
    import socket

    from tui.app import SoloShiftApp
    from tui.pairing import PairingScreen

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        port = holder.getsockname()[1]
        app = SoloShiftApp(store, full_site._replace(email=None, companion=CompanionConfig("127.0.0.1", port)))
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            for _ in range(50):
                await pilot.pause(0.1)
                if app.companion_problem:
                    break
            assert "The phone page is not being served" in app.companion_problem
            tokens = store.rows("SELECT COUNT(*) AS n FROM companion_tokens")[0]["n"]
            await pilot.press("ctrl+y")
            await pilot.pause()
            assert not isinstance(app.screen, PairingScreen)
            assert any("No pairing code is shown" in n.message for n in app._notifications)
            assert store.rows("SELECT COUNT(*) AS n FROM companion_tokens")[0]["n"] == tokens  # none issued
    finally:
        holder.close()

"""The phone companion with the real program in a real terminal, on the wall clock.

The desk runs in tmux with [companion] on (TLS, a trustme certificate) and a shift seeded so
that a missed check-in escalates by email (to an aiosmtpd server here) a few seconds after the
start. The alarm email holds a link: opened in headless chromium, given a name, it ends the
alarm on the desk, and used a second time it is a 404. Then the QR code the desk draws (Ctrl+Y)
holds the page's address; that page, in chromium, checks in, and the desk shows "checked in
from phone".
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from phone_browser import artifact, phone, tls_files
from shift.clock import UTC, FixedClock
from shift.shifts import start_shift
from shift.store import Store
from test_alerts import free_port, parsed, start_server
from test_tmux_alarm_e2e import GRACE, INTERVAL, alarm_site, check_site
from tmux_terminal import Terminal, needs_tmux, wait_until
from tui.pairing import qr_text

pytestmark = needs_tmux

LEAD = timedelta(seconds=8.6)  # from the seeding to the chain's start: the desk starts in it


def companion_site(tmp_path: Path, smtp_port: int) -> tuple[Path, str, int]:
    cert, key, spki = tls_files(tmp_path, "127.0.0.1")
    port = free_port()
    site = alarm_site(tmp_path, smtp_port)
    site.write_text(site.read_text() + (
        f'\n[companion]\naddress = "127.0.0.1"\nport = {port}\ncertificate = "{cert}"\nkey = "{key}"\n'))
    check_site(site)
    return site, spki, port


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def shown_code(screen: str) -> str:
    """The address beside the QR code, and a check that the code drawn is that address's."""
    url = re.search(r"https://127\.0\.0\.1:\d+/p/[\w-]+", screen).group(0)
    expected = qr_text(url).splitlines()
    lines = screen.splitlines()
    first = next(i for i, line in enumerate(lines) if expected[1].strip() in line)
    column = lines[first].index(expected[1].strip()) - (len(expected[1]) - len(expected[1].lstrip()))
    drawn = [line[column:column + len(expected[1])].rstrip() for line in lines[first - 1:first - 1 + len(expected)]]
    assert drawn == [line.rstrip() for line in expected], "the QR code on screen is not the address's"
    return url


async def answer_by_link(link: str, spki: str) -> tuple[str, int]:
    async with phone(spki) as page:
        await page.goto(link)
        assert "ALARM: missed check-in" in await page.locator("h1").inner_text()
        await page.screenshot(path=artifact("companion-alarm-link"), full_page=True)
        await page.get_by_label("Who answered it (name, role)?").fill("Jo Marsh, security")
        await page.get_by_role("button", name="Record the answer: the alarm ends").click()
        said = await page.locator(".said").inner_text()
        again = await page.goto(link)
        return said, again.status


async def check_in_from_phone(url: str, spki: str) -> str:
    async with phone(spki) as page:
        await page.goto(url)
        await page.get_by_role("button", name="Check in").click()
        return await page.locator(".said").inner_text()


def test_the_alarm_link_and_the_phone_check_in_in_a_real_terminal(request, tmp_path):
    handler, smtp_port = start_server(request)
    site, spki, _ = companion_site(tmp_path, smtp_port)
    db = tmp_path / "desk.db"
    started = datetime.now(UTC) - INTERVAL - GRACE + LEAD
    store = Store.open(db, clock=FixedClock(started))
    try:
        start_shift(store, "Sam Example", "main")
    finally:
        store.close()
    term = Terminal(f"solo-companion-{os.getpid()}")
    try:
        term.start(db, "--site", str(site))
        term.wait_for("On duty: Sam Example")

        # A missed check-in: the alarm email holds a link to answer it from a phone.
        wait_until(lambda: handler.envelopes, limit=LEAD.total_seconds() + 20)
        alarm = parsed(handler.envelopes[0])
        assert alarm["Subject"].startswith("Missed check-in:")
        link = re.search(r"https://127\.0\.0\.1:\d+/a/[\w-]+", alarm.get_content()).group(0)
        term.wait_for("ALARM (missed check-in)")
        said, second = asyncio.run(answer_by_link(link, spki))
        assert said == "Alarm acknowledged by Jo Marsh, security."
        assert second == 404  # the link works once
        screen = term.wait_for("alarm acknowledged by Jo Marsh, security (alarm email link)", limit=5)
        assert "ALARM (missed check-in)" not in screen
        assert rows(db, "SELECT detail, origin FROM checkin_events WHERE kind = 'acknowledged'") == [
            ("Jo Marsh, security", "link")]
        wait_until(lambda: len(handler.envelopes) >= 2)  # everyone it reached is told to stand down
        assert parsed(handler.envelopes[1])["Subject"].startswith("Stand down:")

        # The QR code holds the worker's page; from it, a check-in the desk shows at once.
        term.keys("C-y")
        url = shown_code(term.wait_for("Pair your phone"))
        said = asyncio.run(check_in_from_phone(url, spki))
        assert said.startswith("Checked in at ")
        screen = term.wait_for("checked in from phone", limit=5)
        assert "Pair your phone" not in screen  # the phone opened its page: the code went away
        assert rows(db, "SELECT origin FROM checkin_events WHERE kind = 'checkin'") == [("phone",)]
        term.quit()
    finally:
        term.tmux("kill-server")

"""The worker's page in a real browser over real TLS: headless chromium at a phone's size presses
Check in, and the desk's database has the row. The page is kept as a screenshot (a test artifact)."""

from __future__ import annotations

import pytest
from playwright.async_api import Error as PlaywrightError

from phone_browser import artifact, phone, tls_files
from shift import companion
from shift.companionconfig import CompanionConfig
from shift.companionserver import CompanionServer
from shift.desk import DeskCore
from test_alerts import free_port


async def test_check_in_from_chromium_over_tls_writes_the_row(tmp_path, store, full_site, shift):
    cert, key, spki = tls_files(tmp_path, "127.0.0.1")
    config = CompanionConfig("127.0.0.1", free_port(), str(cert), str(key))
    core = DeskCore(store, full_site._replace(companion=config))
    changes: list = []
    server = CompanionServer(core, config, changes.append)
    url = companion.worker_url(config, companion.pair(store, shift))
    assert url.startswith("https://127.0.0.1:")
    await server.start()
    try:
        async with phone(spki) as page:
            response = await page.goto(url)
            assert response.status == 200 and response.headers["x-frame-options"] == "DENY"
            assert await page.locator(".deadline").inner_text() == "CHECK IN NOW: due 18:30"
            await page.screenshot(path=artifact("companion-phone"), full_page=True)
            await page.get_by_role("button", name="Check in").click()
            await page.wait_for_selector(".said")
            assert await page.locator(".said").inner_text() == "Checked in at 19:30. Next check-in by 20:30."
            assert await page.locator(".deadline").inner_text() == "Next check-in by 20:30"
            await page.screenshot(path=artifact("companion-phone-checked-in"), full_page=True)
            # Over plain HTTP the same port answers nothing: it is TLS only.
            with pytest.raises(PlaywrightError, match="ERR_EMPTY_RESPONSE"):
                await page.goto(url.replace("https://", "http://"))
    finally:
        await server.stop()
    rows = store.rows("SELECT kind, origin FROM checkin_events")
    assert rows == [{"kind": "checkin", "origin": "phone"}]
    assert [c.what for c in changes] == ["paired", "checkin"]

"""Debian's chromium as the worker's phone, driven by Playwright (never Playwright's own browser
download), trusting one test certificate by its public key: the page is served over real TLS."""

from __future__ import annotations

import base64
import hashlib
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from chromium import ARTIFACTS, binary

PHONE = {"width": 390, "height": 844}  # a common phone's viewport, in CSS pixels


def tls_files(folder: Path, *names: str) -> tuple[Path, Path, str]:
    """A trustme certificate for `names` (its key beside it), and its public key's SHA-256 in
    base64: what chromium is told to trust (--ignore-certificate-errors-spki-list)."""
    import trustme
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    issued = trustme.CA().issue_cert(*names)
    cert, key = folder / "desk-cert.pem", folder / "desk-key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    public = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    spki = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return cert, key, base64.b64encode(hashlib.sha256(spki).digest()).decode()


@asynccontextmanager
async def phone(spki: str) -> AsyncIterator:
    """A new page at a phone's size in headless chromium that trusts only the given key besides
    the system's (an unknown certificate is still refused)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=binary(),
            args=["--no-sandbox", f"--ignore-certificate-errors-spki-list={spki}", "--disable-quic"])
        try:
            context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                                has_touch=True, java_script_enabled=False)
            yield await context.new_page()
        finally:
            await browser.close()


def artifact(name: str) -> Path:
    """Where a screenshot is kept (build/test-artifacts/, git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.unlink(missing_ok=True)
    return path

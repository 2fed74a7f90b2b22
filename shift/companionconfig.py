"""`[companion]` in site.toml: where the desk serves the phone companion, and with which certificate.

Read strictly like every section: a section with an error leaves the companion off (the desk
never serves a page it cannot serve safely) and `check` says why, at the key's line. Plain HTTP
is allowed on the loopback address, or anywhere only when the site says `insecure_http = true`
(a warning: tokens and check-ins would cross the network readable).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, NamedTuple

if TYPE_CHECKING:
    from shift.tomlsrc import Section

DEFAULT_PORT = 8443
EXPIRY_WARNING = timedelta(days=14)  # a certificate this close to its end is said by `check`


class CompanionConfig(NamedTuple):
    address: str  # the address this computer listens on: one of its own, 127.0.0.1, or 0.0.0.0 for all
    port: int = DEFAULT_PORT
    certificate: str = ""  # PEM files (the site's own certificate and key); "" for plain HTTP
    key: str = ""
    insecure_http: bool = False
    url: str = ""  # what phones open (the name on the certificate); "" for the address and port

    @property
    def tls(self) -> bool:
        return bool(self.certificate)

    @property
    def base_url(self) -> str:
        """The start of every address the desk hands out (in the QR code, in alarm emails)."""
        if self.url:
            return self.url.rstrip("/")
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"


def is_loopback(address: str) -> bool:
    import ipaddress  # here: read only when a site has [companion]

    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _is_wildcard(address: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(address).is_unspecified
    except ValueError:
        return False


def read_companion(root: "Section", site_path: Callable[[str], str],
                   now: datetime | None = None) -> CompanionConfig | None:
    """[companion], or None when it is absent or has an error (the companion is then off)."""
    sec = root.table("companion")
    if sec is None:
        return None
    import ipaddress

    problems_before = sum(p.is_error for p in sec.src.problems)
    address = sec.text("address", "", required=True)
    if address and address != "localhost":
        try:
            ipaddress.ip_address(address)
        except ValueError:
            sec.error("address", f"'{address}' is not an IP address: give one of this computer's addresses "
                                 "(e.g. 192.168.1.20), 127.0.0.1 for this computer only, or 0.0.0.0 for all")
    port = sec.whole("port", DEFAULT_PORT, minimum=1, maximum=65535)
    certificate = site_path(sec.text("certificate", ""))
    key = site_path(sec.text("key", ""))
    insecure = sec.flag("insecure_http", False)
    url = sec.text("url", "").strip()
    sec.finish()
    tls = bool(certificate)
    if bool(certificate) != bool(key):
        sec.error("certificate" if not certificate else "key",
                  "give both the certificate and its key (PEM files), or neither for plain HTTP")
    elif tls:
        for name, path in (("certificate", certificate), ("key", key)):
            problem = _unreadable(path)
            if problem:
                sec.error(name, problem)
        if not any(_unreadable(p) for p in (certificate, key)):
            for problem, is_error in certificate_problems(certificate, key, now or datetime.now(timezone.utc)):
                (sec.error if is_error else sec.warn)("certificate", problem)
        if insecure:
            sec.warn("insecure_http", "has no effect: a certificate is set, so the page is served over HTTPS")
    elif address and not is_loopback(address):
        if insecure:
            sec.warn("insecure_http", "the phone page is served over plain HTTP on the network: anyone on it can "
                                      "read the pairing code and the check-ins, and act as the worker's phone. "
                                      "Give the site's certificate and key instead")
        else:
            sec.error(None, f"serving on {address} needs the site's certificate and key (certificate = and "
                            "key =); plain HTTP is allowed only on 127.0.0.1, or with insecure_http = true")
    if address and _is_wildcard(address) and not url:
        sec.error("url", f"listening on every address ({address}): give url, the address phones open "
                         "(e.g. https://desk-3.library.example.org:8443, the name on the certificate)")
    if url:
        scheme = "https://" if tls else "http://"
        if not url.startswith(scheme) or len(url) <= len(scheme):
            sec.error("url", f"'{url}' must start with {scheme} ({'a certificate is' if tls else 'no certificate is'}"
                             " set)")
        elif _not_a_site_address(url):
            # The pairing and alarm links are this plus /p/<token>: a path, a query or a fragment
            # (everything after # never reaches the desk) would make every code a dead link.
            sec.error("url", f"{url!r} must be the scheme, name and port only (e.g. "
                             "https://desk-3.library.example.org:8443): no path, ?, #, spaces or quotes")
    if sum(p.is_error for p in sec.src.problems) > problems_before:
        return None
    return CompanionConfig(address, port, certificate, key, insecure, url)


def _not_a_site_address(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return True
    return (not parts.hostname or parts.path not in ("", "/") or bool(parts.query) or "#" in url
            or "@" in parts.netloc or any(c.isspace() or c in "\"'<>\\" for c in url))


def _unreadable(path: str) -> str:
    if not os.path.isfile(path):
        return f"{path} does not exist (or is not a file)"
    try:
        with open(path, "rb") as file:
            file.read(1)
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    return ""


def certificate_problems(certificate: str, key: str, now: datetime) -> list[tuple[str, bool]]:
    """What is wrong with the certificate and key: (problem, is an error). The pair must load as
    a TLS server's, and the certificate must be valid now (a warning two weeks before its end)."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        # A key with a passphrase would make OpenSSL ask for it on the terminal: an empty one is given.
        context.load_cert_chain(certificate, key, password=lambda: b"")
    except (ssl.SSLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        return [(f"the certificate {certificate} and key {key} do not load as a pair ({why}): give the PEM "
                 "certificate and its unencrypted private key", True)]
    try:
        with open(certificate, encoding="ascii", errors="replace") as file:
            not_before, not_after = validity(file.read())
    except ValueError as exc:
        return [(f"the certificate {certificate} cannot be read ({exc})", True)]
    if now >= not_after:
        return [(f"the certificate {certificate} expired on {not_after:%Y-%m-%d}: phones will refuse the page; "
                 "renew it", True)]
    if now < not_before:
        return [(f"the certificate {certificate} is valid only from {not_before:%Y-%m-%d}", True)]
    if not_after - now <= EXPIRY_WARNING:
        return [(f"the certificate {certificate} expires on {not_after:%Y-%m-%d}: renew it", False)]
    return []


# -- the certificate's validity, read from its DER (no third-party library for two dates) --


def validity(pem: str) -> tuple[datetime, datetime]:
    """notBefore and notAfter of the first certificate in a PEM text (RFC 5280, 4.1)."""
    import base64

    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    start = pem.find(begin)
    stop = pem.find(end, start)
    if start < 0 or stop < 0:
        raise ValueError("no PEM certificate in it")
    try:
        der = base64.b64decode("".join(pem[start + len(begin):stop].split()), validate=True)
    except ValueError:
        raise ValueError("its PEM block is not base64") from None
    try:
        _, body, _ = _element(der, 0)  # Certificate
        _, at, tbs_end = _element(der, body)  # TBSCertificate
        tag, _, after = _element(der, at)
        if tag == 0xA0:  # [0] version
            at = after
        for _ in range(3):  # serialNumber, signature, issuer
            _, _, at = _element(der, at)
        tag, at, _ = _element(der, at)  # validity
        times = []
        for _ in range(2):
            tag, content, at = _element(der, at)
            times.append(_time(tag, der[content:at].decode("ascii")))
    except (IndexError, UnicodeDecodeError):
        raise ValueError("it is not a well-formed X.509 certificate") from None
    return times[0], times[1]


def _element(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag, where its content starts, where it ends) of the DER element at `at`."""
    tag, length = der[at], der[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[at:at + count], "big")
        at += count
    if at + length > len(der):
        raise IndexError("cut short")
    return tag, at, at + length


def _time(tag: int, text: str) -> datetime:
    if tag == 0x17:  # UTCTime: YYMMDDHHMMSSZ, years 1950-2049
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != 0x18:  # GeneralizedTime: YYYYMMDDHHMMSSZ
        raise ValueError("its validity is not a time")
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"its validity time {text!r} is not understood") from None

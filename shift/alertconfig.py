"""Alert settings and the error every alert channel raises.

Kept apart from shift.alerts (smtplib, ssl, email, subprocess), which is only
imported when an alert is sent, so reading site.toml stays quick. The rules
both the site file's check and the mail code apply live here, once.
"""

import ipaddress
import math
import os
import re
import stat
from types import MappingProxyType
from typing import Mapping, NamedTuple

DEFAULT_TIMEOUT = 10.0  # seconds
TIMEOUT_LIMIT = 300.0  # longer than any mail server should take to answer one command
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
# One address, bare: no space, no second @, no control character (nothing that could end a header
# line), nothing that separates or wraps addresses in a header (, ; < > ( ) ").
_ADDRESS = re.compile(r'[^@\s\x00-\x1f\x7f-\x9f\u2028\u2029,;<>()"]+@[^@\s\x00-\x1f\x7f-\x9f\u2028\u2029,;<>()"]+')


def is_address(text: str) -> bool:
    """Whether text is one bare email address (what the site file's and the knowledge files' checks accept)."""
    return bool(_ADDRESS.fullmatch(text))


class AlertError(Exception):
    """An alert could not be delivered; the message says why, for the desk screen."""


class EmailSettings(NamedTuple):
    host: str
    port: int = 587
    security: str = "starttls"  # "starttls", "ssl" or "none"
    user: str = ""
    password_env: str = ""  # name of an environment variable holding the password
    password_file: str = ""  # or a file readable only by its owner (mode 0600 or stricter)
    sender: str = ""
    recipients: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # purpose -> addresses (read-only default)
    timeout: float = DEFAULT_TIMEOUT  # seconds for connecting and each SMTP command (see usable_timeout)
    ca_file: str = ""  # PEM file of the CA(s) that sign the mail server's certificate; "": the system's store


def timeout_problem(value: object) -> str:
    """Why value cannot be a mail timeout, or "" when it can."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected a number of seconds, found {value!r}"
    if not math.isfinite(value) or value <= 0:
        return f"{value:g} is not a number of seconds greater than 0"
    if value < 1:
        return f"{value:g} s is too short for a mail server on a real network (at least 1)"
    if value > TIMEOUT_LIMIT:
        return f"{value:g} s is too long to wait for a mail server (at most {TIMEOUT_LIMIT:g})"
    return ""


def usable_timeout(value: object) -> float:
    """The timeout the mail code really uses: a bad one falls back to the default, a long one is capped.

    Settings built in code are not checked like the site file is, and socket
    timeouts refuse inf and nan (and overflow on 1e300).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return DEFAULT_TIMEOUT
    return float(min(value, TIMEOUT_LIMIT))


def is_local_host(host: str) -> bool:
    """Whether mail to host stays on this machine (so security = "none" exposes nothing)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def password_file_problem(info: os.stat_result, shown: str) -> str:
    """Why a mail password file must not be used (not a plain file, or open to others), or ""."""
    if not stat.S_ISREG(info.st_mode):
        return f"{shown} is not a regular file"
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        return f"{shown} can be read or changed by others (mode {mode:04o}): run chmod 600 {shown}"
    if info.st_size == 0:
        return f"{shown} is empty: write the mail password in it"
    return ""

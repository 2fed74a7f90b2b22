"""Alert settings and the error every alert channel raises.

Kept apart from shift.alerts (smtplib, ssl, email, subprocess), which is only
imported when an alert is sent, so reading site.toml stays quick.
"""

from types import MappingProxyType
from typing import Mapping, NamedTuple


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
    timeout: float = 10.0  # seconds for connecting and each SMTP command

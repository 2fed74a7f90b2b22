"""Alert channels for lone-worker escalation: email over SMTP and site commands.

Everything here blocks (network, subprocesses): callers run it off the UI
thread. Failures raise AlertError with a message a person can act on.
"""

from __future__ import annotations

import email.utils
import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Mapping

from shift.alertconfig import (  # noqa: F401 (AlertError and EmailSettings are re-exported)
    AlertError,
    EmailSettings,
    is_local_host,
    password_file_problem,
    usable_timeout,
)

SECURITY_MODES = ("starttls", "ssl", "none")
OUTPUT_LIMIT = 4000  # characters of command output kept
ALERT_ENV = "SOLO_SHIFT_ALERT"
_PASSWORD_FILE_LIMIT = 64 * 1024

# Everything that could end a header line, plus other control characters (C0, DEL, C1).
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

# A site command sees only these variables (and LC_*), never one whose name says it is secret.
_COMMAND_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "TMPDIR",
                "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|API_?KEY|PRIVATE_?KEY", re.IGNORECASE)
_MASK = "********"
# OpenSSL's verify codes for a certificate that is valid but names another host or address.
_NAME_MISMATCH = (62, 64)


# -- password -------------------------------------------------------------------


def resolve_password(settings: EmailSettings) -> str:
    """The SMTP password from the environment or an owner-only file; "" when none is set."""
    if settings.password_env and settings.password_file:
        raise AlertError("mail password: set password_env or password_file, not both")
    if settings.password_env:
        name = settings.password_env
        value = os.environ.get(name)
        if value is None:
            raise AlertError(f"mail password: environment variable {name} is not set")
        if value == "":
            raise AlertError(f"mail password: environment variable {name} is empty")
        return value
    if settings.password_file:
        return _read_password_file(settings.password_file)
    return ""


def _read_password_file(path: str) -> str:
    shown = os.path.expanduser(path)
    try:
        # Open first and check the opened file: no race between check and read.
        fd = os.open(shown, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise AlertError(f"mail password file {shown} does not exist") from None
    except OSError as exc:
        raise AlertError(f"cannot read mail password file {shown} ({_os_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        problem = password_file_problem(info, shown)
        if problem:
            raise AlertError(f"mail password file {problem}")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise AlertError(
                f"mail password file {shown} is owned by uid {info.st_uid}, not by you "
                f"(uid {os.getuid()}); refusing to use it"
            )
        data = b""
        while len(data) <= _PASSWORD_FILE_LIMIT:
            chunk = os.read(fd, 8192)
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        raise AlertError(f"cannot read mail password file {shown} ({_os_reason(exc)})") from None
    finally:
        os.close(fd)
    if len(data) > _PASSWORD_FILE_LIMIT:
        raise AlertError(f"mail password file {shown} is too large to be a password")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AlertError(f"mail password file {shown} is not UTF-8 text") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise AlertError(f"mail password file {shown} is empty: write the password in it")
    return text


# -- message --------------------------------------------------------------------


def _one_line(text: str) -> str:
    """Header-safe text: line breaks and control characters collapse to one space."""
    return _LINE_BREAKS.sub(" ", text).strip()


def _bare_address(address: str, what: str) -> str:
    if _LINE_BREAKS.search(address):
        raise AlertError(f"{what} address {address!r} contains a line break")
    _name, bare = email.utils.parseaddr(address)
    if not bare or "@" not in bare or bare.startswith("@") or bare.endswith("@"):
        raise AlertError(f"{what} address {address!r} is not a valid email address")
    return bare


def _recipients(settings: EmailSettings, purpose: str) -> tuple[list[str], list[str]]:
    """(header addresses, envelope addresses) for purpose; AlertError when there are none."""
    configured = [a.strip() for a in (settings.recipients or {}).get(purpose, ()) if a and a.strip()]
    if not configured:
        raise AlertError(f"no email recipients configured for {purpose!r}")
    envelope = [_bare_address(a, f"{purpose} recipient") for a in configured]
    return configured, envelope


def build_message(settings: EmailSettings, purpose: str, subject: str, body: str,
                  html: str | None = None) -> EmailMessage:
    """A plain-text email for the recipients configured for purpose; with `html`, the same
    content as a page too (multipart/alternative: the text first, the page preferred)."""
    if not settings.sender.strip():
        raise AlertError("no sender address configured for alert email")
    sender_bare = _bare_address(settings.sender.strip(), "sender")
    to_header, _envelope = _recipients(settings, purpose)
    domain = sender_bare.rpartition("@")[2] or "solo-shift.invalid"
    msg = EmailMessage()
    try:
        msg["From"] = settings.sender.strip()
        msg["To"] = ", ".join(to_header)
        msg["Subject"] = _one_line(subject)
        msg["Date"] = email.utils.formatdate(localtime=True)
        msg["Message-ID"] = email.utils.make_msgid(domain=domain)
        if body.isascii():
            msg.set_content(body)
        else:
            # Quoted-printable survives servers without 8BITMIME.
            msg.set_content(body, cte="quoted-printable")
        if html is not None:
            msg.add_alternative(html, subtype="html", cte="quoted-printable")
    except (ValueError, TypeError) as exc:
        raise AlertError(f"cannot build alert email for {purpose}: {exc}") from None
    return msg


# -- SMTP -----------------------------------------------------------------------


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _timed_out(exc: BaseException | None) -> bool:
    """smtplib reports a read timeout as SMTPServerDisconnected raised while handling it."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _reply_text(raw: object) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = " ".join(str(raw).split())
    return text[:200]


def _smtp_reason(exc: BaseException, where: str) -> str:
    """A short human reason for an error raised during an SMTP session."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{addr} ({code} {_reply_text(reply)})" for addr, (code, reply) in exc.recipients.items()
        )
        return f"{where} refused the recipients: {refused}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{where} refused the sender {exc.sender} ({exc.smtp_code} {_reply_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{where} refused the login ({exc.smtp_code} {_reply_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} answered {exc.smtp_code} {_reply_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if _timed_out(exc):
            return f"{where} timed out"
        return f"{where} closed the connection"
    if isinstance(exc, smtplib.SMTPException):
        return f"{where}: {_os_reason(exc)}"
    if isinstance(exc, OSError):
        return f"connection to {where} failed ({_os_reason(exc)})"
    return f"{where}: {_os_reason(exc)}"


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.close()
    except Exception:  # noqa: BLE001 - closing must never hide the real error
        pass


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:  # noqa: BLE001 - the work is done; a rude goodbye is harmless
        _close(smtp)


def _tls_context(settings: EmailSettings) -> ssl.SSLContext:
    """Verification against the site's CA file ([email] ca_file) or, without one, the system's trust store."""
    ca_file = (settings.ca_file or "").strip()
    if not ca_file:
        return ssl.create_default_context()
    path = os.path.expanduser(ca_file)
    try:
        return ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise AlertError(f"the CA file {path} ([email] ca_file) does not exist") from None
    except ssl.SSLError as exc:
        raise AlertError(f"the CA file {path} ([email] ca_file) holds no usable PEM certificate "
                         f"({exc.reason or exc})") from None
    except OSError as exc:
        raise AlertError(f"cannot read the CA file {path} ([email] ca_file) ({_os_reason(exc)})") from None


def _certificate_reason(exc: ssl.SSLCertVerificationError, settings: EmailSettings, where: str) -> str:
    """Why the server's certificate was refused, and what the person setting up the site can do."""
    detail = exc.verify_message or exc.reason or str(exc)
    host = settings.host.strip()
    if exc.verify_code in _NAME_MISMATCH or "mismatch" in str(detail).lower():
        return (f"{where}: the mail server's certificate is not for {host} ({detail}): set [email] host "
                "to the name on the server's certificate")
    trusted_by = f"the CA in {settings.ca_file.strip()}" if (settings.ca_file or "").strip() else \
        "this computer's trust store"
    return (f"{where}: the mail server's certificate is not trusted by {trusted_by} ({detail}): "
            "set [email] ca_file to your organisation's CA, or check host")


def _open_session(settings: EmailSettings) -> smtplib.SMTP:
    """Connect, EHLO, STARTTLS if configured, log in if a user is set.

    Raises AlertError with a reason (no purpose prefix) and leaves nothing open.
    """
    host = (settings.host or "").strip()
    if not host:
        raise AlertError("no mail server configured")
    security = (settings.security or "").strip().lower()
    if security not in SECURITY_MODES:
        raise AlertError(f"unknown mail security {settings.security!r} (use starttls, ssl or none)")
    try:
        port = int(settings.port)
    except (TypeError, ValueError):
        raise AlertError(f"mail server port {settings.port!r} is not a number") from None
    if not 0 < port < 65536:
        raise AlertError(f"mail server port {port} is out of range")
    where = f"{host}:{port}"
    if security == "none" and settings.user and not is_local_host(host):
        raise AlertError(f"refusing to send the mail password unencrypted to {where}: "
                         'set [email] security = "starttls" or "ssl"')
    password = resolve_password(settings) if settings.user else ""
    context = _tls_context(settings) if security != "none" else None
    timeout = usable_timeout(settings.timeout)

    smtp: smtplib.SMTP | None = None
    try:
        # The host goes to the constructor: it is the name TLS checks the certificate against
        # (an SMTP object connect()ed later has none, and STARTTLS then fails).
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
    except ssl.SSLCertVerificationError as exc:
        _close(smtp)
        raise AlertError(_certificate_reason(exc, settings, where)) from None
    except smtplib.SMTPServerDisconnected as exc:
        _close(smtp)
        reason = "timed out" if _timed_out(exc) else "the server closed the connection"
        raise AlertError(f"cannot reach {where} ({reason})") from None
    except smtplib.SMTPResponseException as exc:
        _close(smtp)
        raise AlertError(f"cannot reach {where} ({exc.smtp_code} {_reply_text(exc.smtp_error)})") from None
    except (OSError, ValueError) as exc:  # refused, timeout, DNS, TLS handshake
        _close(smtp)
        raise AlertError(f"cannot reach {where} ({_os_reason(exc)})") from None

    try:
        code, reply = smtp.ehlo()
        if not 200 <= code < 300:
            if security == "starttls":
                raise AlertError(f"{where} refused EHLO ({code} {_reply_text(reply)}), so no STARTTLS")
            code, reply = smtp.helo()
            if not 200 <= code < 300:
                raise AlertError(f"{where} refused HELO ({code} {_reply_text(reply)})")
        if security == "starttls":
            if not smtp.has_extn("starttls"):
                raise AlertError(
                    f"{where} does not offer STARTTLS; refusing to send without encryption"
                )
            code, reply = smtp.starttls(context=context)
            if code != 220:
                raise AlertError(f"{where} refused STARTTLS ({code} {_reply_text(reply)})")
            code, reply = smtp.ehlo()
            if not 200 <= code < 300:
                raise AlertError(f"{where} refused EHLO after STARTTLS ({code} {_reply_text(reply)})")
        if settings.user:
            if not smtp.has_extn("auth"):
                raise AlertError(f"{where} does not offer login (AUTH) but a mail user is configured")
            smtp.login(settings.user, password)
    except AlertError:
        _close(smtp)
        raise
    except ssl.SSLCertVerificationError as exc:
        _close(smtp)
        raise AlertError(_certificate_reason(exc, settings, where)) from None
    except smtplib.SMTPAuthenticationError as exc:
        _close(smtp)
        raise AlertError(
            f"{where} refused the login for {settings.user} "
            f"({exc.smtp_code} {_reply_text(exc.smtp_error)})"
        ) from None
    except (OSError, ValueError) as exc:  # SMTPException is an OSError
        _close(smtp)
        raise AlertError(_smtp_reason(exc, where)) from None
    return smtp


def send_email(settings: EmailSettings, purpose: str, subject: str, body: str,
               html: str | None = None) -> list[str]:
    """Send an alert to the addresses configured for purpose; returns the accepted recipients.

    Raises AlertError ("email to <purpose> not sent: ...") on any failure.
    """
    prefix = f"email to {purpose} not sent"
    try:
        msg = build_message(settings, purpose, subject, body, html)
        _header, envelope_to = _recipients(settings, purpose)
        envelope_from = _bare_address(settings.sender.strip(), "sender")
        smtp = _open_session(settings)
    except AlertError as exc:
        raise AlertError(f"{prefix}: {exc}") from None

    where = f"{settings.host.strip()}:{settings.port}"
    try:
        refused = smtp.send_message(msg, from_addr=envelope_from, to_addrs=envelope_to)
    except (OSError, ValueError) as exc:  # SMTPException is an OSError
        _close(smtp)
        raise AlertError(f"{prefix}: {_smtp_reason(exc, where)}") from None
    _quit(smtp)
    return [addr for addr in envelope_to if addr not in (refused or {})]


def test_channel(settings: EmailSettings) -> None:
    """Check the mail server answers, without sending anything: EHLO, STARTTLS, login, NOOP, QUIT."""
    prefix = "email alert channel not working"
    try:
        smtp = _open_session(settings)
    except AlertError as exc:
        raise AlertError(f"{prefix}: {exc}") from None
    where = f"{settings.host.strip()}:{settings.port}"
    try:
        code, reply = smtp.noop()
        if code != 250:
            raise AlertError(f"{prefix}: {where} answered NOOP with {code} {_reply_text(reply)}")
    except AlertError:
        _close(smtp)
        raise
    except (OSError, ValueError) as exc:
        _close(smtp)
        raise AlertError(f"{prefix}: {_smtp_reason(exc, where)}") from None
    _quit(smtp)


# Not a pytest test, despite the name.
test_channel.__test__ = False  # type: ignore[attr-defined]


# -- site commands --------------------------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output: str


def _first_line(output: str) -> str:
    for line in output.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _with_output(text: str, output: str) -> str:
    first = _first_line(output)
    return f"{text}: {first}" if first else text


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the command and anything it started (it runs in its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        try:
            proc.kill()
        except OSError:
            pass


def _as_text(data: object) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return str(data)


def command_environment(email: EmailSettings | None = None,
                        environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The few variables a site command gets: PATH, HOME, LANG, LC_*, TZ, USER, TMPDIR, proxies and CA
    settings. Never the mail password's variable, nor any whose name says password, secret, token or key."""
    source = os.environ if environ is None else environ
    password_env = (email.password_env if email is not None else "") or ""
    env = {}
    for name, value in source.items():
        if name == password_env or _SECRET_NAME.search(name):
            continue
        if name.upper() in _COMMAND_ENV or name.startswith("LC_"):
            env[name] = value
    return env


def _secrets(email: EmailSettings | None) -> list[str]:
    """Text that must never be kept from a command's output: the mail password and secret-named variables."""
    found = []
    password_env = (email.password_env if email is not None else "") or ""
    for name, value in os.environ.items():
        if (name == password_env and value) or (_SECRET_NAME.search(name) and len(value) >= 4):
            found.append(value)
    if email is not None and email.user and email.password_file:
        try:
            found.append(resolve_password(email))
        except AlertError:
            pass  # a password that cannot be read cannot be printed by the command either
    # Longest first, so a secret that contains another is masked whole.
    return sorted({s for s in found if s}, key=len, reverse=True)


def mask_secrets(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, _MASK)
        stripped = secret.strip()
        if stripped and stripped != secret:
            text = text.replace(stripped, _MASK)
    return text


def run_command(argv: list[str] | tuple[str, ...], message: str, timeout: float = 20.0,
                *, email: EmailSettings | None = None) -> CommandResult:
    """Run a site alert command without a shell, the alert text on stdin and in $SOLO_SHIFT_ALERT.

    The command runs with a minimal environment (command_environment): the mail
    password never reaches it, and any secret it prints anyway (the site's mail
    password when email is given, or a secret-named variable's value) is masked
    in the output kept. Returns the exit code and combined output (at most 4000
    characters); raises AlertError when the command cannot start, exits non-zero
    or outlasts timeout.
    """
    if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)):
        raise AlertError("alert command must be a list of program and arguments")
    if not argv or not all(isinstance(a, str) for a in argv) or not argv[0].strip():
        raise AlertError("alert command must be a non-empty list of strings")
    if not isinstance(message, str):
        raise AlertError("alert text must be a string")
    args = list(argv)
    name = os.path.basename(args[0]) or args[0]
    try:
        limit = float(timeout)
    except (TypeError, ValueError):
        raise AlertError(f"alert command timeout {timeout!r} is not a number") from None
    if not limit > 0:
        raise AlertError(f"alert command timeout must be positive, not {timeout!r}")

    env = command_environment(email)
    env[ALERT_ENV] = message
    secrets = _secrets(email)
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            shell=False,
            close_fds=True,
            start_new_session=True,  # so a timeout can kill what it started, too
        )
    except FileNotFoundError:
        raise AlertError(f"alert command {name} not found ({args[0]})") from None
    except PermissionError:
        raise AlertError(f"alert command {name} cannot be run: permission denied ({args[0]})") from None
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise AlertError(f"alert command {name} cannot be run ({_os_reason(exc)})") from None

    try:
        output, _ = proc.communicate(message, timeout=limit)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        partial = _as_text(exc.output)
        try:
            rest, _ = proc.communicate(timeout=2)  # everything, including what came before
            partial = rest or partial
        except (subprocess.TimeoutExpired, OSError, ValueError):
            pass
        partial = mask_secrets(partial, secrets)
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        raise AlertError(_with_output(f"alert command {name} timed out after {limit:g} s", partial)) from None
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    output = mask_secrets(output or "", secrets)[:OUTPUT_LIMIT]
    code = proc.returncode
    if code != 0:
        if code < 0:
            try:
                reason = f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                reason = f"was killed by signal {-code}"
        else:
            reason = f"failed with exit code {code}"
        raise AlertError(_with_output(f"alert command {name} {reason}", output))
    return CommandResult(returncode=code, output=output)

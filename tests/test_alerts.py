"""Alert channels against a real SMTP server (aiosmtpd on 127.0.0.1) and real subprocesses."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import ssl
import sys

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from shift import alerts
from shift.alerts import AlertError, CommandResult, EmailSettings

SECURITY = ("security@lib.example.org", "night-guard@lib.example.org")
SUPERVISOR = ("supervisor@lib.example.org",)
SENDER = "desk@lib.example.org"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """Collects every MAIL command and every delivered envelope."""

    def __init__(self) -> None:
        self.mail_from: list[str] = []
        self.envelopes: list = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_from.append(address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def start_server(request, **smtp_parameters):
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_parameters)
    controller.start()
    request.addfinalizer(controller.stop)
    return handler, port


@pytest.fixture
def server(request):
    return start_server(request)


def settings_for(port: int, **overrides) -> EmailSettings:
    values = dict(
        host="127.0.0.1",
        port=port,
        security="none",
        sender=SENDER,
        recipients={"security": SECURITY, "supervisor": SUPERVISOR},
        timeout=5.0,
    )
    values.update(overrides)
    return EmailSettings(**values)


def parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)


# -- sending -----------------------------------------------------------------------


def test_send_email_delivers_envelope_subject_and_body(server):
    handler, port = server
    body = "No check-in from the desk since 21:00.\nLast location: Level 2 stacks.\nCafé closed.\n"
    sent = alerts.send_email(settings_for(port), "security", "Missed check-in — Robarts desk", body)

    assert sent == list(SECURITY)
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == list(SECURITY)
    message = parsed(envelope)
    assert message["Subject"] == "Missed check-in — Robarts desk"
    assert message["From"] == SENDER
    assert [a.addr_spec for a in message["To"].addresses] == list(SECURITY)
    assert message["Date"] is not None
    assert message["Message-ID"].endswith("@lib.example.org>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == body  # CRLF is the wire's line ending


def test_send_email_uses_only_the_purposes_recipients(server):
    handler, port = server
    alerts.send_email(settings_for(port), "supervisor", "Escalation", "Security did not acknowledge.\n")
    assert [e.rcpt_tos for e in handler.envelopes] == [list(SUPERVISOR)]


def test_subject_line_breaks_cannot_inject_headers(server):
    handler, port = server
    subject = "Panic\r\nBcc: x@evil.example\nX-Injected: yes"
    alerts.send_email(settings_for(port), "security", subject, "help\n")

    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == list(SECURITY)
    message = parsed(envelope)
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert message["Subject"] == "Panic Bcc: x@evil.example X-Injected: yes"
    header_block = envelope.original_content.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith((b"bcc:", b"x-injected:")) for line in header_block.split(b"\r\n"))


def test_build_message_headers_without_a_server():
    settings = settings_for(25)
    message = alerts.build_message(settings, "security", "Duress\rcode\n\nused", "body\n")
    assert message["Subject"] == "Duress code used"
    assert message["To"] == ", ".join(SECURITY)
    assert message.get_content() == "body\n"


def test_unknown_purpose_is_refused_before_connecting(server):
    handler, port = server
    with pytest.raises(AlertError, match="no email recipients configured for 'janitor'"):
        alerts.send_email(settings_for(port), "janitor", "x", "y")
    with pytest.raises(AlertError, match="janitor"):
        alerts.build_message(settings_for(port), "janitor", "x", "y")
    assert handler.mail_from == []


# -- channel check -----------------------------------------------------------------


def test_channel_check_succeeds_and_sends_nothing(server):
    handler, port = server
    assert alerts.test_channel(settings_for(port)) is None
    assert handler.mail_from == []
    assert handler.envelopes == []


# -- failures ----------------------------------------------------------------------


def test_server_down_names_host_and_port():
    port = free_port()  # nothing listens here
    settings = settings_for(port)
    with pytest.raises(AlertError) as sent:
        alerts.send_email(settings, "security", "x", "y")
    assert str(sent.value).startswith("email to security not sent: cannot reach")
    assert f"127.0.0.1:{port}" in str(sent.value)
    with pytest.raises(AlertError) as checked:
        alerts.test_channel(settings)
    assert f"127.0.0.1:{port}" in str(checked.value)


def test_silent_server_times_out_as_alert_error():
    # A listening socket that never answers: the TCP connect works, the greeting never comes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        settings = settings_for(port, timeout=0.5)
        with pytest.raises(AlertError, match="timed out") as sent:
            alerts.send_email(settings, "security", "x", "y")
        assert f"127.0.0.1:{port}" in str(sent.value)
        with pytest.raises(AlertError, match="timed out"):
            alerts.test_channel(settings)


def test_starttls_not_offered_fails_without_sending(server):
    handler, port = server
    settings = settings_for(port, security="starttls")
    with pytest.raises(AlertError, match="does not offer STARTTLS") as sent:
        alerts.send_email(settings, "security", "x", "y")
    assert str(sent.value).startswith("email to security not sent:")
    with pytest.raises(AlertError, match="STARTTLS"):
        alerts.test_channel(settings)
    assert handler.mail_from == []
    assert handler.envelopes == []


def test_ssl_against_a_plain_server_fails_without_sending(server):
    handler, port = server
    with pytest.raises(AlertError, match=f"cannot reach 127.0.0.1:{port}"):
        alerts.send_email(settings_for(port, security="ssl"), "security", "x", "y")
    assert handler.envelopes == []


def test_unknown_security_mode_is_refused(server):
    handler, port = server
    with pytest.raises(AlertError, match="unknown mail security"):
        alerts.send_email(settings_for(port, security="tls-please"), "security", "x", "y")
    assert handler.mail_from == []


def test_missing_sender_is_refused(server):
    handler, port = server
    with pytest.raises(AlertError, match="sender"):
        alerts.send_email(settings_for(port, sender=""), "security", "x", "y")
    assert handler.mail_from == []


def test_user_set_but_server_offers_no_auth(server, monkeypatch):
    handler, port = server
    monkeypatch.setenv("SOLO_SHIFT_TEST_PW", "pw")
    settings = settings_for(port, user="desk", password_env="SOLO_SHIFT_TEST_PW")
    with pytest.raises(AlertError, match="AUTH"):
        alerts.send_email(settings, "security", "x", "y")
    assert handler.envelopes == []


# -- login -------------------------------------------------------------------------


def check_login(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and auth_data == (b"desk", b"s3cret pass")
    return AuthResult(success=good, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def auth_server(request):
    return start_server(request, authenticator=check_login, auth_require_tls=False)


def test_login_with_right_password_sends(auth_server, monkeypatch):
    handler, port = auth_server
    monkeypatch.setenv("SOLO_SHIFT_TEST_PW", "s3cret pass")
    settings = settings_for(port, user="desk", password_env="SOLO_SHIFT_TEST_PW")
    alerts.test_channel(settings)
    assert alerts.send_email(settings, "supervisor", "x", "y\n") == list(SUPERVISOR)
    assert len(handler.envelopes) == 1


def test_login_with_wrong_password_fails(auth_server, monkeypatch):
    handler, port = auth_server
    monkeypatch.setenv("SOLO_SHIFT_TEST_PW", "wrong")
    settings = settings_for(port, user="desk", password_env="SOLO_SHIFT_TEST_PW")
    with pytest.raises(AlertError, match="refused the login for desk"):
        alerts.send_email(settings, "security", "x", "y")
    with pytest.raises(AlertError, match="refused the login"):
        alerts.test_channel(settings)
    assert handler.mail_from == []


def test_unset_password_variable_fails_before_connecting(auth_server, monkeypatch):
    handler, port = auth_server
    monkeypatch.delenv("SOLO_SHIFT_TEST_PW", raising=False)
    settings = settings_for(port, user="desk", password_env="SOLO_SHIFT_TEST_PW")
    with pytest.raises(AlertError, match="SOLO_SHIFT_TEST_PW"):
        alerts.send_email(settings, "security", "x", "y")
    assert handler.mail_from == []


# -- password ----------------------------------------------------------------------


def test_password_none_configured():
    assert alerts.resolve_password(EmailSettings(host="h")) == ""


def test_password_from_environment(monkeypatch):
    monkeypatch.setenv("SOLO_SHIFT_TEST_PW", "from-env\n")
    assert alerts.resolve_password(EmailSettings(host="h", password_env="SOLO_SHIFT_TEST_PW")) == "from-env\n"
    monkeypatch.delenv("SOLO_SHIFT_TEST_PW")
    with pytest.raises(AlertError, match="SOLO_SHIFT_TEST_PW"):
        alerts.resolve_password(EmailSettings(host="h", password_env="SOLO_SHIFT_TEST_PW"))


def test_password_file_owner_only(tmp_path):
    path = tmp_path / "smtp-password"
    path.write_text("hunter2 x\n\n")
    path.chmod(0o600)
    # Exactly one trailing newline is removed.
    assert alerts.resolve_password(EmailSettings(host="h", password_file=str(path))) == "hunter2 x\n"
    path.write_text("hunter2")
    path.chmod(0o400)
    assert alerts.resolve_password(EmailSettings(host="h", password_file=str(path))) == "hunter2"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o602])
def test_password_file_readable_by_others_is_refused(tmp_path, mode):
    path = tmp_path / "smtp-password"
    path.write_text("hunter2\n")
    path.chmod(mode)
    with pytest.raises(AlertError, match=f"mode {mode:04o}.*chmod 600"):
        alerts.resolve_password(EmailSettings(host="h", password_file=str(path)))


def test_password_file_missing_is_refused(tmp_path):
    path = tmp_path / "absent"
    with pytest.raises(AlertError, match="does not exist"):
        alerts.resolve_password(EmailSettings(host="h", password_file=str(path)))


# -- site commands -----------------------------------------------------------------


def test_run_command_passes_message_on_stdin_and_in_environment():
    code = "import os, sys; print('sent:', sys.stdin.read()); print('env:', os.environ['SOLO_SHIFT_ALERT'])"
    result = alerts.run_command([sys.executable, "-c", code], "Panic at Robarts desk", timeout=10)
    assert result == CommandResult(returncode=0, output=result.output)
    assert result.returncode == 0
    assert "sent: Panic at Robarts desk" in result.output
    assert "env: Panic at Robarts desk" in result.output


def test_run_command_never_interprets_shell_metacharacters(tmp_path):
    message = f"; touch {tmp_path / 'X'} && touch {tmp_path / 'Y'} $(touch {tmp_path / 'Z'}) | cat"
    code = ("import os, sys; print(sys.stdin.read() == os.environ['SOLO_SHIFT_ALERT']); "
            "print(os.environ['SOLO_SHIFT_ALERT'])")
    result = alerts.run_command((sys.executable, "-c", code), message, timeout=10)
    assert result.output.splitlines() == ["True", message]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_run_command_output_is_combined_and_truncated():
    code = "import sys; sys.stderr.write('E' * 3000); sys.stderr.flush(); print('O' * 3000)"
    result = alerts.run_command([sys.executable, "-c", code], "m", timeout=10)
    assert len(result.output) == 4000
    assert set(result.output) == {"E", "O"}


def test_run_command_nonzero_exit_raises_with_code_and_first_line():
    code = "import sys; print('gateway said: no credit', file=sys.stderr); print('more'); sys.exit(3)"
    with pytest.raises(AlertError, match="exit code 3: gateway said: no credit"):
        alerts.run_command([sys.executable, "-c", code], "m", timeout=10)


def test_run_command_missing_program(tmp_path):
    with pytest.raises(AlertError, match="not found"):
        alerts.run_command([str(tmp_path / "no-such-sms-gateway")], "m")


def test_run_command_not_executable(tmp_path):
    script = tmp_path / "sms.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    if os.access(script, os.X_OK):  # root may execute anything
        pytest.skip("running with privileges that ignore the execute bit")
    with pytest.raises(AlertError, match="permission denied"):
        alerts.run_command([str(script)], "m")


def test_run_command_timeout(tmp_path):
    code = "import sys, time; print('dialling', flush=True); time.sleep(30)"
    with pytest.raises(AlertError, match=r"timed out after 0\.5 s: dialling"):
        alerts.run_command([sys.executable, "-c", code], "m", timeout=0.5)


@pytest.mark.parametrize("argv", [[], "sms-gateway --send", ["sms", 3], [""], None])
def test_run_command_rejects_bad_argv(argv):
    with pytest.raises(AlertError, match="alert command"):
        alerts.run_command(argv, "m")


# -- TLS: a real server with a throwaway CA -----------------------------------------
#
# The desk trusts only what the site says: its CA file, or else the system's store
# (which has never heard of this CA). A certificate for "localhost" only.


class TLSRecorder(Recorder):
    """Also notes whether each delivered message travelled inside TLS."""

    def __init__(self) -> None:
        super().__init__()
        self.encrypted: list[bool] = []

    async def handle_DATA(self, server, session, envelope):
        # STARTTLS marks the session; implicit TLS is only visible on the transport.
        on_tls = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        self.encrypted.append(session.ssl is not None or on_tls)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def server_context(ca, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("localhost",))).configure_cert(context)
    return context


def write_ca_file(ca, folder) -> str:
    """The CA's certificate as the PEM file a site names in [email] ca_file."""
    path = folder / "campus-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def ca_file(ca, tmp_path) -> str:
    return write_ca_file(ca, tmp_path)


def start_tls_server(request, mode: str, context: ssl.SSLContext, **smtp_parameters):
    """STARTTLS (required before anything else) or implicit TLS, on 127.0.0.1 ("localhost" to the client)."""
    handler = TLSRecorder()
    port = free_port()
    if mode == "starttls":
        controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                                require_starttls=True, **smtp_parameters)
    else:
        # The controller's readiness check opens a TLS connection of its own (not verified).
        controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=context, **smtp_parameters)
    controller.start()
    request.addfinalizer(controller.stop)
    return handler, port


def tls_settings(port: int, mode: str, **overrides) -> EmailSettings:
    return settings_for(port, **{"host": "localhost", "security": mode, **overrides})


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_alarm_mail_goes_out_over_tls_checked_against_the_sites_ca(request, ca, ca_file, mode, monkeypatch):
    # Over STARTTLS the server offers login only once TLS is up (aiosmtpd's default), as a real one does.
    # aiosmtpd 1.4.6 does not count implicit TLS as TLS for that rule, so there it is told so.
    handler, port = start_tls_server(request, mode, server_context(ca), authenticator=check_login,
                                     auth_require_tls=(mode == "starttls"))
    monkeypatch.setenv("SOLO_SHIFT_TEST_PW", "s3cret pass")
    settings = tls_settings(port, mode, ca_file=ca_file, user="desk", password_env="SOLO_SHIFT_TEST_PW")

    alerts.test_channel(settings)
    sent = alerts.send_email(settings, "security", "Missed check-in", "No check-in since 21:00.\n")

    assert sent == list(SECURITY)
    assert handler.encrypted == [True]
    assert parsed(handler.envelopes[0])["Subject"] == "Missed check-in"


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_certificate_the_site_does_not_trust_is_refused_with_what_to_do(request, ca, mode):
    handler, port = start_tls_server(request, mode, server_context(ca))
    settings = tls_settings(port, mode)  # no ca_file: the system's store, which never saw this CA

    with pytest.raises(AlertError) as refused:
        alerts.send_email(settings, "security", "Missed check-in", "x\n")
    reason = str(refused.value)
    assert reason.startswith(f"email to security not sent: localhost:{port}: "
                             "the mail server's certificate is not trusted")
    assert "set [email] ca_file to your organisation's CA, or check host" in reason
    with pytest.raises(AlertError, match="certificate is not trusted"):
        alerts.test_channel(settings)
    assert handler.mail_from == [] and handler.envelopes == []


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
@pytest.mark.parametrize("host, names", [("127.0.0.1", ("localhost",)), ("localhost", ("mail.elsewhere.example",))])
def test_a_certificate_for_another_name_is_refused(request, ca, ca_file, mode, host, names, monkeypatch):
    handler, port = start_tls_server(request, mode, server_context(ca, *names), authenticator=check_login)
    monkeypatch.setenv("SOLO_SHIFT_TEST_PW", "s3cret pass")
    settings = tls_settings(port, mode, host=host, ca_file=ca_file, user="desk", password_env="SOLO_SHIFT_TEST_PW")

    with pytest.raises(AlertError) as refused:
        alerts.send_email(settings, "security", "Missed check-in", "x\n")
    reason = str(refused.value)
    assert f"{host}:{port}: the mail server's certificate is not for {host}" in reason
    assert "set [email] host to the name on the server's certificate" in reason
    assert handler.mail_from == [] and handler.envelopes == []


def test_a_ca_file_that_is_gone_or_not_a_certificate_is_said(request, ca, tmp_path):
    _handler, port = start_tls_server(request, "starttls", server_context(ca))
    with pytest.raises(AlertError, match=r"the CA file .*gone\.pem \(\[email\] ca_file\) does not exist"):
        alerts.send_email(tls_settings(port, "starttls", ca_file=str(tmp_path / "gone.pem")), "security", "x", "y")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(AlertError, match="holds no usable PEM certificate"):
        alerts.test_channel(tls_settings(port, "starttls", ca_file=str(junk)))


def test_no_password_crosses_the_network_in_clear(server, monkeypatch):
    handler, port = server
    monkeypatch.setenv("SOLO_SHIFT_TEST_PW", "s3cret pass")
    remote = settings_for(port, host="192.0.2.25", user="desk", password_env="SOLO_SHIFT_TEST_PW")
    with pytest.raises(AlertError, match='unencrypted to 192.0.2.25:.*security = "starttls" or "ssl"'):
        alerts.send_email(remote, "security", "x", "y")
    # Without a login, a plain relay (here on this machine) is used as configured.
    assert alerts.send_email(settings_for(port), "security", "x", "y\n") == list(SECURITY)


@pytest.mark.parametrize("timeout", [float("inf"), 1e300, float("nan"), 0, -5])
def test_a_timeout_built_in_code_never_breaks_the_send(server, timeout):
    handler, port = server
    assert alerts.send_email(settings_for(port, timeout=timeout), "security", "x", "y\n") == list(SECURITY)
    assert len(handler.envelopes) == 1


def test_usable_timeout_caps_and_falls_back():
    from shift.alertconfig import usable_timeout

    assert usable_timeout(2.5) == 2.5
    assert usable_timeout(1e300) == 300.0
    assert usable_timeout(float("inf")) == usable_timeout(float("nan")) == usable_timeout(-1) == 10.0
    assert usable_timeout(True) == 10.0


# -- site commands: secrets stay put -----------------------------------------------

_SHOW_ENV = "import json, os; print(json.dumps(sorted(os.environ)))"


def test_a_command_step_never_sees_the_mail_password(monkeypatch):
    import json

    monkeypatch.setenv("DESK_MAIL", "hunter2-mail")  # password_env may have any name
    monkeypatch.setenv("SMS_GATEWAY_TOKEN", "tok-123456")
    monkeypatch.setenv("LDAP_PASSWORD", "ldap-pw-99")
    monkeypatch.setenv("TZ", "America/Toronto")
    settings = EmailSettings(host="h", user="desk", password_env="DESK_MAIL")

    result = alerts.run_command([sys.executable, "-c", _SHOW_ENV], "Panic", timeout=10, email=settings)

    names = set(json.loads(result.output))
    assert not {"DESK_MAIL", "SMS_GATEWAY_TOKEN", "LDAP_PASSWORD"} & names
    assert {"PATH", "TZ", "SOLO_SHIFT_ALERT"} <= names
    assert names <= {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "TMPDIR", "SSL_CERT_FILE",
                     "SSL_CERT_DIR", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                     "NO_PROXY", "SOLO_SHIFT_ALERT"} | {n for n in names if n.startswith("LC_")}


def test_a_password_a_command_prints_is_not_kept(tmp_path, monkeypatch):
    secret = tmp_path / "smtp-password"
    secret.write_text("hunter2 correct horse\n")
    secret.chmod(0o600)
    settings = EmailSettings(host="h", user="desk", password_file=str(secret))
    leak = f"print('login with', open({str(secret)!r}).read().strip())"

    result = alerts.run_command([sys.executable, "-c", leak], "m", timeout=10, email=settings)
    assert result.output.strip() == "login with ********"

    with pytest.raises(AlertError) as failed:
        alerts.run_command([sys.executable, "-c", leak + "; raise SystemExit(2)"], "m", timeout=10, email=settings)
    assert "hunter2" not in str(failed.value)
    assert str(failed.value).endswith("exit code 2: login with ********")

    monkeypatch.setenv("SOLO_SHIFT_SMTP_PASSWORD", "from-the-environment")
    shout = "import sys; print(sys.argv[1])"
    result = alerts.run_command([sys.executable, "-c", shout, "from-the-environment"], "m", timeout=10)
    assert result.output.strip() == "********"

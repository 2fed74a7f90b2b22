"""`python main.py check`: located problems, the right exit status, never a traceback."""

import subprocess
import sys

from conftest import ROOT, SITE_FILE


def run_check(*args: str, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_shipped_data_passes_with_sample_warnings():
    result = run_check("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning: contacts.security.phone" in result.stdout
    assert "error" not in result.stdout


def test_broken_site_exits_1_with_located_messages(tmp_path):
    text = SITE_FILE.read_text()
    text = text.replace('timezone = "America/Toronto"', 'timezone = "America/Toronto"\ncolour = "blue"')
    text = text.replace('friday    = "08:30-18:00"', 'friday    = "08:30-18:61"')
    site = tmp_path / "site.toml"
    site.write_text(text)
    result = run_check("check", "--site", str(site), cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout.splitlines()
    colour = text[: text.index("colour")].count("\n") + 1
    friday = text[: text.index("friday ")].count("\n") + 1
    assert any(line.startswith(f"site.toml:{colour}: error: library.colour: unknown key") for line in out)
    assert any(line.startswith(f"site.toml:{friday}: error: hours.friday: '18:61' is not a real time") for line in out)
    assert "Traceback" not in result.stdout + result.stderr


def test_toml_syntax_error_exits_1_with_line(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[library]\nname = "Bata Library\n')
    result = run_check("--site", str(site), "check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("site.toml:2: error: TOML syntax:")
    assert "Traceback" not in result.stderr
    # The shipped procedures are not each reported for calling contacts an unread file lacks.
    assert [line for line in result.stdout.splitlines() if ": error: " in line] == [result.stdout.splitlines()[0]]
    assert "checked against the site file once it can be read" in result.stdout


def test_procedure_files_are_checked(tmp_path):
    procedures = tmp_path / "procedures"
    procedures.mkdir()
    (procedures / "broken.toml").write_text("title = \n")
    result = run_check("check", "--procedures", str(procedures), cwd=tmp_path)
    assert result.returncode == 1
    assert "broken.toml:1: error: TOML syntax" in result.stdout


def test_a_task_completed_by_a_missing_step_is_an_error(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(SITE_FILE.read_text().replace('completed_by = "closing.lock-main-doors"',
                                                  'completed_by = "closing.lock-the-doors"'))
    result = run_check("check", "--site", str(site), "--procedures", str(ROOT / "procedures"), cwd=tmp_path)
    assert result.returncode == 1
    assert "tasks: lock-doors: completed_by: no procedure step 'closing.lock-the-doors' was loaded" in result.stdout


def test_mail_settings_that_cannot_work_are_errors_on_their_lines(tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("hunter2\n")
    secret.chmod(0o644)  # anyone on the machine can read it
    text = SITE_FILE.read_text().replace(
        'password_env = "SOLO_SHIFT_SMTP_PASSWORD"',
        f'password_file = "{secret}"\ntimeout = inf')
    site = tmp_path / "site.toml"
    site.write_text(text)
    result = run_check("check", "--site", str(site), cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout.splitlines()
    timeout = text[: text.index("timeout = inf")].count("\n") + 1
    password_file = text[: text.index("password_file = ")].count("\n") + 1
    assert f"site.toml:{timeout}: error: email.timeout: inf is not a number of seconds greater than 0" in out
    assert (f"site.toml:{password_file}: error: email.password_file: {secret} can be read or changed by others "
            f"(mode 0644): run chmod 600 {secret}") in out
    assert "Traceback" not in result.stdout + result.stderr

    secret.chmod(0o600)
    site.write_text(text.replace("timeout = inf", "timeout = 30"))
    fixed = run_check("check", "--site", str(site), cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout

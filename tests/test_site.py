"""The site file: the shipped sample loads; every mistake is located, never a traceback."""

import os
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import SITE_FILE
from shift.site import load_site


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # problems name files relative to the working directory


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def edited(old: str, new: str) -> str:
    text = SITE_FILE.read_text()
    assert old in text
    return text.replace(old, new, 1)


def errors(problems):
    return [str(p) for p in problems if p.is_error]


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_shipped_site_loads_with_only_sample_warnings():
    site, problems = load_site(SITE_FILE)
    assert errors(problems) == []
    warnings = [str(p) for p in problems]
    assert any("contacts.security.phone" in w and "sample" in w for w in warnings)
    assert any("civic_address" in w for w in warnings)
    assert site.name == "Bata Library" and str(site.zone) == "America/Toronto"
    assert site.contacts["emergency"].phone == "9-911"
    assert {z.kind for z in site.zones} >= {"floor", "washroom", "study_room"}
    assert [c.key for c in site.tally.categories][:2] == ["d", "i"]
    assert site.tally.category("reference").read is True
    assert {c.id for c in site.tally.channels} == {"in_person", "phone", "email", "chat"}


def test_unknown_key_is_located_with_a_suggestion(tmp_path):
    text = edited('timezone = "America/Toronto"', 'timezone = "America/Toronto"\ntimezon = "x"')
    _, problems = load_text(tmp_path, text)
    found = errors(problems)
    assert len(found) == 1
    assert found[0].startswith(f"site.toml:{line_of(text, 'timezon =')}: error: library.timezon: unknown key")
    assert "did you mean 'timezone'" in found[0]


def test_bad_time_is_located(tmp_path):
    text = edited('tuesday   = "08:30-23:00"', 'tuesday   = "08:30-25:00"')
    _, problems = load_text(tmp_path, text)
    assert errors(problems) == [
        f"site.toml:{line_of(text, 'tuesday ')}: error: hours.tuesday: '25:00' is not a real time of day"
    ]


def test_toml_syntax_error_gives_line_and_no_crash(tmp_path):
    text = edited('friday    = "08:30-18:00"', 'friday    = "08:30-18:00')
    site, problems = load_text(tmp_path, text)
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"site.toml:{line_of(text, 'friday ')}: error: TOML syntax:")
    assert site.name.startswith("Library")  # the fallback site still lets the desk start


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('monday    = "08:30-23:00"', 'monday    = "18:00-09:00"',
         "hours.monday: '18:00-09:00' closes before it opens"),
        ('monday    = "08:30-23:00"', 'monday    = ["08:00-12:00", "11:00-14:00"]',
         "opening periods overlap"),
        ('monday    = "08:30-23:00"', "monday    = 830", "hours.monday: expected 'closed', 'HH:MM-HH:MM'"),
        ('monday    = "08:30-23:00"\n', "", "missing 'monday'"),
        ("date = 2027-02-15", "date = 2026-12-24", "overlap another exception (Winter holiday closure"),
        ("from = 2027-04-08\nto = 2027-04-28", "from = 2027-04-28\nto = 2027-04-08", "2027-04-08 is before 2027-04-28"),
        ('timezone = "America/Toronto"', 'timezone = "Mars/Olympus"', "'Mars/Olympus' is not a known time zone"),
        ('[contacts.it_help]', '[contacts.it_helpdesk]', "missing contact 'it_help'"),
        ('phone = "705-555-0101"', 'phone = "call Bob"', "'call Bob' is not a phone number"),
        ('key = "i"', 'key = "d"', "'d' is already used by category 'directional'"),
        ('key = "b"', 'key = "u"', "'u' is already an app key"),
        ('key = "b"', 'key = "ctrl+"', "'ctrl+' is not a key name"),
        ('# "shift.end" = "ctrl+e"', '"shift.ends" = "ctrl+e"', "unknown key 'shift.ends' (did you mean 'shift.end'?)"),
        ('kind = "study_room"', 'kind = "lounge"', "'lounge' is not a zone kind"),
        ('read = true', 'read = "yes"', "expected true or false, found text"),
        ('id = "reserves"', 'id = "main"', "duplicate desk id 'main'"),
        ('theme = "textual-dark"', 'theme = "neon"', "'neon' is not a theme"),
        ("date = 2027-02-15", "date = 2027-02-15T10:00:00",
         "exceptions[4].date: expected a date such as 2026-12-25, found a date and time"),
        ('# "shift.end" = "ctrl+e"', '"tally.undo" = "F8"',
         "keys.tally.undo: 'f8' is already the key of 'emergency.open'"),
        ('# "shift.end" = "ctrl+e"', '"tally.undo" = "3"', "keys.tally.undo: '3' is a READ level key"),
        ("keep = 14", "keep = 0", "backup.keep: 0 copies: keep between 1 and 1000"),
        ('copy_to = ""', 'copy_to = "share"', "backup.copy_to: 'share' is not an absolute path"),
        # A prefix no scan can have refuses every card; an empty one lets any through.
        ('prefixes = ["2"]', 'prefixes = ["2", ""]', "prefixes: item 2: '' is not the start of a barcode"),
        ('prefixes = ["2"]', 'prefixes = ["\\u001b[31m2"]', "item 1: '\\x1b[31m2' is not the start of a barcode"),
        ('prefixes = ["3"]', 'prefixes = ["\uff13"]', "is not the start of a barcode: use digits"),
    ],
)
def test_mistakes_are_errors_with_locations(tmp_path, old, new, expected):
    text = edited(old, new)
    _, problems = load_text(tmp_path, text)
    found = errors(problems)
    assert any(expected in f for f in found), found
    assert all(f.startswith("site.toml:") for f in found)
    assert all(f.split(":")[1].isdigit() for f in found), found  # every error has a line


def test_key_remapping_is_read(tmp_path):
    text = edited('# "shift.end" = "ctrl+e"', '"shift.end" = "ctrl+x"\n"tally.undo" = "backspace"')
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []
    assert site.keys == {"shift.end": "ctrl+x", "tally.undo": "backspace"}
    # The remapped undo key frees 'u' for a statistics category.
    text = text.replace('key = "b"', 'key = "u"')
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []


def test_missing_and_unreadable_files(tmp_path):
    _, problems = load_site(tmp_path / "nope.toml")
    assert "file not found" in str(problems[0])
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[library]\nname = "Biblioth\xe8que"\n')
    _, problems = load_site(bad)
    assert str(problems[0]).endswith("latin1.toml:2: error: the file is not UTF-8 text")


def test_email_without_report_addresses_is_a_warning(tmp_path):
    text = edited('reports = ["library-manager@library.example"]', "")
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []
    said = [str(p) for p in problems if "reports" in str(p)]
    assert said == [f"site.toml:{line_of(text, '[email.recipients]')}: warning: email.recipients: "
                    "no 'reports' addresses: end-of-shift reports will not be emailed to anyone"]
    assert "reports" not in site.email.recipients


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('sender = "desk-alerts@library.example"', 'sender = "desk-alerts@library.example"\ntimeout = inf',
         "email.timeout: inf is not a number of seconds greater than 0"),
        ('sender = "desk-alerts@library.example"', 'sender = "desk-alerts@library.example"\ntimeout = nan',
         "email.timeout: nan is not a number of seconds"),
        ('sender = "desk-alerts@library.example"', 'sender = "desk-alerts@library.example"\ntimeout = 1e300',
         "email.timeout: 1e+300 s is too long to wait for a mail server (at most 300)"),
        ('sender = "desk-alerts@library.example"', 'sender = "desk-alerts@library.example"\ntimeout = 0',
         "email.timeout: 0 is not a number of seconds greater than 0"),
        ('sender = "desk-alerts@library.example"', 'sender = "desk-alerts@library.example"\ntimeout = -5',
         "email.timeout: -5 is not a number of seconds greater than 0"),
        ('sender = "desk-alerts@library.example"', 'sender = "desk-alerts@library.example"\ntimeout = "ten"',
         "email.timeout: expected a number of seconds, found text"),
        ('host = "mail.library.example"', r'host = "mail.library.example\r\nRCPT TO:<x@evil.example>"',
         "email.host: 'mail.library.example\\r\\nRCPT TO:<x@evil.example>' contains a line break"),
        ('sender = "desk-alerts@library.example"', r'sender = "desk@library.example\nBcc: x@evil.example"',
         "email.sender: 'desk@library.example\\nBcc: x@evil.example' contains a line break"),
        ('user = "desk-alerts"', r'user = "desk\r\nAUTH PLAIN"', "email.user: 'desk\\r\\nAUTH PLAIN' contains a line"),
        ('reports = ["library-manager@library.example"]', r'reports = ["boss@library.example\nBcc: x@evil.example"]',
         "is not an email address"),
        ('password_env = "SOLO_SHIFT_SMTP_PASSWORD"', "",
         "email.user: 'desk-alerts' has no password: set password_env"),
        ('password_env = "SOLO_SHIFT_SMTP_PASSWORD"', 'password_file = "no-such-password-file"',
         "no-such-password-file does not exist"),
        ('password_env = "SOLO_SHIFT_SMTP_PASSWORD"',
         'password_env = "SOLO_SHIFT_SMTP_PASSWORD"\npassword_file = "/etc/solo-shift/smtp"',
         "give password_env or password_file, not both"),
        ('security = "starttls"', 'security = "none"',
         'email.security: "none" would send the mail password unencrypted to mail.library.example'),
        ('security = "starttls"', 'security = "starttls"\nca_file = "campus-ca.pem"', "campus-ca.pem does not exist"),
        ('repeat = "10m"', 'repeat = "soon"', "checkins.repeat: 'soon' is not a duration"),
        ('repeat = "10m"', 'repeat = "0m"', "checkins.repeat: '0m' is zero"),
        ('# timeout = 10', 'timeout = 0.001', "too short for a mail server"),
        ('name = "Bata Library Service Desk"', 'name = "Bata Library\\r\\nBcc: evil@x.example"',
         "name: must be one line"),
        ('name = "Bata Library"', 'name = "Bata\\nX-Injected: yes"', "library.name: must be one line"),
        ('civic_address = "1 Example Road', 'civic_address = "1 Example\\r\\nRoad', "must be one line"),
        ('security = ["', 'security = ["nul\\u0000x@library.example", "', "is not an email address"),
    ],
)
def test_mail_settings_that_cannot_work_are_located_errors(tmp_path, old, new, expected):
    text = edited(old, new)
    _, problems = load_text(tmp_path, text)
    found = errors(problems)
    assert any(expected in f for f in found), found
    assert all(f.split(":")[1].isdigit() for f in found), found  # every error has a line


def test_each_sample_mail_value_left_is_named(tmp_path):
    text = edited('host = "mail.library.example"', 'host = "smtp.campus.ca"')
    text = text.replace('sender = "desk-alerts@library.example"', 'sender = "desk-alerts@campus.ca"')
    _, problems = load_text(tmp_path, text)
    found = [str(p) for p in problems if "email" in str(p) and "sample" in str(p)]
    # Only the recipients are still the sample: the warning says so, not "the email settings".
    assert found and all("email.recipients." in f for f in found), found
    assert any("email.recipients.security" in f and "nobody receives" in f for f in found)


def test_a_plain_relay_elsewhere_without_a_login_is_only_a_warning(tmp_path):
    text = edited('security = "starttls"', 'security = "none"').replace('user = "desk-alerts"\n', "")
    text = text.replace('password_env = "SOLO_SHIFT_SMTP_PASSWORD"', "")
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []
    assert any("warning: email.security" in str(p) and "unencrypted" in str(p) for p in problems)
    assert site.email.security == "none"
    local = text.replace('host = "mail.library.example"', 'host = "localhost"')
    _, problems = load_text(tmp_path, local)
    assert not any("email.security" in str(p) for p in problems)


def test_mail_files_are_found_beside_the_site_file_and_checked(tmp_path):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "campus-ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    secret = folder / "smtp"
    secret.write_text("hunter2\n")
    secret.chmod(0o600)
    text = edited('password_env = "SOLO_SHIFT_SMTP_PASSWORD"', 'password_file = "smtp"\nca_file = "campus-ca.pem"')
    site, problems = load_text(folder, text)
    assert errors(problems) == []
    assert site.email.ca_file == str(folder / "campus-ca.pem")
    assert site.email.password_file == str(folder / "smtp")
    secret.chmod(0o640)
    (folder / "campus-ca.pem").write_text("not a certificate\n")
    _, problems = load_text(folder, text)
    found = errors(problems)
    assert any(f"email.password_file: {secret} can be read or changed by others (mode 0640)" in f for f in found)
    assert any("email.ca_file:" in f and "holds no PEM certificate" in f for f in found)


def test_a_good_timeout_is_kept():
    site, _ = load_site(SITE_FILE)
    assert site.email.timeout == 10.0
    assert site.email.ca_file == ""


def test_checkins_repeat_is_read_when_the_policy_has_it(tmp_path):
    text = edited('repeat = "10m"', 'repeat = "15m"')
    site, problems = load_text(tmp_path, text)
    assert errors(problems) == []
    if "repeat" in site.checkins._fields:
        assert site.checkins.repeat == timedelta(minutes=15)
        default, _ = load_text(tmp_path, text.replace('repeat = "15m"', ""))
        assert default.checkins.repeat == timedelta(minutes=10)


@pytest.mark.parametrize("old, new, expected, is_error", [
    ('interval = "60m"', 'interval = "99999h"', "checkins.interval: longer than 4 h", True),
    ('grace = "10m"', 'grace = "3h"', "checkins.grace: longer than 1 h", True),
    ('interval = "60m"', 'interval = "60m"\nduress_code = ""', "checkins.duress_code: empty: there is no duress",
     False),
])
def test_check_in_settings_that_leave_a_lone_worker_unwatched_are_caught(tmp_path, old, new, expected, is_error):
    _, problems = load_text(tmp_path, edited(old, new))
    found = [p for p in problems if expected in str(p)]
    assert found and found[0].is_error == is_error, [str(p) for p in problems]


def test_a_command_step_that_cannot_run_is_caught_and_kept_to_fail_visibly(tmp_path):
    steps = '[[checkins.escalation]]\naction = "command"\ncommand = ["{}"]\nwait = "5m"\n'
    base = SITE_FILE.read_text()
    _, problems = load_text(tmp_path, base + "\n" + steps.format("bin/page-security"))
    assert any("bin/page-security': give the full path" in str(p) and p.is_error for p in problems)
    site, problems = load_text(tmp_path, base + "\n" + steps.format("/nonexistent/pager"))
    assert any("'/nonexistent/pager' is missing or not executable" in str(p) and not p.is_error for p in problems)
    assert site.checkins.escalation[-1].command == ("/nonexistent/pager",)  # the desk shows it FAILED


def test_an_empty_password_file_is_refused_and_a_refused_user_is_not_reported_twice(tmp_path):
    secret = tmp_path / "smtp"
    secret.write_text("")
    secret.chmod(0o600)
    text = edited('password_env = "SOLO_SHIFT_SMTP_PASSWORD"', f'password_file = "{secret}"')
    _, problems = load_text(tmp_path, text)
    assert any(f"{secret} is empty" in str(p) and p.is_error for p in problems)
    text = edited('user = "desk-alerts"', 'user = "desk\\nAUTH PLAIN"')
    found = [str(p) for p in load_text(tmp_path, text)[1] if "email." in str(p) and "user" in str(p)]
    assert len(found) == 1 and "line break" in found[0], found


def test_a_mistyped_exception_date_is_one_error_not_two(tmp_path):
    _, problems = load_text(tmp_path, edited("date = 2027-02-15", "date = 2027-02-15T10:00:00"))
    assert len(errors(problems)) == 1, errors(problems)


def test_an_exception_open_only_in_the_hour_the_clocks_skip_is_an_error(tmp_path):
    # 2027-03-14 02:00-03:00 does not exist in Toronto: opening and closing would be one instant.
    text = edited('date = 2027-02-15\nhours = "closed"', 'date = 2027-03-14\nhours = "02:00-03:00"')
    _, problems = load_text(tmp_path, text)
    assert any("exceptions[4].hours: 02:00–03:00 on 2027-03-14 falls in the hour the clocks skip" in e
               for e in errors(problems)), errors(problems)
    # An hour later it is an ordinary exception.
    _, problems = load_text(tmp_path, edited('date = 2027-02-15\nhours = "closed"',
                                             'date = 2027-03-14\nhours = "03:00-04:00"'))
    assert not errors(problems)


def test_a_remapped_key_may_take_a_key_freed_by_another_remap(tmp_path):
    text = edited('# "shift.end" = "ctrl+e"', '"tally.undo" = "f8"\n"emergency.open" = "f10"')
    _, problems = load_text(tmp_path, text)
    assert not errors(problems)


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_a_special_or_huge_file_is_a_located_error_never_a_hang(tmp_path, kind):
    path = tmp_path / "site.toml"
    if kind == "fifo":
        os.mkfifo(path)  # opening it plainly would wait for a writer for ever
    elif kind == "device":
        path = Path("/dev/zero")  # never ends
    else:
        with open(path, "wb") as handle:  # sparse: 3 GB on paper, nothing on disk
            handle.truncate(3_000_000_000)
    site, problems = load_site(path)
    assert [p.is_error for p in problems] == [True]
    assert ("not a regular file" if kind != "huge" else "larger than 2 MB") in str(problems[0])
    assert site.desks  # the fallback site: the desk still starts

"""shift/lock.py: PINs (scrypt), the slowdown after wrong tries, the idle decision, the record;
the site file's [lock]; `main.py pin`."""

from __future__ import annotations

import getpass
import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import ROOT, local
from shift import lock
from shift.files import FileRefused
from shift.site import load_site

AT = local(2026, 11, 24, 19, 30)


def test_a_pin_is_kept_as_a_salted_scrypt_hash(tmp_path):
    one, two = lock.hash_pin("Robin", "4821"), lock.hash_pin("Kim", "4821")
    assert one.salt != two.salt and one.digest != two.digest  # the same PIN, two different hashes
    assert (one.n, one.r, one.p) == (2**14, 8, 1) and len(one.salt) == 16
    assert lock.verify([one, two], "4821") == "Robin"
    assert lock.verify([one], "4822") is None and lock.verify([], "4821") is None
    path = tmp_path / "pins.toml"
    lock.set_pin(path, 'Sam "Q" Ng', "59031", AT)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert "59031" not in path.read_text()
    assert lock.verify(lock.read_pins(path), "59031") == 'Sam "Q" Ng'


@pytest.mark.parametrize("pin, why", [
    ("123", "4 to 12 digits"), ("1234567890123", "4 to 12 digits"), ("0000", "the same"),
    ("1234", "in a row"), ("9876", "in a row"), ("12a4", "digits only"), ("", "digits only"),
])
def test_guessable_pins_are_refused(pin, why):
    assert why in lock.pin_problem(pin)


def test_good_pins_pass():
    assert lock.pin_problem("4821") == "" and lock.pin_problem("1357") == "" and lock.pin_problem("112233") == ""


def test_set_change_remove_and_a_pin_someone_else_has(tmp_path):
    path = tmp_path / "pins.toml"
    assert lock.set_pin(path, "Robin", "4821", AT) is False
    assert lock.set_pin(path, "Robin", "5930", AT) is True  # changed
    assert lock.verify(lock.read_pins(path), "4821") is None
    with pytest.raises(ValueError, match="someone else has this PIN"):
        lock.set_pin(path, "Kim", "5930", AT)
    with pytest.raises(ValueError, match="control characters"):
        lock.set_pin(path, "Kim\x1b[2J", "7102", AT)
    assert lock.remove_pin(path, "Robin") and not lock.remove_pin(path, "Robin")
    assert lock.read_pins(path) == []


def test_a_pins_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "pins.toml"
    lock.set_pin(path, "Robin", "4821", AT)
    path.chmod(0o644)
    with pytest.raises(FileRefused, match="chmod 600"):
        lock.read_pins(path)
    problem, is_error = lock.pins_file_problem(str(path))
    assert is_error and "mode 0644" in problem


def test_a_damaged_pins_file_is_refused_not_crashed(tmp_path):
    path = tmp_path / "pins.toml"
    path.write_text('[pins.Robin]\nn = 16384\nsalt = "zz"\n')
    path.chmod(0o600)
    with pytest.raises(FileRefused, match="damaged"):
        lock.read_pins(path)
    # Parameters scrypt would refuse (or that would eat the machine) open nothing.
    huge = lock.hash_pin("Robin", "4821")._replace(n=2**30)
    assert lock.verify([huge], "4821") is None
    path.write_text("#" * (lock.PINS_LIMIT + 1))
    with pytest.raises(FileRefused, match="larger than 200 KB"):  # its limit said in units that fit it
        lock.read_pins(path)


def test_the_wait_after_wrong_tries():
    assert [lock.wait_after(n).total_seconds() for n in range(1, 11)] == [0, 0, 2, 4, 8, 16, 32, 60, 60, 60]


def test_the_wait_runs_on_the_clock_and_pressing_keys_changes_nothing():
    tries = lock.Tries()
    now = AT
    for _ in range(3):
        tries.failed(now)
    assert tries.wait_left(now) == timedelta(seconds=2)
    # Asking again (a key, Enter) neither shortens nor restarts it: only the clock does.
    assert tries.wait_left(now + timedelta(seconds=1)) == timedelta(seconds=1)
    assert tries.wait_left(now + timedelta(seconds=1)) == timedelta(seconds=1)
    assert not tries.wait_left(now + timedelta(seconds=2))
    assert lock.wait_text(timedelta(seconds=1.2)) == "Wait 2 s before the next try."
    tries.clear()
    assert tries.wrong == 0 and not tries.wait_left(now)


def test_the_wait_never_exceeds_its_cap_when_the_clock_goes_back(store, shift, clock):
    for _ in range(4):
        lock.record(store, "wrong_pin", shift.id)  # the fourth: the next try waits 4 s
    clock.advance(hours=-1)  # restarted with an earlier clock (set by hand, or NTP)
    tries = lock.tries_since_unlock(store)
    assert tries.wait_left(clock.now()) == timedelta(seconds=4)  # counted from now, not an hour and 4 s
    clock.advance(seconds=3)
    assert tries.wait_left(clock.now()) == timedelta(seconds=1)
    clock.advance(seconds=1)
    assert not tries.wait_left(clock.now())  # over, though the clock is still before the last try
    for _ in range(6):
        tries.failed(clock.now())
    clock.advance(days=-3)
    assert tries.wait_left(clock.now()) == lock.LONGEST_WAIT  # ten wrong: at most a minute


def test_the_idle_decision():
    config = lock.LockConfig(idle_minutes=5)
    assert not lock.idle_due(AT, AT + timedelta(minutes=4, seconds=59), config)
    assert lock.idle_due(AT, AT + timedelta(minutes=5), config)
    assert not lock.idle_due(AT, AT + timedelta(hours=9), config._replace(idle_minutes=0))
    assert lock.idle_due(AT, AT + timedelta(seconds=3), config._replace(idle_minutes=0.05))


def test_the_record_gives_the_state_after_a_restart(store, shift, clock):
    assert not lock.left_locked(store)
    lock.record(store, "locked", shift.id, "idle")
    clock.advance(seconds=5)
    lock.record(store, "wrong_pin", shift.id)
    assert lock.left_locked(store) and lock.tries_since_unlock(store).wrong == 1
    clock.advance(seconds=5)
    lock.record(store, "unlocked", shift.id, who="Robin")
    assert not lock.left_locked(store) and lock.tries_since_unlock(store).wrong == 0
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("UPDATE lock_events SET who = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("DELETE FROM lock_events")


def test_wrong_tries_after_an_unlock_count_even_when_the_clock_went_back(store, shift, clock):
    lock.record(store, "locked", shift.id, "key")
    lock.record(store, "unlocked", shift.id, who="Robin")
    clock.advance(hours=-2)  # set back by hand: what follows is written with earlier times
    lock.record(store, "locked", shift.id, "idle")
    for _ in range(3):
        lock.record(store, "wrong_pin", shift.id)
    assert lock.left_locked(store) and lock.tries_since_unlock(store).wrong == 3


def _site_with(tmp_path, lock_section: str) -> Path:
    text = (ROOT / "data" / "site.toml").read_text()
    start = text.index("[lock]")
    end = text.index("[keys]")
    path = tmp_path / "site.toml"
    path.write_text(text[:start] + lock_section + "\n" + text[end:])
    (tmp_path / "jurisdiction").symlink_to(ROOT / "data" / "jurisdiction")
    return path


def lock_problems(problems):
    return [str(p) for p in problems if p.where.startswith("lock")]


@pytest.mark.parametrize("value, why", [
    ("-1", "must be from 0"), ("600", "must be from 0"), ('"5m"', "a number of minutes"), ("nan", "must be from 0"),
])
def test_idle_minutes_are_checked_with_their_line(tmp_path, value, why):
    path = _site_with(tmp_path, f"[lock]\nidle_minutes = {value}\n")
    site, problems = load_site(path)
    found = lock_problems(problems)
    assert any(why in p and "site.toml:" in p and ": error:" in p for p in found), found
    assert site.lock.idle_minutes == 5  # the default holds


def test_the_lock_section_resolves_the_pins_file_and_warns_until_a_pin_is_set(tmp_path):
    path = _site_with(tmp_path, "[lock]\nidle_minutes = 0.5\npins_file = \"staff-pins.toml\"\nsecret = 1\n")
    site, problems = load_site(path)
    found = lock_problems(problems)
    assert site.lock == lock.LockConfig(0.5, str(tmp_path / "staff-pins.toml"))
    assert any("for trying the lock out only" in p and "warning" in p for p in found)
    assert any("no staff PIN is set" in p and "warning" in p for p in found)
    assert any("secret" in p for p in found)  # unknown keys are refused, as everywhere
    lock.set_pin(tmp_path / "staff-pins.toml", "Robin", "4821", AT)
    _, problems = load_site(path)
    assert not any("PIN" in p for p in lock_problems(problems))
    (tmp_path / "staff-pins.toml").chmod(0o640)
    _, problems = load_site(path)
    assert any("chmod 600" in p and ": error:" in p for p in lock_problems(problems))


def test_pin_set_asks_twice_without_echo_and_refuses_a_guessable_pin(tmp_path, monkeypatch, capsys):
    import main

    site = _site_with(tmp_path, "[lock]\nidle_minutes = 5\n")
    answers = iter(["1111", "4821", "4812", "4821", "4821"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    argv = ["--site", str(site), "pin", "set", "Robin"]
    assert main.main(argv) == 2 and "the same" in capsys.readouterr().err
    assert main.main(argv) == 2 and "differ" in capsys.readouterr().err
    assert main.main(argv) == 0 and "Robin's PIN is set" in capsys.readouterr().out
    assert lock.verify(lock.read_pins(tmp_path / "pins.toml"), "4821") == "Robin"
    assert main.main(["--site", str(site), "pin", "list"]) == 0 and capsys.readouterr().out == "Robin\n"
    assert main.main(["--site", str(site), "pin", "remove", "Robin"]) == 0
    assert lock.read_pins(tmp_path / "pins.toml") == []

"""The thresholds behind every state colour, and the desk's remembered settings."""

from datetime import timedelta
from unittest import mock

import pytest

from conftest import local
from shift import settings, urgency
from shift.files import FileRefused, replace_file


@pytest.mark.parametrize("left, level", [
    (timedelta(hours=2), "normal"),
    (timedelta(minutes=30), "normal"),
    (timedelta(minutes=29, seconds=59), "warning"),
    (timedelta(minutes=13), "warning"),
    (timedelta(minutes=5), "warning"),
    (timedelta(minutes=4, seconds=59), "error"),
    (timedelta(0), "error"),
    (timedelta(minutes=-10), "error"),  # OVERDUE
    (None, "normal"),  # no countdown (the library is closed)
])
def test_a_countdown_is_normal_then_a_warning_then_an_error(left, level):
    assert urgency.time_left(left) == level


def test_a_deadline_is_an_error_once_overdue():
    now = local(2026, 11, 24, 22, 0)
    assert urgency.deadline(local(2026, 11, 24, 21, 0), now) == "error"
    assert urgency.deadline(local(2026, 11, 24, 22, 20), now) == "warning"
    assert urgency.deadline(local(2026, 11, 25, 9, 0), now) == "normal"
    assert urgency.deadline(None, now) == "normal"


def test_the_check_in_line_is_an_error_for_an_alarm_and_a_warning_when_owed():
    assert urgency.checkin(alarm_open=True, due=False, channel_failing=False) == "error"
    assert urgency.checkin(alarm_open=False, due=False, channel_failing=True) == "error"
    assert urgency.checkin(alarm_open=False, due=True, channel_failing=False) == "warning"
    assert urgency.checkin(alarm_open=False, due=False, channel_failing=False) == "normal"
    assert urgency.prompt(escalated=True) == "error" and urgency.prompt(escalated=False) == "warning"
    assert urgency.late() == "warning"


def test_settings_live_beside_the_database_and_survive_a_restart(tmp_path):
    path = settings.settings_path(tmp_path / "desk.db")
    assert path == tmp_path / "desk.settings.json"
    assert settings.load(path) == settings.DeskSettings()  # none yet: the site decides
    settings.save(path, settings.DeskSettings(high_contrast=True))
    settings.save(path, settings.DeskSettings(high_contrast=False))  # replaced, not refused
    assert settings.load(path).high_contrast is False
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_damaged_settings_file_is_no_obstacle(tmp_path):
    path = tmp_path / "desk.settings.json"
    for text in ('{"high_contrast": tru', '["high_contrast"]', '{"high_contrast": "yes"}'):
        path.write_text(text)
        assert settings.load(path) == settings.DeskSettings()


def test_a_failed_write_leaves_the_old_settings_whole(tmp_path):
    path = tmp_path / "desk.settings.json"
    settings.save(path, settings.DeskSettings(high_contrast=True))
    with mock.patch("shift.files.os.fsync", side_effect=OSError(28, "No space left on device")):
        with pytest.raises(FileRefused, match="No space left"):
            settings.save(path, settings.DeskSettings(high_contrast=False))
    assert settings.load(path).high_contrast is True
    assert list(tmp_path.iterdir()) == [path]
    with pytest.raises(FileRefused):
        replace_file(tmp_path / "missing" / "x.json", b"{}")


def test_the_theme_at_start_and_what_f9_switches_to():
    remembered_on, remembered_off = settings.DeskSettings(True), settings.DeskSettings(False)
    assert settings.theme_at_start("textual-dark", settings.DeskSettings()) == "textual-dark"
    assert settings.theme_at_start("textual-dark", remembered_on) == "high-contrast"
    assert settings.theme_at_start("high-contrast", remembered_off) == "textual-dark"
    assert settings.theme_at_start("textual-light", remembered_off) == "textual-light"
    assert settings.toggled("textual-light", "textual-light") == "high-contrast"
    assert settings.toggled("textual-light", "high-contrast") == "textual-light"
    assert settings.toggled("high-contrast", "high-contrast") == "textual-dark"

"""The command line at its edges: dates at the ends of the calendar, output cut short by a pipe."""

import subprocess
import sys

import pytest

from conftest import ROOT


def main(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, **kw)


@pytest.mark.parametrize("args", [
    ["stats", "--from", "0001-01-01"],
    ["stats", "--to", "9999-12-31"],
    ["report", "--date", "9999-12-31"],
    ["export", "incidents", "--format", "csv", "--output", "x.csv", "--from", "1899-12-31"],
])
def test_a_date_at_the_ends_of_the_calendar_is_refused_with_the_range(tmp_path, args):
    done = main("--db", str(tmp_path / "desk.db"), *args)
    assert done.returncode == 2
    assert "is out of range: give a date between 1900 and 9998" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "desk.db").exists()


def test_output_cut_short_by_a_pipe_ends_quietly(tmp_path):
    db = tmp_path / "desk.db"
    assert main("demo", "--days", "7", "--db", str(db)).returncode == 0
    for command in (["report", "--list"], ["report"], ["stats", "--format", "csv"]):
        # The reader has gone before the first line, as `| head -1` is once it has its line.
        listing = subprocess.Popen([sys.executable, "main.py", "--db", str(db), *command], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        listing.stdout.close()
        _, err = listing.communicate(timeout=60)
        assert b"Traceback" not in err and b"BrokenPipe" not in err and b"Exception ignored" not in err, err

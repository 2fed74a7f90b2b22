"""The kill harness, short: the real desk in tmux, SIGKILL at random moments, nothing lost,
nothing doubled, every open procedure and emergency resumed at the right step.

`bench/killtest.py` runs 200 kills and prints the figures; this runs a few with a fixed seed.
"""

import sys

from conftest import ROOT
from tmux_terminal import needs_tmux

sys.path.insert(0, str(ROOT / "bench"))

import killtest  # noqa: E402

pytestmark = needs_tmux


def test_a_few_kills_lose_nothing_double_nothing_and_resume_where_they_were(tmp_path):
    harness = killtest.Harness(tmp_path / "desk.db", seed=18)
    harness.run(8)
    t = harness.tally
    assert t.kills == 8
    assert t.confirmed >= 10  # the harness did work the screen confirmed, not only restarts
    assert t.resume_checks >= 1
    assert (t.lost, t.duplicated, t.wrong_resumes) == (0, 0, 0), "\n".join(t.problems)

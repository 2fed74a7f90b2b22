"""bench/all.py's table: every figure a row, a benchmark that fails is a row saying so.

The benchmarks themselves are not run here (they time things; the suite never does).
"""

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import all as bench_all  # noqa: E402


def row(what, shown, goal="", met=None):
    return {"what": what, "figure": shown, "goal": goal, "met": met, "values": {}}


def test_the_markdown_table_has_a_row_per_figure_with_its_verdict():
    rows = [row("start-up", "1.12×", "within 1.3×", True), row("scan | burst", "2.8 s", "under 10 s", False),
            row("export", "14 µs")]
    text = bench_all.markdown(rows, ["Machine: test"])
    lines = text.splitlines()
    assert lines[:2] == ["| what | figure | goal | met |", "|---|---|---|---|"]
    assert lines[2] == "| start-up | 1.12× | within 1.3× | yes |"
    assert lines[3] == "| scan \\| burst | 2.8 s | under 10 s | NO |"  # a | in a cell does not split it
    assert lines[4] == "| export | 14 µs | — | — |"
    assert lines[-1] == "Machine: test"


def test_a_benchmark_that_fails_is_a_failed_row_and_its_figures_are_kept(tmp_path, monkeypatch):
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "broken.py").write_text(
        "import json, sys\n"
        "target = sys.argv[sys.argv.index('--json') + 1]\n"
        "open(target, 'w').write(json.dumps([{'what': 'half', 'figure': '1 ms', 'goal': '', 'met': None,"
        " 'values': {}}]))\n"
        "print('details for the log')\n"
        "sys.exit(3)\n")
    monkeypatch.setattr(bench_all, "BENCH", bench)
    folder = tmp_path / "out"
    folder.mkdir()
    with (tmp_path / "log.txt").open("w") as log:
        rows, _ = bench_all.run("broken", quick=True, kills=1, log=log, folder=folder)
    assert [r["what"] for r in rows] == ["half", "bench/broken.py"]
    assert rows[1]["figure"].startswith("FAILED (exit 3") and rows[1]["failed"]
    assert "details for the log" in (tmp_path / "log.txt").read_text()
    assert "--quick" in (tmp_path / "log.txt").read_text()

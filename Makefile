# Two commands for a fresh machine: `make run` opens the desk, `make test` runs every test.
# `make lint` runs the static checks (ruff, mypy on shift/), configured in pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Test processes in parallel (pytest-xdist): the suite mostly waits on terminals and timers,
# so more workers than cores still helps. `make test JOBS=0` runs in one process.
JOBS ?= 4

.PHONY: run test lint check bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

check: $(STAMP)
	$(PY) main.py check

demo: $(STAMP)
	$(PY) main.py demo --days 365 --db data/demo.db

# Every benchmark, one at a time, then one table (bench/all.py; ARGS="--quick" for a first look).
bench: $(STAMP)
	$(PY) bench/all.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info

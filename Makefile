# Two commands for a fresh machine: `make run` opens the desk, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(ARGS)

check: $(STAMP)
	$(PY) main.py check

demo: $(STAMP)
	$(PY) main.py demo --days 365 --db data/demo.db

bench: $(STAMP)
	$(PY) bench/startup.py
	$(PY) bench/tally_latency.py
	$(PY) bench/memory.py

clean:
	rm -rf $(VENV) build *.egg-info

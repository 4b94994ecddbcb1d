# One virtual environment for everything; it is (re)built when pyproject.toml changes.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ganaug demo

test: $(STAMP)
	NO_ALBUMENTATIONS_UPDATE=1 $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check ganaug tests benchmarks examples
	$(VENV)/bin/ruff format --check ganaug tests benchmarks examples

bench: $(STAMP)
	NO_ALBUMENTATIONS_UPDATE=1 $(PY) benchmarks/run.py

# Entry points that work on a fresh machine: `make run`, `make test` (everything, what CI runs) and
# `make quick` (lint and the fast tests, while developing).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test quick lint check typecheck bench eval install

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m compileall -q bot  # bytecode, as pip makes for installed packages: faster starts
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python run_bot.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python run_bot.py check
	$(BIN)/python -m pytest -q -n 2

quick: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

typecheck: $(STAMP)
	$(BIN)/mypy

check: $(STAMP)
	$(BIN)/python run_bot.py check

# The benchmark compares numba backends too: the optional [scale] extra (tests do not need it).
$(VENV)/.scale: $(STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench,scale]"
	touch $(VENV)/.scale

bench: $(VENV)/.scale
	$(BIN)/python run_bot.py bench

eval: $(STAMP)
	$(PY) ../shared/eval/run_eval.py ../shared/eval/dev.yaml --cmd "$(BIN)/python run_bot.py ask --json"

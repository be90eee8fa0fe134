# Two entry points that work on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check bench eval install

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python run_bot.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python run_bot.py check
	$(BIN)/python -m pytest -q

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

# bigalpha: `make run` runs the bot (paper trading on the built-in simulator), `make test` runs every gate.
# Everything is installed by these targets from the lock file; nothing needs installing by hand.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
COVERAGE_FLOOR ?= 85
# pytest-xdist workers: one per CPU (`make test TEST_WORKERS=0` runs the suite in one process)
TEST_WORKERS ?= auto
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup run test lint typecheck pytest postgres bench clean help

help:
	@echo "make run    - paper trading on the built-in market simulator (no keys, no network)"
	@echo "make test   - lint, format check, type check, the whole test suite with coverage"
	@echo "make setup  - only create .venv from uv.lock"
	@echo "make bench  - run every benchmark in benchmarks/"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on some CI images), Python would
# otherwise compile every imported module from source in every process, about 5 s per `bigalpha` command.
$(BIN)/bigalpha: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# The project's own sources change between runs, so they are compiled (only what changed) on each use.
setup: $(BIN)/bigalpha
	@$(BIN)/python -m compileall -q src

run: setup
	$(BIN)/bigalpha run

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy src/bigalpha

# The PostgreSQL tests need the server binaries (Debian's postgresql); the suite starts its own
# throw-away server on 127.0.0.1. Where they cannot be installed, those tests skip with the reason.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "postgresql server binaries present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
		|| echo "could not install postgresql: its tests will skip"; \
	else \
		echo "postgresql not installed and cannot install it here: its tests will skip"; \
	fi

pytest: setup postgres
	$(BIN)/pytest -n $(TEST_WORKERS) --cov=bigalpha --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

test: lint typecheck pytest

bench: setup
	@for bench in benchmarks/bench_*.py; do echo "== $$bench"; $(BIN)/python $$bench || exit 1; done

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage

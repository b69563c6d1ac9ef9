# The two commands a fresh machine needs: `make plan` (the offline residency check of the dev stack)
# and `make test` (format, lint, strict type check, tests). Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev

.PHONY: setup plan test format-check lint typecheck pytest format facts clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

plan: $(STAMP)
	$(BIN)/python -m clover check --stack $(STACK)

test: format-check lint typecheck pytest

format-check: $(STAMP)
	$(BIN)/ruff format --check .

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Copy clover/facts.py into the packs (tests/test_facts.py fails while a copy is stale).
facts: $(STAMP)
	$(BIN)/python tools/sync_facts.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis

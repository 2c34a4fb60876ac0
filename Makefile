# Two entry points: `make run` starts the whole stack, `make test` runs every test.
# Both create the virtual environment and install the project first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Test processes running in parallel; each gets its own database and Redis namespace.
TEST_WORKERS ?= 4

.PHONY: run test install migrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python -m ops.database

run: migrate
	$(BIN)/python -m ops.devserver

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m ops.bench

clean:
	rm -rf $(VENV) var

# Knock: two commands.
#   make demo   set everything up, start the sandbox, load the example experiment
#   make test   set everything up and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.knock-installed

.PHONY: demo test setup system-demo system-test bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

system-demo:
	bash scripts/install-system.sh demo

system-test:
	bash scripts/install-system.sh test

demo: system-demo setup
	$(BIN)/python scripts/demo.py

test: system-test setup
	$(BIN)/python -m pytest -q

bench: system-test setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache

# The commands a person types. See README.md.
VENV := .venv
PIP := $(VENV)/bin/pip

.PHONY: run test bench lint format

run:
	@bash scripts/system-deps.sh run
	@$(MAKE) --no-print-directory $(VENV)/.runtime
	@bash scripts/run.sh

test:
	@bash scripts/system-deps.sh test
	@$(MAKE) --no-print-directory $(VENV)/.dev
	@bash scripts/test.sh

bench:
	@bash scripts/system-deps.sh run
	@$(MAKE) --no-print-directory $(VENV)/.dev
	@bash scripts/bench.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

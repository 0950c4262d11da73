# Everything runs from ./.venv, created from nothing by `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install test bench dev demo lint sam-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m tests.bench

dev: install
	$(BIN)/ladderctl dev

demo: install
	$(BIN)/ladderctl demo

lint: install
	$(BIN)/ruff check functions layers/code infra tests
	$(BIN)/mypy layers/code/ladderline

# sam validate --lint and sam build, offline (no Docker, no matching local Python needed).
# SAM lives in its own venv: its pins must not move the test dependencies.
sam-check:
	test -x .venv-sam/bin/sam || ($(PYTHON) -m venv .venv-sam && .venv-sam/bin/pip install --quiet aws-sam-cli==1.170.0 cfn-lint==1.58.0)
	PATH="$(CURDIR)/.venv-sam/bin:$$PATH" SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint
	PATH="$(CURDIR)/.venv-sam/bin:$$PATH" SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam build

clean:
	rm -rf $(VENV) .venv-sam .aws-sam

# Everything runs from a venv created from nothing by `make install`: ./.venv, or, when PYTHON is
# given (`make test PYTHON=python3.13`), one per Python version (.venv-3.13), so versions never mix.
PYTHON ?= python3
ifneq ($(filter command line environment,$(origin PYTHON)),)
VENV ?= .venv-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
endif
VENV ?= .venv
BIN := $(VENV)/bin
# Reinstall only when a lock or pyproject.toml changes (the package itself is installed editable).
# --no-compile: byte-compiling ~90 packages is pip's long silent step; Python compiles what it
# imports on first use instead (most of moto's and sympy's modules never are).
STAMP := $(VENV)/.installed
LOCKS := requirements-dev.txt layers/deps/requirements.txt pyproject.toml
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install lock test bench dev demo lint sam-check clean

$(BIN)/python:
	@echo "==> creating $(VENV) with $$($(PYTHON) --version 2>&1) ($(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip in $(VENV)"
	$(PIP) install --progress-bar on --upgrade pip

$(STAMP): $(BIN)/python $(LOCKS)
	@echo "==> installing the locked dev dependencies (requirements-dev.txt, hashes checked) into $(VENV)"
	$(PIP) install --progress-bar on --no-compile --require-hashes -r requirements-dev.txt
	@echo "==> installing ladderline and ladderctl (editable) into $(VENV)"
	PYTHONWARNINGS=ignore $(PIP) install --quiet --no-deps --no-build-isolation -e .
	@touch $@
	@echo "==> $(VENV) is ready"

install: $(STAMP)

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m tests.bench

# Settings from ./.env when there is one (see .env.example); the shell's environment wins.
ENV_FILE := $(if $(wildcard .env),--env-file .env)

dev: install
	$(BIN)/ladderctl $(ENV_FILE) dev

demo: install
	$(BIN)/ladderctl $(ENV_FILE) demo

lint: install
	$(BIN)/ruff check functions layers/code infra tests
	$(BIN)/mypy layers/code/ladderline

# Regenerate both hashed locks from the top-level .in files (uv, pinned, in its own venv).
# The layer's lock is for the Lambda platform only; the dev lock is universal (markers per Python
# and OS) so the same file installs on 3.11-3.14, Linux and macOS.
UV := .venv-lock/bin/uv
UV_VERSION := 0.13.8
lock:
	test -x $(UV) || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --disable-pip-version-check uv==$(UV_VERSION))
	@echo "==> locking layers/deps/requirements.in -> layers/deps/requirements.txt (linux/arm64, CPython 3.12)"
	$(UV) pip compile --quiet layers/deps/requirements.in --python-platform aarch64-manylinux_2_17 \
		--python-version 3.12 --only-binary :all: --generate-hashes --custom-compile-command "make lock" \
		-o layers/deps/requirements.txt $(LOCK_FLAGS)
	@echo "==> locking requirements-dev.in -> requirements-dev.txt (Python 3.11+, every platform)"
	$(UV) pip compile --quiet requirements-dev.in --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" -o requirements-dev.txt $(LOCK_FLAGS)

# sam validate --lint and sam build, offline (no Docker, no matching local Python needed).
# SAM lives in its own venv: its pins must not move the test dependencies.
sam-check:
	@test -x .venv-sam/bin/sam || echo "==> installing aws-sam-cli and cfn-lint into .venv-sam (first run only)"
	test -x .venv-sam/bin/sam || ($(PYTHON) -m venv .venv-sam && .venv-sam/bin/pip install \
		--disable-pip-version-check --progress-bar on aws-sam-cli==1.170.0 cfn-lint==1.58.0)
	PATH="$(CURDIR)/.venv-sam/bin:$$PATH" SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint
	PATH="$(CURDIR)/.venv-sam/bin:$$PATH" SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam build

clean:
	rm -rf .venv .venv-[0-9]* .venv-sam .venv-lock .aws-sam

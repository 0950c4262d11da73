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

.PHONY: help install lock test bench dev demo lint sam-check deploy logs destroy register clean
.DEFAULT_GOAL := help

# `make` or `make help`: the targets a user runs, one line each.
help:
	@echo "make dev        run the bot locally (embedded PostgreSQL, local AWS, Discord emulator, playground)"
	@echo "make test       the test suite (starts its own PostgreSQL, moto and emulator)"
	@echo "make demo       one ladder match end to end against a fresh local stack"
	@echo "make bench      the benchmarks (figures, and whether each target is met)"
	@echo "make lint       ruff and mypy"
	@echo "make sam-check  sam validate --lint, cfn-lint, checkov and sam build, offline"
	@echo "make deploy     sam deploy (ENV=prod for the prod settings); make logs, make destroy"
	@echo "make register   register the slash commands from this machine (GUILD=<id>, DRY_RUN=1)"
	@echo "make lock       regenerate the hashed dependency locks"
	@echo "make clean      remove the venvs and build output"
	@echo "Settings come from ./.env when there is one (see .env.example); the shell's environment wins."

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

# ---- SAM, cfn-lint and checkov: each in its own venv, pinned (their pins must not move the test
# dependencies, nor each other's). Installed once; `make clean` removes them.
SAM_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
CHECKOV_VERSION := 3.3.30
SAM_ENV := PATH="$(CURDIR)/.venv-sam/bin:$$PATH" SAM_CLI_TELEMETRY=0
SAM := $(SAM_ENV) .venv-sam/bin/sam
# The samconfig.toml environment: default (development, SnapStart off) or prod (`ENV=prod`).
ENV ?= default

.venv-sam/bin/sam:
	@echo "installing SAM CLI $(SAM_VERSION) and cfn-lint $(CFN_LINT_VERSION) into .venv-sam (once)"
	$(PYTHON) -m venv .venv-sam
	.venv-sam/bin/pip install --quiet aws-sam-cli==$(SAM_VERSION) cfn-lint==$(CFN_LINT_VERSION)

.venv-checkov/bin/checkov:
	@echo "installing checkov $(CHECKOV_VERSION) into .venv-checkov (once)"
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet checkov==$(CHECKOV_VERSION)

# Offline, no Docker, no matching local Python: sam validate --lint (cfn-lint with the defaults,
# DatabaseMode=create), cfn-lint again for each network and database choice, checkov (every
# finding fixed or waived with its reason in the template's Metadata), then sam build.
LINT_PARAMS := DiscordApplicationId=123456789012345678 \
	DiscordPublicKey=0000000000000000000000000000000000000000000000000000000000000000 \
	DiscordBotSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:bot-token-AbCdEf
EXISTING_PARAMS := DatabaseMode=existing DatabaseProxyEndpoint=ladder.proxy-abc.eu-west-1.rds.amazonaws.com \
	DatabaseProxyResourceId=prx-0123456789abcdef0 SubnetIds=subnet-0123456789abcdef0,subnet-0123456789abcdef1 \
	WorkerSecurityGroupIds=sg-0123456789abcdef0

sam-check: .venv-sam/bin/sam .venv-checkov/bin/checkov
	$(SAM) validate --lint
	.venv-sam/bin/cfn-lint --parameters $(LINT_PARAMS) DatabaseMode=create NetworkEgress=ipv6 -- template.yaml
	.venv-sam/bin/cfn-lint --parameters $(LINT_PARAMS) DatabaseMode=create NetworkEgress=nat -- template.yaml
	.venv-sam/bin/cfn-lint --parameters $(LINT_PARAMS) $(EXISTING_PARAMS) -- template.yaml
	.venv-checkov/bin/checkov --file template.yaml --framework cloudformation --skip-download --compact --quiet
	$(SAM) build

# ---- deploy, logs, destroy, register -------------------------------------------------------
# The first deploy of an environment is guided (it asks for the Discord application id, public
# key and bot-token secret ARN and saves them to samconfig.toml: no secret is ever asked for);
# later ones reuse the saved answers. CloudFormation shows the change set and asks before applying.
# Credentials first: one line saying how to set them, before anything is built or asked.
AWS_READY = .venv-sam/bin/python infra/ladderctl/ops/aws_ready.py

deploy: .venv-sam/bin/sam
	@$(AWS_READY)
	$(SAM) build
	@if .venv-sam/bin/python infra/ladderctl/ops/samconfig_ready.py $(ENV); then \
		$(SAM) deploy --config-env $(ENV); \
	else \
		echo "samconfig.toml has no answers for [$(ENV)] yet: guided deploy (answers are saved)"; \
		$(SAM) deploy --guided --config-env $(ENV); \
	fi

# Both functions' logs, followed live (Ctrl-C stops).
logs: .venv-sam/bin/sam
	@$(AWS_READY)
	$(SAM) logs --config-env $(ENV) --name IngressFunction --name WorkerFunction --tail

# Deletes the stack. Kept: the Aurora cluster's final snapshot (DeletionPolicy: Snapshot), the
# bot token's secret (yours, made by hand), SAM's artifact bucket; the generated database secrets
# are scheduled for deletion (recoverable for 30 days). With DatabaseDeletionProtection=true
# (prod) CloudFormation stops at the cluster until you turn protection off.
destroy: .venv-sam/bin/sam
	@$(AWS_READY)
	@echo "deleting the $(ENV) stack; a final snapshot of the database is kept (aws rds describe-db-cluster-snapshots)"
	$(SAM) delete --config-env $(ENV)

# Deploys register global commands themselves (RegisterCommandsOnDeploy=true). This registers
# from your machine instead: guild commands for development (GUILD=<id>, instant), or a dry run.
register: install
	@test -n "$$DISCORD_BOT_TOKEN" || grep -q '^DISCORD_BOT_TOKEN=.' .env 2>/dev/null || \
		(echo "set DISCORD_BOT_TOKEN in the environment or in .env (never passed as an argument)"; exit 2)
	$(BIN)/ladderctl $(ENV_FILE) register $(if $(GUILD),--guild $(GUILD)) $(if $(DRY_RUN),--dry-run)

# Regenerate both hashed locks from the top-level .in files (uv, pinned, in its own venv).
# The layer's lock is for the Lambda platform only; the dev lock is universal (markers per Python
# and OS) so the same file installs on 3.11-3.14, Linux and macOS.
UV := .venv-lock/bin/uv
UV_VERSION := 0.13.8
lock:
	test -x $(UV) || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --disable-pip-version-check uv==$(UV_VERSION))
	@echo "==> locking layers/deps/requirements.in -> layers/deps/requirements.txt (linux/arm64, CPython 3.12)"
	$(UV) pip compile --quiet layers/deps/requirements.in --python-platform aarch64-manylinux_2_17 \
		--python-version 3.12 --only-binary :all: --no-binary mpyq --generate-hashes --custom-compile-command "make lock" \
		-o layers/deps/requirements.txt $(LOCK_FLAGS)
	@echo "==> locking requirements-dev.in -> requirements-dev.txt (Python 3.11+, every platform)"
	$(UV) pip compile --quiet requirements-dev.in --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" -o requirements-dev.txt $(LOCK_FLAGS)

clean:
	rm -rf .venv .venv-[0-9]* .venv-sam .venv-checkov .venv-lock .aws-sam

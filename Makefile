# Two entry points on a fresh machine: `make up` (the main job on the local emulator) and
# `make test` (the whole suite). Everything they need is installed by the targets below.
SHELL := /bin/bash
PYTHON ?= python3
PY := .venv/bin/python
ORDER ?= file
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_NOSPIN := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1

.PHONY: setup tools up down lint test unit integration checkov bench

setup: .venv/.installed  ## the project's Python environment (pipenv, from Pipfile.lock)
.venv/.installed: Pipfile.lock
	@command -v terraform >/dev/null || { echo "terraform >= 1.10 is required on PATH" >&2; exit 1; }
	$(PYTHON) -m pip install --quiet --disable-pip-version-check pipenv==2026.10.3
	$(PYTHON) -m pipenv install --dev --deploy
	touch $@

tools: .tools/checkov/bin/checkov .tools/node/node_modules/.bin/gitlab-ci-local  ## test-only tools, outside the project's env
.tools/checkov/bin/checkov:  # its pins conflict with the project's boto3, so it lives in its own venv
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --disable-pip-version-check checkov==3.3.30
.tools/node/node_modules/.bin/gitlab-ci-local:  # 4.73.0: the newest that runs on Node 20; it needs rsync
	@command -v rsync >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq rsync >/dev/null; }
	npm install --silent --no-audit --no-fund --prefix .tools/node gitlab-ci-local@4.73.0

up: setup  ## deploy every stack to the local emulator, then print endpoints and outputs
	$(PY) main.py deploy --auto-approve
	$(PY) main.py local status

down:  ## destroy every stack and stop the local emulator
	-$(PY) main.py destroy --auto-approve
	$(PY) main.py local stop

lint: setup  ## ruff (lint and format check) and mypy over every package: zero findings
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: setup tools lint  ## lint, then the whole suite: unit (synth, schema, checkov, validate), then integration (local target)
	$(PY) -m pytest tests/unit tests/integration

unit: setup tools
	$(PY) -m pytest tests/unit

integration: setup tools  ## ORDER=file|reverse|random:SEED (docs/testing.md)
	$(PY) -m pytest tests/integration --order $(ORDER)

checkov: setup tools
	$(PY) main.py synth
	BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true .tools/checkov/bin/checkov --config-file .checkov.yaml -d cdktf.out/stacks

bench: setup  ## figures: synth, plan, deploy, drift, memory, scaling
	$(PY) -m bench

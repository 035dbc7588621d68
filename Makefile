# Every target a platform engineer needs; `make help` lists them. Concern-specific targets
# live in mk/*.mk and add themselves to TEST_TIERS in the order they should run.
SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ENV    ?= local

# Terraform and its AWS provider are Go programs; at Go's default GOGC=100 they spend about
# a quarter of their CPU collecting garbage. 400 cut the terraform tiers' CPU by 27 % for
# about 25 % more peak memory per process (560 -> 730 MB); 800 saved nothing more.
# An explicit GOGC in the environment wins.
export GOGC ?= 400

# The venv is rebuilt whenever a pinned requirements file changes.
DEPS_STAMP := $(VENV)/.deps-$(shell cat requirements/runtime.txt requirements/dev.txt pyproject.toml | sha256sum | cut -c1-12)

# Built by `make build` (mk/terraform.mk has the rule); defined here because mk/*.mk files
# name it in prerequisites, which make expands as it reads each file.
LAMBDA_MANIFEST := build/lambda.json

# Static checks come first (lint includes terraform fmt and validate), so a format slip
# fails in seconds rather than after the suites.
TEST_TIERS := lint test-python

.PHONY: help deps lint hooks test test-python build clean

help: ## List every target with one line each
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort -u | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2}'

$(DEPS_STAMP): requirements/runtime.txt requirements/dev.txt pyproject.toml
	@echo "==> creating $(VENV) and installing pinned dependencies (about a minute the first time)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	@rm -f $(VENV)/.deps-* && touch $@

deps: $(DEPS_STAMP) ## Create .venv and install the pinned dependencies

# lint is the commit hooks of .pre-commit-config.yaml over every file: ruff (check, format),
# mypy strict, actionlint, make variables, terraform fmt and validate. checkov is a pre-push
# hook and part of test-terraform (a minute; lint stays in seconds).
lint: deps ## The commit hooks over every file: ruff, mypy, actionlint, terraform fmt + validate
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

hooks: deps ## Install the git hooks: lint's checks before each commit, checkov before each push
	$(VENV)/bin/pre-commit install

test-python: deps ## Unit and functional tests (no network, moto-backed AWS)
	$(PY) -m pytest tests/unit tests/functional -q

build: deps ## Build the content-hashed Lambda package under build/
	$(PY) -m workflow_tools.build_lambda

clean: ## Remove build output, caches and the venvs (keeps .local: it holds bootstrap state)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis $(VENV) .venv-checkov

include $(wildcard mk/*.mk)

# lint runs first and alone: a format slip fails in seconds, and its terraform validate shares
# a data dir with test-terraform. Then the other tiers run side by side, TEST_JOBS at a time:
# most of e2e's and load's time is waiting on their own emulators (provider waits, approval
# timeouts), which the CPU-bound tiers fill. 8 runs every tier and the terraform tier's
# three parts at once; with 4 those parts queued for a free slot and the terraform tier ran
# on alone for a minute after the others. Each tier's output is printed whole when it
# ends (--output-sync); TEST_JOBS=1 runs them one after another as before.
TEST_JOBS ?= 8
test: ## Run every test tier (what CI runs): lint, then the others TEST_JOBS at a time
	@$(MAKE) --no-print-directory lint
	@echo "==> $(filter-out lint,$(TEST_TIERS)): $(TEST_JOBS) at a time; each prints when it ends (TEST_JOBS=1 streams)"
	@$(MAKE) --no-print-directory --jobs=$(TEST_JOBS) --output-sync=target \
	  $(filter-out lint,$(TEST_TIERS))

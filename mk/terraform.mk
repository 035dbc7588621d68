# Terraform: tests (fmt, validate, terraform test per environment, checkov), plan and apply
# per workspace, and the state bootstrap. Everything runs offline when the machine has a
# provider mirror: local_cloud.terraform_cli_config finds it and writes the CLI config.

TF_ROOT        := terraform
TF_BOOTSTRAP   := $(TF_ROOT)/bootstrap
TF_ENVIRONMENTS := local dev staging prod
TF_LOCAL       := .local/terraform
TF_CLI_RC      := $(TF_LOCAL)/cli.tfrc
# Each use gets its own data dir, so tests never disturb a developer's dev/prod init.
TF_TEST_DATA   := $(abspath $(TF_LOCAL)/data-test)
TF_BOOT_TEST_DATA := $(abspath $(TF_LOCAL)/data-bootstrap-test)
TF_BOOT_DATA   := $(abspath $(TF_LOCAL)/data-bootstrap-$(ENV))
TF_ENV_DATA    := $(abspath $(TF_LOCAL)/data-$(ENV))
TF             := TF_CLI_CONFIG_FILE=$(abspath $(TF_CLI_RC)) TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 terraform
TF_TEST_VARS   := -var lambda_package_path=tests/fixtures/lambda-fixture.zip \
                  -var mock_package_path=tests/fixtures/mock-fixture.zip

# checkov's dependencies clash with ours, so it lives in its own venv.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV    := .venv-checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION)

# Applies and plans use the packages `make build` made; their paths come from the manifest
# (the mock's is used only where enable_mock_apis is on, never in prod).
LAMBDA_PACKAGE   = $(abspath $(shell $(PYTHON) -c 'import json; print(json.load(open("$(LAMBDA_MANIFEST)"))["path"])'))
MOCK_PACKAGE     = $(abspath $(shell $(PYTHON) -c 'import json; print(json.load(open("$(LAMBDA_MANIFEST)"))["mock"]["path"])'))
# ENV=local talks to the emulator: LOCAL_AWS_ENDPOINT=http://127.0.0.1:<port>.
LOCAL_AWS_ENDPOINT ?=

TEST_TIERS += test-terraform

.PHONY: tf-clean test-terraform tf-static tf-cli-config tf-fmt tf-validate tf-test tf-test-root tf-checkov tf-build-test \
        tf-env-check tf-init plan apply apply-plan tf-plan-file-check tf-bootstrap

$(TF_CLI_RC): scripts/local_cloud/terraform_cli_config.py | $(DEPS_STAMP)
	@$(PY) -m local_cloud.terraform_cli_config $@

tf-cli-config: $(TF_CLI_RC) ## Write the Terraform CLI config (local provider mirror if found)

$(CHECKOV_STAMP):
	@echo "==> creating $(CHECKOV_VENV) with checkov==$(CHECKOV_VERSION)"
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@rm -f $(CHECKOV_VENV)/.checkov-* && touch $@

tf-fmt: ## terraform fmt -check over terraform/
	@echo "==> terraform fmt -check -recursive"
	@$(TF) -chdir=$(TF_ROOT) fmt -check -recursive -diff

tf-validate: $(TF_CLI_RC) ## terraform validate: root module (with modules) and bootstrap
	@echo "==> terraform init (no backend) + validate: $(TF_ROOT)"
	@TF_DATA_DIR=$(TF_TEST_DATA) $(TF) -chdir=$(TF_ROOT) init -backend=false -input=false -no-color >/dev/null
	@TF_DATA_DIR=$(TF_TEST_DATA) $(TF) -chdir=$(TF_ROOT) validate -no-color
	@echo "==> terraform init (no backend) + validate: $(TF_BOOTSTRAP)"
	@TF_DATA_DIR=$(TF_BOOT_TEST_DATA) $(TF) -chdir=$(TF_BOOTSTRAP) init -backend=false -input=false -no-color >/dev/null
	@TF_DATA_DIR=$(TF_BOOT_TEST_DATA) $(TF) -chdir=$(TF_BOOTSTRAP) validate -no-color

# $(call TF_SHARED,<data dir>,<module>) <command>: the terraform commands <command> runs, one
# after another, all use one AWS provider process instead of starting their own (about 150
# starts in tf-test; local_cloud/terraform_shared_provider.py says why and when it is safe).
TF_SHARED = $(PY) -m local_cloud.terraform_shared_provider --data-dir $(1) --module $(2) \
  --log $(TF_LOCAL)/shared-provider-$(notdir $(2)).log --

tf-test: tf-validate ## terraform test (mock AWS): guards, IAM, network and storage once, every environment's tfvars, bootstrap's OIDC roles
	@echo "==> terraform test: bootstrap (GitHub OIDC deploy and plan roles)"
	@$(call TF_SHARED,$(TF_BOOT_TEST_DATA),$(TF_BOOTSTRAP)) \
	  env TF_DATA_DIR=$(TF_BOOT_TEST_DATA) $(TF) -chdir=$(TF_BOOTSTRAP) test -no-color
	@$(call TF_SHARED,$(TF_TEST_DATA),$(TF_ROOT)) $(MAKE) --no-print-directory tf-test-root

# The root module's test files, then each environment's tfvars (tf-test runs this with one
# shared provider; on its own it starts providers as terraform always does).
tf-test-root:
	@echo "==> terraform test: guards, least privilege, network, autoscaled capacity"
	@TF_DATA_DIR=$(TF_TEST_DATA) $(TF) -chdir=$(TF_ROOT) test -no-color \
	  -filter=tests/guards.tftest.hcl -filter=tests/iam.tftest.hcl -filter=tests/network.tftest.hcl -filter=tests/storage.tftest.hcl
	@for env in $(TF_ENVIRONMENTS); do \
	  echo "==> terraform test: environments/$$env.tfvars"; \
	  TF_DATA_DIR=$(TF_TEST_DATA) $(TF) -chdir=$(TF_ROOT) test -no-color -filter=tests/environment.tftest.hcl \
	    -var-file=environments/$$env.tfvars $(TF_TEST_VARS) || exit 1; \
	done

# With the variables' defaults (every module's secure baseline) and with prod's values, then
# the skip audit; one call, its four scans side by side (run_checkov.py --all).
# dev/staging/local keep logs for less than a year on purpose, so they are not scanned.
tf-checkov: $(CHECKOV_STAMP) ## checkov over terraform/ (defaults and prod.tfvars): 0 failed, skips listed, no idle skip
	@$(PYTHON) tests/terraform/run_checkov.py --checkov $(CHECKOV_VENV)/bin/checkov --all \
	  --var-file $(TF_ROOT)/environments/prod.tfvars

tf-build-test: deps ## Unit tests of the package builder and the CLI-config writer
	$(PY) -m pytest tests/terraform -q

tf-static: tf-fmt tf-validate ## terraform fmt -check and validate (seconds; make lint runs both)

test-terraform: tf-fmt tf-test tf-checkov tf-build-test ## Terraform tier: fmt, validate, terraform test per env, checkov

# ---- plan / apply per workspace ---------------------------------------------------------

tf-env-check:
	@test -n "$(filter $(ENV),$(TF_ENVIRONMENTS))" || { echo "ENV must be one of: $(TF_ENVIRONMENTS) (got '$(ENV)')"; exit 1; }
	@test "$(ENV)" != local || test -n "$(LOCAL_AWS_ENDPOINT)" || \
	  { echo "ENV=local needs LOCAL_AWS_ENDPOINT=http://127.0.0.1:<port> (the emulator)"; exit 1; }

TF_LOCAL_BACKEND = $(if $(filter local,$(ENV)),-backend-config='endpoints={s3="$(LOCAL_AWS_ENDPOINT)"}')
TF_LOCAL_VARS    = $(if $(filter local,$(ENV)),-var aws_endpoint_url=$(LOCAL_AWS_ENDPOINT))
TF_PLAN_ARGS     = -input=false -var-file=environments/$(ENV).tfvars -var lambda_package_path=$(LAMBDA_PACKAGE) -var mock_package_path=$(MOCK_PACKAGE) $(TF_LOCAL_VARS)

tf-init: tf-env-check $(TF_CLI_RC)
	@echo "==> terraform init: backend environments/$(ENV).s3.tfbackend, workspace $(ENV)"
	@TF_DATA_DIR=$(TF_ENV_DATA) $(TF) -chdir=$(TF_ROOT) init -reconfigure -input=false \
	  -backend-config=environments/$(ENV).s3.tfbackend $(TF_LOCAL_BACKEND)
	@TF_DATA_DIR=$(TF_ENV_DATA) $(TF) -chdir=$(TF_ROOT) workspace select -or-create $(ENV)

# The saved plan, and its JSON for review tools (python -m workflow_tools.preflight --plan-json).
TF_PLAN_FILE = $(abspath $(TF_LOCAL)/$(ENV).tfplan)
TF_PLAN_JSON = $(abspath $(TF_LOCAL)/$(ENV).plan.json)

plan: tf-init $(LAMBDA_MANIFEST) ## Plan ENV=<local|dev|staging|prod> (workspace, tfvars and backend of ENV)
	@TF_DATA_DIR=$(TF_ENV_DATA) $(TF) -chdir=$(TF_ROOT) plan $(TF_PLAN_ARGS) -out=$(TF_PLAN_FILE)
	@TF_DATA_DIR=$(TF_ENV_DATA) $(TF) -chdir=$(TF_ROOT) show -json $(TF_PLAN_FILE) > $(TF_PLAN_JSON)
	@echo "==> plan saved: $(TF_PLAN_FILE) (JSON: $(TF_PLAN_JSON))"

apply: plan ## Apply ENV=<...>: the plan just shown, after confirmation (AUTO_APPROVE=1 skips it)
	@test "$(AUTO_APPROVE)" = 1 || { read -r -p "Apply this plan to $(ENV)? [y/N] " answer; test "$$answer" = y; }
	@TF_DATA_DIR=$(TF_ENV_DATA) $(TF) -chdir=$(TF_ROOT) apply -input=false $(TF_PLAN_FILE)

# CI applies the plan file a reviewer saw, made by `make plan` in an earlier job of the same
# run (with build/ beside it: the plan names the zips by absolute path and hash). A plan made
# against an older state serial is refused by Terraform itself ("Saved plan is stale").
PLAN ?= $(TF_PLAN_FILE)

tf-plan-file-check:
	@test -f "$(PLAN)" || { echo "no saved plan at $(PLAN): run make plan ENV=$(ENV) first"; exit 1; }

apply-plan: tf-plan-file-check tf-init ## Apply a saved plan, no questions: make apply-plan ENV=<ws> [PLAN=path/to/<ws>.tfplan]
	@TF_DATA_DIR=$(TF_ENV_DATA) $(TF) -chdir=$(TF_ROOT) apply -input=false $(abspath $(PLAN))

$(LAMBDA_MANIFEST):
	@$(MAKE) --no-print-directory build

# GITHUB_REPOSITORY=<owner>/<repo> adds the GitHub OIDC provider and ENV's deploy and plan
# roles (GITHUB_OIDC_PROVIDER=reuse where the account has the provider already).
GITHUB_REPOSITORY    ?=
GITHUB_OIDC_PROVIDER ?= create
TF_BOOT_GITHUB_VARS = $(if $(GITHUB_REPOSITORY),-var github_repository=$(GITHUB_REPOSITORY) \
  -var create_github_oidc_provider=$(if $(filter reuse,$(GITHUB_OIDC_PROVIDER)),false,true))

tf-bootstrap: $(TF_CLI_RC) ## Create ENV's state bucket, API Gateway logging role [and GitHub OIDC roles: GITHUB_REPOSITORY=o/r]
	@test -n "$(filter $(ENV),dev staging prod)" || { echo "tf-bootstrap needs ENV=dev|staging|prod"; exit 1; }
	@TF_DATA_DIR=$(TF_BOOT_DATA) $(TF) -chdir=$(TF_BOOTSTRAP) init -input=false
	@TF_DATA_DIR=$(TF_BOOT_DATA) $(TF) -chdir=$(TF_BOOTSTRAP) apply -input=false -var environment=$(ENV) \
	  $(TF_BOOT_GITHUB_VARS) -state=$(abspath $(TF_LOCAL))/bootstrap-$(ENV).tfstate

tf-clean: ## Remove Terraform data dirs, saved plans and the checkov venv (never remote state)
	rm -rf $(TF_LOCAL)/data-* $(TF_LOCAL)/*.tfplan $(TF_LOCAL)/*.plan.json $(CHECKOV_VENV)

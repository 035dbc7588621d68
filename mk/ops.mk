# Operations: the deployment checklist as code, the smoke test and the Jira doctor (DEPLOYMENT_CHECKLIST.md,
# docs/runbooks/). The unit and functional tests of workflow_tools.preflight and workflow_tools.ops run in
# test-python; nothing is added to TEST_TIERS here.
#
# make preflight ENV=prod                  plan prod.tfvars in the emulator (a running
#                                          `make local`, else a throwaway one) and check it
# make preflight ENV=prod PREFLIGHT_AWS=1  plan in AWS with mk/terraform.mk's `plan`
#                                          (credentials, state bucket) and check that plan;
#                                          its saved plan file is what CI applies
# make preflight ENV=prod WEAKENED=no_waf  prod.tfvars + tests/fixtures/weakened_prod/no_waf.tfvars:
#                                          a deliberately weakened prod that must fail

PREFLIGHT_ARGS ?=
WEAKENED       ?=
WEAKENED_DIR   := tests/fixtures/weakened_prod
PREFLIGHT_VAR_FILES = $(if $(WEAKENED),--var-file terraform/environments/$(ENV).tfvars --var-file $(WEAKENED_DIR)/$(WEAKENED).tfvars)
PREFLIGHT_AWS  ?=
# A file to copy the table into as well (CI posts it as the job summary).
PREFLIGHT_REPORT ?=
SMOKE_ARGS     ?=

.PHONY: preflight preflight-fixtures smoke

preflight: deps $(LAMBDA_MANIFEST) ## Check the checklist against ENV's plan: make preflight ENV=prod [PREFLIGHT_AWS=1] [WEAKENED=no_waf]
ifeq ($(PREFLIGHT_AWS),1)
	@$(MAKE) --no-print-directory plan ENV=$(ENV)
	$(PY) -m workflow_tools.preflight --env $(ENV) --plan-json $(TF_PLAN_JSON) $(PREFLIGHT_ARGS) $(if $(PREFLIGHT_REPORT),| tee $(PREFLIGHT_REPORT))
else
	$(PY) -m workflow_tools.preflight --env $(ENV) $(PREFLIGHT_VAR_FILES) $(PREFLIGHT_ARGS) $(if $(PREFLIGHT_REPORT),| tee $(PREFLIGHT_REPORT))
endif

# The unit tests' plans: the real terraform/ as prod, passing and weakened
# (tests/unit/fixtures/preflight/overrides/), planned in a throwaway emulator.
preflight-fixtures: deps ## Re-plan tests/unit/fixtures/preflight/prod_{pass,weak}.plan.json from terraform/
	$(PY) tests/unit/fixtures/preflight/regenerate.py

smoke: deps ## Signed test webhook followed to completion: make smoke ENV=<ws> [SMOKE_ARGS=--issue OPS-1]
	$(PY) -m workflow_tools.ops.smoke --env $(ENV) $(SMOKE_ARGS)

JIRA_DOCTOR_ARGS ?=

.PHONY: jira-doctor

jira-doctor: deps ## Check the Jira site against what ENV's deployment needs: make jira-doctor ENV=<ws> [JIRA_DOCTOR_ARGS=--jira-url ...]
	$(PY) -m workflow_tools.jira_doctor --env $(ENV) $(JIRA_DOCTOR_ARGS)

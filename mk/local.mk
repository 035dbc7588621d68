# Local cloud: the real Terraform, ASL and handlers on this machine (scripts/local_cloud, run as `python -m local_cloud`).
# Everything it writes lives under .local/ (git-ignored); real workspaces are untouched.
.PHONY: demo local build-host test-e2e test-emulator

build-host: deps ## Build the Lambda packages for this machine's Python (what the local stack runs)
	$(PY) -m workflow_tools.build_lambda --platform host

# test-python already runs tests/functional (the emulator tests included).
TEST_TIERS += test-e2e

demo: deps build ## Play the request stories end to end on the local stack; exit 0 if all ended as expected
	$(PY) -m workflow_tools.demo

local: deps build-host ## Run the local stack until Ctrl-C; prints API URL, API key, how to sign a webhook
	$(PY) -m local_cloud

test-emulator: deps ## Emulator tier: each moto patch, the Lambda runner and the API Gateway front
	$(PY) -m pytest tests/functional/test_emulator_*.py -q

test-e2e: deps build build-host ## End-to-end tier: Terraform applied into the emulator once, every story and failure path
	$(PY) -m pytest tests/e2e -q -m e2e

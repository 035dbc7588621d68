"""Dev-only mock APIs, deployed only with `enable_mock_apis` and from their own zip.

Imports run one way: this package may use the product's boundary helpers (body parsing,
error answers, logging); nothing in `jira_workflow` imports it, and the product's zip
holds none of it (workflow_tools.build_lambda, tests/terraform/test_build_lambda.py).
"""

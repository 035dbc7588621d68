# Autoscaling owns provisioned capacity: an apply must not reset what it scaled.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment           = "dev"
  jira_base_url         = "https://acme.atlassian.net"
  trigger_project_keys  = ["OPS"]
  trigger_issue_types   = ["Service Request"]
  enable_mock_apis      = true
  lambda_package_path   = "tests/fixtures/lambda-fixture.zip"
  mock_package_path     = "tests/fixtures/mock-fixture.zip"
  dynamodb_billing_mode = "PROVISIONED"
  dynamodb_capacity     = { read_min = 5, read_max = 100, write_min = 5, write_max = 100, target_utilisation = 70 }
}

run "created_with_the_minimum" {
  command = apply
  assert {
    condition     = module.storage.requests_table_protection.index_capacity["by_state"] == { read = 5, write = 5 }
    error_message = "by_state starts at the autoscaling minimum."
  }
}

# State now says 5 while the configuration says 7, as it does after autoscaling moved the
# capacity away from the configured minimum: the plan must keep what is there.
run "capacity_is_left_to_autoscaling" {
  command = plan
  variables {
    dynamodb_capacity = { read_min = 7, read_max = 100, write_min = 7, write_max = 100, target_utilisation = 70 }
  }
  assert {
    condition     = module.storage.requests_table_protection.index_capacity["by_state"] == { read = 5, write = 5 }
    error_message = "An apply would reset the by_state index's autoscaled capacity."
  }
}

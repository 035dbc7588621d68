# Misconfigurations are refused at plan time with a reason.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment          = "dev"
  jira_base_url        = "https://acme.atlassian.net"
  trigger_project_keys = ["OPS"]
  trigger_issue_types  = ["Service Request"]
  enable_mock_apis     = true
  lambda_package_path  = "tests/fixtures/lambda-fixture.zip"
  mock_package_path    = "tests/fixtures/mock-fixture.zip"
}

run "unknown_environment_is_rejected" {
  command = plan
  variables {
    environment = "qa"
  }
  expect_failures = [var.environment]
}

run "approval_must_end_before_the_execution_times_out" {
  command = plan
  variables {
    state_machine_timeout_seconds = 7200
    approval_timeout_seconds      = 7200
  }
  expect_failures = [var.approval_timeout_seconds]
}

run "status_ids_must_be_jira_ids" {
  command = plan
  variables {
    status_ids = { trigger = "Submitted" }
  }
  expect_failures = [var.status_ids]
}

run "prod_refuses_mock_apis" {
  command = plan
  variables {
    environment = "prod"
  }
  expect_failures = [terraform_data.deployment_guard]
}

run "real_endpoints_required_without_mocks" {
  command = plan
  variables {
    enable_mock_apis = false
  }
  expect_failures = [terraform_data.deployment_guard]
}

run "vpc_needs_subnets" {
  command = plan
  variables {
    enable_vpc = true
  }
  expect_failures = [var.vpc_subnet_ids, var.vpc_security_group_ids]
}

run "plain_http_jira_only_locally" {
  command = plan
  variables {
    jira_base_url = "http://acme.atlassian.net"
  }
  expect_failures = [var.jira_base_url]
}

run "missing_package_is_reported" {
  command = plan
  variables {
    lambda_package_path = "tests/fixtures/no-such-package.zip"
  }
  expect_failures = [var.lambda_package_path]
}

run "missing_mock_package_is_reported" {
  command = plan
  variables {
    mock_package_path = "tests/fixtures/no-such-mock-package.zip"
  }
  expect_failures = [var.mock_package_path]
}

run "required_fields_refuse_an_unknown_field" {
  command = plan
  variables {
    required_fields = { "OPS/Service Request" = ["summary", "colour"] }
  }
  expect_failures = [var.required_fields]
}

run "required_fields_refuse_an_unreadable_scope" {
  command = plan
  variables {
    required_fields = { "ops;*" = ["summary"] }
  }
  expect_failures = [var.required_fields]
}

run "required_fields_reach_the_functions_in_their_syntax" {
  command = plan
  variables {
    required_fields = { "*" = ["summary"], "OPS/Service Request" = ["summary", "description"] }
  }
  assert {
    condition     = local.common_environment.REQUIRED_FIELDS == "*=summary;OPS/Service Request=summary,description"
    error_message = "REQUIRED_FIELDS must render each scope as SCOPE=field,field joined by ';'."
  }
}

run "status_ids_reach_the_functions" {
  command = plan
  variables {
    status_ids = { trigger = "10001", reject = "10004" }
  }
  assert {
    condition = (
      local.common_environment.TRIGGER_STATUS_ID == "10001" &&
      local.common_environment.APPROVE_STATUS_ID == "" &&
      local.common_environment.REJECT_STATUS_ID == "10004"
    )
    error_message = "status_ids must reach the functions as TRIGGER_/APPROVE_/REJECT_STATUS_ID, empty when unset."
  }
}

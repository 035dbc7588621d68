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

run "a_step_must_outlast_its_http_timeout" {
  command = plan
  variables {
    http_timeout_seconds          = 10
    step_function_timeout_seconds = 12
  }
  expect_failures = [var.step_function_timeout_seconds]
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

run "prod_needs_an_approver_group" {
  command = plan
  variables {
    environment         = "prod"
    enable_mock_apis    = false
    enrich_api_url      = "https://enrich.example.com"
    fulfil_api_url      = "https://fulfil.example.com"
    jira_approver_group = null
  }
  expect_failures = [terraform_data.deployment_guard]
}

run "an_empty_approver_group_is_refused" {
  command = plan
  variables {
    jira_approver_group = " "
  }
  expect_failures = [var.jira_approver_group]
}

run "real_endpoints_required_without_mocks" {
  command = plan
  variables {
    enable_mock_apis = false
  }
  expect_failures = [terraform_data.deployment_guard]
}

run "own_subnets_need_security_groups" {
  command = plan
  variables {
    enable_vpc     = true
    vpc_subnet_ids = ["subnet-0aaa", "subnet-0bbb"]
  }
  expect_failures = [var.vpc_security_group_ids]
}

run "own_subnets_span_two_zones" {
  command = plan
  variables {
    enable_vpc             = true
    vpc_subnet_ids         = ["subnet-0aaa"]
    vpc_security_group_ids = ["sg-0aaa"]
  }
  expect_failures = [var.vpc_subnet_ids]
}

run "built_network_spans_two_zones" {
  command = plan
  variables {
    enable_vpc = true
    network    = { availability_zone_count = 1 }
  }
  expect_failures = [var.network]
}

run "own_subnet_routed_to_an_internet_gateway_is_refused" {
  command = plan
  variables {
    enable_vpc             = true
    vpc_subnet_ids         = ["subnet-0aaa", "subnet-0bbb"]
    vpc_security_group_ids = ["sg-0aaa"]
  }
  override_data {
    target = data.aws_route_table.function_subnets["subnet-0bbb"]
    values = {
      routes = [{ cidr_block = "0.0.0.0/0", gateway_id = "igw-0public" }]
    }
  }
  expect_failures = [data.aws_route_table.function_subnets["subnet-0bbb"]]
}

run "own_subnets_behind_a_nat_are_accepted" {
  command = plan
  variables {
    enable_vpc             = true
    vpc_subnet_ids         = ["subnet-0aaa", "subnet-0bbb"]
    vpc_security_group_ids = ["sg-0aaa"]
  }
  override_data {
    target = data.aws_route_table.function_subnets
    values = {
      routes = [{ cidr_block = "0.0.0.0/0", gateway_id = "", nat_gateway_id = "nat-0private" }]
    }
  }
  assert {
    condition     = length(module.network) == 0
    error_message = "Bringing subnets builds no network."
  }
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

run "external_api_over_plain_http_only_locally" {
  command = plan
  variables {
    enable_mock_apis = false
    enrich_api_url   = "http://enrichment.example.com/v1/enrich"
    fulfil_api_url   = "http://fulfilment.example.com/v1/fulfil"
  }
  expect_failures = [var.enrich_api_url, var.fulfil_api_url]
}

run "pager_endpoint_must_be_https" {
  command = plan
  variables {
    pager_endpoint = "http://events.pagerduty.example/integration/key/enqueue"
  }
  expect_failures = [var.pager_endpoint]
}

run "waivers_name_a_waivable_rule_with_a_reason" {
  command = plan
  variables {
    preflight_waivers = { destroy_protection = "we like living dangerously", api_waf = "short" }
  }
  expect_failures = [var.preflight_waivers]
}

run "insights_needs_the_layer_of_the_region" {
  command = plan
  variables {
    enable_lambda_insights     = true
    lambda_insights_layer_arns = { "us-east-1" = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:5" }
  }
  expect_failures = [terraform_data.deployment_guard]
}

run "pager_and_insights_are_wired" {
  command = apply
  variables {
    pager_endpoint             = "https://events.pagerduty.example/integration/key/enqueue"
    alert_emails               = ["oncall@example.com"]
    enable_lambda_insights     = true
    lambda_insights_layer_arns = { "eu-west-1" = "arn:aws:lambda:eu-west-1:580247275435:layer:LambdaInsightsExtension-Arm64:5" }
  }
  assert {
    condition     = toset(module.monitoring.subscriber_protocols) == toset(["email", "https"])
    error_message = "The alerts topic has the email and the pager (https) subscribers."
  }
  assert {
    condition = alltrue([
      for s in values(module.functions.runtime_settings) : length(s.layers) == 1 && contains(s.layers, "arn:aws:lambda:eu-west-1:580247275435:layer:LambdaInsightsExtension-Arm64:5") && s.insights_policy
    ])
    error_message = "Every function carries the region's Insights layer and its policy."
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

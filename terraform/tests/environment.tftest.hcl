# Run once per environment with its tfvars (mk/terraform.mk):
#   terraform test -filter=tests/environment.tftest.hcl -var-file=environments/<env>.tfvars
# Assertions that differ per environment are written as "environment != X || property".

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_package_path = "tests/fixtures/lambda-fixture.zip"
  mock_package_path   = "tests/fixtures/mock-fixture.zip"
}

run "deployment" {
  command = apply # against the mock provider: computed values become known

  # ---- encryption: the one customer-managed key everywhere --------------------------
  assert {
    condition     = module.kms.key_rotation_enabled
    error_message = "KMS key rotation must be enabled."
  }
  assert {
    condition = toset(flatten([
      [module.storage.requests_table_protection.kms_key_arn, module.storage.artifacts_bucket_kms_key_arn],
      values(module.secrets.secret_kms_key_arns),
      [module.workflow.observability.kms_key_id, module.monitoring.alerts_topic_kms_key, module.api.stage_settings.access_log_group_kms, module.api.stage_settings.execution_log_group_kms],
      [for s in values(module.functions.runtime_settings) : [s.environment_kms_key, s.log_group_kms_key]],
      [module.execution_events.dead_letter_queue_kms_key],
    ])) == toset([module.kms.key_arn])
    error_message = "Every store (table, bucket, secrets, state machine, topic, log groups, Lambda env) must use the customer-managed key."
  }

  # ---- execution status events close stuck requests -----------------------------------
  assert {
    condition = module.execution_events.event_pattern == {
      source        = ["aws.states"]
      "detail-type" = ["Step Functions Execution Status Change"]
      detail        = { status = ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn = [module.workflow.state_machine_arn] }
    }
    error_message = "The finaliser must see exactly this state machine's FAILED, TIMED_OUT and ABORTED executions."
  }
  assert {
    condition = (
      module.execution_events.delivery.target_dead_letter_arn == module.execution_events.dead_letter_queue_arn &&
      module.execution_events.delivery.lambda_on_failure_arn == module.execution_events.dead_letter_queue_arn &&
      module.execution_events.delivery.permission_principal == "events.amazonaws.com" &&
      module.execution_events.delivery.permission_source_arn == module.execution_events.rule_arn
    )
    error_message = "Undelivered and unhandled status events must reach the dead-letter queue; only the rule may invoke the finaliser."
  }

  # ---- data protection ----------------------------------------------------------------
  assert {
    condition     = module.storage.requests_table_protection.point_in_time_recovery
    error_message = "The requests table must have point-in-time recovery."
  }
  assert {
    condition     = module.storage.artifacts_bucket_versioning == "Enabled"
    error_message = "The artifacts bucket must be versioned."
  }
  assert {
    condition     = var.environment != "prod" || (module.storage.requests_table_protection.deletion_protection && module.storage.access_log_bucket_name != null)
    error_message = "prod needs table deletion protection and S3 access logging."
  }
  assert {
    condition = (
      var.environment != "prod" || (
        module.storage.requests_table_protection.billing_mode == "PROVISIONED" &&
        length(module.storage.requests_table_protection.autoscaled) == 4
      )
    )
    error_message = "prod runs the table PROVISIONED with read/write autoscaling on the table and its GSI."
  }

  # ---- functions ------------------------------------------------------------------------
  assert {
    condition = alltrue([
      for s in values(module.functions.runtime_settings) : s.runtime == "python3.13" && s.architecture == "arm64"
    ])
    error_message = "Every function runs python3.13 on arm64."
  }
  assert {
    condition = alltrue([
      for s in values(module.functions.runtime_settings) : s.tracing_mode == (var.enable_xray ? "Active" : "PassThrough")
    ])
    error_message = "Lambda tracing must follow enable_xray."
  }
  assert {
    condition     = var.environment != "prod" || alltrue([for s in values(module.functions.runtime_settings) : s.tracing_mode == "Active"])
    error_message = "prod traces every function with X-Ray."
  }
  assert {
    condition = alltrue([
      for s in values(module.functions.runtime_settings) : s.reserved_concurrency == coalesce(var.lambda_reserved_concurrency, -1)
    ])
    error_message = "Reserved concurrency must follow lambda_reserved_concurrency."
  }
  assert {
    condition     = var.environment != "prod" || alltrue([for s in values(module.functions.runtime_settings) : s.reserved_concurrency == 10])
    error_message = "prod reserves 10 concurrent executions per function."
  }
  assert {
    condition = alltrue(concat(
      [for s in values(module.functions.runtime_settings) : s.log_retention_days == var.log_retention_days],
      [module.workflow.observability.log_retention_days == var.log_retention_days],
      [for days in module.api.stage_settings.log_retention_days : days == var.log_retention_days],
    ))
    error_message = "Every log group keeps logs for log_retention_days."
  }
  assert {
    condition = var.environment != "prod" || alltrue(concat(
      [for s in values(module.functions.runtime_settings) : s.log_retention_days >= 365],
      [module.workflow.observability.log_retention_days >= 365],
      [for days in module.api.stage_settings.log_retention_days : days >= 365],
    ))
    error_message = "prod's log groups keep logs at least 365 days."
  }
  assert {
    condition     = toset(keys(module.functions.function_names)) == toset(concat(["callback", "complete_decision", "enrich_request", "finalise_execution", "fulfil_request", "reconciler", "record_failure", "report_outcome", "request_approval", "status", "store_artifacts", "validate_request", "webhook"], var.enable_mock_apis ? ["mock_external_api"] : []))
    error_message = "The functions are exactly docs/design.md's table (the mock only with enable_mock_apis)."
  }
  assert {
    condition = alltrue([
      for key, s3_key in module.functions.function_s3_keys :
      s3_key == (key == "mock_external_api" ? "lambda/mock-fixture.zip" : "lambda/lambda-fixture.zip")
    ])
    error_message = "The mock function runs from the mock package, every other function from the product package."
  }
  assert {
    condition     = module.functions.mock_package_s3_key == (var.enable_mock_apis ? "lambda/mock-fixture.zip" : null)
    error_message = "The mock package is uploaded only with enable_mock_apis (never in prod)."
  }

  assert {
    condition = alltrue([
      for key, s in module.functions.runtime_settings :
      s.timeout_seconds > 3 && s.timeout_seconds <= (contains(["webhook", "callback", "status", "mock_external_api"], key) ? 29 : 900)
    ])
    error_message = "API-facing functions answer within API Gateway's 29 s; every timeout is explicit."
  }

  # ---- network: staging and prod run the functions in private subnets ------------------
  assert {
    condition = !contains(["staging", "prod"], var.environment) || alltrue([
      for s in values(module.functions.runtime_settings) :
      s.in_vpc && length(s.subnet_ids) >= 2 && s.subnet_ids == toset(try(module.network[0].private_subnet_ids, []))
    ])
    error_message = "staging and prod place every function in the network module's private subnets (two zones or more)."
  }

  # ---- state machine --------------------------------------------------------------------
  assert {
    condition     = module.workflow.observability.include_execution_data == false
    error_message = "State machine logs must not include execution data (task tokens)."
  }
  assert {
    condition     = module.workflow.observability.tracing == var.enable_xray && module.workflow.observability.log_level == var.state_machine_log_level
    error_message = "State machine tracing and log level must follow the variables."
  }
  assert {
    condition     = var.environment != "prod" || module.workflow.timeouts.execution == 7200
    error_message = "prod's state machine times executions out after 7200 s (its definition's TimeoutSeconds)."
  }
  assert {
    # RequestApproval and AwaitDecisionWithoutJira (Jira down) both wait for the decision.
    condition = length(module.workflow.timeouts.callback_tasks) >= 1 && alltrue(flatten([
      for timeout in module.workflow.timeouts.callback_tasks : [
        for s in values(module.functions.runtime_settings) : s.environment.APPROVAL_TIMEOUT_SECONDS == tostring(timeout)
      ]
    ]))
    error_message = "Every deployed approval task's TimeoutSeconds and every function's APPROVAL_TIMEOUT_SECONDS must agree."
  }

  # ---- API --------------------------------------------------------------------------------
  assert {
    condition = (
      module.api.routes["POST /jira/webhook"] == false &&
      module.api.routes["POST /jira/callback"] == true &&
      module.api.routes["GET /requests/{issueKey}"] == true
    )
    error_message = "Only the webhook is open; callback and status require the API key."
  }
  assert {
    condition     = contains(keys(module.api.routes), "ANY /mock/{proxy+}") == var.enable_mock_apis
    error_message = "ANY /mock/{proxy+} exists exactly when enable_mock_apis."
  }
  assert {
    condition = (
      module.api.stage_settings.rate_limit == var.api_throttling.rate_limit &&
      module.api.stage_settings.burst_limit == var.api_throttling.burst_limit &&
      module.api.stage_settings.data_trace_enabled == false &&
      module.api.stage_settings.xray_tracing_enabled == var.enable_xray
    )
    error_message = "Stage throttling, tracing and (no) data tracing must follow the variables."
  }
  assert {
    condition = (var.enable_mock_apis ?
      output.lambda_environment.ENRICH_API_URL == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/${var.environment}/mock/enrich" :
      output.lambda_environment.ENRICH_API_URL == var.enrich_api_url && output.lambda_environment.FULFIL_API_URL == var.fulfil_api_url
    )
    error_message = "The external API URLs point at the mock exactly when enable_mock_apis, else at the variables."
  }
  assert {
    condition     = var.environment != "prod" || (!var.enable_mock_apis && module.api.stage_settings.logging_level != "OFF")
    error_message = "prod has no mock API and keeps API execution logging on."
  }

  # ---- monitoring -----------------------------------------------------------------------
  assert {
    condition     = var.environment != "prod" || length(module.monitoring.subscriber_protocols) > 0
    error_message = "prod's alerts topic has a subscriber (alert_emails or pager_endpoint)."
  }
  assert {
    condition = var.environment != "prod" || alltrue([
      for s in values(module.functions.runtime_settings) : length(s.layers) == 1 && anytrue([for layer in s.layers : strcontains(layer, ":layer:LambdaInsightsExtension-Arm64:")]) && s.insights_policy
    ])
    error_message = "prod runs every function with the Lambda Insights layer (arm64) and its log policy."
  }
  assert {
    condition     = alltrue([for actions in values(module.monitoring.alarm_actions) : actions == toset([module.monitoring.alerts_topic_arn])])
    error_message = "Every alarm notifies the alerts topic."
  }
  assert {
    condition = alltrue([
      for name in ["executions-failed", "executions-timed-out", "executions-throttled", "long-executions", "approvals-timed-out", "outcome-reports-failed", "api-5xx", "dynamodb-read-throttles", "dynamodb-write-throttles"] :
      contains(keys(module.monitoring.alarm_actions), "jira-workflow-${var.environment}-${name}")
    ])
    error_message = "The workflow, approval, API and DynamoDB alarms all exist."
  }
  assert {
    condition = var.environment == "local" || alltrue([
      for topic in ["trail", "failures", "slow"] : anytrue([for name in module.monitoring.insights_query_names : strcontains(name, topic)])
    ])
    error_message = "Saved Logs Insights queries exist for a request's trail, failures and slow executions."
  }
  assert {
    condition     = length(module.monitoring.alarm_actions) == 9 + 2 * length(module.functions.function_names)
    error_message = "Every function has an errors and a throttles alarm."
  }
}

# local: dev's settings applied to the local emulator (scripts/local_cloud), which passes
# aws_endpoint_url, jira_base_url (its fake Jira), lambda_package_path and mock_package_path
# (the host builds of the product and mock zips).
environment = "local"
aws_region  = "eu-west-1"

allow_destroy_with_data  = true
enable_s3_access_logging = false
enable_vpc               = true # prod's network, applied into the emulator so the e2e covers it
enable_xray              = true

jira_base_url        = "http://127.0.0.1:8081" # replaced by the emulator's fake Jira URL
trigger_project_keys = ["OPS"]
trigger_issue_types  = ["Service Request", "Task"]
jira_approver_group  = "request-approvers"   # only its members decide by moving an issue
required_fields      = { "*" = ["summary"] } # e.g. { "OPS/Service Request" = ["summary", "description"], "*" = ["summary"] }

enable_mock_apis = true
mock_faults      = ""

state_machine_timeout_seconds  = 86400
approval_timeout_seconds       = 3600
auto_approve_max_risk          = 20 # risk scores at or below skip the human decision (-1: never)
reconciler_schedule_expression = "rate(15 minutes)"

log_level                   = "DEBUG"
log_retention_days          = 14
artifact_retention_days     = 30
state_machine_log_level     = "ALL"
api_execution_logging_level = "OFF" # no account-level CloudWatch role in the emulator

dynamodb_billing_mode       = "PAY_PER_REQUEST"
lambda_reserved_concurrency = null

alarm_thresholds = {
  lambda_errors       = 5
  api_5xx             = 5
  executions_failed   = 3
  approvals_timed_out = 5
}

api_throttling = {
  rate_limit  = 10
  burst_limit = 20
}

budget_amount           = null  # the emulator has no billing
enable_insights_queries = false # nor saved Logs Insights queries

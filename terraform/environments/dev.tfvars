# dev: a shared, cheap, disposable workspace that runs end to end against the mock APIs.
environment = "dev"
aws_region  = "eu-west-1"

allow_destroy_with_data  = true
enable_s3_access_logging = false # access logging, WAF and VPC: staging and prod only
enable_vpc               = false
enable_xray              = true

jira_base_url        = "https://acme.atlassian.net" # your Jira Cloud site
trigger_project_keys = ["OPS"]
trigger_issue_types  = ["Service Request", "Task"]
required_fields      = { "*" = ["summary"] } # e.g. { "OPS/Service Request" = ["summary", "description"], "*" = ["summary"] }

enable_mock_apis = true # ENRICH/FULFIL_API_URL point at ANY /mock/{proxy+} on this API
mock_faults      = ""

state_machine_timeout_seconds  = 86400
approval_timeout_seconds       = 3600
auto_approve_max_risk          = 20 # risk scores at or below skip the human decision (-1: never)
reconciler_schedule_expression = "rate(15 minutes)"

log_level                   = "DEBUG"
log_retention_days          = 14
artifact_retention_days     = 30
state_machine_log_level     = "ALL" # execution data is still never logged
api_execution_logging_level = "INFO"

dynamodb_billing_mode       = "PAY_PER_REQUEST"
lambda_reserved_concurrency = null

# Dev is noisy by design (fault injection, half-built features): page on trends, not single errors.
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

budget_amount = 50

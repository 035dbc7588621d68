# staging: prod's shape at smaller scale, against the real (staging) external endpoints.
environment = "staging"
aws_region  = "eu-west-1"

allow_destroy_with_data  = false
enable_s3_access_logging = true
enable_vpc               = true # prod's network shape; one shared NAT gateway below keeps it cheap
network                  = { nat_gateway_per_zone = false }
enable_xray              = true

jira_base_url        = "https://acme-sandbox.atlassian.net" # your Jira Cloud sandbox
trigger_project_keys = ["OPS"]
trigger_issue_types  = ["Service Request", "Task"]
jira_approver_group  = "request-approvers"   # only its members decide by moving an issue
required_fields      = { "*" = ["summary"] } # e.g. { "OPS/Service Request" = ["summary", "description"], "*" = ["summary"] }

enable_mock_apis = false
enrich_api_url   = "https://enrichment.staging.example.com/v1/enrich" # your staging enrichment service
fulfil_api_url   = "https://fulfilment.staging.example.com/v1/fulfil" # your staging fulfilment service

state_machine_timeout_seconds  = 7200
approval_timeout_seconds       = 3600
reconciler_schedule_expression = "rate(10 minutes)"

log_level                   = "INFO"
log_retention_days          = 90
artifact_retention_days     = 90
state_machine_log_level     = "ERROR"
api_execution_logging_level = "ERROR"

dynamodb_billing_mode       = "PAY_PER_REQUEST"
lambda_reserved_concurrency = 5

alarm_thresholds = {
  lambda_errors = 3
  api_5xx       = 3
}

api_throttling = {
  rate_limit  = 25
  burst_limit = 50
}
api_quota_per_day = 10000

budget_amount = 100

# prod: the values DEPLOYMENT_CHECKLIST.md names; real endpoints, no mocks.
environment = "prod"
aws_region  = "eu-west-1"

allow_destroy_with_data  = false
enable_s3_access_logging = true
enable_vpc               = true # functions in private subnets behind NAT (terraform/modules/network)
enable_xray              = true

jira_base_url        = "https://acme.atlassian.net" # your Jira Cloud site
trigger_project_keys = ["OPS"]
trigger_issue_types  = ["Service Request", "Task"]
jira_approver_group  = "request-approvers"   # only its members decide by moving an issue
required_fields      = { "*" = ["summary"] } # e.g. { "OPS/Service Request" = ["summary", "description"], "*" = ["summary"] }

enable_mock_apis = false
enrich_api_url   = "https://enrichment.example.com/v1/enrich" # your enrichment service
fulfil_api_url   = "https://fulfilment.example.com/v1/fulfil" # your fulfilment service

state_machine_timeout_seconds  = 7200
approval_timeout_seconds       = 3600
reconciler_schedule_expression = "rate(5 minutes)"

log_level                   = "INFO"
log_retention_days          = 365
artifact_retention_days     = 365
state_machine_log_level     = "ERROR"
api_execution_logging_level = "ERROR"

lambda_reserved_concurrency = 10

dynamodb_billing_mode = "PROVISIONED"
dynamodb_capacity = {
  read_min           = 5
  read_max           = 200
  write_min          = 5
  write_max          = 200
  target_utilisation = 70
}

# Every failure pages in prod; long_execution_seconds defaults to 80% of the timeout.
alarm_thresholds = {
  executions_failed    = 1
  executions_timed_out = 1
  approvals_timed_out  = 1
  lambda_errors        = 1
  lambda_throttles     = 1
  api_5xx              = 1
  dynamodb_throttles   = 1
}

api_throttling = {
  rate_limit  = 50
  burst_limit = 100
}
api_quota_per_day = 50000

# Preflight fails prod without a web ACL, without anyone subscribed to the alerts topic, or with
# API execution logging OFF, unless preflight_waivers names the rule with a reason, e.g.
# preflight_waivers = { api_waf = "the API sits behind our CloudFront distribution's web ACL" }.
# your regional web ACL and your on-call address
waf_acl_arn  = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/jira-workflow-prod/a1b2c3d4-0000-4000-8000-000000000000"
alert_emails = ["oncall@example.com"]
# pager_endpoint: the PagerDuty/Opsgenie integration URL holds its key; set TF_VAR_pager_endpoint
# from your secret store in the deploy job instead of writing it here.
# custom_domain = { domain_name = "jira-workflow.example.com", certificate_arn = "arn:aws:acm:eu-west-1:<account>:certificate/<id>", base_path = "jira" }

# Lambda Insights: the extension layer is per region (its account and version differ).
enable_lambda_insights = true
lambda_insights_layer_arns = {
  "eu-west-1" = "arn:aws:lambda:eu-west-1:580247275435:layer:LambdaInsightsExtension-Arm64:5"
}

budget_amount = 300

################################################################################
# Where and what
################################################################################

variable "project" {
  description = "Project name; the first part of every resource name."
  type        = string
  default     = "jira-workflow"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}$", var.project))
    error_message = "project must be 2-25 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment; selects sizing, retention and alarms. Must match the workspace."
  type        = string

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of local, dev, staging, prod."
  }
}

variable "aws_region" {
  description = "AWS region of every resource."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "aws_endpoint_url" {
  description = "Local emulator only: one URL for every AWS service endpoint (also skips credential and account checks). null for real AWS."
  type        = string
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be an http(s) URL or null."
  }
}

variable "allow_destroy_with_data" {
  description = "Throwaway environments: buckets may be destroyed with objects, no table deletion protection, secrets deleted without recovery window."
  type        = bool
  default     = false
}

################################################################################
# Lambda
################################################################################

variable "lambda_package_path" {
  description = "Path of the zip built by scripts/build_lambda.py; null reads it from build/lambda.json."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_package_path == null || fileexists(coalesce(var.lambda_package_path, "-"))
    error_message = "lambda_package_path does not exist: run `make build` first."
  }
}

variable "mock_package_path" {
  description = "Path of the mock API's zip built by scripts/build_lambda.py (deployed only with enable_mock_apis); null reads it from build/lambda.json."
  type        = string
  default     = null

  validation {
    condition     = var.mock_package_path == null || fileexists(coalesce(var.mock_package_path, "-"))
    error_message = "mock_package_path does not exist: run `make build` first."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda package: arm64 (what `make build` produces) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrent executions per function (caps Jira/API fan-out and protects the account pool); null for unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_reserved_concurrency == null || try(var.lambda_reserved_concurrency >= 1, false)
    error_message = "lambda_reserved_concurrency must be null or at least 1."
  }
}

variable "enable_xray" {
  description = "X-Ray tracing for the functions, the state machine and the API stage."
  type        = bool
  default     = true
}

variable "enable_lambda_insights" {
  description = "Lambda Insights (per-invocation memory, CPU, cold starts): the extension layer for aws_region from lambda_insights_layer_arns, and its log policy."
  type        = bool
  default     = false
}

variable "lambda_insights_layer_arns" {
  description = "Lambda Insights extension layer by region (the layer's account and version differ per region; -Arm64 for arm64). See the AWS list of Lambda Insights extension versions."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for region, arn in var.lambda_insights_layer_arns :
      can(regex("^arn:aws[a-z-]*:lambda:${region}:[0-9]{12}:layer:LambdaInsightsExtension(-Arm64)?:[0-9]+$", arn))
    ])
    error_message = "lambda_insights_layer_arns maps a region to a LambdaInsightsExtension layer version ARN in that region."
  }
}

variable "log_level" {
  description = "Powertools LOG_LEVEL of the functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group (functions, state machine, API access logs)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 365, ..., 3653)."
  }
}

variable "enable_vpc" {
  description = "Place the functions in private subnets: this deployment's own network (module network), or vpc_subnet_ids and vpc_security_group_ids when given."
  type        = bool
  default     = false
}

variable "network" {
  description = <<-EOT
    The network built when enable_vpc and no vpc_subnet_ids are given (terraform/modules/network):
    VPC range, zones, one NAT per zone or a shared one, the AWS services reached through
    interface endpoints, and what the flow logs record.
  EOT
  type = object({
    cidr_block              = optional(string, "10.40.0.0/16")
    availability_zone_count = optional(number, 2)
    nat_gateway_per_zone    = optional(bool, true)
    interface_endpoints     = optional(list(string), ["secretsmanager", "states"])
    flow_log_traffic_type   = optional(string, "ALL")
  })
  default = {}

  validation {
    condition     = var.network.availability_zone_count >= 2
    error_message = "network.availability_zone_count must be at least 2: the functions stay up when one zone fails."
  }
}

variable "vpc_subnet_ids" {
  description = "Bring your own network: private subnet ids (two zones or more) for the functions; each needs an explicit route table association, which must not route to an internet gateway. Empty: module network builds them."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.vpc_subnet_ids) == 0 || length(var.vpc_subnet_ids) >= 2
    error_message = "vpc_subnet_ids must list subnets in at least two availability zones (or none, to build the network)."
  }
}

variable "vpc_security_group_ids" {
  description = "Bring your own network: security group ids for the functions; given exactly when vpc_subnet_ids is."
  type        = list(string)
  default     = []

  validation {
    condition     = (length(var.vpc_security_group_ids) == 0) == (length(var.vpc_subnet_ids) == 0)
    error_message = "vpc_security_group_ids and vpc_subnet_ids go together: give both (your own network) or neither (module network)."
  }
}

################################################################################
# Workflow
################################################################################

variable "state_machine_timeout_seconds" {
  description = "Longest a request workflow may run; alarms fire on executions near it and the ASL may use it."
  type        = number
  default     = 86400 * 3

  validation {
    condition     = var.state_machine_timeout_seconds >= 60 && var.state_machine_timeout_seconds <= 31536000
    error_message = "state_machine_timeout_seconds must be between 60 and 31536000 (one year, the Standard limit)."
  }
}

variable "approval_timeout_seconds" {
  description = "How long the approval task waits for a decision (ASL TimeoutSeconds and APPROVAL_TIMEOUT_SECONDS)."
  type        = number
  default     = 86400

  validation {
    condition     = var.approval_timeout_seconds >= 60 && var.approval_timeout_seconds < var.state_machine_timeout_seconds
    error_message = "approval_timeout_seconds must be at least 60 and shorter than state_machine_timeout_seconds."
  }
}

variable "state_machine_log_level" {
  description = "Step Functions execution logging level: ALL, ERROR, FATAL or OFF (execution data is never logged)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "reconciler_schedule_expression" {
  description = "When the reconciler looks for missed webhooks and decisions: rate(...) or cron(...)."
  type        = string
  default     = "rate(15 minutes)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.reconciler_schedule_expression))
    error_message = "reconciler_schedule_expression must be rate(...) or cron(...)."
  }
}

variable "reconciler_enabled" {
  description = "Whether the reconciler schedule is enabled."
  type        = bool
  default     = true
}

variable "reconcile_lookback_hours" {
  description = "How far back, by last update, the reconciler searches Jira for issues whose webhook was missed (RECONCILE_LOOKBACK_HOURS)."
  type        = number
  default     = 24

  validation {
    condition     = var.reconcile_lookback_hours >= 1 && var.reconcile_lookback_hours <= 720 && floor(var.reconcile_lookback_hours) == var.reconcile_lookback_hours
    error_message = "reconcile_lookback_hours must be a whole number of hours between 1 and 720."
  }
}

################################################################################
# Jira and trigger rules (environment variables of docs/design.md)
################################################################################

variable "jira_base_url" {
  description = "Jira Cloud site, e.g. https://acme.atlassian.net (http only against the local emulator)."
  type        = string

  validation {
    condition     = can(regex("^https://[^/]+$", var.jira_base_url)) || (var.environment == "local" && can(regex("^http://[^/]+$", var.jira_base_url)))
    error_message = "jira_base_url must be https://<host> without a path (http:// only in the local environment)."
  }
}

variable "trigger_project_keys" {
  description = "Jira project keys whose issues start a request (TRIGGER_PROJECT_KEYS)."
  type        = list(string)

  validation {
    condition     = length(var.trigger_project_keys) > 0 && alltrue([for key in var.trigger_project_keys : can(regex("^[A-Z][A-Z0-9_]+$", key))])
    error_message = "trigger_project_keys must list at least one Jira project key (uppercase, e.g. OPS)."
  }
}

variable "trigger_issue_types" {
  description = "Issue types that start a request (TRIGGER_ISSUE_TYPES)."
  type        = list(string)

  validation {
    condition     = length(var.trigger_issue_types) > 0 && alltrue([for t in var.trigger_issue_types : !strcontains(t, ",")])
    error_message = "trigger_issue_types must list at least one issue type; names cannot contain commas."
  }
}

variable "required_fields" {
  description = "Fields a request must have, keyed by scope: \"PROJECT/Issue type\", \"PROJECT\", \"*/Issue type\" or \"*\"; the most specific scope wins (REQUIRED_FIELDS). The default accepts a Jira issue created without a description."
  type        = map(list(string))
  default     = { "*" = ["summary"] }

  validation {
    condition = length(var.required_fields) > 0 && alltrue([
      for scope, names in var.required_fields :
      can(regex("^(\\*|[A-Z][A-Z0-9_]+)(/[^;=,/]+)?$", scope)) &&
      alltrue([for name in names : contains(["summary", "description", "reporter", "priority", "labels"], name)])
    ])
    error_message = "required_fields keys must be PROJECT, PROJECT/Issue type, */Issue type or *; fields must be among summary, description, reporter, priority, labels."
  }
}

variable "trigger_status" {
  description = "Status that starts a request (TRIGGER_STATUS)."
  type        = string
  default     = "Submitted"
}

variable "approval_pending_status" {
  description = "Status set while waiting for approval; empty for no transition (APPROVAL_PENDING_STATUS)."
  type        = string
  default     = "Awaiting Approval"
}

variable "jira_approver_group" {
  description = "Jira group whose members may decide a request by moving its issue (JIRA_APPROVER_GROUP); anyone else's move is refused and Jira told. null lets anyone who can move the issue decide (required in staging and prod)."
  type        = string
  default     = null

  validation {
    condition     = var.jira_approver_group == null || try(length(trimspace(var.jira_approver_group)) > 0, false)
    error_message = "jira_approver_group must be a group name, or null."
  }
}

variable "approve_status" {
  description = "Status meaning approved (APPROVE_STATUS)."
  type        = string
  default     = "Approved"
}

variable "reject_status" {
  description = "Status meaning rejected (REJECT_STATUS)."
  type        = string
  default     = "Rejected"
}

variable "done_status" {
  description = "Status a fulfilled request moves to; empty for no transition (DONE_STATUS)."
  type        = string
  default     = "Done"
}

variable "failed_status" {
  description = "Status a failed request moves to; empty for no transition (FAILED_STATUS)."
  type        = string
  default     = "Failed"
}

variable "status_ids" {
  description = "Optional Jira status ids of the trigger, approve and reject statuses (TRIGGER_STATUS_ID, APPROVE_STATUS_ID, REJECT_STATUS_ID): matched instead of the names wherever Jira sends ids (changelog from/to, status.id); empty matches by name."
  type = object({
    trigger = optional(string, "")
    approve = optional(string, "")
    reject  = optional(string, "")
  })
  default = {}

  validation {
    condition     = alltrue([for id in values(var.status_ids) : id == "" || can(regex("^[0-9]+$", id))])
    error_message = "status_ids values must be Jira status ids (digits), e.g. \"10001\"."
  }
}

variable "auto_approve_max_risk" {
  description = "Risk score (0-100) at or below which requests are auto-approved; -1 disables (AUTO_APPROVE_MAX_RISK)."
  type        = number
  default     = -1

  validation {
    condition     = var.auto_approve_max_risk >= -1 && var.auto_approve_max_risk <= 100 && floor(var.auto_approve_max_risk) == var.auto_approve_max_risk
    error_message = "auto_approve_max_risk must be an integer from -1 to 100."
  }
}

variable "max_webhook_bytes" {
  description = "Largest webhook body accepted (MAX_WEBHOOK_BYTES)."
  type        = number
  default     = 262144
}

variable "webhook_max_age_seconds" {
  description = "A webhook whose signed timestamp is older than this many seconds starts and decides nothing (WEBHOOK_MAX_AGE_SECONDS). At least Jira Cloud's 30-minute retry window; the reconciler covers anything older."
  type        = number
  default     = 3600

  validation {
    condition     = var.webhook_max_age_seconds >= 1800 && var.webhook_max_age_seconds <= 604800 && floor(var.webhook_max_age_seconds) == var.webhook_max_age_seconds
    error_message = "webhook_max_age_seconds must be a whole number of seconds between 1800 (Jira's retry window) and 604800 (7 days)."
  }
}

variable "http_timeout_seconds" {
  description = "Connect/read timeout of outbound HTTP to Jira and the external API (HTTP_TIMEOUT_SECONDS)."
  type        = number
  default     = 10

  validation {
    condition     = var.http_timeout_seconds > 0 && var.http_timeout_seconds <= 60
    error_message = "http_timeout_seconds must be between 0 and 60."
  }
}

variable "step_function_timeout_seconds" {
  description = "Lambda timeout of the workflow's step functions (all but fulfil_request, 60 s, and the reconciler, 300 s). A step's outbound HTTP ends 3 s before it, so a Jira or API outage fails the attempt for the state machine to retry rather than getting the function killed."
  type        = number
  default     = 30

  validation {
    condition     = var.step_function_timeout_seconds >= var.http_timeout_seconds + 5 && var.step_function_timeout_seconds <= 900 && floor(var.step_function_timeout_seconds) == var.step_function_timeout_seconds
    error_message = "step_function_timeout_seconds must be a whole number of seconds, at least http_timeout_seconds + 5 (one call and the 3 s margin) and at most 900 (Lambda's limit)."
  }
}

################################################################################
# External API and its mock
################################################################################

variable "enable_mock_apis" {
  description = "Deploy the mock external API behind ANY /mock/{proxy+} so the workspace runs end to end with no outside system (never in prod)."
  type        = bool
  default     = false
}

variable "mock_faults" {
  description = "Mock API only: default fault plan (MOCK_FAULTS), e.g. enrich=503:0.2,fulfil=timeout:0.1."
  type        = string
  default     = ""
}

variable "enrich_api_url" {
  description = "Enrichment endpoint (POST). null with enable_mock_apis uses the mock."
  type        = string
  default     = null

  validation {
    # The external API token travels with every call: plain http only to the local emulator.
    condition     = var.enrich_api_url == null || can(regex("^https://", var.enrich_api_url)) || (var.environment == "local" && can(regex("^http://", var.enrich_api_url)))
    error_message = "enrich_api_url must be an https:// URL (http:// only in the local environment) or null."
  }
}

variable "fulfil_api_url" {
  description = "Fulfilment endpoint (POST). null with enable_mock_apis uses the mock."
  type        = string
  default     = null

  validation {
    # The external API token travels with every call: plain http only to the local emulator.
    condition     = var.fulfil_api_url == null || can(regex("^https://", var.fulfil_api_url)) || (var.environment == "local" && can(regex("^http://", var.fulfil_api_url)))
    error_message = "fulfil_api_url must be an https:// URL (http:// only in the local environment) or null."
  }
}

################################################################################
# Data
################################################################################

variable "dynamodb_billing_mode" {
  description = "Requests table billing: PAY_PER_REQUEST, or PROVISIONED with autoscaling (dynamodb_capacity)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.dynamodb_billing_mode)
    error_message = "dynamodb_billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "dynamodb_capacity" {
  description = "PROVISIONED only: autoscaling bounds and target utilisation (%) for the table and its GSI."
  type = object({
    read_min           = number
    read_max           = number
    write_min          = number
    write_max          = number
    target_utilisation = number
  })
  default = {
    read_min           = 5
    read_max           = 100
    write_min          = 5
    write_max          = 100
    target_utilisation = 70
  }
}

variable "enable_s3_access_logging" {
  description = "Send the artifacts bucket's server access logs to a dedicated log bucket."
  type        = bool
  default     = true
}

variable "artifact_retention_days" {
  description = "Days to keep webhook payloads and request artifacts."
  type        = number
  default     = 365
}

variable "secret_rotation_lambda_arns" {
  description = "Rotation hook: secret name (jira-api, jira-webhook, external-api) to a rotation Lambda ARN."
  type        = map(string)
  default     = {}
}

################################################################################
# API
################################################################################

variable "api_throttling" {
  description = "API stage and usage-plan throttling: steady requests/second and burst."
  type = object({
    rate_limit  = number
    burst_limit = number
  })
  default = {
    rate_limit  = 50
    burst_limit = 100
  }
}

variable "api_quota_per_day" {
  description = "Daily request quota for the API key; null for none."
  type        = number
  default     = null
}

variable "api_execution_logging_level" {
  description = "API Gateway execution logging: OFF, ERROR or INFO (needs the account CloudWatch role from terraform/bootstrap)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api_execution_logging_level)
    error_message = "api_execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "waf_acl_arn" {
  description = "Regional WAFv2 web ACL to protect the API stage; null for none (prod then needs a preflight waiver)."
  type        = string
  default     = null

  validation {
    condition     = var.waf_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$", var.waf_acl_arn))
    error_message = "waf_acl_arn must be a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>) or null."
  }
}

variable "custom_domain" {
  description = "Custom domain for the API: domain_name, a regional ACM certificate_arn and optional base_path; null for none."
  type = object({
    domain_name     = string
    certificate_arn = string
    base_path       = optional(string)
  })
  default = null
}

################################################################################
# Monitoring and cost
################################################################################

variable "alert_emails" {
  description = "Addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}

variable "pager_endpoint" {
  description = "Pager integration URL (PagerDuty/Opsgenie CloudWatch integration) subscribed to the alerts topic over https; it carries the integration key, so pass it as TF_VAR_pager_endpoint from your secret store, never in a tfvars file. null for none."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.pager_endpoint == null || can(regex("^https://[^/]+/", var.pager_endpoint))
    error_message = "pager_endpoint must be an https:// URL or null."
  }
}

variable "alarm_thresholds" {
  description = "Alarm thresholds: counts per 5 minutes; long_execution_seconds null means 80% of state_machine_timeout_seconds."
  type = object({
    executions_failed      = optional(number, 1)
    executions_timed_out   = optional(number, 1)
    executions_throttled   = optional(number, 1)
    approvals_timed_out    = optional(number, 1)
    outcome_reports_failed = optional(number, 1)
    lambda_errors          = optional(number, 1)
    lambda_throttles       = optional(number, 1)
    api_5xx                = optional(number, 1)
    dynamodb_throttles     = optional(number, 1)
    long_execution_seconds = optional(number)
  })
  default = {}
}

variable "enable_insights_queries" {
  description = "Save the Logs Insights queries for investigations (off only where the API does not exist, i.e. the emulator)."
  type        = bool
  default     = true
}

variable "budget_amount" {
  description = "Monthly cost budget in USD for this stack (alerts to the topic); null for none."
  type        = number
  default     = null
}

################################################################################
# Preflight
################################################################################

variable "preflight_waivers" {
  description = "Preflight rules waived on purpose, with the reason the report prints: { api_waf = \"...\" }. Only rules prod may waive: api_waf, alarm_subscriptions, api_execution_logging. Terraform itself does not read it."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for rule, reason in var.preflight_waivers :
      contains(["api_waf", "alarm_subscriptions", "api_execution_logging"], rule) && length(trimspace(reason)) >= 20
    ])
    error_message = "preflight_waivers keys must be api_waf, alarm_subscriptions or api_execution_logging, each with a reason of at least 20 characters."
  }
}

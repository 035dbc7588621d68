variable "name_prefix" {
  description = "Prefix for every resource name, e.g. jira-workflow-prod."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the alerts topic."
  type        = string
}

variable "alert_emails" {
  description = "Addresses subscribed to the alerts topic (each must confirm by email)."
  type        = list(string)
  default     = []
}

variable "pager_endpoint" {
  description = "Pager integration URL subscribed over https (carries its key: sensitive); null for none."
  type        = string
  default     = null
  sensitive   = true
}

variable "state_machine_arn" {
  description = "State machine whose executions are watched."
  type        = string
}

variable "function_names" {
  description = "Lambda function names by key; each gets an errors and a throttles alarm."
  type        = map(string)
}

variable "api_name" {
  description = "REST API name (ApiName dimension)."
  type        = string
}

variable "api_stage" {
  description = "REST API stage (Stage dimension)."
  type        = string
}

variable "table_name" {
  description = "DynamoDB table watched for throttling."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the Powertools metrics the functions emit."
  type        = string
  default     = "JiraWorkflow"
}

variable "service_name" {
  description = "Powertools service name (the `service` dimension of the custom metrics)."
  type        = string
}

variable "alarm_thresholds" {
  description = "Alarm thresholds: counts per 5-minute period, except long_execution_seconds (maximum execution time)."
  type = object({
    executions_failed      = number
    executions_timed_out   = number
    executions_throttled   = number
    approvals_timed_out    = number
    outcome_reports_failed = number
    lambda_errors          = number
    lambda_throttles       = number
    api_5xx                = number
    dynamodb_throttles     = number
    long_execution_seconds = number
  })
}

variable "enable_insights_queries" {
  description = "Save the Logs Insights queries (the local emulator has no saved-query API)."
  type        = bool
  default     = true
}

variable "insights_log_groups" {
  description = "Log groups the saved Logs Insights queries search: the functions' and the state machine's."
  type        = list(string)
}

variable "budget_amount" {
  description = "Monthly cost budget in USD with alerts at 80% (actual) and 100% (forecast); null for no budget."
  type        = number
  default     = null
}

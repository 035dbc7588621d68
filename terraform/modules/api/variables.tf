variable "name" {
  description = "Name of the REST API, usage plan and API key."
  type        = string
}

variable "stage_name" {
  description = "The one stage, named after the environment."
  type        = string
}

variable "function_invoke_arns" {
  description = "Invoke ARNs of the routed functions by key: webhook, callback, status, and mock_external_api when enable_mock_apis."
  type        = map(string)

  validation {
    condition     = alltrue([for key in ["webhook", "callback", "status"] : contains(keys(var.function_invoke_arns), key)])
    error_message = "function_invoke_arns needs webhook, callback and status."
  }
}

variable "function_names" {
  description = "Names of the routed functions by key (for the invoke permissions)."
  type        = map(string)
}

variable "enable_mock_apis" {
  description = "Add ANY /mock/{proxy+} routed to the mock external API function (dev/local only)."
  type        = bool
  default     = false
}

variable "throttling" {
  description = "Stage-wide throttling (requests/second and burst) and the usage plan's limits for API-key callers."
  type = object({
    rate_limit  = number
    burst_limit = number
  })
  default = {
    rate_limit  = 50
    burst_limit = 100
  }

  validation {
    condition     = var.throttling.rate_limit > 0 && var.throttling.burst_limit >= 1
    error_message = "throttling needs a positive rate_limit and a burst_limit of at least 1."
  }
}

variable "quota_per_day" {
  description = "Daily request quota per API key (usage plan); null for none."
  type        = number
  default     = null
}

variable "execution_logging_level" {
  description = "API Gateway execution logging: OFF, ERROR or INFO (needs the account's CloudWatch role, see terraform/bootstrap)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "enable_xray" {
  description = "X-Ray tracing on the stage."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the access log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the access log group."
  type        = number
  default     = 365
}

variable "waf_acl_arn" {
  description = "ARN of a regional WAFv2 web ACL to associate with the stage; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.waf_acl_arn == null || can(regex("^arn:[^:]+:wafv2:[^:]+:[0-9]{12}:regional/webacl/", var.waf_acl_arn))
    error_message = "waf_acl_arn must be a regional WAFv2 web ACL ARN."
  }
}

variable "custom_domain" {
  description = "Optional custom domain: domain_name plus a regional ACM certificate ARN in the same region; null for none."
  type = object({
    domain_name     = string
    certificate_arn = string
    base_path       = optional(string)
  })
  default = null
}

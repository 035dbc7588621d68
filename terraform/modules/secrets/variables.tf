variable "name_prefix" {
  description = "Prefix for every secret name; secrets are <name_prefix>/<name>."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the secret values."
  type        = string
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can be restored (0 deletes at once: throwaway environments only)."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "rotation_lambda_arns" {
  description = "Optional rotation hook: secret name (jira-api, jira-webhook, external-api) to the ARN of a rotation Lambda."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.rotation_lambda_arns) : contains(["jira-api", "jira-webhook", "external-api"], name)])
    error_message = "rotation_lambda_arns keys must be jira-api, jira-webhook or external-api."
  }
}

variable "rotation_days" {
  description = "Days between automatic rotations for secrets that have a rotation Lambda."
  type        = number
  default     = 30
}

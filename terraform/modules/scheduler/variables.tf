variable "name" {
  description = "Name of the schedule and its role."
  type        = string
}

variable "schedule_expression" {
  description = "When the reconciler runs: rate(...) or cron(...)."
  type        = string

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(...) or cron(...)."
  }
}

variable "enabled" {
  description = "Whether the schedule is ENABLED (true) or DISABLED."
  type        = bool
  default     = true
}

variable "target_function_arn" {
  description = "ARN of the reconciler function the schedule invokes."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the schedule's target input."
  type        = string
}

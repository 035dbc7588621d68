variable "name_prefix" {
  description = "Prefix for every resource name, e.g. jira-workflow-prod."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the artifacts bucket and the requests table."
  type        = string
}

variable "force_destroy" {
  description = "Allow destroying buckets that still hold objects (throwaway environments only)."
  type        = bool
  default     = false
}

variable "enable_access_logging" {
  description = "Create a log bucket and send the artifacts bucket's S3 server access logs to it."
  type        = bool
  default     = true
}

variable "artifact_retention_days" {
  description = "Days to keep webhook payloads and request artifacts before they expire."
  type        = number
  default     = 365

  validation {
    condition     = var.artifact_retention_days >= 1
    error_message = "artifact_retention_days must be at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days to keep S3 server access logs before they expire."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 31
    error_message = "access_log_retention_days must be at least 31 (logs move to STANDARD_IA at 30 days)."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days to keep overwritten or deleted object versions."
  type        = number
  default     = 90
}

variable "dynamodb_billing_mode" {
  description = "Billing mode of the requests table: PAY_PER_REQUEST or PROVISIONED (with autoscaling)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.dynamodb_billing_mode)
    error_message = "dynamodb_billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "dynamodb_capacity" {
  description = "PROVISIONED only: autoscaling bounds (read/write capacity units) and target utilisation (%), shared by the table and its GSI."
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

  validation {
    condition = (
      var.dynamodb_capacity.read_min >= 1 && var.dynamodb_capacity.read_max >= var.dynamodb_capacity.read_min &&
      var.dynamodb_capacity.write_min >= 1 && var.dynamodb_capacity.write_max >= var.dynamodb_capacity.write_min &&
      var.dynamodb_capacity.target_utilisation >= 20 && var.dynamodb_capacity.target_utilisation <= 90
    )
    error_message = "dynamodb_capacity needs 1 <= min <= max and a target_utilisation between 20 and 90."
  }
}

variable "deletion_protection" {
  description = "Protect the requests table from deletion."
  type        = bool
  default     = true
}

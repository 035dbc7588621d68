variable "project" {
  description = "Project name, first part of the state bucket name."
  type        = string
  default     = "jira-workflow"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}$", var.project))
    error_message = "project must be 2-25 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment whose account this bootstrap prepares (names the state bucket)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod (local state lives in the emulator)."
  }
}

variable "aws_region" {
  description = "Region of the state bucket and of the API Gateway account settings."
  type        = string
  default     = "eu-west-1"
}

variable "state_bucket_name" {
  description = "Name of the state bucket; null for <project>-tfstate-<environment> (as in environments/*.s3.tfbackend)."
  type        = string
  default     = null
}

variable "manage_api_gateway_account" {
  description = "Set the region's API Gateway CloudWatch role (an account-wide singleton that stage logging needs); false if something else owns it."
  type        = bool
  default     = true
}

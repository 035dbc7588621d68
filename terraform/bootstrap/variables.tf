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

variable "github_repository" {
  description = "GitHub repository (<owner>/<repo>) whose Actions deploy this environment through OIDC; null creates no OIDC provider and no roles."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be <owner>/<repo>, e.g. acme/jira-workflow."
  }
}

variable "github_default_branch" {
  description = "Branch whose pushes run the deploy workflow; its plan jobs, and pull requests, may assume the read-only plan role."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,200}$", var.github_default_branch)) && !strcontains(var.github_default_branch, "*")
    error_message = "github_default_branch must be one branch name, without wildcards."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (token.actions.githubusercontent.com); false reuses the one that exists (one per account, e.g. made by another environment's bootstrap)."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix for every resource name, e.g. jira-workflow-prod."
  type        = string
}

variable "functions" {
  description = <<-EOT
    Functions by key (docs/design.md): handler, description, code package (product, or mock for
    the dev-only mock APIs), sizing, extra environment, and the IAM statements its role needs
    beyond logging/KMS/X-Ray (its own resources only).
  EOT
  type = map(object({
    handler     = string
    description = string
    package     = optional(string, "product")
    memory_size = optional(number, 256)
    timeout     = optional(number, 30)
    environment = optional(map(string), {})
    policy_statements = optional(list(object({
      sid       = string
      actions   = list(string)
      resources = list(string)
      conditions = optional(list(object({
        test     = string
        variable = string
        values   = list(string)
      })), [])
    })), [])
  }))

  validation {
    condition     = alltrue([for fn in var.functions : contains(["product", "mock"], fn.package)])
    error_message = "Each function's package must be product or mock."
  }
}

variable "common_environment" {
  description = "Environment variables every function gets (names and ARNs only, never secret values)."
  type        = map(string)
  default     = {}
}

variable "code_bucket" {
  description = "Bucket the code package is uploaded to (the artifacts bucket)."
  type        = string
}

variable "package_path" {
  description = "Path of the content-hashed zip made by scripts/build_lambda.py."
  type        = string

  validation {
    condition     = fileexists(var.package_path)
    error_message = "The Lambda package does not exist: run `make build` (or pass lambda_package_path)."
  }
}

variable "mock_package_path" {
  description = "Path of the dev-only mock zip made by scripts/build_lambda.py; null when no function runs from it (never in prod)."
  type        = string
  default     = null

  validation {
    condition     = var.mock_package_path == null || fileexists(coalesce(var.mock_package_path, "-"))
    error_message = "The mock package does not exist: run `make build` (or pass mock_package_path)."
  }
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.11, python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Instruction set the package was built for: arm64 (default build) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for environment variables, log groups and the code object."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of each function's log group."
  type        = number
  default     = 365
}

variable "enable_xray" {
  description = "Active X-Ray tracing for every function."
  type        = bool
  default     = true
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function; null leaves them on the unreserved pool."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1, false)
    error_message = "reserved_concurrency must be null or at least 1 (0 would disable the functions)."
  }
}

variable "enable_vpc" {
  description = "Place the functions in the given VPC subnets and security groups."
  type        = bool
  default     = false
}

variable "vpc_subnet_ids" {
  description = "Private subnets for the functions when enable_vpc (with a NAT or VPC endpoints for AWS APIs and Jira)."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups for the functions when enable_vpc."
  type        = list(string)
  default     = []
}

variable "insights_layer_arn" {
  description = "Lambda Insights extension layer (in this region, for this architecture) added to every function with AWS's Insights log policy; null for none."
  type        = string
  default     = null
}

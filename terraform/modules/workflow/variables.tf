variable "name" {
  description = "State machine name; the root builds its ARN from it to break the Lambda <-> state machine cycle."
  type        = string
}

variable "definition" {
  description = "Rendered ASL definition (templatefile() of statemachine/request_workflow.asl.json)."
  type        = string
}

variable "task_function_arns" {
  description = "ARNs of the Lambda functions the definition invokes; the role may invoke only these."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for execution data and the log group."
  type        = string
}

variable "log_level" {
  description = "Execution history sent to CloudWatch Logs: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine log group."
  type        = number
  default     = 365
}

variable "enable_xray" {
  description = "X-Ray tracing of executions."
  type        = bool
  default     = true
}

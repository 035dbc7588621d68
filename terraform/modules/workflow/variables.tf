variable "name" {
  description = "State machine name."
  type        = string
}

variable "arn" {
  description = "ARN the state machine will have, built by the caller from the name: the functions need it before the state machine exists (they start it, it invokes them)."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:states:[^:]+:[0-9]{12}:stateMachine:", var.arn)) && endswith(var.arn, ":stateMachine:${var.name}")
    error_message = "arn must be the state machine ARN of this name: arn:<partition>:states:<region>:<account>:stateMachine:<name>."
  }
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

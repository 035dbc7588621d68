variable "name" {
  description = "Name of the rule; prefixes the alarm's."
  type        = string
}

variable "state_machine_name" {
  description = "Name of the state machine whose executions are watched (for descriptions)."
  type        = string
}

variable "state_machine_arn" {
  description = "ARN of the state machine whose FAILED, TIMED_OUT and ABORTED executions invoke the target."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:states:[a-z0-9-]+:[0-9]{12}:stateMachine:.+$", var.state_machine_arn))
    error_message = "state_machine_arn must be a Step Functions state machine ARN."
  }
}

variable "target_function_arn" {
  description = "ARN of the finaliser function the rule invokes."
  type        = string
}

variable "target_function_name" {
  description = "Name of the finaliser function (its invoke permission and async settings)."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Name of the SQS queue for events that could not be delivered or handled (the root builds its ARN for the function's role)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting the dead-letter queue."
  type        = string
}

variable "alarm_topic_arn" {
  description = "SNS topic the dead-letter alarm notifies."
  type        = string
}

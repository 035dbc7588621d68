output "state_machine_arn" {
  description = "ARN of the request workflow state machine."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = aws_sfn_state_machine.this.name
}

output "role_arn" {
  description = "Execution role of the state machine."
  value       = aws_iam_role.this.arn
}

output "role_policy_statements" {
  description = "What the execution role may do: statements (sid, actions, resources)."
  value = [
    for s in data.aws_iam_policy_document.this.statement : { sid = s.sid, actions = sort(tolist(s.actions)), resources = sort(tolist(s.resources)) }
  ]
}

output "log_group_name" {
  description = "Log group of the state machine."
  value       = aws_cloudwatch_log_group.this.name
}

output "observability" {
  description = "Logging level, whether execution data is logged, tracing and the encryption key."
  value = {
    log_level              = aws_sfn_state_machine.this.logging_configuration[0].level
    include_execution_data = aws_sfn_state_machine.this.logging_configuration[0].include_execution_data
    tracing                = aws_sfn_state_machine.this.tracing_configuration[0].enabled
    kms_key_id             = aws_sfn_state_machine.this.encryption_configuration[0].kms_key_id
    log_retention_days     = aws_cloudwatch_log_group.this.retention_in_days
  }
}

output "timeouts" {
  description = "Timeouts of the definition as deployed: the execution's and each callback (.waitForTaskToken) task's, in seconds."
  value = {
    execution = jsondecode(aws_sfn_state_machine.this.definition).TimeoutSeconds
    callback_tasks = [
      for state in values(jsondecode(aws_sfn_state_machine.this.definition).States) : state.TimeoutSeconds
      if endswith(try(state.Resource, ""), ".waitForTaskToken")
    ]
  }
}

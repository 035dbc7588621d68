output "rule_arn" {
  description = "ARN of the execution status change rule."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "event_pattern" {
  description = "The rule's event pattern, decoded (for review and the plan tests)."
  value       = jsondecode(aws_cloudwatch_event_rule.this.event_pattern)
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (read and redrive: docs/runbooks/redrive.md)."
  value       = aws_sqs_queue.dead_letters.id
}

output "dead_letter_queue_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dead_letters.name
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dead_letters.arn
}

output "dead_letter_queue_kms_key" {
  description = "KMS key encrypting the dead-letter queue."
  value       = aws_sqs_queue.dead_letters.kms_master_key_id
}

output "delivery" {
  description = "How events reach the function: the target's retry policy and dead-letter queue, and Lambda's async retries and failure destination."
  value = {
    target_retry_attempts  = aws_cloudwatch_event_target.this.retry_policy[0].maximum_retry_attempts
    target_dead_letter_arn = aws_cloudwatch_event_target.this.dead_letter_config[0].arn
    lambda_retry_attempts  = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts
    lambda_on_failure_arn  = aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination
    permission_principal   = aws_lambda_permission.this.principal
    permission_source_arn  = aws_lambda_permission.this.source_arn
  }
}

output "schedule_arn" {
  description = "ARN of the reconciler schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "schedule_expression" {
  description = "When the reconciler runs."
  value       = aws_scheduler_schedule.this.schedule_expression
}

output "role_arn" {
  description = "Role the schedule assumes to invoke the reconciler."
  value       = aws_iam_role.this.arn
}

output "alerts_topic_arn" {
  description = "SNS topic every alarm (and the budget) notifies; subscribe on-call here."
  value       = aws_sns_topic.alerts.arn
}

output "alerts_topic_kms_key" {
  description = "KMS key encrypting the alerts topic."
  value       = aws_sns_topic.alerts.kms_master_key_id
}

output "alarm_actions" {
  description = "Alarm name => the actions it triggers on ALARM."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name => alarm.alarm_actions }
}

output "insights_query_names" {
  description = "Saved Logs Insights queries (CloudWatch > Logs Insights > Saved queries)."
  value       = [for query in aws_cloudwatch_query_definition.this : query.name]
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "subscriber_protocols" {
  description = "Protocols of the alerts topic's subscribers (email per address, https for the pager)."
  value       = concat([for s in aws_sns_topic_subscription.email : s.protocol], [for s in aws_sns_topic_subscription.pager : s.protocol])
}

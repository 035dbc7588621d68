output "secret_arns" {
  description = "Secret ARNs by name (jira-api, jira-webhook, external-api); set values out of band."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }
}

output "secret_names" {
  description = "Secret names by key, for `aws secretsmanager put-secret-value --secret-id <name>`."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.name }
}

output "secret_kms_key_arns" {
  description = "KMS key of each secret (all the customer-managed key)."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.kms_key_id }
}

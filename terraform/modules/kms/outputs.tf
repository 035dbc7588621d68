output "key_arn" {
  description = "ARN of the customer-managed key; pass it to every encrypting resource."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the customer-managed key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Alias of the key (alias/<name_prefix>)."
  value       = aws_kms_alias.this.name
}

output "key_rotation_enabled" {
  description = "Whether yearly automatic key rotation is on."
  value       = aws_kms_key.this.enable_key_rotation
}

output "key_policy_statements" {
  description = "The key policy's statements (sid, actions) for review and the policy tests."
  value = [
    for s in data.aws_iam_policy_document.key_policy.statement : { sid = s.sid, actions = s.actions }
  ]
}

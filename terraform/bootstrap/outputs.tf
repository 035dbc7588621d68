output "state_bucket_name" {
  description = "Bucket for environments/<env>.s3.tfbackend's `bucket`."
  value       = aws_s3_bucket.state.id
}

output "state_kms_key_arn" {
  description = "KMS key encrypting the state bucket."
  value       = aws_kms_key.state.arn
}

output "api_gateway_cloudwatch_role_arn" {
  description = "The account's API Gateway CloudWatch role, or null when not managed here."
  value       = one(aws_iam_role.api_gateway_logs[*].arn)
}

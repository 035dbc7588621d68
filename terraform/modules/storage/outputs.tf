output "artifacts_bucket_name" {
  description = "Artifacts bucket (ARTIFACTS_BUCKET): webhook payloads, request artifacts, code packages."
  value       = aws_s3_bucket.artifacts.id
}

output "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  value       = aws_s3_bucket.artifacts.arn
}

output "artifacts_bucket_versioning" {
  description = "Versioning status of the artifacts bucket."
  value       = aws_s3_bucket_versioning.artifacts.versioning_configuration[0].status
}

output "artifacts_bucket_kms_key_arn" {
  description = "KMS key of the artifacts bucket's default encryption."
  value       = one(one(aws_s3_bucket_server_side_encryption_configuration.artifacts.rule).apply_server_side_encryption_by_default).kms_master_key_id
}

output "access_log_bucket_name" {
  description = "Bucket receiving S3 server access logs, or null when access logging is off."
  value       = one(aws_s3_bucket.logs[*].id)
}

output "requests_table_name" {
  description = "Requests table (REQUESTS_TABLE)."
  value       = aws_dynamodb_table.requests.name
}

output "requests_table_arn" {
  description = "ARN of the requests table."
  value       = aws_dynamodb_table.requests.arn
}

output "requests_table_protection" {
  description = "How the requests table is protected: PITR, KMS key, deletion protection, billing and autoscaled dimensions."
  value = {
    point_in_time_recovery = aws_dynamodb_table.requests.point_in_time_recovery[0].enabled
    kms_key_arn            = aws_dynamodb_table.requests.server_side_encryption[0].kms_key_arn
    deletion_protection    = aws_dynamodb_table.requests.deletion_protection_enabled
    billing_mode           = aws_dynamodb_table.requests.billing_mode
    autoscaled             = sort(keys(aws_appautoscaling_policy.requests))
    index_capacity         = { for index in aws_dynamodb_table.requests.global_secondary_index : index.name => { read = index.read_capacity, write = index.write_capacity } }
  }
}

output "state_bucket_name" {
  description = "Bucket for environments/<env>.s3.tfbackend's `bucket`."
  value       = aws_s3_bucket.state.id
}

output "state_kms_key_arn" {
  description = "KMS key encrypting the state bucket."
  value       = aws_kms_key.state.arn
}

output "state_kms_key_alias" {
  description = "For environments/<env>.s3.tfbackend's `kms_key_id`: state objects are encrypted with this key."
  value       = aws_kms_alias.state.name
}

output "api_gateway_cloudwatch_role_arn" {
  description = "The account's API Gateway CloudWatch role, or null when not managed here."
  value       = one(aws_iam_role.api_gateway_logs[*].arn)
}

output "github_deploy_role_arn" {
  description = "For the GitHub environment <environment>'s variable AWS_DEPLOY_ROLE_ARN; null without github_repository."
  value       = try(aws_iam_role.github["deploy"].arn, null)
}

output "github_plan_role_arn" {
  description = "For the repository variable AWS_PLAN_ROLE_ARN_<ENVIRONMENT>; null without github_repository."
  value       = try(aws_iam_role.github["plan"].arn, null)
}

output "github_oidc_provider_arn" {
  description = "The account's GitHub OIDC provider the roles trust (created or reused); null without github_repository."
  value       = local.oidc_provider_arn
}

output "github_trust_subjects" {
  description = "The OIDC `sub` values each role accepts (audience sts.amazonaws.com), for review."
  value       = { deploy = local.deploy_subjects, plan = local.plan_subjects }
}

output "github_policy_statements" {
  description = "The statements each role's inline policy is built from (asserted by tests/github_oidc.tftest.hcl)."
  value       = { deploy = local.deploy_policy_statements, plan = local.plan_policy_statements }
}

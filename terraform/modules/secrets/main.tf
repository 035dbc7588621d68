# Containers only: Terraform creates and encrypts the secrets, people or a pipeline put the
# values (aws secretsmanager put-secret-value). No value ever passes through tfvars or state.

locals {
  secrets = {
    "jira-api"     = "Jira API credentials: JSON {\"email\": \"...\", \"api_token\": \"...\"}"
    "jira-webhook" = "Jira webhook HMAC secret: JSON {\"current\": \"...\", \"previous\": \"...\"} (previous during rotation)"
    "external-api" = "Enrichment/fulfilment API credentials: JSON {\"token\": \"...\"}"
  }
}

resource "aws_secretsmanager_secret" "this" {
  # checkov:skip=CKV2_AWS_57: Values are third-party tokens (Jira, external API) that AWS cannot rotate; rotation is opt-in through var.rotation_lambda_arns.
  for_each = local.secrets

  name                    = "${var.name_prefix}/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
}

resource "aws_secretsmanager_secret_rotation" "this" {
  for_each = var.rotation_lambda_arns

  secret_id           = aws_secretsmanager_secret.this[each.key].id
  rotation_lambda_arn = each.value
  rotation_rules {
    automatically_after_days = var.rotation_days
  }
}

# One customer-managed key encrypts everything this deployment stores: S3, DynamoDB,
# Secrets Manager, Lambda environment variables, logs, SNS and the state machine.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  # CloudWatch Logs may only use the key for this account's log groups in this region.
  log_group_arn_pattern = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"
}

################################################################################
# Key policy
# In a key policy `resources = ["*"]` means "this key" (AWS requires that form), so each
# statement is scoped by principal and condition instead.
################################################################################

data "aws_iam_policy_document" "key_policy" {
  # checkov:skip=CKV_AWS_109: Key policy: Resource "*" means this key only; the account root must administer its own key or it becomes unmanageable.
  # checkov:skip=CKV_AWS_111: Key policy: Resource "*" means this key only; write actions are limited to the account root and condition-scoped services.
  # checkov:skip=CKV_AWS_356: Key policy: AWS requires Resource "*" in key policies (it denotes the key the policy is attached to).
  # The account keeps full control so IAM policies (the per-function roles) can grant use of
  # the key, and the key can never become unmanageable. Actions are listed, not `kms:*`.
  statement {
    sid    = "AccountAdministersAndDelegatesToIam"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
    actions = [
      "kms:CancelKeyDeletion", "kms:Create*", "kms:Decrypt", "kms:Delete*", "kms:Describe*",
      "kms:Disable*", "kms:Enable*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:Get*",
      "kms:List*", "kms:Put*", "kms:ReEncrypt*", "kms:Revoke*", "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
    ]
    resources = ["*"]
  }

  # Log groups (Lambda, API access logs, state machine) are encrypted by the Logs service.
  statement {
    sid    = "CloudWatchLogsEncryptsThisAccountsLogGroups"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_group_arn_pattern]
    }
  }

  # Step Functions vended log delivery writes the state machine's logs through this key.
  statement {
    sid    = "LogDeliveryForStateMachineLogs"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  # EventBridge sends undeliverable execution status events to the KMS-encrypted
  # dead-letter queue (modules/execution_events).
  statement {
    sid    = "EventBridgeSendsToEncryptedDeadLetterQueue"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  # CloudWatch alarms and AWS Budgets publish to the KMS-encrypted alerts topic.
  statement {
    sid    = "AlarmsAndBudgetsPublishToEncryptedTopic"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

################################################################################
# Key
################################################################################

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: data, secrets, logs and workflow state"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key_policy.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

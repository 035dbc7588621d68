data "aws_caller_identity" "current" {}

################################################################################
# Log group (vended logs path, as Step Functions expects)
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

################################################################################
# Execution role
################################################################################

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "StepFunctionsAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Execution role of the ${var.name} state machine"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "InvokeTaskFunctions"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = concat(var.task_function_arns, [for arn in var.task_function_arns : "${arn}:*"])
  }

  # Execution data is encrypted with the customer key, bound to this state machine.
  statement {
    sid       = "EncryptExecutionData"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:states:stateMachineArn"
      values   = [var.arn]
    }
  }

  # Vended log delivery APIs do not support resource-level permissions: AWS requires "*".
  statement {
    sid    = "DeliverExecutionLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
      "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  # X-Ray has no resource-level permissions: AWS requires "*".
  dynamic "statement" {
    for_each = var.enable_xray ? [1] : []
    content {
      sid       = "SendTraces"
      effect    = "Allow"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "invoke-tasks-and-log"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

################################################################################
# State machine
################################################################################

resource "aws_sfn_state_machine" "this" {
  # checkov:skip=CKV_AWS_285: Execution history is logged (level per environment) but without execution data: it carries task tokens and webhook payloads.
  name       = var.name
  type       = "STANDARD" # approvals wait up to days: Express caps executions at 5 minutes
  role_arn   = aws_iam_role.this.arn
  definition = var.definition

  logging_configuration {
    log_destination = "${aws_cloudwatch_log_group.this.arn}:*"
    level           = var.log_level
    # Task tokens and webhook payloads travel in execution data: keep them out of the logs.
    include_execution_data = false
  }

  tracing_configuration {
    enabled = var.enable_xray
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = var.kms_key_arn
    kms_data_key_reuse_period_seconds = 300
  }

  depends_on = [aws_iam_role_policy.this]
}

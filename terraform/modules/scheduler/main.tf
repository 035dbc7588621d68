data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "SchedulerAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-schedule" # the reconciler function's own role is <name>
  description        = "Lets the ${var.name} schedule invoke the reconciler, and nothing else"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "InvokeReconciler"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.target_function_arn, "${var.target_function_arn}:*"]
  }

  # The schedule's target input is encrypted with the customer key.
  statement {
    sid       = "DecryptScheduleInput"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "invoke-reconciler"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_scheduler_schedule" "this" {
  name                = var.name
  description         = "Finds Jira issues whose webhook was missed and decisions not yet applied"
  schedule_expression = var.schedule_expression
  state               = var.enabled ? "ENABLED" : "DISABLED"
  kms_key_arn         = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.target_function_arn
    role_arn = aws_iam_role.this.arn
    input    = jsonencode({ source = "scheduler" })

    # A missed run is covered by the next one: retry briefly, never pile up stale runs.
    retry_policy {
      maximum_event_age_in_seconds = 300
      maximum_retry_attempts       = 2
    }
  }
}

# Step Functions' own verdict on an execution closes its request: the status change event
# (FAILED, TIMED_OUT, ABORTED) of this state machine invokes the finaliser function.
# Undeliverable events and failed invocations land in one dead-letter queue, alarmed.

data "aws_caller_identity" "current" {}

################################################################################
# The rule and its target
################################################################################

resource "aws_cloudwatch_event_rule" "this" {
  name        = var.name
  description = "Executions of ${var.state_machine_name} that ended FAILED, TIMED_OUT or ABORTED"
  # Step Functions sends status changes to the account's default bus.
  event_pattern = jsonencode({
    source        = ["aws.states"]
    "detail-type" = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["FAILED", "TIMED_OUT", "ABORTED"]
      stateMachineArn = [var.state_machine_arn]
    }
  })
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "finalise-execution"
  arn       = var.target_function_arn

  # Delivery to Lambda is retried for an hour; what still fails is kept for a person.
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letters.arn
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = "InvokedByExecutionStatusRule"
  action        = "lambda:InvokeFunction"
  function_name = var.target_function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}

# EventBridge invokes asynchronously: Lambda retries a failed invocation (Jira down, say)
# twice, then sends the event to the same dead-letter queue. The reconciler closes the
# record anyway; the queue keeps what Jira was not told.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = var.target_function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dead_letters.arn
    }
  }
}

################################################################################
# Dead letters
################################################################################

resource "aws_sqs_queue" "dead_letters" {
  name                      = var.dead_letter_queue_name
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600 # 14 days, the maximum: time to read and redrive
}

data "aws_iam_policy_document" "dead_letters" {
  statement {
    sid       = "RuleSendsUndeliverableEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letters.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.this.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "dead_letters" {
  queue_url = aws_sqs_queue.dead_letters.id
  policy    = data.aws_iam_policy_document.dead_letters.json
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-dead-letters"
  alarm_description   = "Execution status changes the finaliser could not handle (docs/runbooks/redrive.md)"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letters.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}

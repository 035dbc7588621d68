data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

################################################################################
# Alerts topic (KMS), publishable by CloudWatch alarms and Budgets from this account
################################################################################

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = var.kms_key_arn
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AlarmsAndBudgetsPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# The pager (PagerDuty/Opsgenie CloudWatch integration URL) confirms the subscription itself.
resource "aws_sns_topic_subscription" "pager" {
  count = nonsensitive(var.pager_endpoint != null) ? 1 : 0

  topic_arn              = aws_sns_topic.alerts.arn
  protocol               = "https"
  endpoint               = var.pager_endpoint
  endpoint_auto_confirms = true
}

################################################################################
# Alarms: one table, one resource. Every alarm notifies the topic on ALARM and OK.
################################################################################

locals {
  sfn_dimensions = { StateMachineArn = var.state_machine_arn }

  workflow_alarms = {
    executions-failed = {
      description = "Request workflow executions failed", namespace = "AWS/States", metric = "ExecutionsFailed"
      statistic   = "Sum", threshold = var.alarm_thresholds.executions_failed, dimensions = local.sfn_dimensions
    }
    executions-timed-out = {
      description = "Request workflow executions timed out", namespace = "AWS/States", metric = "ExecutionsTimedOut"
      statistic   = "Sum", threshold = var.alarm_thresholds.executions_timed_out, dimensions = local.sfn_dimensions
    }
    executions-throttled = {
      description = "Step Functions throttled request workflow executions", namespace = "AWS/States", metric = "ExecutionThrottled"
      statistic   = "Sum", threshold = var.alarm_thresholds.executions_throttled, dimensions = local.sfn_dimensions
    }
    long-executions = {
      description = "A request workflow execution ran longer than expected", namespace = "AWS/States", metric = "ExecutionTime"
      statistic   = "Maximum", threshold = var.alarm_thresholds.long_execution_seconds * 1000, dimensions = local.sfn_dimensions
    }
    approvals-timed-out = {
      description = "Approval requests expired without a decision", namespace = var.metrics_namespace, metric = "ApprovalsTimedOut"
      statistic   = "Sum", threshold = var.alarm_thresholds.approvals_timed_out, dimensions = { service = var.service_name }
    }
    outcome-reports-failed = {
      description = "Outcomes reached but Jira was not told (the request keeps its outcome; reporting failed)", namespace = var.metrics_namespace, metric = "OutcomeReportsFailed"
      statistic   = "Sum", threshold = var.alarm_thresholds.outcome_reports_failed, dimensions = { service = var.service_name }
    }
    api-5xx = {
      description = "API Gateway returned 5xx responses", namespace = "AWS/ApiGateway", metric = "5XXError"
      statistic   = "Sum", threshold = var.alarm_thresholds.api_5xx, dimensions = { ApiName = var.api_name, Stage = var.api_stage }
    }
    dynamodb-read-throttles = {
      description = "Requests table read throttling", namespace = "AWS/DynamoDB", metric = "ReadThrottleEvents"
      statistic   = "Sum", threshold = var.alarm_thresholds.dynamodb_throttles, dimensions = { TableName = var.table_name }
    }
    dynamodb-write-throttles = {
      description = "Requests table write throttling", namespace = "AWS/DynamoDB", metric = "WriteThrottleEvents"
      statistic   = "Sum", threshold = var.alarm_thresholds.dynamodb_throttles, dimensions = { TableName = var.table_name }
    }
  }

  function_alarms = merge([
    for key, name in var.function_names : {
      "lambda-${replace(key, "_", "-")}-errors" = {
        description = "Lambda ${name} errors", namespace = "AWS/Lambda", metric = "Errors"
        statistic   = "Sum", threshold = var.alarm_thresholds.lambda_errors, dimensions = { FunctionName = name }
      }
      "lambda-${replace(key, "_", "-")}-throttles" = {
        description = "Lambda ${name} throttles", namespace = "AWS/Lambda", metric = "Throttles"
        statistic   = "Sum", threshold = var.alarm_thresholds.lambda_throttles, dimensions = { FunctionName = name }
      }
    }
  ]...)

  alarms = merge(local.workflow_alarms, local.function_alarms)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  # No traffic is healthy, not unknown.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alerts.arn]
  ok_actions         = [aws_sns_topic.alerts.arn]
}

################################################################################
# Saved Logs Insights queries for the common investigations (edit OPS-1 to the issue key)
################################################################################

locals {
  insights_queries = {
    # correlation_id is the issue key wherever a handler knows it (Powertools Logger).
    "request-trail-by-issue-key" = <<-EOT
      fields @timestamp, @log, level, message, correlation_id, function_name
      | filter correlation_id = "OPS-1" or @message like "OPS-1"
      | sort @timestamp asc
      | limit 500
    EOT
    "failures-by-cause"          = <<-EOT
      fields @timestamp, @log, message, exception_name
      | filter level = "ERROR" or ispresent(exception_name)
      | stats count(*) as failures by @log, exception_name, message
      | sort failures desc
    EOT
    # Durations come from the Lambda REPORT lines: slow steps make slow executions.
    "slow-executions-by-function" = <<-EOT
      filter @type = "REPORT"
      | stats count(*) as invocations, pct(@duration, 95) as p95_ms, max(@duration) as max_ms,
              max(@initDuration) as max_cold_start_ms, max(@maxMemoryUsed / 1000 / 1000) as max_memory_mb by @log
      | sort p95_ms desc
    EOT
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = var.enable_insights_queries ? local.insights_queries : {}

  name            = "${var.name_prefix}/${each.key}"
  log_group_names = var.insights_log_groups
  query_string    = each.value
}

################################################################################
# Budget (optional)
################################################################################

resource "aws_budgets_budget" "monthly" {
  count = var.budget_amount == null ? 0 : 1

  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.budget_amount)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  # Counts this stack only, through the Stack default tag (activate it as a cost allocation tag).
  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:Stack$%s", var.name_prefix)]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }
}

################################################################################
# Dashboard
################################################################################

locals {
  region = data.aws_region.current.name

  dashboard_widgets = [
    {
      title   = "Workflow executions"
      metrics = [for m in ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"] : ["AWS/States", m, "StateMachineArn", var.state_machine_arn]]
      stat    = "Sum"
    },
    {
      title   = "Requests (Powertools metrics)"
      metrics = [for m in ["RequestsStarted", "DuplicateDeliveries", "Decisions", "ApprovalsTimedOut", "RequestsFailed"] : [var.metrics_namespace, m, "service", var.service_name]]
      stat    = "Sum"
    },
    {
      # Jira told by comment only: the project's workflow lacks a transition, or telling it failed after the outcome.
      title   = "Reporting to Jira (Powertools metrics)"
      metrics = [for m in ["JiraTransitionsUnavailable", "OutcomeReportsFailed"] : [var.metrics_namespace, m, "service", var.service_name]]
      stat    = "Sum"
    },
    {
      title   = "Lambda errors"
      metrics = [for name in values(var.function_names) : ["AWS/Lambda", "Errors", "FunctionName", name]]
      stat    = "Sum"
    },
    {
      title   = "Lambda duration p95 (ms)"
      metrics = [for name in values(var.function_names) : ["AWS/Lambda", "Duration", "FunctionName", name]]
      stat    = "p95"
    },
    {
      title   = "API requests and errors"
      metrics = [for m in ["Count", "4XXError", "5XXError"] : ["AWS/ApiGateway", m, "ApiName", var.api_name, "Stage", var.api_stage]]
      stat    = "Sum"
    },
    {
      title   = "Requests table throttles and consumption"
      metrics = [for m in ["ReadThrottleEvents", "WriteThrottleEvents", "ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"] : ["AWS/DynamoDB", m, "TableName", var.table_name]]
      stat    = "Sum"
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = [
      for index, widget in local.dashboard_widgets : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          region  = local.region
          metrics = widget.metrics
          stat    = widget.stat
          period  = 300
          view    = "timeSeries"
        }
      }
    ]
  })
}

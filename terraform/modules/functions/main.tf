data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  function_names = { for key, _ in var.functions : key => "${var.name_prefix}-${replace(key, "_", "-")}" }
  package_sha256 = filebase64sha256(var.package_path)
  # The dev-only mock package; only uploaded when a function runs from it.
  mock_package_sha256 = var.mock_package_path != null ? filebase64sha256(var.mock_package_path) : null

  ec2_arn_prefix         = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  network_interfaces_arn = "${local.ec2_arn_prefix}:network-interface/*"
  subnet_arns            = [for id in var.vpc_subnet_ids : "${local.ec2_arn_prefix}:subnet/${id}"]
  security_group_arns    = [for id in var.vpc_security_group_ids : "${local.ec2_arn_prefix}:security-group/${id}"]
}

################################################################################
# Code packages: content-hashed zips from scripts/build_lambda.py, the product's for every
# function, the mock's (dev only) for functions with package = "mock"
################################################################################

resource "aws_s3_object" "package" {
  bucket      = var.code_bucket
  key         = "lambda/${basename(var.package_path)}"
  source      = var.package_path
  source_hash = local.package_sha256
  kms_key_id  = var.kms_key_arn

  lifecycle {
    create_before_destroy = true # a new package (new key) exists before the old one goes
  }
}

resource "aws_s3_object" "mock_package" {
  count = var.mock_package_path != null ? 1 : 0

  bucket      = var.code_bucket
  key         = "lambda/${basename(var.mock_package_path)}"
  source      = var.mock_package_path
  source_hash = local.mock_package_sha256
  kms_key_id  = var.kms_key_arn

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Log groups: created before the functions so retention and encryption always apply
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.functions

  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

################################################################################
# Functions
################################################################################

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116: Invoked synchronously (API Gateway, Step Functions with its own Retry/Catch) or by EventBridge Scheduler, whose retry policy applies; the one async caller (the execution status rule) has an on-failure destination queue (modules/execution_events) instead of a function DLQ.
  # checkov:skip=CKV_AWS_272: The package is built reproducibly, content-hashed and deployed from a private KMS-encrypted bucket; no signing profile exists to enforce.
  for_each = var.functions

  function_name = local.function_names[each.key]
  description   = each.value.description
  role          = aws_iam_role.this[each.key].arn
  handler       = each.value.handler
  runtime       = var.runtime
  architectures = [var.architecture]
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout

  s3_bucket        = aws_s3_object.package.bucket
  s3_key           = each.value.package == "mock" ? one(aws_s3_object.mock_package[*].key) : aws_s3_object.package.key
  source_code_hash = each.value.package == "mock" ? local.mock_package_sha256 : local.package_sha256

  kms_key_arn                    = var.kms_key_arn
  reserved_concurrent_executions = coalesce(var.reserved_concurrency, -1)
  layers                         = var.insights_layer_arn == null ? [] : [var.insights_layer_arn]

  environment {
    variables = merge(var.common_environment, each.value.environment)
  }

  tracing_config {
    mode = var.enable_xray ? "Active" : "PassThrough"
  }

  dynamic "vpc_config" {
    for_each = var.enable_vpc ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  lifecycle {
    precondition {
      condition     = each.value.package != "mock" || var.mock_package_path != null
      error_message = "Function ${each.key} runs from the mock package: pass mock_package_path."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
    aws_iam_role_policy_attachment.insights,
  ]
}

################################################################################
# Lambda Insights: the extension writes performance events to /aws/lambda-insights, a
# log group shared by every function in the region; AWS's managed policy is its minimum.
################################################################################

resource "aws_iam_role_policy_attachment" "insights" {
  for_each = var.insights_layer_arn == null ? {} : var.functions

  role       = aws_iam_role.this[each.key].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"
}

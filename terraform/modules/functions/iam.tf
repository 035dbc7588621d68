################################################################################
# One role per function. Every role gets: write to its own log group, decrypt its own
# environment with the key, and (when tracing) send X-Ray segments. The rest comes from
# var.functions[*].policy_statements, which the root builds from the function's declared
# AWS calls (terraform/permissions/<function>.json) and its own resources.
################################################################################

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.functions

  name               = local.function_names[each.key]
  description        = "Execution role of ${local.function_names[each.key]} only"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "this" {
  for_each = var.functions

  statement {
    sid       = "WriteOwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[each.key].arn}:*"]
  }

  # Environment variables are encrypted with the customer key; Lambda decrypts as the role.
  statement {
    sid       = "DecryptWithDeploymentKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # X-Ray has no resource-level permissions: AWS requires Resource "*" for these two actions.
  dynamic "statement" {
    for_each = var.enable_xray ? [1] : []
    content {
      sid       = "SendTraces"
      effect    = "Allow"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  # ENI management for VPC placement, AWSLambdaVPCAccessExecutionRole's actions scoped to
  # this account and region, the given subnets and security groups. Describe* has no
  # resource-level permissions, so AWS requires Resource "*" for those two.
  dynamic "statement" {
    for_each = var.enable_vpc ? [1] : []
    content {
      sid       = "CreateNetworkInterfacesInOwnSubnets"
      effect    = "Allow"
      actions   = ["ec2:CreateNetworkInterface"]
      resources = concat([local.network_interfaces_arn], local.subnet_arns, local.security_group_arns)
    }
  }
  dynamic "statement" {
    for_each = var.enable_vpc ? [1] : []
    content {
      sid       = "ManageOwnNetworkInterfaces"
      effect    = "Allow"
      actions   = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
      resources = [local.network_interfaces_arn]
    }
  }
  dynamic "statement" {
    for_each = var.enable_vpc ? [1] : []
    content {
      sid       = "DescribeNetworkInterfaces"
      effect    = "Allow"
      actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = each.value.policy_statements
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = var.functions

  name   = "own-resources"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.this[each.key].json
}

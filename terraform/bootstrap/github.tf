# The delivery pipeline's way into this account (.github/workflows/): GitHub's OIDC provider
# and two roles for this environment, created when var.github_repository is set.
#   deploy role  trusted only by jobs of `environment: <environment>` in that repository
#                (deploy.yml's apply job); manages what the root module manages, by name
#   plan role    trusted by pull requests and main; reads, and takes the state lock
# Neither role can change itself: their names sit outside the stack's name prefix, which
# bounds every IAM write the deploy role may make.

locals {
  github_enabled = var.github_repository != null
  github_host    = "token.actions.githubusercontent.com"

  oidc_provider_arn = !local.github_enabled ? null : (
    var.create_github_oidc_provider
    ? one(aws_iam_openid_connect_provider.github[*].arn)
    : one(data.aws_iam_openid_connect_provider.github[*].arn)
  )

  # The token's `sub` for each role (GitHub's documented formats).
  deploy_subjects = local.github_enabled ? ["repo:${var.github_repository}:environment:${var.environment}"] : []
  plan_subjects = local.github_enabled ? [
    "repo:${var.github_repository}:pull_request",
    "repo:${var.github_repository}:ref:refs/heads/${var.github_default_branch}",
  ] : []

  partition   = data.aws_partition.current.partition
  account     = data.aws_caller_identity.current.account_id
  region      = var.aws_region
  name_prefix = "${var.project}-${var.environment}" # the root module's local.name_prefix
  arn         = "arn:${local.partition}"

  # The root module's S3 backend: workspace `<environment>` lives under env:/<environment>/.
  state_object_prefix = "env:/${var.environment}/"
  state_objects       = "${aws_s3_bucket.state.arn}/${local.state_object_prefix}*"

  state_statements = [
    {
      sid       = "StateBucketListThisWorkspace"
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.state.arn]
      # "env:/" lists the workspaces (`workspace select -or-create`); nothing else is visible.
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["env:/", "${local.state_object_prefix}*"] }]
    },
    {
      sid        = "StateKeyUse"
      actions    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources  = [aws_kms_key.state.arn]
      conditions = []
    },
  ]

  deploy_policy_statements = concat(local.state_statements, [
    {
      sid        = "StateReadWriteThisWorkspace"
      actions    = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources  = [local.state_objects]
      conditions = []
    },
    {
      sid        = "Lambda"
      actions    = ["lambda:*"]
      resources  = ["${local.arn}:lambda:${local.region}:${local.account}:function:${local.name_prefix}-*"]
      conditions = []
    },
    {
      sid     = "StepFunctions"
      actions = ["states:*"]
      resources = [
        "${local.arn}:states:${local.region}:${local.account}:stateMachine:${local.name_prefix}-*",
        "${local.arn}:states:${local.region}:${local.account}:execution:${local.name_prefix}-*:*",
      ]
      conditions = []
    },
    {
      sid        = "DynamoDb"
      actions    = ["dynamodb:*"]
      resources  = ["${local.arn}:dynamodb:${local.region}:${local.account}:table/${local.name_prefix}-*"]
      conditions = []
    },
    {
      sid        = "S3Buckets"
      actions    = ["s3:*"]
      resources  = ["${local.arn}:s3:::${local.name_prefix}-*"]
      conditions = []
    },
    {
      sid     = "Logs"
      actions = ["logs:*"]
      resources = [
        "${local.arn}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${local.name_prefix}-*",
        "${local.arn}:logs:${local.region}:${local.account}:log-group:/aws/vendedlogs/states/${local.name_prefix}-*",
        "${local.arn}:logs:${local.region}:${local.account}:log-group:/aws/apigateway/${local.name_prefix}-*",
        "${local.arn}:logs:${local.region}:${local.account}:log-group:/aws/vpc/${local.name_prefix}-*",
      ]
      conditions = []
    },
    {
      # No resource-level permissions for these (vended log delivery, query definitions).
      sid = "LogsAccountLevel"
      actions = [
        "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:PutResourcePolicy",
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:DescribeQueryDefinitions",
        "logs:PutQueryDefinition", "logs:DeleteQueryDefinition",
      ]
      resources  = ["*"]
      conditions = []
    },
    {
      sid     = "Monitoring"
      actions = ["cloudwatch:*", "sns:*", "budgets:*"]
      resources = [
        "${local.arn}:cloudwatch:${local.region}:${local.account}:alarm:${local.name_prefix}-*",
        "${local.arn}:cloudwatch::${local.account}:dashboard/${local.name_prefix}",
        "${local.arn}:sns:${local.region}:${local.account}:${local.name_prefix}-*",
        "${local.arn}:budgets::${local.account}:budget/${local.name_prefix}-*",
      ]
      conditions = []
    },
    {
      sid        = "Secrets"
      actions    = ["secretsmanager:*"]
      resources  = ["${local.arn}:secretsmanager:${local.region}:${local.account}:secret:${local.name_prefix}/*"]
      conditions = []
    },
    {
      sid        = "Scheduler"
      actions    = ["scheduler:*"]
      resources  = ["${local.arn}:scheduler:${local.region}:${local.account}:schedule/*/${local.name_prefix}-*"]
      conditions = []
    },
    {
      # REST APIs have generated ids: the region's API Gateway resources, nothing beyond.
      sid        = "ApiGateway"
      actions    = ["apigateway:*"]
      resources  = ["${local.arn}:apigateway:${local.region}::/*"]
      conditions = []
    },
    {
      # Keys have generated ids; creating one has no resource. Aliases carry the prefix.
      sid        = "KmsCreate"
      actions    = ["kms:CreateKey", "kms:ListAliases", "kms:ListKeys"]
      resources  = ["*"]
      conditions = []
    },
    {
      # CreateKey with tags is authorised on "*" (the key does not exist yet): only the stack's tag.
      sid        = "KmsTagNewStackKeys"
      actions    = ["kms:TagResource"]
      resources  = ["*"]
      conditions = [{ test = "StringEquals", variable = "aws:RequestTag/Stack", values = [local.name_prefix] }]
    },
    {
      sid        = "KmsStackKeys"
      actions    = ["kms:*"]
      resources  = ["${local.arn}:kms:${local.region}:${local.account}:key/*"]
      conditions = [{ test = "StringEquals", variable = "aws:ResourceTag/Stack", values = [local.name_prefix] }]
    },
    {
      sid        = "KmsStackAliases"
      actions    = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
      resources  = ["${local.arn}:kms:${local.region}:${local.account}:alias/${local.name_prefix}"]
      conditions = []
    },
    {
      sid        = "ApplicationAutoScaling"
      actions    = ["application-autoscaling:*"]
      resources  = ["${local.arn}:application-autoscaling:${local.region}:${local.account}:scalable-target/*"]
      conditions = []
    },
    {
      sid        = "ApplicationAutoScalingDescribe"
      actions    = ["application-autoscaling:Describe*"]
      resources  = ["*"]
      conditions = []
    },
    {
      sid        = "WafAssociation"
      actions    = ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource"]
      resources  = ["*"]
      conditions = []
    },
    {
      # The functions', state machine's and schedule's roles: named <prefix>-*, inline policies.
      sid = "StackRoles"
      actions = [
        "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
        "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PutRolePolicy", "iam:GetRolePolicy",
        "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole", "iam:DetachRolePolicy", "iam:PassRole",
      ]
      resources  = ["${local.arn}:iam::${local.account}:role/${local.name_prefix}-*"]
      conditions = []
    },
    {
      # The network module (enable_vpc): everything it creates carries the Stack tag
      # (provider default_tags), so creation is allowed with that tag, and every other
      # EC2 action only on resources that already carry it.
      sid        = "NetworkCreateTagged"
      actions    = ["ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateInternetGateway", "ec2:CreateRouteTable", "ec2:CreateNatGateway", "ec2:AllocateAddress", "ec2:CreateSecurityGroup", "ec2:CreateVpcEndpoint", "ec2:CreateFlowLogs", "ec2:CreateTags"]
      resources  = ["${local.arn}:ec2:${local.region}:${local.account}:*/*"]
      conditions = [{ test = "StringEquals", variable = "aws:RequestTag/Stack", values = [local.name_prefix] }]
    },
    {
      sid        = "NetworkManageTagged"
      actions    = ["ec2:*"]
      resources  = ["${local.arn}:ec2:${local.region}:${local.account}:*/*"]
      conditions = [{ test = "StringEquals", variable = "aws:ResourceTag/Stack", values = [local.name_prefix] }]
    },
    {
      # EC2 reads have no resource-level permissions.
      sid        = "NetworkDescribe"
      actions    = ["ec2:Describe*"]
      resources  = ["*"]
      conditions = []
    },
    {
      sid        = "DynamoDbAutoScalingServiceRole"
      actions    = ["iam:CreateServiceLinkedRole"]
      resources  = ["${local.arn}:iam::${local.account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/*"]
      conditions = []
    },
  ])

  plan_policy_statements = concat(local.state_statements, [
    {
      sid        = "StateReadThisWorkspace"
      actions    = ["s3:GetObject"]
      resources  = [local.state_objects]
      conditions = []
    },
    {
      # Plans take the S3-native lock (use_lockfile): <key>.tflock beside the state.
      sid        = "StateLockThisWorkspace"
      actions    = ["s3:PutObject", "s3:DeleteObject"]
      resources  = ["${local.state_objects}.tflock"]
      conditions = []
    },
    {
      # Refresh reads every managed resource; no secret values, no object contents but code.
      sid = "ReadManagedResources"
      actions = [
        "lambda:Get*", "lambda:List*", "states:Describe*", "states:List*", "dynamodb:Describe*", "ec2:Describe*",
        "dynamodb:List*", "logs:Describe*", "logs:List*", "cloudwatch:Describe*", "cloudwatch:Get*",
        "cloudwatch:List*", "sns:Get*", "sns:List*", "budgets:View*", "budgets:ListTagsForResource",
        "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets",
        "scheduler:Get*", "scheduler:List*", "apigateway:GET", "kms:Describe*", "kms:Get*", "kms:List*",
        "application-autoscaling:Describe*", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
        "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
      ]
      resources  = ["*"]
      conditions = []
    },
    {
      # Lambda returns environment variables encrypted with the stack key only to callers who
      # may decrypt them; the role reads no table items, objects (but code) or secret values.
      sid        = "DecryptWithStackKeys"
      actions    = ["kms:Decrypt"]
      resources  = ["${local.arn}:kms:${local.region}:${local.account}:key/*"]
      conditions = [{ test = "StringEquals", variable = "aws:ResourceTag/Stack", values = [local.name_prefix] }]
    },
    {
      sid        = "ReadStackBuckets"
      actions    = ["s3:GetBucket*", "s3:GetLifecycleConfiguration", "s3:GetEncryptionConfiguration", "s3:GetReplicationConfiguration", "s3:GetAccelerateConfiguration", "s3:ListBucket"]
      resources  = ["${local.arn}:s3:::${local.name_prefix}-*"]
      conditions = []
    },
    {
      sid        = "ReadStackCodeObjects"
      actions    = ["s3:GetObject", "s3:GetObjectTagging"]
      resources  = ["${local.arn}:s3:::${local.name_prefix}-*/lambda/*"]
      conditions = []
    },
  ])
}

################################################################################
# GitHub OIDC provider (one per account: create it here, or reuse the existing one)
################################################################################

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS trusts GitHub's certificate authority itself; the list is required by older APIs.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && !var.create_github_oidc_provider ? 1 : 0

  url = "https://${local.github_host}"
}

################################################################################
# Deploy and plan roles
################################################################################

data "aws_iam_policy_document" "github_trust" {
  for_each = local.github_enabled ? { deploy = local.deploy_subjects, plan = local.plan_subjects } : {}

  statement {
    sid     = "GitHubActionsOidc"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:sub"
      values   = each.value
    }
  }
}

data "aws_iam_policy_document" "github_permissions" {
  for_each = local.github_enabled ? { deploy = local.deploy_policy_statements, plan = local.plan_policy_statements } : {}

  dynamic "statement" {
    for_each = each.value
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

resource "aws_iam_role" "github" {
  for_each = data.aws_iam_policy_document.github_trust

  name                 = "${var.project}-github-${each.key}-${var.environment}"
  description          = "GitHub Actions ${each.key} role for ${var.github_repository} in ${var.environment}"
  assume_role_policy   = each.value.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "github" {
  for_each = data.aws_iam_policy_document.github_permissions

  name   = "${each.key}-${local.name_prefix}"
  role   = aws_iam_role.github[each.key].id
  policy = each.value.json
}

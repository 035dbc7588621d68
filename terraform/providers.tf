locals {
  # Against the local emulator every service the configuration uses goes to one URL.
  emulated = var.aws_endpoint_url != null
}

provider "aws" {
  region = var.aws_region

  # Tags once, on every taggable resource. Stack feeds the cost budget's filter.
  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      Stack       = local.name_prefix
      ManagedBy   = "terraform"
      Repository  = "jira-workflow"
    }
  }

  # The emulator has no real credentials, account lookup or instance metadata.
  skip_credentials_validation = local.emulated
  skip_requesting_account_id  = local.emulated
  skip_metadata_api_check     = local.emulated
  s3_use_path_style           = local.emulated

  endpoints {
    apigateway             = var.aws_endpoint_url
    applicationautoscaling = var.aws_endpoint_url
    budgets                = var.aws_endpoint_url
    cloudwatch             = var.aws_endpoint_url
    dynamodb               = var.aws_endpoint_url
    ec2                    = var.aws_endpoint_url
    events                 = var.aws_endpoint_url
    iam                    = var.aws_endpoint_url
    kms                    = var.aws_endpoint_url
    lambda                 = var.aws_endpoint_url
    logs                   = var.aws_endpoint_url
    s3                     = var.aws_endpoint_url
    scheduler              = var.aws_endpoint_url
    secretsmanager         = var.aws_endpoint_url
    sfn                    = var.aws_endpoint_url
    sns                    = var.aws_endpoint_url
    sqs                    = var.aws_endpoint_url
    sts                    = var.aws_endpoint_url
    wafv2                  = var.aws_endpoint_url
  }
}

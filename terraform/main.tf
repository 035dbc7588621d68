# The whole deployment for one workspace (local, dev, staging, prod). Data flows:
# Jira -> API Gateway -> webhook Lambda -> Step Functions -> step Lambdas -> Jira / external API,
# with DynamoDB + S3 for state, Secrets Manager for credentials, all under one KMS key.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

################################################################################
# Guard rails: stop a plan that would deploy the wrong thing, with a one-line reason.
################################################################################

resource "terraform_data" "deployment_guard" {
  input = local.name_prefix

  lifecycle {
    precondition {
      # Tests and one-off validation run in "default"; real applies go through `make`.
      condition     = contains(["default", var.environment], terraform.workspace)
      error_message = "Workspace \"${terraform.workspace}\" does not match environment \"${var.environment}\": use `make plan ENV=${terraform.workspace}`."
    }
    precondition {
      condition     = local.enrich_api_url != "" && local.fulfil_api_url != ""
      error_message = "Set enrich_api_url and fulfil_api_url, or enable_mock_apis outside prod."
    }
    precondition {
      # Without it, anyone who can move an issue in Jira decides its request.
      condition     = !contains(["staging", "prod"], var.environment) || var.jira_approver_group != null
      error_message = "Set jira_approver_group in ${var.environment}: only its members may decide by moving an issue."
    }
    precondition {
      condition     = !(var.environment == "prod" && var.enable_mock_apis)
      error_message = "enable_mock_apis must be false in prod: prod talks to the real endpoints."
    }
    precondition {
      # A placeholder rendered into broken JSON fails here, not in CreateStateMachine.
      condition     = can(jsondecode(local.state_machine_definition))
      error_message = "statemachine/request_workflow.asl.json does not render to valid JSON with local.asl_substitutions."
    }
    precondition {
      condition     = !var.enable_lambda_insights || (local.insights_layer_arn != null && strcontains(coalesce(local.insights_layer_arn, "-"), "-Arm64") == (var.lambda_architecture == "arm64"))
      error_message = "enable_lambda_insights needs lambda_insights_layer_arns[\"${var.aws_region}\"], the layer for ${var.lambda_architecture} (-Arm64 for arm64)."
    }
    precondition {
      condition     = var.environment == "local" || var.aws_endpoint_url == null
      error_message = "aws_endpoint_url (the emulator) is only for the local environment."
    }
  }
}

################################################################################
# Encryption, data and secrets
################################################################################

module "kms" {
  source = "./modules/kms"

  name_prefix             = local.name_prefix
  deletion_window_in_days = var.allow_destroy_with_data ? 7 : 30
}

module "storage" {
  source = "./modules/storage"

  name_prefix               = local.name_prefix
  kms_key_arn               = module.kms.key_arn
  force_destroy             = var.allow_destroy_with_data
  deletion_protection       = !var.allow_destroy_with_data
  enable_access_logging     = var.enable_s3_access_logging
  artifact_retention_days   = var.artifact_retention_days
  access_log_retention_days = max(var.log_retention_days, 31)
  dynamodb_billing_mode     = var.dynamodb_billing_mode
  dynamodb_capacity         = var.dynamodb_capacity
}

module "secrets" {
  source = "./modules/secrets"

  name_prefix             = local.name_prefix
  kms_key_arn             = module.kms.key_arn
  recovery_window_in_days = var.allow_destroy_with_data ? 0 : 30
  rotation_lambda_arns    = var.secret_rotation_lambda_arns
}

################################################################################
# Network: private subnets for the functions, built here or brought by the caller
################################################################################

module "network" {
  source = "./modules/network"
  count  = local.create_network ? 1 : 0

  name_prefix             = local.name_prefix
  cidr_block              = var.network.cidr_block
  availability_zone_count = var.network.availability_zone_count
  nat_gateway_per_zone    = var.network.nat_gateway_per_zone
  interface_endpoints     = var.network.interface_endpoints
  kms_key_arn             = module.kms.key_arn
  flow_log_retention_days = var.log_retention_days
  flow_log_traffic_type   = var.network.flow_log_traffic_type
}

# Brought-in subnets: their route tables, so the plan (and preflight) shows where they lead.
data "aws_route_table" "function_subnets" {
  for_each = var.enable_vpc && !local.create_network ? toset(var.vpc_subnet_ids) : toset([])

  subnet_id = each.key

  lifecycle {
    postcondition {
      condition     = !anytrue([for route in self.routes : route.cidr_block == "0.0.0.0/0" && startswith(coalesce(route.gateway_id, "-"), "igw-")])
      error_message = "Subnet ${each.key} routes 0.0.0.0/0 to an internet gateway: the functions need private subnets (a NAT gateway route)."
    }
  }
}

################################################################################
# Functions, workflow, API, schedule
################################################################################

module "functions" {
  source = "./modules/functions"

  name_prefix = local.name_prefix
  functions = {
    for key, fn in local.functions : key => {
      handler           = fn.handler
      package           = try(fn.package, "product")
      description       = fn.description
      timeout           = try(fn.timeout, local.step_function_timeout)
      policy_statements = fn.statements
      environment       = lookup(local.function_environment, key, {})
    }
  }
  common_environment = local.common_environment

  code_bucket          = module.storage.artifacts_bucket_name
  package_path         = local.lambda_package_path
  mock_package_path    = local.mock_package_path
  architecture         = var.lambda_architecture
  kms_key_arn          = module.kms.key_arn
  log_retention_days   = var.log_retention_days
  enable_xray          = var.enable_xray
  reserved_concurrency = var.lambda_reserved_concurrency
  insights_layer_arn   = local.insights_layer_arn

  enable_vpc             = var.enable_vpc
  vpc_subnet_ids         = local.create_network ? module.network[0].private_subnet_ids : var.vpc_subnet_ids
  vpc_security_group_ids = local.create_network ? [module.network[0].function_security_group_id] : var.vpc_security_group_ids
}

module "workflow" {
  source = "./modules/workflow"

  name               = local.state_machine_name
  arn                = local.state_machine_arn
  definition         = local.state_machine_definition
  task_function_arns = [for key, value in local.asl_substitutions : value if endswith(key, "_arn")]
  kms_key_arn        = module.kms.key_arn
  log_level          = var.state_machine_log_level
  log_retention_days = var.log_retention_days
  enable_xray        = var.enable_xray
}

module "api" {
  source = "./modules/api"

  name                    = local.name_prefix
  stage_name              = var.environment
  function_invoke_arns    = { for key in local.api_functions : key => module.functions.invoke_arns[key] }
  function_names          = { for key in local.api_functions : key => module.functions.function_names[key] }
  enable_mock_apis        = var.enable_mock_apis
  throttling              = var.api_throttling
  quota_per_day           = var.api_quota_per_day
  execution_logging_level = var.api_execution_logging_level
  enable_xray             = var.enable_xray
  kms_key_arn             = module.kms.key_arn
  log_retention_days      = var.log_retention_days
  waf_acl_arn             = var.waf_acl_arn
  custom_domain           = var.custom_domain
}

module "scheduler" {
  source = "./modules/scheduler"

  name                = "${local.name_prefix}-reconciler"
  schedule_expression = var.reconciler_schedule_expression
  enabled             = var.reconciler_enabled
  target_function_arn = module.functions.function_arns["reconciler"]
  kms_key_arn         = module.kms.key_arn
}

module "execution_events" {
  source = "./modules/execution_events"

  name                   = "${local.name_prefix}-execution-ended"
  state_machine_name     = local.state_machine_name
  state_machine_arn      = module.workflow.state_machine_arn
  target_function_arn    = module.functions.function_arns["finalise_execution"]
  target_function_name   = module.functions.function_names["finalise_execution"]
  dead_letter_queue_name = local.finaliser_dead_letter_queue_name
  kms_key_arn            = module.kms.key_arn
  alarm_topic_arn        = module.monitoring.alerts_topic_arn
}

################################################################################
# Monitoring
################################################################################

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix       = local.name_prefix
  kms_key_arn       = module.kms.key_arn
  alert_emails      = var.alert_emails
  pager_endpoint    = var.pager_endpoint
  state_machine_arn = module.workflow.state_machine_arn
  function_names    = module.functions.function_names
  api_name          = module.api.rest_api_name
  api_stage         = module.api.stage_name
  table_name        = module.storage.requests_table_name
  metrics_namespace = local.metrics_namespace
  service_name      = local.service_name
  alarm_thresholds = merge(var.alarm_thresholds, {
    long_execution_seconds = coalesce(var.alarm_thresholds.long_execution_seconds, floor(var.state_machine_timeout_seconds * 0.8))
  })
  enable_insights_queries = var.enable_insights_queries
  insights_log_groups     = concat(values(module.functions.log_group_names), [module.workflow.log_group_name])
  budget_amount           = var.budget_amount
}

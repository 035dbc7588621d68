locals {
  name_prefix        = "${var.project}-${var.environment}"
  partition          = data.aws_partition.current.partition
  region             = data.aws_region.current.name
  account_id         = data.aws_caller_identity.current.account_id
  state_machine_name = "${local.name_prefix}-request-workflow"
  service_name       = "jira-workflow"
  metrics_namespace  = "JiraWorkflow" # Powertools metrics the handlers emit

  # Built from its name, not read from the resource: the webhook and reconciler need it in
  # their environment, and the state machine needs the task functions (a cycle otherwise).
  # The one place it is built: module.workflow takes it as `arn` for its key policy condition.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  executions_arn    = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"

  # Code packages: the Makefile passes lambda_package_path and mock_package_path; otherwise
  # the manifest of `make build`. The mock's zip is used only with enable_mock_apis.
  lambda_manifest_path = "${path.root}/../build/lambda.json"
  lambda_manifest      = fileexists(local.lambda_manifest_path) ? jsondecode(file(local.lambda_manifest_path)) : null
  lambda_package_path = (
    var.lambda_package_path != null ? var.lambda_package_path :
    local.lambda_manifest != null ? "${path.root}/../${local.lambda_manifest.path}" : ""
  )
  mock_package_path = (
    !var.enable_mock_apis ? null :
    var.mock_package_path != null ? var.mock_package_path :
    try("${path.root}/../${local.lambda_manifest.mock.path}", "")
  )

  # The mock external API sits behind this deployment's own API. Its URL is built from the
  # REST API id (which depends on nothing) to avoid API -> function -> API cycles.
  mock_api_base_url = "https://${module.api.rest_api_id}.execute-api.${local.region}.${data.aws_partition.current.dns_suffix}/${var.environment}/mock"
  # Empty when neither is given: deployment_guard then stops the plan with a reason.
  enrich_api_url = var.enrich_api_url != null ? var.enrich_api_url : var.enable_mock_apis ? "${local.mock_api_base_url}/enrich" : ""
  fulfil_api_url = var.fulfil_api_url != null ? var.fulfil_api_url : var.enable_mock_apis ? "${local.mock_api_base_url}/fulfil" : ""

  # The one map the ASL placeholders come from (docs/design.md); the emulator uses the same keys.
  asl_substitutions = {
    validate_request_arn     = module.functions.function_arns["validate_request"]
    enrich_request_arn       = module.functions.function_arns["enrich_request"]
    store_artifacts_arn      = module.functions.function_arns["store_artifacts"]
    request_approval_arn     = module.functions.function_arns["request_approval"]
    fulfil_request_arn       = module.functions.function_arns["fulfil_request"]
    report_outcome_arn       = module.functions.function_arns["report_outcome"]
    record_failure_arn       = module.functions.function_arns["record_failure"]
    approval_timeout_seconds = var.approval_timeout_seconds
    # The ASL's top-level "TimeoutSeconds": no execution outlives it, approvals included.
    state_machine_timeout_seconds = var.state_machine_timeout_seconds
  }
  state_machine_definition = templatefile("${path.module}/../statemachine/request_workflow.asl.json", local.asl_substitutions)

  # Every function gets the full settings (names and ARNs, never secret values): Settings is
  # read once per cold start, and IAM, not the environment, limits what each may touch.
  common_environment = {
    REQUESTS_TABLE           = module.storage.requests_table_name
    ARTIFACTS_BUCKET         = module.storage.artifacts_bucket_name
    STATE_MACHINE_ARN        = local.state_machine_arn
    JIRA_BASE_URL            = var.jira_base_url
    JIRA_API_SECRET_ARN      = module.secrets.secret_arns["jira-api"]
    JIRA_WEBHOOK_SECRET_ARN  = module.secrets.secret_arns["jira-webhook"]
    EXTERNAL_API_SECRET_ARN  = module.secrets.secret_arns["external-api"]
    ENRICH_API_URL           = local.enrich_api_url
    FULFIL_API_URL           = local.fulfil_api_url
    TRIGGER_PROJECT_KEYS     = join(",", var.trigger_project_keys)
    TRIGGER_ISSUE_TYPES      = join(",", var.trigger_issue_types)
    TRIGGER_STATUS           = var.trigger_status
    REQUIRED_FIELDS          = join(";", [for scope, names in var.required_fields : "${scope}=${join(",", names)}"])
    APPROVAL_PENDING_STATUS  = var.approval_pending_status
    APPROVE_STATUS           = var.approve_status
    REJECT_STATUS            = var.reject_status
    DONE_STATUS              = var.done_status
    FAILED_STATUS            = var.failed_status
    AUTO_APPROVE_MAX_RISK    = tostring(var.auto_approve_max_risk)
    APPROVAL_TIMEOUT_SECONDS = tostring(var.approval_timeout_seconds)
    MAX_WEBHOOK_BYTES        = tostring(var.max_webhook_bytes)
    HTTP_TIMEOUT_SECONDS     = tostring(var.http_timeout_seconds)
    RECONCILE_LOOKBACK_HOURS = tostring(var.reconcile_lookback_hours)
    # Powertools: bundled in the zip (see terraform/README.md), configured here.
    POWERTOOLS_SERVICE_NAME      = local.service_name
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
    LOG_LEVEL                    = var.log_level
  }
}

################################################################################
# IAM building blocks: each function's statements name only its own resources.
################################################################################

locals {
  table_arns       = [module.storage.requests_table_arn, "${module.storage.requests_table_arn}/index/*"]
  bucket_arn       = module.storage.artifacts_bucket_arn
  table_read       = ["dynamodb:GetItem", "dynamodb:Query"]
  table_read_write = ["dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]

  iam = {
    table_read       = { sid = "ReadRequestsTable", actions = local.table_read, resources = local.table_arns }
    table_read_write = { sid = "ReadWriteRequestsTable", actions = local.table_read_write, resources = local.table_arns }
    read_payloads    = { sid = "ReadWebhookPayloads", actions = ["s3:GetObject"], resources = ["${local.bucket_arn}/webhooks/*"] }
    write_payloads   = { sid = "WriteWebhookPayloads", actions = ["s3:PutObject"], resources = ["${local.bucket_arn}/webhooks/*"] }
    artifacts        = { sid = "ReadWriteRequestArtifacts", actions = ["s3:GetObject", "s3:PutObject"], resources = ["${local.bucket_arn}/requests/*"] }
    start_execution  = { sid = "StartRequestWorkflow", actions = ["states:StartExecution"], resources = [local.state_machine_arn] }
    read_executions  = { sid = "ReadRequestWorkflowExecutions", actions = ["states:DescribeExecution"], resources = [local.executions_arn] }
    # Task tokens are not resources: SendTaskSuccess/Failure/Heartbeat only accept Resource "*".
    send_task_result = { sid = "AnswerApprovalTaskTokens", actions = ["states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess"], resources = ["*"] }
    jira_api_secret  = { sid = "ReadJiraApiSecret", actions = ["secretsmanager:GetSecretValue"], resources = [module.secrets.secret_arns["jira-api"]] }
    webhook_secret   = { sid = "ReadJiraWebhookSecret", actions = ["secretsmanager:GetSecretValue"], resources = [module.secrets.secret_arns["jira-webhook"]] }
    external_secret  = { sid = "ReadExternalApiSecret", actions = ["secretsmanager:GetSecretValue"], resources = [module.secrets.secret_arns["external-api"]] }
  }

  # API Gateway gives up on an integration after 29 s; answer (or fail) before that.
  api_function_timeout  = 25
  step_function_timeout = 30

  # Workflow steps: their request record, payload in, artifacts in/out, and Jira.
  step_statements = [local.iam.table_read_write, local.iam.read_payloads, local.iam.artifacts, local.iam.jira_api_secret]

  # docs/design.md's function table: handler, caller, and the statements each one needs.
  functions = merge(
    {
      webhook = {
        handler     = "jira_workflow.handlers.webhook.handler"
        description = "POST /jira/webhook: verify HMAC, store payload, start or answer the workflow"
        timeout     = local.api_function_timeout
        statements = [local.iam.table_read_write, local.iam.write_payloads, local.iam.read_payloads, local.iam.start_execution,
        local.iam.read_executions, local.iam.send_task_result, local.iam.webhook_secret, local.iam.jira_api_secret]
      }
      callback = {
        handler     = "jira_workflow.handlers.callback.handler"
        description = "POST /jira/callback: record an approval decision and answer the task token"
        timeout     = local.api_function_timeout
        statements  = [local.iam.table_read_write, local.iam.send_task_result, local.iam.read_executions, local.iam.jira_api_secret]
      }
      status = {
        handler     = "jira_workflow.handlers.status.handler"
        description = "GET /requests/{issueKey}: report a request's state"
        timeout     = local.api_function_timeout
        statements  = [local.iam.table_read]
      }
      validate_request = {
        handler     = "jira_workflow.handlers.validate_request.handler"
        description = "Workflow step: validate the request against the trigger rules"
        statements  = local.step_statements
      }
      enrich_request = {
        handler     = "jira_workflow.handlers.enrich_request.handler"
        description = "Workflow step: call the enrichment API"
        statements  = concat(local.step_statements, [local.iam.external_secret])
      }
      store_artifacts = {
        handler     = "jira_workflow.handlers.store_artifacts.handler"
        description = "Workflow step: write the request manifest and decide auto-approval"
        statements  = local.step_statements
      }
      request_approval = {
        handler     = "jira_workflow.handlers.request_approval.handler"
        description = "Workflow step (.waitForTaskToken): store the token and ask Jira for approval"
        # A retried attempt completes its own new token with a decision already recorded.
        statements = concat(local.step_statements, [local.iam.send_task_result])
      }
      fulfil_request = {
        handler     = "jira_workflow.handlers.fulfil_request.handler"
        description = "Workflow step: call the fulfilment API"
        statements  = concat(local.step_statements, [local.iam.external_secret])
        timeout     = 60
      }
      report_outcome = {
        handler     = "jira_workflow.handlers.report_outcome.handler"
        description = "Workflow step: report the outcome to Jira"
        statements  = local.step_statements
      }
      record_failure = {
        handler     = "jira_workflow.handlers.record_failure.handler"
        description = "Workflow failure path: record the error and tell Jira"
        statements  = local.step_statements
      }
      reconciler = {
        handler     = "jira_workflow.handlers.reconciler.handler"
        description = "Scheduled: start requests whose webhook was missed, apply decisions made in Jira"
        statements = [local.iam.table_read_write, local.iam.read_payloads, local.iam.write_payloads, local.iam.start_execution,
        local.iam.read_executions, local.iam.send_task_result, local.iam.jira_api_secret]
        timeout = 300
      }
    },
    var.enable_mock_apis ? {
      mock_external_api = {
        handler     = "mock_apis.handlers.mock_external_api.handler"
        package     = "mock" # its own zip: the product's holds no mock code
        description = "Dev only: mock enrichment/fulfilment API behind ANY /mock/{proxy+}"
        timeout     = local.api_function_timeout
        statements  = []
      }
    } : {},
  )
}

locals {
  # Functions behind the REST API (the mock only when it is deployed).
  api_functions = concat(["webhook", "callback", "status"], var.enable_mock_apis ? ["mock_external_api"] : [])
}

locals {
  name_prefix        = "${var.project}-${var.environment}"
  partition          = data.aws_partition.current.partition
  region             = data.aws_region.current.name
  account_id         = data.aws_caller_identity.current.account_id
  state_machine_name = "${local.name_prefix}-request-workflow"
  service_name       = "jira-workflow"
  metrics_namespace  = "JiraWorkflow" # Powertools metrics the handlers emit
  # enable_vpc without subnet ids of one's own: module.network builds the private subnets.
  create_network = var.enable_vpc && length(var.vpc_subnet_ids) == 0

  # Built from its name, not read from the resource: the webhook and reconciler need it in
  # their environment, and the state machine needs the task functions (a cycle otherwise).
  # The one place it is built: module.workflow takes it as `arn` for its key policy condition.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  executions_arn    = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"

  # Built from its name for the same reason: the finaliser's role sends to the queue that
  # module.execution_events creates with the finaliser's ARN.
  finaliser_dead_letter_queue_name = "${local.name_prefix}-finaliser-dead-letters"
  finaliser_dead_letter_queue_arn  = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.finaliser_dead_letter_queue_name}"

  # And for the webhook's: it invokes complete_decision, which module.functions builds with
  # the webhook (modules/functions names each "<prefix>-<key with dashes>").
  complete_decision_function_name = "${local.name_prefix}-complete-decision"
  complete_decision_function_arn  = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.complete_decision_function_name}"

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
    COMPLETION_FUNCTION      = local.complete_decision_function_name
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
    JIRA_APPROVER_GROUP      = var.jira_approver_group == null ? "" : var.jira_approver_group
    REJECT_STATUS            = var.reject_status
    DONE_STATUS              = var.done_status
    FAILED_STATUS            = var.failed_status
    TRIGGER_STATUS_ID        = var.status_ids.trigger
    APPROVE_STATUS_ID        = var.status_ids.approve
    REJECT_STATUS_ID         = var.status_ids.reject
    AUTO_APPROVE_MAX_RISK    = tostring(var.auto_approve_max_risk)
    APPROVAL_TIMEOUT_SECONDS = tostring(var.approval_timeout_seconds)
    MAX_WEBHOOK_BYTES        = tostring(var.max_webhook_bytes)
    WEBHOOK_MAX_AGE_SECONDS  = tostring(var.webhook_max_age_seconds)
    HTTP_TIMEOUT_SECONDS     = tostring(var.http_timeout_seconds)
    RECONCILE_LOOKBACK_HOURS = tostring(var.reconcile_lookback_hours)
    # Powertools: bundled in the zip (see terraform/README.md), configured here.
    POWERTOOLS_SERVICE_NAME      = local.service_name
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
    LOG_LEVEL                    = var.log_level
    # The custom domain's base path, which API Gateway leaves in the path the handlers route.
  }

  insights_layer_arn = var.enable_lambda_insights ? lookup(var.lambda_insights_layer_arns, var.aws_region, null) : null
}

# Environment only some functions get: the callback learns which API keys may decide.
locals {
  function_environment = {
    callback          = { DECISION_KEY_IDS = module.api.decision_api_keys }
    mock_external_api = { MOCK_FAULTS = var.mock_faults }
  }
}

################################################################################
# IAM: each function's grants are declared in terraform/permissions/<function>.json, the
# AWS calls its code makes (tests/unit/test_iam_permissions.py reads the code and fails on
# any difference). A declaration names resources; this block turns names into ARNs.
# A new function: add its entry below and its declaration file.
################################################################################

locals {
  table_arn  = module.storage.requests_table_arn
  bucket_arn = module.storage.artifacts_bucket_arn

  iam_resources = {
    request_records   = [local.table_arn]
    state_index       = ["${local.table_arn}/index/*"]
    task_tokens       = [local.table_arn]
    webhook_payloads  = ["${local.bucket_arn}/webhooks/*"]
    request_artifacts = ["${local.bucket_arn}/requests/*"]
    state_machine     = [local.state_machine_arn]
    executions        = [local.executions_arn]
    # Lambda's on-failure destination for the finaliser's async invocations sends as its role.
    finaliser_dead_letters = [local.finaliser_dead_letter_queue_arn]
    # The webhook records a decision; this function completes it with the task token.
    complete_decision_function = [local.complete_decision_function_arn]
    # Task tokens are not resources: SendTaskSuccess only accepts Resource "*".
    any_task_token      = ["*"]
    jira_api_secret     = [module.secrets.secret_arns["jira-api"]]
    jira_webhook_secret = [module.secrets.secret_arns["jira-webhook"]]
    external_api_secret = [module.secrets.secret_arns["external-api"]]
  }

  # Task tokens share the table with the records but not their keys (pk "TOKEN#<issue>"):
  # a role granted records cannot read a token, and one granted tokens reads nothing else.
  leading_key_conditions = {
    request_records = { test = "ForAllValues:StringNotLike", variable = "dynamodb:LeadingKeys", values = ["TOKEN#*"] }
    task_tokens     = { test = "ForAllValues:StringLike", variable = "dynamodb:LeadingKeys", values = ["TOKEN#*"] }
  }

  permissions = {
    for key in keys(local.function_settings) : key => jsondecode(file("${path.module}/permissions/${key}.json"))
  }
  function_statements = {
    for key, declaration in local.permissions : key => [
      for s in declaration.statements : {
        sid        = s.sid
        actions    = s.actions
        resources  = flatten([for name in s.resources : local.iam_resources[name]])
        conditions = [for name in s.resources : local.leading_key_conditions[name] if contains(keys(local.leading_key_conditions), name)]
      }
    ]
  }

  # API Gateway gives up on an integration after 29 s; answer (or fail) before that.
  api_function_timeout  = 25
  step_function_timeout = var.step_function_timeout_seconds

  # docs/design.md's function table: what calls it, and how long it may take.
  function_settings = merge(
    {
      webhook = {
        description = "POST /jira/webhook: verify HMAC, store payload, start or answer the workflow"
        timeout     = local.api_function_timeout
      }
      callback = {
        description = "POST /jira/callback: record an approval decision and answer the task token"
        timeout     = local.api_function_timeout
      }
      complete_decision = {
        description = "Async from the webhook: complete a decision it recorded with the task token"
      }
      status = {
        description = "GET /requests/{issueKey}: report a request's state"
        timeout     = local.api_function_timeout
      }
      validate_request = {
        description = "Workflow step: validate the request against the trigger rules"
      }
      enrich_request = {
        description = "Workflow step: call the enrichment API"
      }
      store_artifacts = {
        description = "Workflow step: write the request manifest and decide auto-approval"
      }
      request_approval = {
        description = "Workflow step (.waitForTaskToken): store the token and ask Jira for approval"
      }
      fulfil_request = {
        description = "Workflow step: call the fulfilment API"
        timeout     = 60
      }
      report_outcome = {
        description = "Workflow step: report the outcome to Jira"
      }
      record_failure = {
        description = "Workflow failure path: record the error and tell Jira"
      }
      finalise_execution = {
        description = "EventBridge: an execution ended FAILED, TIMED_OUT or ABORTED; close its request, tell Jira once"
      }
      reconciler = {
        description = "Scheduled: start requests whose webhook was missed, apply decisions made in Jira"
        timeout     = 300
      }
    },
    var.enable_mock_apis ? {
      mock_external_api = {
        package     = "mock" # its own zip: the product's holds no mock code
        description = "Dev only: mock enrichment/fulfilment API behind ANY /mock/{proxy+}"
        timeout     = local.api_function_timeout
      }
    } : {},
  )

  # Handler and statements come from the declaration, the rest from the table above.
  functions = {
    for key, fn in local.function_settings : key => merge(fn, {
      handler    = local.permissions[key].handler
      statements = local.function_statements[key]
    })
  }
}

locals {
  # Functions behind the REST API (the mock only when it is deployed).
  api_functions = concat(["webhook", "callback", "status"], var.enable_mock_apis ? ["mock_external_api"] : [])
}

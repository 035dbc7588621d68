# REST API per docs/design.md. Routes are data (local.routes) so methods, integrations,
# permissions and the redeployment hash all come from one table.

locals {
  routes = merge(
    {
      # Jira's native webhooks cannot send headers: no API key, HMAC checked in the handler.
      webhook  = { resource = "jira_webhook", path = "jira/webhook", method = "POST", function = "webhook", api_key = false, validator = "body" }
      callback = { resource = "jira_callback", path = "jira/callback", method = "POST", function = "callback", api_key = true, validator = "body" }
      status   = { resource = "request", path = "requests/{issueKey}", method = "GET", function = "status", api_key = true, validator = "parameters" }
    },
    var.enable_mock_apis ? {
      mock = { resource = "mock_proxy", path = "mock/{proxy+}", method = "ANY", function = "mock_external_api", api_key = false, validator = "parameters" }
    } : {},
  )

  resource_ids = merge(
    {
      jira_webhook  = aws_api_gateway_resource.jira_webhook.id
      jira_callback = aws_api_gateway_resource.jira_callback.id
      request       = aws_api_gateway_resource.request.id
    },
    var.enable_mock_apis ? { mock_proxy = aws_api_gateway_resource.mock_proxy[0].id } : {},
  )

  # Path parameters each route requires (validated by the "parameters" validator).
  route_parameters = {
    webhook  = {}
    callback = {}
    status   = { "method.request.path.issueKey" = true }
    mock     = { "method.request.path.proxy" = true }
  }
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Jira request workflow: webhook, approval callback, request status"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true # a replaced API is live before the old one goes
  }
}

################################################################################
# Resources (paths)
################################################################################

resource "aws_api_gateway_resource" "jira" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "jira"
}

resource "aws_api_gateway_resource" "jira_webhook" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.jira.id
  path_part   = "webhook"
}

resource "aws_api_gateway_resource" "jira_callback" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.jira.id
  path_part   = "callback"
}

resource "aws_api_gateway_resource" "requests" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "requests"
}

resource "aws_api_gateway_resource" "request" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.requests.id
  path_part   = "{issueKey}"
}

resource "aws_api_gateway_resource" "mock" {
  count = var.enable_mock_apis ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "mock"
}

resource "aws_api_gateway_resource" "mock_proxy" {
  count = var.enable_mock_apis ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.mock[0].id
  path_part   = "{proxy+}"
}

################################################################################
# Request validation: POST bodies must be JSON objects, GET paths must carry their key.
# Field-level validation stays in the handlers' pydantic models (one source of truth).
################################################################################

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "json-body"
  validate_request_body       = true
  validate_request_parameters = false
}

resource "aws_api_gateway_request_validator" "parameters" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "path-parameters"
  validate_request_body       = false
  validate_request_parameters = true
}

resource "aws_api_gateway_model" "json_object" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "JsonObject"
  description  = "Any JSON object; the handler validates the fields."
  content_type = "application/json"
  schema = jsonencode({
    "$schema" = "http://json-schema.org/draft-04/schema#"
    title     = "JsonObject"
    type      = "object"
  })
}

################################################################################
# Methods, Lambda proxy integrations, invoke permissions
################################################################################

resource "aws_api_gateway_method" "this" {
  for_each = local.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = local.resource_ids[each.value.resource]
  http_method          = each.value.method
  authorization        = "NONE"
  api_key_required     = each.value.api_key
  request_validator_id = each.value.validator == "body" ? aws_api_gateway_request_validator.body.id : aws_api_gateway_request_validator.parameters.id
  request_models       = each.value.validator == "body" ? { "application/json" = aws_api_gateway_model.json_object.name } : null
  request_parameters   = local.route_parameters[each.key]
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = local.resource_ids[each.value.resource]
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST" # Lambda is always invoked with POST
  uri                     = var.function_invoke_arns[each.value.function]
}

resource "aws_lambda_permission" "api" {
  for_each = local.routes

  statement_id  = "AllowApiGateway-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_names[each.value.function]
  principal     = "apigateway.amazonaws.com"
  # Only this API's stage, method and path may invoke the function.
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/${each.value.method == "ANY" ? "*" : each.value.method}/${replace(each.value.path, "/\\{[^}]+\\}/", "*")}"
}

################################################################################
# Deployment and stage
################################################################################

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Routes: ${join(", ", sort(keys(local.routes)))}"

  # Redeploy whenever anything that shapes the API changes.
  triggers = {
    redeployment = sha1(jsonencode([
      local.routes,
      local.resource_ids,
      [for m in aws_api_gateway_method.this : [m.id, m.api_key_required, m.request_validator_id, m.request_models]],
      [for i in aws_api_gateway_integration.this : [i.id, i.uri]],
      aws_api_gateway_model.json_object.schema,
    ]))
  }

  lifecycle {
    create_before_destroy = true # the stage never points at a deleted deployment
  }

  depends_on = [aws_api_gateway_integration.this]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# API Gateway writes execution logs to this fixed name and creates the group itself if it is
# missing: never expiring and unencrypted. Created here first, with our retention and key.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120: Responses are per request (webhook/callback POSTs, live request status) and must never be served from a cache.
  # checkov:skip=CKV2_AWS_51: Callers are Jira Cloud and internal tools over public TLS; Jira cannot present client certificates. Access is API key + HMAC.
  # checkov:skip=CKV2_AWS_77: The web ACL is supplied by var.waf_acl_arn and managed with its rule sets (Log4j/known-bad-inputs included) where it is defined.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = var.enable_xray

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    # No headers or query strings: the API key and signatures never reach the logs.
    format = jsonencode({
      requestId         = "$context.requestId"
      extendedRequestId = "$context.extendedRequestId"
      ip                = "$context.identity.sourceIp"
      requestTime       = "$context.requestTime"
      httpMethod        = "$context.httpMethod"
      resourcePath      = "$context.resourcePath"
      status            = "$context.status"
      protocol          = "$context.protocol"
      responseLength    = "$context.responseLength"
      latencyMs         = "$context.responseLatency"
      integrationStatus = "$context.integration.status"
      integrationError  = "$context.integrationErrorMessage"
      apiKeyId          = "$context.identity.apiKeyId"
      xrayTraceId       = "$context.xrayTraceId"
    })
  }
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225: Caching is off on purpose: webhook/callback are POSTs with side effects and request status must be live.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"
  depends_on  = [aws_cloudwatch_log_group.execution] # before the first execution log line

  settings {
    metrics_enabled        = true
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false # full request logging would write webhook bodies and tokens
    throttling_rate_limit  = var.throttling.rate_limit
    throttling_burst_limit = var.throttling.burst_limit
    caching_enabled        = false
  }
}

################################################################################
# API keys and usage plans: one to decide (POST /jira/callback), one to read
# (GET /requests/{issueKey}). API Gateway lets any key of a plan on this stage through to
# either method; it hands the function the key's id, and the callback refuses every id but
# the decide key's (output decision_api_keys, the callback's DECISION_KEY_IDS).
################################################################################

locals {
  api_callers = {
    decide = "Jira Automation and operators deciding approvals (POST /jira/callback); may also read"
    read   = "Tools and dashboards reading request status (GET /requests/{issueKey}); the callback refuses it"
  }
}

resource "aws_api_gateway_usage_plan" "caller" {
  for_each = local.api_callers

  name        = "${var.name}-${each.key}"
  description = each.value

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.throttling.rate_limit
    burst_limit = var.throttling.burst_limit
  }

  dynamic "quota_settings" {
    for_each = var.quota_per_day == null ? [] : [var.quota_per_day]
    content {
      limit  = quota_settings.value
      period = "DAY"
    }
  }
}

# Key values are generated by API Gateway; read them with the commands in the root outputs.
# The key's name is what the workflow records as the deciding caller.
resource "aws_api_gateway_api_key" "caller" {
  for_each = local.api_callers

  name        = "${var.name}-${each.key}"
  description = each.value
  enabled     = true
}

resource "aws_api_gateway_usage_plan_key" "caller" {
  for_each = local.api_callers

  key_id        = aws_api_gateway_api_key.caller[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.caller[each.key].id
}

# The single key and plan of earlier versions are the decide key and plan: its value stays.
moved {
  from = aws_api_gateway_api_key.this
  to   = aws_api_gateway_api_key.caller["decide"]
}

moved {
  from = aws_api_gateway_usage_plan.this
  to   = aws_api_gateway_usage_plan.caller["decide"]
}

moved {
  from = aws_api_gateway_usage_plan_key.this
  to   = aws_api_gateway_usage_plan_key.caller["decide"]
}

################################################################################
# Optional: WAF and custom domain
################################################################################

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf_acl_arn == null ? 0 : 1

  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.waf_acl_arn
}

resource "aws_api_gateway_domain_name" "this" {
  count = var.custom_domain == null ? 0 : 1

  domain_name              = var.custom_domain.domain_name
  regional_certificate_arn = var.custom_domain.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count = var.custom_domain == null ? 0 : 1

  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
  base_path   = var.custom_domain.base_path
}

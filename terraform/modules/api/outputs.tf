output "rest_api_id" {
  description = "ID of the REST API (depends on nothing else, so functions may use it in URLs)."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "Name of the REST API (the ApiName dimension of its metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN of the REST API."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the stage."
  value       = aws_api_gateway_stage.this.arn
}

output "invoke_url" {
  description = "Base URL of the stage, without a trailing slash."
  value       = trimsuffix(aws_api_gateway_stage.this.invoke_url, "/")
}

output "api_key_id" {
  description = "ID of the decide key: POST /jira/callback (and GET /requests)."
  value       = aws_api_gateway_api_key.caller["decide"].id
}

output "read_api_key_id" {
  description = "ID of the read key: GET /requests/{issueKey} only (the callback answers 403)."
  value       = aws_api_gateway_api_key.caller["read"].id
}

output "decision_api_keys" {
  description = "Keys that may decide, as the callback reads them (DECISION_KEY_IDS): id=name."
  value       = "${aws_api_gateway_api_key.caller["decide"].id}=${aws_api_gateway_api_key.caller["decide"].name}"
}

output "usage_plan_ids" {
  description = "ID of each caller's usage plan: decide, read."
  value       = { for key, plan in aws_api_gateway_usage_plan.caller : key => plan.id }
}

output "access_log_group_name" {
  description = "Access log group of the stage."
  value       = aws_cloudwatch_log_group.access.name
}

output "routes" {
  description = "Routes as deployed: METHOD path => whether an API key is required."
  value       = { for key, route in local.routes : "${route.method} /${route.path}" => aws_api_gateway_method.this[key].api_key_required }
}

output "stage_settings" {
  description = "Throttling, tracing, logging and WAF of the stage."
  value = {
    rate_limit           = aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit
    burst_limit          = aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit
    logging_level        = aws_api_gateway_method_settings.all.settings[0].logging_level
    data_trace_enabled   = aws_api_gateway_method_settings.all.settings[0].data_trace_enabled
    xray_tracing_enabled = aws_api_gateway_stage.this.xray_tracing_enabled
    access_log_group_kms = aws_cloudwatch_log_group.access.kms_key_id
    log_retention_days = [
      aws_cloudwatch_log_group.access.retention_in_days,
      aws_cloudwatch_log_group.execution.retention_in_days,
    ]
    execution_log_group_kms = aws_cloudwatch_log_group.execution.kms_key_id
    waf_associated          = length(aws_wafv2_web_acl_association.this) > 0
  }
}

output "custom_domain_target" {
  description = "DNS target (regional domain name and hosted zone id) for the custom domain's alias record, or null."
  value = var.custom_domain == null ? null : {
    regional_domain_name = aws_api_gateway_domain_name.this[0].regional_domain_name
    regional_zone_id     = aws_api_gateway_domain_name.this[0].regional_zone_id
  }
}

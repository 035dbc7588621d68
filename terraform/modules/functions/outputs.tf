output "function_names" {
  description = "Function names by key (webhook, callback, ...)."
  value       = { for key, fn in aws_lambda_function.this : key => fn.function_name }
}

output "function_arns" {
  description = "Function ARNs by key."
  value       = { for key, fn in aws_lambda_function.this : key => fn.arn }
}

output "invoke_arns" {
  description = "Invoke ARNs by key, for API Gateway integrations."
  value       = { for key, fn in aws_lambda_function.this : key => fn.invoke_arn }
}

output "role_arns" {
  description = "Execution role ARN of each function."
  value       = { for key, role in aws_iam_role.this : key => role.arn }
}

output "role_policy_statements" {
  description = "What each function's role may do: statements (sid, actions, resources, conditions), for review and the policy tests."
  value = {
    for key, doc in data.aws_iam_policy_document.this : key => [
      for s in doc.statement : {
        sid        = s.sid
        actions    = sort(tolist(s.actions))
        resources  = sort(tolist(s.resources))
        conditions = [for c in coalesce(s.condition, []) : { test = c.test, variable = c.variable, values = sort(tolist(c.values)) }]
      }
    ]
  }
}

output "log_group_names" {
  description = "Log group of each function."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.name }
}

output "package_s3_key" {
  description = "S3 key of the uploaded code package."
  value       = aws_s3_object.package.key
}

output "mock_package_s3_key" {
  description = "S3 key of the uploaded dev-only mock package; null when none is deployed."
  value       = one(aws_s3_object.mock_package[*].key)
}

output "function_s3_keys" {
  description = "S3 key of the package each function runs from, by key."
  value       = { for key, fn in aws_lambda_function.this : key => fn.s3_key }
}

output "runtime_settings" {
  description = "Per function: runtime, architecture, timeout, tracing, reserved concurrency, log retention and KMS keys in use."
  value = {
    for key, fn in aws_lambda_function.this : key => {
      runtime              = fn.runtime
      architecture         = one(fn.architectures)
      timeout_seconds      = fn.timeout
      tracing_mode         = fn.tracing_config[0].mode
      reserved_concurrency = fn.reserved_concurrent_executions
      log_retention_days   = aws_cloudwatch_log_group.this[key].retention_in_days
      environment_kms_key  = fn.kms_key_arn
      log_group_kms_key    = aws_cloudwatch_log_group.this[key].kms_key_id
      in_vpc               = length(fn.vpc_config) > 0
      subnet_ids           = toset(flatten(fn.vpc_config[*].subnet_ids))
      security_group_ids   = toset(flatten(fn.vpc_config[*].security_group_ids))
      layers               = fn.layers
      environment          = fn.environment[0].variables
      insights_policy      = contains(keys(aws_iam_role_policy_attachment.insights), key)
    }
  }
}

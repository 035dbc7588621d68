################################################################################
# What a person needs after `terraform apply`
################################################################################

output "api_url" {
  description = "Base URL of the API stage (custom domain aside)."
  value       = module.api.invoke_url
}

output "webhook_url" {
  description = "URL to register as the Jira webhook (POST, no API key; HMAC secret in the jira-webhook secret)."
  value       = "${module.api.invoke_url}/jira/webhook"
}

output "callback_url" {
  description = "URL for approval decisions (POST with the decide key in the x-api-key header)."
  value       = "${module.api.invoke_url}/jira/callback"
}

output "status_url_template" {
  description = "Request status URL; replace {issueKey} (GET with the read or decide key in x-api-key)."
  value       = "${module.api.invoke_url}/requests/{issueKey}"
}

output "api_key_id" {
  description = "ID of the decide key, for /jira/callback (and /requests); the value is not in state outputs."
  value       = module.api.api_key_id
}

output "api_key_value_command" {
  description = "Command that prints the decide key's value (give it to Jira Automation only)."
  value       = "aws apigateway get-api-key --region ${local.region} --api-key ${module.api.api_key_id} --include-value --query value --output text"
}

output "read_api_key_id" {
  description = "ID of the read key, for GET /requests/{issueKey} only: the callback refuses it (403)."
  value       = module.api.read_api_key_id
}

output "read_api_key_value_command" {
  description = "Command that prints the read key's value (for tools and dashboards)."
  value       = "aws apigateway get-api-key --region ${local.region} --api-key ${module.api.read_api_key_id} --include-value --query value --output text"
}

output "custom_domain_target" {
  description = "With a custom domain: the regional domain name and zone id for its DNS alias record."
  value       = module.api.custom_domain_target
}

output "state_machine_arn" {
  description = "ARN of the request workflow state machine."
  value       = module.workflow.state_machine_arn
}

output "requests_table_name" {
  description = "DynamoDB requests table (REQUESTS_TABLE)."
  value       = module.storage.requests_table_name
}

output "artifacts_bucket_name" {
  description = "S3 artifacts bucket (ARTIFACTS_BUCKET); also holds the code packages under lambda/."
  value       = module.storage.artifacts_bucket_name
}

output "secret_arns" {
  description = "Secret ARNs by name; set the values out of band (see secret_put_value_commands)."
  value       = module.secrets.secret_arns
}

output "secret_put_value_commands" {
  description = "Commands to set each secret's value (reads the JSON from a file, never the shell history)."
  value = {
    for name, secret in module.secrets.secret_names :
    name => "aws secretsmanager put-secret-value --region ${local.region} --secret-id ${secret} --secret-string file://${name}.json"
  }
}

output "kms_key_arn" {
  description = "Customer-managed KMS key encrypting this deployment."
  value       = module.kms.key_arn
}

output "finaliser_dead_letter_queue_url" {
  description = "Queue of execution status events the finaliser could not handle (docs/runbooks/redrive.md)."
  value       = module.execution_events.dead_letter_queue_url
}

output "alerts_topic_arn" {
  description = "SNS topic all alarms notify; subscribe on-call to it."
  value       = module.monitoring.alerts_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the workflow."
  value       = module.monitoring.dashboard_name
}

output "function_names" {
  description = "Lambda function names by key (docs/design.md)."
  value       = module.functions.function_names
}

output "asl_substitutions" {
  description = "The values the ASL placeholders were rendered with (the local emulator uses the same keys)."
  value       = local.asl_substitutions
}

output "lambda_environment" {
  description = "Environment variables the functions run with (names and ARNs only, no secret values)."
  value       = local.common_environment
}

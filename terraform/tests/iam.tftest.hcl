# Least privilege, asserted on the statements every role is built from.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment          = "dev"
  jira_base_url        = "https://acme.atlassian.net"
  trigger_project_keys = ["OPS"]
  trigger_issue_types  = ["Service Request"]
  enable_mock_apis     = true
  lambda_package_path  = "tests/fixtures/lambda-fixture.zip"
  mock_package_path    = "tests/fixtures/mock-fixture.zip"
}

run "least_privilege" {
  command = apply

  # No wildcard actions: neither "*" nor "<service>:*" in any role or the key policy.
  assert {
    condition = alltrue(flatten([
      [for statements in values(module.functions.role_policy_statements) : [for s in statements : [for a in s.actions : a != "*" && !endswith(a, ":*")]]],
      [for s in module.workflow.role_policy_statements : [for a in s.actions : a != "*" && !endswith(a, ":*")]],
      [for s in module.kms.key_policy_statements : [for a in s.actions : a != "*" && !endswith(a, ":*")]],
    ]))
    error_message = "An IAM statement grants a wildcard action."
  }

  # Resource "*" only where AWS offers no resource-level permission (commented at each use).
  assert {
    condition = alltrue(flatten([
      for statements in concat(values(module.functions.role_policy_statements), [module.workflow.role_policy_statements]) : [
        for s in statements : contains(s.resources, "*") ? alltrue([
          for a in s.actions : contains([
            "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat",
            "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
            "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
            "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
          ], a)
        ]) : true
      ]
    ]))
    error_message = "A statement uses Resource \"*\" for an action that supports resource-level permissions."
  }

  # Only the functions that answer approvals may send task results (request_approval: a
  # retried attempt completes its own new token with a decision already recorded).
  assert {
    condition = toset([
      for key, statements in module.functions.role_policy_statements : key
      if anytrue([for s in statements : contains(s.actions, "states:SendTaskSuccess")])
    ]) == toset(["callback", "reconciler", "request_approval", "webhook"])
    error_message = "Only webhook, callback, reconciler and request_approval may answer task tokens."
  }

  # Only the webhook and the reconciler start executions, and only of this state machine.
  assert {
    condition = toset([
      for key, statements in module.functions.role_policy_statements : key
      if anytrue([for s in statements : contains(s.actions, "states:StartExecution")])
    ]) == toset(["reconciler", "webhook"])
    error_message = "Only webhook and reconciler may start executions."
  }

  # The status function reads; it never writes.
  assert {
    condition = alltrue(flatten([
      for s in module.functions.role_policy_statements["status"] : [
        for a in s.actions : !contains(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "s3:PutObject"], a)
      ]
    ]))
    error_message = "The status function must be read-only."
  }

  # Secrets: only Jira callers read the Jira secret, only enrich/fulfil the external one,
  # only the webhook the HMAC secret; no function reads a secret it does not use.
  assert {
    condition = toset([
      for key, statements in module.functions.role_policy_statements : key
      if anytrue([for s in statements : contains(s.resources, module.secrets.secret_arns["external-api"])])
    ]) == toset(["enrich_request", "fulfil_request"])
    error_message = "Only enrich_request and fulfil_request may read the external API secret."
  }
  assert {
    condition = toset([
      for key, statements in module.functions.role_policy_statements : key
      if anytrue([for s in statements : contains(s.resources, module.secrets.secret_arns["jira-webhook"])])
    ]) == toset(["webhook"])
    error_message = "Only the webhook may read the webhook HMAC secret."
  }

  # The mock external API touches nothing but its own logs (and the key for its env).
  assert {
    condition     = toset([for s in module.functions.role_policy_statements["mock_external_api"] : s.sid]) == toset(["WriteOwnLogGroup", "DecryptWithDeploymentKey", "SendTraces"])
    error_message = "The mock function must have no data or secret permissions."
  }
}

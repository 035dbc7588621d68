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
    ]) == toset(["callback", "complete_decision", "reconciler", "request_approval"])
    error_message = "Only callback, complete_decision, reconciler and request_approval may answer task tokens."
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

  # Each role is its declaration and no more: beyond logs, key and traces, exactly the
  # statements of terraform/permissions/<function>.json (whose actions the unit tests
  # compare with the calls the function's code makes).
  assert {
    condition = alltrue([
      for key, statements in module.functions.role_policy_statements : toset([
        for s in statements : s.sid if !contains(["WriteOwnLogGroup", "DecryptWithDeploymentKey", "SendTraces"], s.sid)
      ]) == toset([for s in local.permissions[key].statements : s.sid])
    ])
    error_message = "A role holds a statement its declaration does not."
  }
  assert {
    condition = alltrue(flatten([
      for key, statements in module.functions.role_policy_statements : [
        for s in statements : [
          for declared in local.permissions[key].statements : toset(s.actions) == toset(declared.actions) if declared.sid == s.sid
        ]
      ]
    ]))
    error_message = "A role's statement grants other actions than its declaration."
  }

  # Task tokens (pk TOKEN#<issue>) are apart from the records: every statement on the table
  # carries a leading-key condition, and only the functions that store or answer tokens
  # have the one that reaches them.
  assert {
    condition = alltrue(flatten([
      for statements in values(module.functions.role_policy_statements) : [
        for s in statements : length(s.conditions) == 1 && s.conditions[0].variable == "dynamodb:LeadingKeys" && join(",", s.conditions[0].values) == "TOKEN#*"
        if contains(s.resources, module.storage.requests_table_arn)
      ]
    ]))
    error_message = "A statement on the requests table lacks its TOKEN#* leading-key condition."
  }
  assert {
    condition = toset([
      for key, statements in module.functions.role_policy_statements : key
      if anytrue([for s in statements : anytrue([for c in s.conditions : c.test == "ForAllValues:StringLike"])])
    ]) == toset(["callback", "complete_decision", "finalise_execution", "reconciler", "request_approval"])
    error_message = "Only request_approval (stores), callback, complete_decision and reconciler (answer) and the finaliser (deletes an ended execution's) may reach task tokens; never the webhook or status."
  }

  # The webhook records decisions but never reads tokens: it asks complete_decision, and
  # may invoke nothing else (its ARN is built from the name, as the function is named).
  assert {
    condition = toset(flatten([
      for key, statements in module.functions.role_policy_statements : [
        for s in statements : [for r in s.resources : "${key} ${r}"] if contains(s.actions, "lambda:InvokeFunction")
      ]
    ])) == toset(["webhook arn:aws:lambda:eu-west-1:123456789012:function:${module.functions.function_names["complete_decision"]}"])
    error_message = "Only the webhook may invoke a function, and only complete_decision."
  }

  assert {
    condition = alltrue([
      for s in module.functions.role_policy_statements["finalise_execution"] :
      s.sid != "SendUnhandledEventsToDeadLetterQueue" || (
        length(s.resources) == 1 && s.resources[0] == "arn:aws:sqs:eu-west-1:123456789012:${module.execution_events.dead_letter_queue_name}"
      )
    ])
    error_message = "The finaliser may send only to its own dead-letter queue."
  }

  # The mock external API touches nothing but its own logs (and the key for its env).
  assert {
    condition     = toset([for s in module.functions.role_policy_statements["mock_external_api"] : s.sid]) == toset(["WriteOwnLogGroup", "DecryptWithDeploymentKey", "SendTraces"])
    error_message = "The mock function must have no data or secret permissions."
  }
}

# Deciding and reading are separate callers: two keys in two usage plans, and the callback
# is told only the decide key's id (it refuses every other key with 403).
run "decide_and_read_keys" {
  command = apply

  assert {
    condition     = length(distinct(values(module.api.usage_plan_ids))) == 2 && module.api.api_key_id != module.api.read_api_key_id
    error_message = "The decide and read keys must be separate keys in separate usage plans."
  }
  assert {
    condition     = local.function_environment["callback"].DECISION_KEY_IDS == "${module.api.api_key_id}=${local.name_prefix}-decide"
    error_message = "The callback must accept exactly the decide key, recorded by its name."
  }
  assert {
    condition     = !strcontains(local.function_environment["callback"].DECISION_KEY_IDS, module.api.read_api_key_id)
    error_message = "The read key must never be allowed to decide."
  }
}

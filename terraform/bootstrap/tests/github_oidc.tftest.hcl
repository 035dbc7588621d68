# The delivery pipeline's OIDC roles: trust bound to this repository (and, for the deploy
# role, to its GitHub environment), audience sts.amazonaws.com, and never "*" on "*".

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::jira-workflow-tfstate-prod"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mock-role"
    }
  }
}

variables {
  environment       = "prod"
  github_repository = "acme/jira-workflow"
}

run "deploy_role_trusts_only_this_repository_and_environment" {
  command = plan

  assert {
    condition = length(data.aws_iam_policy_document.github_trust["deploy"].statement) == 1 && alltrue([
      for s in data.aws_iam_policy_document.github_trust["deploy"].statement :
      toset(s.actions) == toset(["sts:AssumeRoleWithWebIdentity"]) && s.effect == "Allow" &&
      jsonencode([for p in s.principals : [p.type, sort(p.identifiers)]]) == jsonencode([["Federated", ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]]])
    ])
    error_message = "The deploy role must be assumable only with a web identity token from the GitHub OIDC provider."
  }

  assert {
    condition = jsonencode({
      for c in data.aws_iam_policy_document.github_trust["deploy"].statement[0].condition : c.variable => [c.test, sort(c.values)]
      }) == jsonencode({
      "token.actions.githubusercontent.com:aud" = ["StringEquals", ["sts.amazonaws.com"]]
      "token.actions.githubusercontent.com:sub" = ["StringEquals", ["repo:acme/jira-workflow:environment:prod"]]
    })
    error_message = "The deploy role must trust only repo:acme/jira-workflow:environment:prod (StringEquals on sub) with audience sts.amazonaws.com."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.github_trust["plan"].statement : [
        for c in s.condition : c.values if c.variable == "token.actions.githubusercontent.com:sub" && c.test == "StringEquals"
      ]
    ])) == toset(["repo:acme/jira-workflow:pull_request", "repo:acme/jira-workflow:ref:refs/heads/main"])
    error_message = "The plan role must trust only this repository's pull requests and main."
  }

  assert {
    condition = alltrue(flatten([
      for key in ["deploy", "plan"] : [
        for s in data.aws_iam_policy_document.github_trust[key].statement : anytrue([
          for c in s.condition : c.test == "StringEquals" && c.variable == "token.actions.githubusercontent.com:aud" && toset(c.values) == toset(["sts.amazonaws.com"])
        ])
      ]
    ]))
    error_message = "Every GitHub trust statement must require audience sts.amazonaws.com."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 1 && one(aws_iam_openid_connect_provider.github[*].url) == "https://token.actions.githubusercontent.com"
    error_message = "The GitHub OIDC provider must be created by default."
  }
}

run "no_statement_grants_every_action_on_every_resource" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for key in ["deploy", "plan"] : [
        for s in data.aws_iam_policy_document.github_permissions[key].statement :
        !(contains(tolist(s.actions), "*") && contains(tolist(s.resources), "*"))
      ]
    ]))
    error_message = "A GitHub role statement grants Action \"*\" on Resource \"*\"."
  }

  # Nor a whole service on every resource: "<service>:*" only on the stack's own ARNs.
  assert {
    condition = alltrue(flatten([
      for key in ["deploy", "plan"] : [
        for s in data.aws_iam_policy_document.github_permissions[key].statement : [
          for a in s.actions : !(contains(tolist(s.resources), "*") && (a == "*" || endswith(a, ":*")))
        ]
      ]
    ]))
    error_message = "A GitHub role statement grants a whole service on Resource \"*\"."
  }

  # State: only this workspace's objects under env:/prod/.
  assert {
    condition = alltrue([
      for key in ["deploy", "plan"] : alltrue([
        for s in data.aws_iam_policy_document.github_permissions[key].statement : alltrue([
          for r in s.resources : startswith(r, "arn:aws:s3:::jira-workflow-tfstate-prod/env:/prod/") if startswith(r, "arn:aws:s3:::jira-workflow-tfstate-prod/")
        ])
      ])
    ])
    error_message = "A GitHub role reaches state objects outside env:/prod/."
  }

  # The plan role writes nothing but the state lock.
  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.github_permissions["plan"].statement : [
        for a in s.actions : alltrue([for r in s.resources : endswith(r, ".tflock")]) || can(regex("^[a-z0-9-]+:(Get|List|Describe|View)|^apigateway:GET$|^kms:(Decrypt|Encrypt|GenerateDataKey|DescribeKey)$", a))
      ]
    ]))
    error_message = "The plan role must be read-only (besides the state lock)."
  }

  # Neither role can rewrite itself: IAM writes are bounded by the stack's name prefix.
  assert {
    condition = alltrue([
      for role in values(aws_iam_role.github) : !startswith(role.name, "jira-workflow-prod-")
    ])
    error_message = "A GitHub role's name falls inside the prefix its own IAM permissions cover."
  }
}

run "an_existing_oidc_provider_is_reused" {
  command = plan

  variables {
    create_github_oidc_provider = false
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && length(data.aws_iam_openid_connect_provider.github) == 1
    error_message = "With create_github_oidc_provider = false the existing provider is looked up, not created."
  }

  assert {
    condition     = output.github_oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "The roles must trust the reused provider."
  }
}

run "without_a_repository_nothing_is_created" {
  command = plan

  variables {
    github_repository = null
  }

  assert {
    condition     = length(aws_iam_role.github) == 0 && length(aws_iam_openid_connect_provider.github) == 0
    error_message = "No GitHub repository, no OIDC provider and no roles."
  }
}

run "repository_must_be_owner_slash_name" {
  command = plan

  variables {
    github_repository = "jira-workflow"
  }

  expect_failures = [var.github_repository]
}

run "names_carry_the_environment_so_two_environments_share_an_account" {
  command = plan

  variables {
    github_repository = null
  }

  assert {
    condition     = aws_kms_alias.state.name == "alias/jira-workflow-tfstate-prod"
    error_message = "The state key's alias must name the environment (two bootstraps in one account collide otherwise)."
  }
  assert {
    condition     = aws_iam_role.api_gateway_logs[0].name == "jira-workflow-apigateway-cloudwatch-prod"
    error_message = "The API Gateway logging role must name the environment."
  }
}

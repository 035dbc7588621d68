# The functions' network as prod builds it (enable_vpc, no subnets of one's own), checked on
# the resources: where the functions sit, what their security group lets through, where
# the private subnets' traffic leaves, and which endpoints exist.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment          = "staging"
  jira_base_url        = "https://acme.atlassian.net"
  trigger_project_keys = ["OPS"]
  trigger_issue_types  = ["Service Request"]
  enrich_api_url       = "https://enrichment.example.com/v1/enrich"
  fulfil_api_url       = "https://fulfilment.example.com/v1/fulfil"
  lambda_package_path  = "tests/fixtures/lambda-fixture.zip"
  enable_vpc           = true
  jira_approver_group  = "request-approvers" # staging's guard requires one
}

run "functions_sit_in_private_subnets" {
  command = apply # against the mock provider: ids become known

  assert {
    condition = alltrue([
      for s in values(module.functions.runtime_settings) :
      s.in_vpc && s.subnet_ids == toset(module.network[0].private_subnet_ids)
    ])
    error_message = "Every function runs in exactly the network's private subnets."
  }
  assert {
    condition = alltrue([
      for s in values(module.functions.runtime_settings) :
      length(setintersection(s.subnet_ids, toset(module.network[0].public_subnet_ids))) == 0
    ])
    error_message = "No function sits in a public (internet gateway routed) subnet."
  }
  assert {
    condition = alltrue([
      for s in values(module.functions.runtime_settings) :
      s.security_group_ids == toset([module.network[0].function_security_group_id])
    ])
    error_message = "Every function uses the network's function security group, and only it."
  }
  assert {
    condition     = length(module.network[0].private_subnet_ids) >= 2
    error_message = "The functions have private subnets in at least two availability zones."
  }
}

run "security_group_accepts_nothing_and_sends_https_only" {
  command = apply

  assert {
    condition     = length(module.network[0].function_security_group_rules.ingress) == 0
    error_message = "The functions' security group has no ingress rule."
  }
  assert {
    condition     = length(module.network[0].function_security_group_rules.egress) > 0
    error_message = "The functions' security group lets HTTPS out."
  }
  assert {
    condition = alltrue([
      for rule in module.network[0].function_security_group_rules.egress :
      rule.from_port == 443 && rule.to_port == 443 && rule.protocol == "tcp"
    ])
    error_message = "The functions' security group allows egress on TCP 443 only."
  }
}

run "private_subnets_leave_through_nat_only" {
  command = apply

  assert {
    condition = alltrue([
      for route in values(module.network[0].private_routes) :
      contains(keys(module.network[0].nat_gateways), route.nat_gateway_id)
    ])
    error_message = "Each private route table sends 0.0.0.0/0 to one of the NAT gateways."
  }
  assert {
    condition     = toset(flatten([for route in values(module.network[0].private_routes) : route.subnet_ids])) == toset(module.network[0].private_subnet_ids)
    error_message = "Every private subnet is associated with a private (NAT-routed) route table."
  }
  assert {
    condition = alltrue([
      for subnet in values(module.network[0].nat_gateways) : contains(module.network[0].public_subnet_ids, subnet)
    ])
    error_message = "The NAT gateways sit in the public subnets."
  }
  assert {
    condition     = length(module.network[0].nat_gateways) == length(module.network[0].private_subnet_ids)
    error_message = "One NAT gateway per zone by default: a zone's outage leaves the others online."
  }
}

run "one_shared_nat_when_asked" {
  command = apply
  variables {
    network = { nat_gateway_per_zone = false }
  }

  assert {
    condition     = length(module.network[0].nat_gateways) == 1 && length(toset([for route in values(module.network[0].private_routes) : route.nat_gateway_id])) == 1
    error_message = "nat_gateway_per_zone = false routes every zone through one NAT gateway."
  }
}

run "endpoints_keep_aws_traffic_off_the_nat" {
  command = apply

  assert {
    condition = alltrue([
      for service in ["s3", "dynamodb"] :
      module.network[0].endpoints[service].type == "Gateway" &&
      module.network[0].endpoints[service].route_table_ids == toset(module.network[0].private_route_table_ids)
    ])
    error_message = "S3 and DynamoDB have gateway endpoints on every private route table."
  }
  assert {
    condition = alltrue([
      for service in ["secretsmanager", "states"] :
      module.network[0].endpoints[service].type == "Interface" &&
      module.network[0].endpoints[service].subnet_ids == toset(module.network[0].private_subnet_ids)
    ])
    error_message = "Secrets Manager and Step Functions have interface endpoints in the private subnets."
  }
  assert {
    condition     = module.network[0].flow_log.traffic_type == "ALL" && module.network[0].flow_log.kms_key_id == module.kms.key_arn
    error_message = "Flow logs record all traffic into a log group on the deployment's key."
  }
}

run "no_network_without_enable_vpc" {
  command = apply
  variables {
    enable_vpc = false
  }

  assert {
    condition     = length(module.network) == 0 && alltrue([for s in values(module.functions.runtime_settings) : !s.in_vpc])
    error_message = "enable_vpc = false builds no network and places no function in a VPC."
  }
}

# The functions' network: private subnets (one per zone) whose only way out is a NAT gateway
# in a public subnet, gateway endpoints for S3 and DynamoDB on the private route tables,
# interface endpoints for the AWS APIs listed in var.interface_endpoints, one security group
# for the functions (no ingress, egress 443), and flow logs.

data "aws_region" "current" {}

# Pinned to the region's zones a-d: a zone AWS adds later never moves the subnets.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "zone-name"
    values = [for suffix in ["a", "b", "c", "d"] : "${data.aws_region.current.name}${suffix}"]
  }
}

locals {
  zones     = slice(data.aws_availability_zones.available.names, 0, var.availability_zone_count)
  nat_count = var.nat_gateway_per_zone ? var.availability_zone_count : 1
  # 16 equal slices of the VPC range: private subnets take 0-3, public ones 8-11.
  subnet_bits = 4
  service     = "com.amazonaws.${data.aws_region.current.name}"
}

################################################################################
# VPC; its default security group is emptied so nothing lands in an open one by accident
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true # interface endpoints answer under the services' own names
  enable_dns_hostnames = true

  tags = { Name = var.name_prefix }
}

resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-default-unused" }
}

################################################################################
# Subnets: private ones for the functions, public ones for the NAT gateways only
################################################################################

resource "aws_subnet" "private" {
  count = var.availability_zone_count

  vpc_id            = aws_vpc.this.id
  availability_zone = local.zones[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, local.subnet_bits, count.index)

  tags = { Name = "${var.name_prefix}-private-${local.zones[count.index]}", Tier = "private" }
}

resource "aws_subnet" "public" {
  count = var.availability_zone_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.zones[count.index]
  cidr_block              = cidrsubnet(var.cidr_block, local.subnet_bits, 8 + count.index)
  map_public_ip_on_launch = false # only the NAT gateways live here, with their own EIPs

  tags = { Name = "${var.name_prefix}-public-${local.zones[count.index]}", Tier = "public" }
}

################################################################################
# Internet gateway and NAT: the public route table is the only one with a route to the IGW
################################################################################

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = var.name_prefix }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-public" }
}

resource "aws_route" "public_default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = var.availability_zone_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"
  tags   = { Name = "${var.name_prefix}-nat-${local.zones[count.index]}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = { Name = "${var.name_prefix}-${local.zones[count.index]}" }

  depends_on = [aws_internet_gateway.this]
}

# One private route table per zone, so each zone leaves through its own NAT when there is one.
resource "aws_route_table" "private" {
  count = var.availability_zone_count

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-private-${local.zones[count.index]}" }
}

resource "aws_route" "private_default" {
  count = var.availability_zone_count

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[min(count.index, local.nat_count - 1)].id
}

resource "aws_route_table_association" "private" {
  count = var.availability_zone_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

################################################################################
# Security groups: the functions call out on 443 only and accept nothing
################################################################################

resource "aws_security_group" "functions" {
  # checkov:skip=CKV2_AWS_5: Attached to every function through module.functions' vpc_config (the root passes function_security_group_id); checkov does not follow module outputs.
  name        = "${var.name_prefix}-functions"
  description = "Lambda functions: no ingress; egress HTTPS to AWS APIs, Jira and the external APIs"
  vpc_id      = aws_vpc.this.id

  ingress = [] # authoritative: a rule added by hand is removed on the next apply

  egress {
    description = "HTTPS out: Jira and the external APIs via NAT, AWS APIs via endpoints"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = { Name = "${var.name_prefix}-functions" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-endpoints"
  description = "Interface endpoints: HTTPS in from the functions only"
  vpc_id      = aws_vpc.this.id

  ingress {
    description     = "HTTPS from the functions"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    security_groups = [aws_security_group.functions.id]
  }

  egress = [] # endpoints answer; they never open connections

  tags = { Name = "${var.name_prefix}-endpoints" }
}

################################################################################
# VPC endpoints
################################################################################

# Gateway endpoints are free: S3 and DynamoDB traffic skips the NAT (and its per-GB charge).
resource "aws_vpc_endpoint" "gateway" {
  for_each = toset(["s3", "dynamodb"])

  vpc_id            = aws_vpc.this.id
  service_name      = "${local.service}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = { Name = "${var.name_prefix}-${each.key}" }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoints)

  vpc_id              = aws_vpc.this.id
  service_name        = "${local.service}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true # the SDK's default endpoint names resolve to these

  tags = { Name = "${var.name_prefix}-${each.key}" }
}

################################################################################
# Flow logs: every connection attempt in and out of the VPC, on the deployment's key
################################################################################

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/aws/vpc/${var.name_prefix}-flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    sid     = "FlowLogsAssumeRole"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${var.name_prefix}-vpc-flow-logs"
  description        = "VPC flow log delivery of ${var.name_prefix} into its own log group"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    sid       = "WriteFlowLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "flow-log-group"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = var.flow_log_traffic_type
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn
}

output "vpc_id" {
  description = "The VPC the functions run in."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "The functions' subnets: one per zone, routed to the internet only through a NAT gateway."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "The NAT gateways' subnets: the only ones routed to the internet gateway."
  value       = aws_subnet.public[*].id
}

output "function_security_group_id" {
  description = "Security group for the functions: no ingress, egress 443 only."
  value       = aws_security_group.functions.id
}

output "function_security_group_rules" {
  description = "The functions' security group rules as applied, for the tests: ingress and egress (ports, protocol, CIDRs)."
  value = {
    ingress = aws_security_group.functions.ingress
    egress  = aws_security_group.functions.egress
  }
}

output "private_routes" {
  description = "Per private route table: where 0.0.0.0/0 goes (a NAT gateway id) and the subnets it serves."
  value = {
    for index, table in aws_route_table.private : table.id => {
      nat_gateway_id = aws_route.private_default[index].nat_gateway_id
      gateway_id     = aws_route.private_default[index].gateway_id
      subnet_ids     = [aws_route_table_association.private[index].subnet_id]
    }
  }
}

output "nat_gateways" {
  description = "NAT gateway id => the subnet it sits in (a public one)."
  value       = { for nat in aws_nat_gateway.this : nat.id => nat.subnet_id }
}

output "endpoints" {
  description = "VPC endpoints by service: type, and the route tables (gateway) or subnets (interface) they serve."
  value = merge(
    { for service, endpoint in aws_vpc_endpoint.gateway : service => {
      type            = endpoint.vpc_endpoint_type
      route_table_ids = endpoint.route_table_ids
      subnet_ids      = toset([])
    } },
    { for service, endpoint in aws_vpc_endpoint.interface : service => {
      type            = endpoint.vpc_endpoint_type
      route_table_ids = toset([])
      subnet_ids      = endpoint.subnet_ids
    } },
  )
}

output "private_route_table_ids" {
  description = "The private route tables (one per zone)."
  value       = aws_route_table.private[*].id
}

output "flow_log" {
  description = "The VPC flow log: traffic type and its KMS-encrypted log group."
  value = {
    traffic_type   = aws_flow_log.this.traffic_type
    log_group_name = aws_cloudwatch_log_group.flow_logs.name
    kms_key_id     = aws_cloudwatch_log_group.flow_logs.kms_key_id
  }
}

variable "name_prefix" {
  description = "Prefix for every resource name, e.g. jira-workflow-prod."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's IPv4 range; split into one private and one public /20 (of a /16) per availability zone."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be an IPv4 CIDR of /20 or larger (each zone gets a /24 or more)."
  }
}

variable "availability_zone_count" {
  description = "How many availability zones get a private subnet (the functions) and a public one (the NAT)."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 4
    error_message = "availability_zone_count must be 2 to 4: Lambda needs at least two zones to stay up when one fails."
  }
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway per zone (a zone's outage leaves the others online); false shares one NAT, cheaper and zone-dependent."
  type        = bool
  default     = true
}

variable "interface_endpoints" {
  description = "AWS services the functions reach through interface endpoints instead of the NAT (see README for the cost trade-off)."
  type        = list(string)
  default     = ["secretsmanager", "states"]

  validation {
    condition     = alltrue([for service in var.interface_endpoints : contains(["secretsmanager", "states", "kms", "logs", "sts", "xray"], service)])
    error_message = "interface_endpoints may name secretsmanager, states, kms, logs, sts or xray."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the flow log group."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group."
  type        = number
  default     = 365
}

variable "flow_log_traffic_type" {
  description = "Which traffic the flow logs record: ALL (audit trail), REJECT (denied only, cheaper) or ACCEPT."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ACCEPT", "REJECT"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ALL, ACCEPT or REJECT."
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # Bucket names are global: the account id keeps workspaces in different accounts apart.
  artifacts_bucket_name = "${var.name_prefix}-artifacts-${data.aws_caller_identity.current.account_id}"
  logs_bucket_name      = "${var.name_prefix}-s3-access-logs-${data.aws_caller_identity.current.account_id}"
  provisioned           = var.dynamodb_billing_mode == "PROVISIONED"
}

################################################################################
# Artifacts bucket: webhook payloads, request artifacts and the Lambda code package
################################################################################

resource "aws_s3_bucket" "artifacts" {
  # checkov:skip=CKV_AWS_144: Cross-region replication is a DR choice this workflow does not need: artifacts are re-creatable from Jira and versioned in-region.
  # checkov:skip=CKV2_AWS_62: Nothing consumes bucket events; the workflow is driven by Jira webhooks and Step Functions.
  bucket        = local.artifacts_bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true # fewer KMS calls per object
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: access is IAM and bucket policy only
  }
}

data "aws_iam_policy_document" "artifacts" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts.json
  # The public access block must exist first or S3 may evaluate the policy without it.
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  # Payloads and artifacts are working data: cheaper storage after a month, gone after retention.
  dynamic "rule" {
    for_each = toset(["webhooks/", "requests/"])
    content {
      id     = "expire-${trimsuffix(rule.value, "/")}"
      status = "Enabled"
      filter {
        prefix = rule.value
      }
      dynamic "transition" {
        for_each = var.artifact_retention_days > 30 ? [1] : []
        content {
          days          = 30
          storage_class = "STANDARD_IA"
        }
      }
      expiration {
        days = var.artifact_retention_days
      }
      noncurrent_version_expiration {
        noncurrent_days = var.noncurrent_version_retention_days
      }
    }
  }

  # Applies to every prefix, the code packages under lambda/ included.
  rule {
    id     = "tidy-versions-and-uploads"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_logging" "artifacts" {
  count = var.enable_access_logging ? 1 : 0

  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = aws_s3_bucket.logs[0].id
  target_prefix = "s3/${local.artifacts_bucket_name}/"
}

################################################################################
# Access-log bucket (only where the environment asks for S3 access logging)
################################################################################

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_144: Access logs are an audit trail kept in-region; cross-region replication is not required for them.
  # checkov:skip=CKV_AWS_145: S3 server access log delivery supports only SSE-S3 on the target bucket, not SSE-KMS.
  # checkov:skip=CKV2_AWS_62: Nothing consumes events from the access-log bucket.
  count = var.enable_access_logging ? 1 : 0

  bucket        = local.logs_bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_versioning" "logs" {
  count = var.enable_access_logging ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  count = var.enable_access_logging ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # the only encryption S3 log delivery supports
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  count = var.enable_access_logging ? 1 : 0

  bucket                  = aws_s3_bucket.logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  count = var.enable_access_logging ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "logs" {
  count = var.enable_access_logging ? 1 : 0

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.logs[0].arn, "${aws_s3_bucket.logs[0].arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # With ACLs off, S3 log delivery is authorised by this statement, for our bucket only.
  statement {
    sid     = "S3ServerAccessLogDelivery"
    effect  = "Allow"
    actions = ["s3:PutObject"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    resources = ["${aws_s3_bucket.logs[0].arn}/s3/*"]
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.artifacts.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  count = var.enable_access_logging ? 1 : 0

  bucket     = aws_s3_bucket.logs[0].id
  policy     = data.aws_iam_policy_document.logs[0].json
  depends_on = [aws_s3_bucket_public_access_block.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  count = var.enable_access_logging ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id

  # Log rotation: infrequent-access after 30 days, deleted after the retention period.
  rule {
    id     = "rotate-access-logs"
    status = "Enabled"
    filter {}
    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }
    expiration {
      days = var.access_log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

################################################################################
# Requests table (request records and pending approval tokens, see docs/design.md)
################################################################################

resource "aws_dynamodb_table" "requests" {
  name                        = "${var.name_prefix}-requests"
  billing_mode                = var.dynamodb_billing_mode
  read_capacity               = local.provisioned ? var.dynamodb_capacity.read_min : null
  write_capacity              = local.provisioned ? var.dynamodb_capacity.write_min : null
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  attribute {
    name = "state"
    type = "S"
  }
  attribute {
    name = "updated_at"
    type = "S"
  }

  global_secondary_index {
    name            = "by_state"
    hash_key        = "state"
    range_key       = "updated_at"
    projection_type = "ALL"
    read_capacity   = local.provisioned ? var.dynamodb_capacity.read_min : null
    write_capacity  = local.provisioned ? var.dynamodb_capacity.write_min : null
  }

  # Only TOKEN items carry expires_at, so pending task tokens clean themselves up.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  lifecycle {
    # Autoscaling owns the provisioned capacity of the table and of by_state once they exist.
    # The index's capacity sits inside the global_secondary_index set, which ignore_changes
    # can only take whole: changing the index's keys or projection means removing it here
    # for that one apply (terraform-aws-modules' dynamodb-table does the same for autoscaled
    # indexes).
    ignore_changes = [read_capacity, write_capacity, global_secondary_index]
  }
}

################################################################################
# Autoscaling (PROVISIONED only): table and GSI, reads and writes
################################################################################

locals {
  # What scales: the table and its GSI alike, each on read and on write capacity.
  scaled_resources = {
    table    = { path = "", kind = "table", policy_name = "${var.name_prefix}-requests" }
    by_state = { path = "/index/by_state", kind = "index", policy_name = "${var.name_prefix}-requests-by-state" }
  }
  scaled_dimensions = {
    read  = { min = var.dynamodb_capacity.read_min, max = var.dynamodb_capacity.read_max, metric = "DynamoDBReadCapacityUtilization" }
    write = { min = var.dynamodb_capacity.write_min, max = var.dynamodb_capacity.write_max, metric = "DynamoDBWriteCapacityUtilization" }
  }
  # "table-read", "table-write", "by_state-read", "by_state-write"; none when on demand.
  autoscaling = local.provisioned ? {
    for pair in setproduct(keys(local.scaled_resources), keys(local.scaled_dimensions)) : "${pair[0]}-${pair[1]}" => {
      path               = local.scaled_resources[pair[0]].path
      scalable_dimension = "dynamodb:${local.scaled_resources[pair[0]].kind}:${title(pair[1])}CapacityUnits"
      policy_name        = "${local.scaled_resources[pair[0]].policy_name}-${pair[1]}"
      min                = local.scaled_dimensions[pair[1]].min
      max                = local.scaled_dimensions[pair[1]].max
      metric             = local.scaled_dimensions[pair[1]].metric
    }
  } : {}
}

resource "aws_appautoscaling_target" "requests" {
  for_each = local.autoscaling

  # The table is named here, not in the local: checkov's CKV2_AWS_16 follows only this reference.
  service_namespace  = "dynamodb"
  resource_id        = "table/${aws_dynamodb_table.requests.name}${each.value.path}"
  scalable_dimension = each.value.scalable_dimension
  min_capacity       = each.value.min
  max_capacity       = each.value.max
}

resource "aws_appautoscaling_policy" "requests" {
  for_each = local.autoscaling

  name               = each.value.policy_name
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.requests[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.requests[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.requests[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.dynamodb_capacity.target_utilisation
    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}

# The table and GSI pairs were separate resources; their state moves, nothing is recreated.
moved {
  from = aws_appautoscaling_target.table["read"]
  to   = aws_appautoscaling_target.requests["table-read"]
}

moved {
  from = aws_appautoscaling_policy.table["read"]
  to   = aws_appautoscaling_policy.requests["table-read"]
}

moved {
  from = aws_appautoscaling_target.table["write"]
  to   = aws_appautoscaling_target.requests["table-write"]
}

moved {
  from = aws_appautoscaling_policy.table["write"]
  to   = aws_appautoscaling_policy.requests["table-write"]
}

moved {
  from = aws_appautoscaling_target.by_state["read"]
  to   = aws_appautoscaling_target.requests["by_state-read"]
}

moved {
  from = aws_appautoscaling_policy.by_state["read"]
  to   = aws_appautoscaling_policy.requests["by_state-read"]
}

moved {
  from = aws_appautoscaling_target.by_state["write"]
  to   = aws_appautoscaling_target.requests["by_state-write"]
}

moved {
  from = aws_appautoscaling_policy.by_state["write"]
  to   = aws_appautoscaling_policy.requests["by_state-write"]
}

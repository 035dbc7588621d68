"""S3, DynamoDB, Secrets Manager and KMS: the stores and how they are protected."""

from __future__ import annotations

from typing import Any

from workflow_tools.preflight.plan import UNKNOWN, Plan, Resource
from workflow_tools.preflight.registry import (
    Context,
    Outcome,
    failed,
    passed,
    rule,
    skipped,
    verdict,
)
from workflow_tools.preflight.rules.common import children_of, configured, is_set

INFRA = "Pre-Deployment / Infrastructure Review"
BACKUP = "Pre-Deployment / Backup & Recovery"
SECRETS = "Production Configuration / Secrets Manager"
BUCKET = "Production Configuration / S3 Bucket"
VARIABLES = "Production Configuration / variables.tf Updates"
COMPLIANCE = "Compliance & Governance / Compliance"
KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}


def log_buckets(plan: Plan) -> list[Resource]:
    """Buckets that receive S3 server access logs (those cannot use SSE-KMS)."""
    targets = plan.of_type("aws_s3_bucket_logging")
    return [
        bucket
        for bucket in plan.of_type("aws_s3_bucket")
        if any(plan.attached(t, "target_bucket", bucket, "bucket") for t in targets)
    ]


def data_buckets(plan: Plan) -> list[Resource]:
    logs = {b.address for b in log_buckets(plan)}
    return [b for b in plan.of_type("aws_s3_bucket") if b.address not in logs]


def _no_buckets() -> Outcome:
    return failed("the plan has no aws_s3_bucket: is this the workflow's root module?")


# ---- S3 ------------------------------------------------------------------------------


@rule("s3_versioning", INFRA, "Enable S3 bucket versioning (already enabled)")
def s3_versioning(ctx: Context) -> Outcome:
    buckets = ctx.plan.of_type("aws_s3_bucket")
    if not buckets:
        return _no_buckets()
    problems = []
    for bucket in buckets:
        configs = children_of(ctx.plan, bucket, "aws_s3_bucket_versioning")
        states = {c.get("versioning_configuration.0.status") for c in configs}
        if "Enabled" not in states:
            problems.append(f"{bucket.address}: versioning not Enabled")
    return verdict(problems, f"{len(buckets)} bucket(s) versioned")


def _lifecycle_gaps(rules: list[dict[str, Any]]) -> list[str]:
    enabled = [r for r in rules if r.get("status") == "Enabled"]
    wanted = {
        "expiration or transition": ("expiration", "transition"),
        "noncurrent version expiration": ("noncurrent_version_expiration",),
        "abort incomplete uploads": ("abort_incomplete_multipart_upload",),
    }
    return [
        label
        for label, blocks in wanted.items()
        if not any(r.get(block) for r in enabled for block in blocks)
    ]


@rule("s3_lifecycle", INFRA, "Configure S3 lifecycle policies for log rotation")
def s3_lifecycle(ctx: Context) -> Outcome:
    buckets = ctx.plan.of_type("aws_s3_bucket")
    if not buckets:
        return _no_buckets()
    problems = []
    for bucket in buckets:
        configs = children_of(ctx.plan, bucket, "aws_s3_bucket_lifecycle_configuration")
        if not configs:
            problems.append(f"{bucket.address}: no lifecycle configuration")
            continue
        rules = [r for c in configs for r in (c.get("rule") or []) if isinstance(r, dict)]
        if gaps := _lifecycle_gaps(rules):
            problems.append(f"{bucket.address}: lifecycle lacks {', '.join(gaps)}")
    return verdict(problems, f"{len(buckets)} bucket(s) expire, rotate and clean up")


@rule("s3_kms_encryption", SECRETS, "Configure KMS encryption")
def s3_kms_encryption(ctx: Context) -> Outcome:
    buckets = ctx.plan.of_type("aws_s3_bucket")
    if not buckets:
        return _no_buckets()
    log_addresses = {b.address for b in log_buckets(ctx.plan)}
    problems = []
    for bucket in buckets:
        configs = children_of(
            ctx.plan, bucket, "aws_s3_bucket_server_side_encryption_configuration"
        )
        path = "rule.0.apply_server_side_encryption_by_default.0"
        algorithms = {c.get(f"{path}.sse_algorithm") for c in configs}
        keys = [c.get(f"{path}.kms_master_key_id") for c in configs]
        if bucket.address in log_addresses:
            # S3 server access logging can only deliver to SSE-S3 buckets.
            if not algorithms & {"AES256", *KMS_ALGORITHMS}:
                problems.append(f"{bucket.address}: log bucket has no default encryption")
        elif not algorithms & KMS_ALGORITHMS or not any(is_set(k) for k in keys):
            problems.append(f"{bucket.address}: default encryption is not SSE-KMS with our key")
    return verdict(problems, f"{len(buckets) - len(log_addresses)} data bucket(s) use SSE-KMS")


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    if statement.get("effect", statement.get("Effect")) != "Deny":
        return False
    conditions = statement.get("condition") or statement.get("Condition") or []
    if isinstance(conditions, list):
        return any(
            c.get("variable") == "aws:SecureTransport" and c.get("values") == ["false"]
            for c in conditions
            if isinstance(c, dict)
        )
    # a policy JSON statement: {"Bool": {"aws:SecureTransport": "false"}}
    secure = conditions.get("Bool", {}).get("aws:SecureTransport")
    return secure in ("false", ["false"], False)


def policy_statements(plan: Plan, resource: Resource, attr: str) -> list[dict[str, Any]]:
    """Statements of a policy attribute: parsed JSON if known, else its policy documents."""
    import json

    value = resource.get(attr)
    if isinstance(value, str) and value:
        document = json.loads(value)
        statements = document.get("Statement", [])
        return statements if isinstance(statements, list) else [statements]
    found: list[dict[str, Any]] = []
    for address in plan.sources_of_type(resource, attr, "aws_iam_policy_document"):
        for doc in plan.by_config_address(address):
            found += [s for s in doc.get("statement") or [] if isinstance(s, dict)]
    return found


@rule("s3_tls_only", COMPLIANCE, "Review security policies")
def s3_tls_only(ctx: Context) -> Outcome:
    buckets = ctx.plan.of_type("aws_s3_bucket")
    if not buckets:
        return _no_buckets()
    problems = []
    for bucket in buckets:
        policies = children_of(ctx.plan, bucket, "aws_s3_bucket_policy")
        statements = [s for p in policies for s in policy_statements(ctx.plan, p, "policy")]
        if not any(_denies_insecure_transport(s) for s in statements):
            problems.append(f"{bucket.address}: no Deny on aws:SecureTransport=false")
    return verdict(problems, f"{len(buckets)} bucket(s) refuse plain HTTP")


@rule("s3_public_access_blocked", COMPLIANCE, "Review security policies")
def s3_public_access_blocked(ctx: Context) -> Outcome:
    buckets = ctx.plan.of_type("aws_s3_bucket")
    if not buckets:
        return _no_buckets()
    flags = (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    )
    problems = []
    for bucket in buckets:
        blocks = children_of(ctx.plan, bucket, "aws_s3_bucket_public_access_block")
        if not any(all(b.get(f) is True for f in flags) for b in blocks):
            problems.append(f"{bucket.address}: public access not fully blocked")
        owners = children_of(ctx.plan, bucket, "aws_s3_bucket_ownership_controls")
        if not any(o.get("rule.0.object_ownership") == "BucketOwnerEnforced" for o in owners):
            problems.append(f"{bucket.address}: ACLs not disabled (BucketOwnerEnforced)")
    return verdict(problems, f"{len(buckets)} bucket(s) private, ACLs off")


@rule("s3_access_logging", BUCKET, "Enable bucket logging")
def s3_access_logging(ctx: Context) -> Outcome:
    buckets = data_buckets(ctx.plan)
    logged = [b for b in buckets if children_of(ctx.plan, b, "aws_s3_bucket_logging", "bucket")]
    if not ctx.expect.require_bucket_access_logging and len(logged) < len(buckets):
        return skipped(f"not required in {ctx.expect.environment}")
    problems = [f"{b.address}: no access logging" for b in buckets if b not in logged]
    return verdict(problems, f"{len(logged)} data bucket(s) log access to the log bucket")


# ---- DynamoDB ----------------------------------------------------------------------------


def _tables(plan: Plan) -> list[Resource]:
    return plan.of_type("aws_dynamodb_table")


@rule("dynamodb_pitr", BACKUP, "Configure DynamoDB point-in-time recovery")
def dynamodb_pitr(ctx: Context) -> Outcome:
    tables = _tables(ctx.plan)
    if not tables:
        return failed("the plan has no aws_dynamodb_table")
    off = [t.address for t in tables if t.get("point_in_time_recovery.0.enabled") is not True]
    if off and not ctx.expect.require_pitr:
        return skipped(f"not required in {ctx.expect.environment}")
    return verdict((f"{a}: PITR off" for a in off), f"{len(tables)} table(s) with PITR")


@rule("dynamodb_kms_encryption", SECRETS, "Configure KMS encryption")
def dynamodb_kms_encryption(ctx: Context) -> Outcome:
    tables = _tables(ctx.plan)
    problems = [
        f"{t.address}: not encrypted with a customer-managed key"
        for t in tables
        if t.get("server_side_encryption.0.enabled") is not True
        or not configured(ctx.plan, t, "server_side_encryption.0.kms_key_arn")
    ]
    return verdict(problems, f"{len(tables)} table(s) on our KMS key")


@rule("dynamodb_ttl", COMPLIANCE, "Configure data retention policies")
def dynamodb_ttl(ctx: Context) -> Outcome:
    tables = _tables(ctx.plan)
    problems = [
        f"{t.address}: TTL on expires_at not enabled"
        for t in tables
        if t.get("ttl.0.enabled") is not True or t.get("ttl.0.attribute_name") != "expires_at"
    ]
    return verdict(problems, "pending task tokens expire (TTL on expires_at)")


def _scaled_dimensions(plan: Plan, table: Resource) -> set[str]:
    dimensions = set()
    for target in plan.of_type("aws_appautoscaling_target"):
        resource_id = target.get("resource_id")
        name = table.get("name")
        by_value = isinstance(resource_id, str) and resource_id == f"table/{name}"
        if by_value or table.config_address in plan.sources(target, "resource_id"):
            dimensions.add(str(target.get("scalable_dimension")))
    return dimensions


@rule("dynamodb_capacity", VARIABLES, 'dynamodb_billing_mode = "PROVISIONED"')
def dynamodb_capacity(ctx: Context) -> Outcome:
    tables = _tables(ctx.plan)
    problems = []
    for table in tables:
        mode = table.get("billing_mode")
        if mode != "PROVISIONED":
            if ctx.expect.require_provisioned_billing:
                problems.append(f"{table.address}: billing mode {mode}, prod wants PROVISIONED")
            continue
        wanted = {"dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits"}
        if missing := wanted - _scaled_dimensions(ctx.plan, table):
            problems.append(
                f"{table.address}: PROVISIONED without autoscaling on {sorted(missing)}"
            )
    if not problems and not ctx.expect.require_provisioned_billing:
        return passed(f"on-demand or autoscaled capacity ({ctx.expect.environment})")
    return verdict(problems, "PROVISIONED with read/write autoscaling")


# ---- Secrets Manager and KMS ------------------------------------------------------------


@rule("secrets_kms_encryption", SECRETS, "Configure KMS encryption")
def secrets_kms_encryption(ctx: Context) -> Outcome:
    secrets = ctx.plan.of_type("aws_secretsmanager_secret")
    if not secrets:
        return failed("the plan has no aws_secretsmanager_secret")
    problems = [f"{s.address}: no kms_key_id" for s in secrets if not is_set(s.get("kms_key_id"))]
    return verdict(problems, f"{len(secrets)} secret(s) on our KMS key")


@rule("secrets_without_values", SECRETS, "Restrict access to production keys")
def secrets_without_values(ctx: Context) -> Outcome:
    problems = []
    for version in ctx.plan.of_type("aws_secretsmanager_secret_version"):
        # the value itself is never printed: naming the attribute is enough
        for attr in ("secret_string", "secret_binary"):
            if version.get(attr) is UNKNOWN or version.get(attr) not in (None, ""):
                problems.append(f"{version.address}: {attr} would be stored in state")
    secrets = ctx.plan.of_type("aws_secretsmanager_secret")
    return verdict(problems, f"{len(secrets)} secret container(s), values set out of band")


@rule("kms_key_rotation", SECRETS, "Configure KMS encryption")
def kms_key_rotation(ctx: Context) -> Outcome:
    keys = ctx.plan.of_type("aws_kms_key")
    if not keys:
        return failed("the plan has no customer-managed aws_kms_key")
    problems = []
    for key in keys:
        if key.get("enable_key_rotation") is not True:
            problems.append(f"{key.address}: rotation off")
        if not configured(ctx.plan, key, "policy") and not _has_key_policy(ctx.plan, key):
            problems.append(f"{key.address}: no written key policy (default policy)")
    return verdict(problems, f"{len(keys)} key(s) rotate and have a written policy")


def _has_key_policy(plan: Plan, key: Resource) -> bool:
    return any(
        plan.attached(p, "key_id", key, "key_id") for p in plan.of_type("aws_kms_key_policy")
    )


# ---- destroy protection -----------------------------------------------------------------

MIN_RECOVERY_DAYS = 7  # Secrets Manager's and KMS's shortest window that still allows a rescue


def _destroy_problems(plan: Plan) -> list[str]:
    problems = []
    if plan.variable("allow_destroy_with_data") is True:
        problems.append("allow_destroy_with_data is true")
    problems += [
        f"{t.address}: deletion protection off"
        for t in _tables(plan)
        if t.get("deletion_protection_enabled") is not True
    ]
    problems += [
        f"{b.address}: force_destroy deletes every object with the bucket"
        for b in plan.of_type("aws_s3_bucket")
        if b.get("force_destroy") is True
    ]
    problems += [
        f"{s.address}: recovery window {s.get('recovery_window_in_days')} days"
        for s in plan.of_type("aws_secretsmanager_secret")
        if isinstance(s.get("recovery_window_in_days"), int)
        and s.get("recovery_window_in_days") < MIN_RECOVERY_DAYS
    ]
    problems += [
        f"{k.address}: deletion window {k.get('deletion_window_in_days')} days"
        for k in plan.of_type("aws_kms_key")
        if isinstance(k.get("deletion_window_in_days"), int)
        and k.get("deletion_window_in_days") < 30
    ]
    return problems


@rule("destroy_protection", COMPLIANCE, "Configure data retention policies")
def destroy_protection(ctx: Context) -> Outcome:
    """A `terraform destroy` (or a replaced resource) must not take the data with it."""
    problems = _destroy_problems(ctx.plan)
    if problems and not ctx.expect.production_values:
        return skipped(f"throwaway data allowed in {ctx.expect.environment}")
    return verdict(problems, "table protected, buckets keep objects, 30-day key/secret windows")

"""`make jira-doctor ENV=<ws>`: is the Jira site ready for this deployment?

With the deployed functions' settings (trigger projects, issue types and statuses) and the
bot's credentials from the deployment's secret, read the Jira site through the REST API v3
and print each requirement, OK or MISSING, and the fix for each missing one: the projects
and the bot's access, the statuses, the workflow transitions the product performs, and the
bot's permissions. The system webhook cannot be read with the bot's credentials: it is
printed as a manual check with the exact URL to compare against.

Exit 0 when everything checkable is OK, 1 with the table when anything is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from workflow_tools.jira_doctor.requirements import Finding, approver_group_finding, check_site
from workflow_tools.jira_doctor.site import CredentialsRefused, SiteError, SiteReader
from workflow_tools.ops.common import (
    OpsError,
    Target,
    add_target_arguments,
    operator_container,
    print_table,
    progress,
    run,
    target_from_args,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jira_doctor", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_target_arguments(parser)
    parser.add_argument("--jira-url", help="override the deployed JIRA_BASE_URL")
    parser.add_argument("--api-url", help="API base URL (custom domain), default: looked up")
    return parser.parse_args(argv)


def webhook_url(target: Target, api_url: str | None) -> str:
    """The deployed API's /jira/webhook URL, as the Terraform output `webhook_url` gives it."""
    if api_url:
        return f"{api_url.rstrip('/')}/jira/webhook"
    if target.stack:
        return str(target.stack.get("webhook_url", ""))
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        apis = target.client("apigateway").get_rest_apis(limit=500)["items"]
    except (BotoCoreError, ClientError):
        return ""  # no read access: the row names the Terraform output instead
    ids = [a["id"] for a in apis if a["name"] == target.prefix]
    if not ids:
        return ""
    return f"https://{ids[0]}.execute-api.{target.region}.amazonaws.com/{target.environment}/jira/webhook"


def diagnose(target: Target, jira_url: str | None, api_url: str | None) -> list[Finding]:
    container = operator_container(target, jira_url)
    settings = container.settings
    if not settings.jira_base_url:
        raise OpsError("JIRA_BASE_URL unknown: pass --jira-url")
    try:
        credentials = container.secrets.jira_credentials(settings.jira_api_secret_arn)
    except ValueError as exc:  # the product's secret parser names what is wrong
        raise OpsError(f"{target.secret_id('jira-api')}: {exc}") from None
    reader = SiteReader(
        settings.jira_base_url, credentials, timeout_seconds=settings.http_timeout_seconds
    )
    rule = settings.trigger.rule()
    projects = []
    for key in rule.project_keys:
        progress(f"reading project {key} at {settings.jira_base_url} as {credentials.email}")
        try:
            projects.append(reader.read_project(key, rule.issue_types))
        except CredentialsRefused as exc:
            raise OpsError(
                f"{exc}: the bot's credentials in {target.secret_id('jira-api')} were refused; "
                "store a valid API token (rotate_secret jira-api)"
            ) from None
        except SiteError as exc:
            raise OpsError(str(exc)) from None
    group = settings.approver_group
    try:
        approvers = approver_group_finding(group, reader.group_exists(group) if group else None)
    except SiteError as exc:
        raise OpsError(str(exc)) from None
    findings = check_site(
        rule,
        auto_approve=settings.auto_approve_max_risk >= 0,
        projects=projects,
        webhook_url=webhook_url(target, api_url),
        bot=credentials.email,
    )
    return [approvers, *findings]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    findings = diagnose(target_from_args(args), args.jira_url, args.api_url)
    print_table(
        [(f.requirement, f.outcome.value, f.fix) for f in findings],
        header=("requirement", "status", "fix"),
    )
    failing = [f for f in findings if f.fails]
    if failing:
        progress(f"{len(failing)} of {len(findings)} requirements are not met")
        return 1
    progress("the Jira site has everything the workflow needs (check the MANUAL rows by hand)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))

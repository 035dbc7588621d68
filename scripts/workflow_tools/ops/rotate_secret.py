#!/usr/bin/env python3
"""Rotate the Jira webhook secret and the API tokens without dropping deliveries
(docs/runbooks/rotate-secrets.md). Secret values are never printed or logged.

  status                     which fields each secret holds and when it last changed
  webhook-begin              new secret becomes "current", the old one "previous": the
                             handler accepts both, so Jira keeps delivering while you
                             paste the new value (written to --out, mode 0600) into Jira
  webhook-finish             drop "previous" once Jira signs with the new secret
  jira-api --email E         store a new Jira API token (read from --token-file or stdin)
  external-api               store a new external API token (--token-file or stdin)

Functions cache secrets for SECRETS_MAX_AGE_SECONDS (300 s by default): wait that long
between a step here and the matching change in Jira or Atlassian.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workflow_tools.ops.common import (
    OpsError,
    Target,
    add_target_arguments,
    progress,
    run,
    target_from_args,
)

SECRET_NAMES = ("jira-webhook", "jira-api", "external-api")
MIN_SECRET_LENGTH = 32


def read_secret(target: Target, name: str) -> dict[str, Any]:
    value = target.client("secretsmanager").get_secret_value(SecretId=target.secret_id(name))
    document = json.loads(value.get("SecretString") or "{}")
    if not isinstance(document, dict):
        raise OpsError(f"{target.secret_id(name)} is not a JSON object")
    return document


def write_secret(target: Target, name: str, document: dict[str, Any]) -> None:
    target.client("secretsmanager").put_secret_value(
        SecretId=target.secret_id(name), SecretString=json.dumps(document)
    )


def describe(target: Target, name: str) -> str:
    manager = target.client("secretsmanager")
    meta = manager.describe_secret(SecretId=target.secret_id(name))
    try:
        fields = sorted(k for k, v in read_secret(target, name).items() if v)
    except manager.exceptions.ResourceNotFoundException:
        fields = []  # container exists, no value set yet
    changed = meta.get("LastChangedDate")
    when = changed.isoformat(timespec="seconds") if changed else "never"
    return f"{target.secret_id(name)}: fields {', '.join(fields) or '(no value)'}; changed {when}"


def begin_webhook_rotation(target: Target, new_secret: str) -> None:
    """current -> previous, new -> current: both verify during the window."""
    if len(new_secret) < MIN_SECRET_LENGTH:
        raise OpsError(f"the new webhook secret must be at least {MIN_SECRET_LENGTH} characters")
    document = read_secret(target, "jira-webhook")
    if document.get("previous"):
        raise OpsError("a rotation is already open (previous is set): run webhook-finish first")
    if document.get("current") == new_secret:
        raise OpsError("the new secret equals the current one")
    rotated = {"current": new_secret}
    if document.get("current"):
        rotated["previous"] = document["current"]
    write_secret(target, "jira-webhook", rotated)


def finish_webhook_rotation(target: Target) -> None:
    document = read_secret(target, "jira-webhook")
    if not document.get("previous"):
        raise OpsError("no rotation is open: previous is not set")
    write_secret(target, "jira-webhook", {"current": document["current"]})


def store_token(target: Target, name: str, token: str, email: str | None = None) -> None:
    token = token.strip()
    if not token:
        raise OpsError("the new token is empty")
    document: dict[str, Any] = (
        {"email": email, "api_token": token} if name == "jira-api" else {"token": token}
    )
    if document == read_secret(target, name):
        raise OpsError("the new token equals the stored one")
    write_secret(target, name, document)


def read_token(path: Path | None) -> str:
    if path is not None:
        return path.read_text()
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("new token (not echoed): ")
    return sys.stdin.read()


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="rotate_secret.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_target_arguments(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status")
    begin = commands.add_parser("webhook-begin")
    begin.add_argument("--out", type=Path, help="write the generated secret here (0600)")
    begin.add_argument("--secret-file", type=Path, help="use this secret instead of generating")
    commands.add_parser("webhook-finish")
    jira = commands.add_parser("jira-api")
    jira.add_argument("--email", required=True, help="the Jira bot account's email")
    jira.add_argument("--token-file", type=Path)
    external = commands.add_parser("external-api")
    external.add_argument("--token-file", type=Path)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    target = target_from_args(args)
    if args.command == "status":
        for name in SECRET_NAMES:
            print(describe(target, name))
        return 0
    if args.command == "webhook-begin":
        if not args.out and not args.secret_file:
            raise OpsError("give --out FILE for the generated secret, or --secret-file FILE")
        new_secret = (
            args.secret_file.read_text().strip() if args.secret_file else secrets.token_hex(32)
        )
        begin_webhook_rotation(target, new_secret)
        if not args.secret_file:
            write_private(args.out, new_secret)
        progress("rotation open: the handler accepts the new and the previous secret")
        where = args.out or args.secret_file
        progress(f"next: wait 5 minutes, then paste the secret in {where} into Jira's webhook")
        return 0
    if args.command == "webhook-finish":
        finish_webhook_rotation(target)
        progress("rotation closed: only the new secret verifies deliveries now")
        return 0
    token = read_token(args.token_file)
    store_token(target, args.command, token, getattr(args, "email", None))
    progress(f"{target.secret_id(args.command)} updated; revoke the old token in 5 minutes")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))

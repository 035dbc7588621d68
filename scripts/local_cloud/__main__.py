#!/usr/bin/env python3
"""Run the whole stack on this machine and keep it up: the AWS emulator, a fake Jira, and
the real Terraform applied into them (the `local` workspace). Prints the API URL, an API
key and how to sign a webhook; writes the same as JSON to .local/stack.json. Ctrl-C stops.

Examples:
  python -m local_cloud                  # human-readable, stays up
  python -m local_cloud --json           # one JSON line on stdout when ready
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from local_cloud import REPO_ROOT
from local_cloud.stack import LocalStack, StackError, StackInfo, StackOptions
from local_cloud.terraform_local import TerraformError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print the stack as one JSON line")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=REPO_ROOT / ".local",
        help="git-ignored folder for Terraform, logs and stack.json",
    )
    parser.add_argument("--api-port", type=int, default=0, help="API front port (0: any)")
    parser.add_argument(
        "--jira-url",
        help="use this (fake) Jira instead of starting one; "
        "its credentials come from LOCAL_CLOUD_JIRA_EMAIL/_API_TOKEN",
    )
    parser.add_argument(
        "--approval-timeout-seconds",
        type=int,
        help="override the approval task timeout (tests use a short one)",
    )
    parser.add_argument(
        "--terraform-dir",
        type=Path,
        default=REPO_ROOT / "terraform",
        help="root module to apply (default: the repository's terraform/)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Terraform variable (repeatable; VALUE may be JSON)",
    )
    return parser.parse_args(argv)


def extra_variables(pairs: list[str]) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        try:
            variables[name] = json.loads(raw)
        except ValueError:
            variables[name] = raw
    return variables


def progress_printer(quiet: bool) -> Any:
    started = time.monotonic()

    def progress(message: str) -> None:
        stream = sys.stderr if quiet else sys.stdout
        print(f"[{time.monotonic() - started:5.1f}s] {message}", file=stream, flush=True)

    return progress


def print_human(info: StackInfo, stack_file: Path, log_file: Path) -> None:
    # The fields the trigger rule and validation read: a smaller body is a 400 naming
    # the first missing field. `timestamp` is now (shell-expanded): an old one is a replay.
    body = (
        '{"timestamp":\'"$(date +%s)000"\','
        '"webhookEvent":"jira:issue_created","issue":{"key":"OPS-99","fields":{'
        '"project":{"key":"OPS"},"issuetype":{"name":"Service Request"},'
        '"status":{"name":"To Do"},"summary":"Need a laptop","description":"For onboarding"}}}'
    )
    print(
        f"""
Local stack is up {info.startup_seconds}s after start, {info.apply_seconds}s into terraform apply
(the provider's fixed waits on the S3 lifecycle rules and the SQS queue policy finish in
the background).

  API             {info.api_url}
  webhook         POST {info.webhook_url}   (no API key; HMAC signature)
  callback        POST {info.callback_url}  (x-api-key: decide key)
  status          GET  {info.status_url}    (x-api-key: either key)
  decide API key  {info.api_key}
  read API key    {info.read_api_key}
  webhook secret  {info.webhook_secret}
  fake Jira       {info.jira_url}  (drive it: POST {info.control_url}/jira/issues)
  AWS endpoint    {info.aws_endpoint}  (region {info.region}, any credentials)

Sign and send a webhook:
  body='{body}'
  sig=$(printf %s "$body" | openssl dgst -sha256 -hmac '{info.webhook_secret}' | sed 's/^.* //')
  curl -s -X POST {info.webhook_url} -H "X-Hub-Signature: sha256=$sig" \\
       -H "X-Atlassian-Webhook-Identifier: demo-$RANDOM" -H 'Content-Type: application/json' \\
       --data "$body"

Create an issue in the fake Jira (it sends the signed webhook itself):
  curl -s -X POST {info.control_url}/jira/issues -d '{{"summary": "Need a laptop"}}'
  curl -s {info.status_url.replace("{issueKey}", "OPS-1")} -H 'x-api-key: {info.api_key}'

Written to {stack_file}; Lambda logs in {log_file}. Ctrl-C stops everything.""",
        flush=True,
    )


def route_library_logs(log: TextIO) -> None:
    """moto's ASL interpreter logs every failed state (with a long repr) and Powertools
    warns about empty metrics: useful in the log file, noise on the console."""
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.captureWarnings(True)


def wait_for_stop() -> None:
    """Until Ctrl-C or SIGTERM. Handlers are installed explicitly: a parent that started us
    in the background may have left SIGINT ignored."""
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        while not stopped.wait(0.5):
            pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    log_file = args.state_dir / "logs" / "functions.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    function_log: TextIO = log_file.open("a", encoding="utf-8", buffering=1)
    route_library_logs(function_log)
    options = StackOptions(
        state_dir=args.state_dir,
        jira_url=args.jira_url,
        api_port=args.api_port,
        approval_timeout_seconds=args.approval_timeout_seconds,
        extra_variables=extra_variables(args.var),
        terraform_dir=args.terraform_dir,
    )
    stack = LocalStack(options, progress_printer(quiet=args.json), function_log)
    try:
        info = stack.start()
    except (StackError, TerraformError) as error:
        print(f"error: {error}", file=sys.stderr)
        stack.stop()
        return 1
    stack_file = args.state_dir / "stack.json"
    stack_file.write_text(info.to_json() + "\n")
    stack_file.chmod(0o600)  # it holds an API key and the webhook secret
    if args.json:
        print(info.to_json(), flush=True)
    else:
        print_human(info, stack_file, log_file)
    wait_for_stop()
    print("stopping the local stack", file=sys.stderr, flush=True)
    stack_file.unlink(missing_ok=True)  # nothing may attach to a stack that is gone
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

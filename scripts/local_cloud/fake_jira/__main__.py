"""Run a fake Jira Cloud on 127.0.0.1 until Ctrl-C or SIGTERM, from the repo root:
`PYTHONPATH=scripts python -m local_cloud.fake_jira --help`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from local_cloud.fake_jira.fake import FakeJira


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_cloud.fake_jira", description="Run a fake Jira Cloud on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--email", default="workflow-bot@example.com")
    parser.add_argument("--api-token", default="fake-api-token")
    parser.add_argument("--project", action="append", default=None, help="repeatable; OPS")
    parser.add_argument("--webhook-url", help="http://127.0.0.1:<port>/... to send events to")
    parser.add_argument("--webhook-secret", default="fake-webhook-secret")
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fake = FakeJira(email=args.email, api_token=args.api_token, projects=args.project or ["OPS"])
    if args.webhook_url:
        try:
            fake.register_webhook(args.webhook_url, args.webhook_secret)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    fake.start(args.port)
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly when a parent process ends us
    print(f"fake Jira listening on {fake.url} (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

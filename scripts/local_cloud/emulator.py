"""The emulator process: moto's threaded server on 127.0.0.1, patched (see moto_patches),
plus the API Gateway front and a small control API for failure injection and schedules.

Run standalone with `python -m local_cloud.emulator --help`; the stack
(`local_cloud.stack`) starts it in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from moto.core.config import default_user_config
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request, Response

from local_cloud import in_process_aws, moto_patches
from local_cloud.api_front import ApiGatewayFront
from local_cloud.faults import FaultPlan
from local_cloud.lambda_runner import CodeStore, InProcessLambdaRunner
from local_cloud.wsgi_server import make_threaded_server, serve_in_background

ControlRoute = Callable[[Request, list[str]], tuple[int, Any]]
ACCOUNT_ID = "123456789012"  # moto's default account: what STS answers to fake credentials
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # moto accepts any credentials
    "AWS_SESSION_TOKEN": "local",
}


@dataclass(frozen=True)
class EmulatorEndpoints:
    """Where each part listens; all on 127.0.0.1."""

    aws: str
    api: str
    control: str
    region: str
    account_id: str = ACCOUNT_ID


def enable_state_machine_execution() -> None:
    """Route Step Functions to moto's ASL interpreter instead of its record-only backend."""
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True


class Emulator:
    """moto + patches + API front + control API, all threads of this process."""

    def __init__(
        self,
        region: str = "us-east-1",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_port: int = 0,
        control_port: int = 0,
        code_dir: Path | None = None,
        function_log: TextIO | None = None,
    ) -> None:
        self.region = region
        self.host = host
        self.faults = FaultPlan()
        self._moto = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._api_port = api_port
        self._control_port = control_port
        self._code_dir = code_dir
        self._function_log = function_log
        # Extra control routes (`/<prefix>/...`) a stack adds, e.g. for its fake Jira.
        self.control_routes: dict[str, ControlRoute] = {}
        self.api: ApiGatewayFront | None = None
        self._control: BaseWSGIServer | None = None
        self.endpoints: EmulatorEndpoints | None = None
        self._port: int | None = None

    def start(self) -> EmulatorEndpoints:
        # One access-log line per AWS call drowns everything else; errors still show.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        enable_state_machine_execution()
        self._moto.start()
        _, port = self._moto.get_host_and_port()
        aws_url = f"http://{self.host}:{port}"
        # The ASL interpreter calls Lambda at localhost:$MOTO_PORT: make that this server.
        os.environ["MOTO_PORT"] = str(port)
        # The functions and the ASL interpreter run in this process: no HTTP between them and moto.
        in_process_aws.serve_in_process(port)
        self._port = port
        self.api = ApiGatewayFront(ACCOUNT_ID, self.region, self.host, self._api_port)
        runner = InProcessLambdaRunner(
            base_environment=self.function_base_environment(aws_url),
            code_store=CodeStore(self._code_dir) if self._code_dir else None,
            rewrite_value=self.api.rewrite_execute_api_urls,
            function_log=self._function_log,
        )
        moto_patches.apply_all(runner, self.faults)
        self.api.start()
        self._control = make_threaded_server(self.host, self._control_port, self._control_app)
        serve_in_background(self._control, "control")
        self.endpoints = EmulatorEndpoints(
            aws=aws_url,
            api=self.api.url,
            control=f"http://{self.host}:{self._control.server_port}",
            region=self.region,
        )
        return self.endpoints

    def function_base_environment(self, aws_url: str) -> dict[str, str]:
        """What the Lambda runtime would give every function, pointed at the emulator."""
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": aws_url,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            # Outbound HTTP stays on this machine: never through a developer's proxy.
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def stop(self) -> None:
        if self._control:
            self._control.shutdown()
        if self.api:
            self.api.stop()
        if self._port is not None:
            in_process_aws.stop_serving_in_process(self._port)
        self._moto.stop()

    # ---- control API -------------------------------------------------------------------

    def fire_schedule(self, name: str, group: str | None = None) -> dict[str, Any]:
        """Do what EventBridge Scheduler would at the next tick: invoke the target with its
        input (moto stores schedules but never fires them)."""
        from moto.awslambda.models import lambda_backends
        from moto.scheduler.models import scheduler_backends

        schedule = scheduler_backends[ACCOUNT_ID][self.region].get_schedule(group, name)
        target = schedule.target
        function = lambda_backends[ACCOUNT_ID][self.region].get_function(target["Arn"])
        event = json.loads(target.get("Input") or "{}")
        payload, errored, _ = function._invoke_lambda(event=event)
        return {
            "function": function.function_name,
            "errored": errored,
            "payload": json.loads(payload) if payload else None,
        }

    def _control_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            status, body = self._control_route(request)
        except (KeyError, ValueError) as error:
            status, body = 400, {"message": str(error)}
        response = Response(json.dumps(body), status=status, mimetype="application/json")
        return response(environ, start_response)

    def _control_route(self, request: Request) -> tuple[int, Any]:
        parts = [p for p in request.path.split("/") if p]
        if parts == ["health"]:
            return 200, {"ok": True, "patches": moto_patches.APPLIED}
        if parts == ["faults"] and request.method == "GET":
            return 200, self.faults.as_dict()
        if parts == ["faults"] and request.method in ("PUT", "POST"):
            self.faults.update(**(request.get_json(force=True) or {}))
            return 200, self.faults.as_dict()
        if len(parts) == 4 and parts[0] == "schedules" and parts[3] == "fire":
            return 200, self.fire_schedule(parts[2], parts[1])
        if parts and parts[0] in self.control_routes:
            return self.control_routes[parts[0]](request, parts[1:])
        return 404, {"message": "unknown control route"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run the local AWS emulator (moto, patched) until Ctrl-C."
    )
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--port", type=int, default=0, help="AWS endpoint port (0: any free)")
    parser.add_argument("--api-port", type=int, default=0, help="API Gateway front port")
    parser.add_argument("--control-port", type=int, default=0, help="control API port")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    emulator = Emulator(
        args.region, port=args.port, api_port=args.api_port, control_port=args.control_port
    )
    endpoints = emulator.start()
    print(json.dumps(endpoints.__dict__), flush=True)
    stopped = threading.Event()
    # Explicit handlers: a parent that started us in the background may ignore SIGINT.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        while not stopped.wait(0.5):
            pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cold start as Lambda bills it: import + first invocation, in a fresh 3.13 interpreter.

Each sample is a new interpreter of the runtime's version (the one the build compiles the
package's bytecode with) importing one handler from the package built for the runtime
(`--platform runtime-host`: the deployed bytecode, native wheels for this machine) and
answering one event. Beside it, a baseline: a fresh interpreter that imports boto3 and
makes the same AWS calls, recorded from an untimed run of that handler.

Both talk to one moto server on 127.0.0.1, started for the measurement. A server rather
than botocore stubs because the handler's paths depend on real answers (a conditional
write refused, then a read) and a stub would skip the HTTP round trip and the response
parsing the function does pay; the server's own time is in both sides alike.

The API functions are measured on repeatable paths that leave the table as they found it
(a status read; a decision for a request that is not awaiting one; a repeated webhook
delivery), so every sample is a first invocation of the same work.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain.execution_name import execution_name
from jira_workflow.domain.requests import RequestState
from jira_workflow.domain.signature import sign
from workflow_tools import lambda_python

REGION = "eu-west-1"
TABLE = "bench-requests"
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 - a local moto server's fixture
ISSUE = "OPS-1"
DELIVERY = "bench-delivery"
# What the Lambda Python runtime provides beside the standard library (boto3 and its deps).
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")

CONTEXT = (
    "class Context:\n"
    "    function_name = 'bench'; function_version = '$LATEST'; memory_limit_in_mb = 256\n"
    "    invoked_function_arn = 'arn:aws:lambda:eu-west-1:123456789012:function:bench'\n"
    "    aws_request_id = 'bench'; log_group_name = 'bench'; log_stream_name = 'bench'\n"
    "    def get_remaining_time_in_millis(self): return 30_000\n"
)
FUNCTION_PROBE = (
    "import json, sys, time\n"
    "from importlib import import_module\n"
    f"{CONTEXT}"
    "event, context = json.loads(sys.argv[2]), Context()\n"
    "started = time.perf_counter()\n"
    "response = import_module(sys.argv[1]).handler(event, context)\n"
    "elapsed = time.perf_counter() - started\n"
    "print(json.dumps({'ms': elapsed * 1000, 'status': response.get('statusCode')}))\n"
)
# Untimed: which AWS calls the first invocation makes, with their parameters.
RECORDER = (
    "import json, sys\n"
    "from importlib import import_module\n"
    "import botocore.client\n"
    f"{CONTEXT}"
    "calls = []\n"
    "original = botocore.client.BaseClient._make_api_call\n"
    "def recorded(self, operation, params):\n"
    "    calls.append([self.meta.service_model.service_name, operation, params])\n"
    "    return original(self, operation, params)\n"
    "botocore.client.BaseClient._make_api_call = recorded\n"
    "response = import_module(sys.argv[1]).handler(json.loads(sys.argv[2]), Context())\n"
    "print(json.dumps({'calls': calls, 'status': response.get('statusCode')}, default=str))\n"
)
BASELINE_PROBE = (
    "import json, sys, time\n"
    "calls = json.loads(sys.argv[1])\n"
    "started = time.perf_counter()\n"
    "import boto3\n"
    "from botocore.exceptions import ClientError\n"
    "session, clients = boto3.session.Session(), {}\n"
    "for service, operation, params in calls:\n"
    "    if service not in clients:\n"
    "        clients[service] = session.client(service)\n"
    "    try:\n"
    "        clients[service]._make_api_call(operation, params)\n"
    "    except ClientError:\n"
    "        pass  # the handler's refused conditional writes are refused here too\n"
    "elapsed = time.perf_counter() - started\n"
    "print(json.dumps({'ms': elapsed * 1000}))\n"
)


@dataclass(frozen=True)
class Case:
    """One function's first invocation: its handler, event and environment."""

    function: str
    module: str
    event: dict[str, Any]
    environment: dict[str, str]
    expected_status: int


@dataclass(frozen=True)
class ColdStart:
    function: str
    ms: float
    baseline_ms: float
    calls: list[str]  # service:Operation, in order
    interpreter: str

    @property
    def ratio(self) -> float:
        return self.ms / self.baseline_ms


# The callback decides only for a decide key: API Gateway names the caller's key by its id.
DECIDE_KEY_ID, DECIDE_KEY_NAME = "benchdecidekey", "bench-decide"


def api_event(
    method: str,
    path: str,
    resource: str,
    body: str | None,
    headers: dict[str, str],
    api_key_id: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (v1), as the functions receive it."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"issueKey": path.rsplit("/", 1)[-1]} if "{" in resource else None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "bench",
            "stage": "bench",
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/bench{path}",
            "identity": {"sourceIp": "127.0.0.1", "apiKeyId": api_key_id},
        },
    }


def cases(secret_arn: str) -> list[Case]:
    table = {"REQUESTS_TABLE": TABLE}
    delivery = json.dumps(
        {
            "timestamp": int(time.time() * 1000),  # signed; an old one is ignored as a replay
            "webhookEvent": "jira:issue_created",
            "user": {"displayName": "Bench", "accountId": "bench"},
            "issue": {
                "key": ISSUE,
                "fields": {
                    "project": {"key": "OPS"},
                    "issuetype": {"name": "Service Request"},
                    "status": {"name": "Submitted"},
                    "summary": "bench",
                },
            },
        }
    )
    json_headers = {"Content-Type": "application/json"}
    webhook_headers = {
        **json_headers,
        "X-Hub-Signature": sign(delivery.encode(), WEBHOOK_SECRET),
        "X-Atlassian-Webhook-Identifier": DELIVERY,
    }
    decision = json.dumps({"issueKey": ISSUE, "decision": "approved", "actor": "Bench"})
    return [
        Case(
            "webhook",  # a repeated delivery: verified, parsed, recorded, claim refused, answered
            "jira_workflow.handlers.webhook",
            api_event("POST", "/jira/webhook", "/jira/webhook", delivery, webhook_headers),
            {**table, "JIRA_WEBHOOK_SECRET_ARN": secret_arn},
            200,
        ),
        Case(
            "callback",  # the request is running, not awaiting approval: 404 after the write
            "jira_workflow.handlers.callback",
            api_event(
                "POST", "/jira/callback", "/jira/callback", decision, json_headers, DECIDE_KEY_ID
            ),
            {**table, "DECISION_KEY_IDS": f"{DECIDE_KEY_ID}={DECIDE_KEY_NAME}"},
            404,
        ),
        Case(
            "status",
            "jira_workflow.handlers.status",
            api_event("GET", f"/requests/{ISSUE}", "/requests/{issueKey}", None, json_headers),
            table,
            200,
        ),
    ]


def extract(zip_path: Path, into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    return into


def lambda_environment(task_root: Path) -> dict[str, str]:
    """What Lambda sets for a function (Powertools reads some of it at import)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "jira-workflow",
        "POWERTOOLS_METRICS_NAMESPACE": "JiraWorkflow",
        "PYTHONDONTWRITEBYTECODE": "1",  # as on Lambda: nothing is cached between samples
    }


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 holding one running request and the webhook secret."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    from local_cloud import moto_patches

    moto_patches.patch_moto_server_no_delay()  # else ~40 ms per call on either side
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def seed(endpoint: str) -> str:
    """Create the table, one running request and the webhook secret; return the secret ARN."""
    session = boto3.session.Session(
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - the local moto server's
        region_name=REGION,
    )
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )
    table = RequestsTable(dynamodb, TABLE)
    name = execution_name(ISSUE, DELIVERY)
    table.claim(ISSUE, name, DELIVERY, f"webhooks/{ISSUE}/{name}.json", "2026-11-28T00:00:00Z")
    table.update(ISSUE, name, "2026-11-28T00:00:05Z", state=RequestState.RUNNING)
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    created = secrets.create_secret(
        Name="bench/jira-webhook", SecretString=json.dumps({"current": WEBHOOK_SECRET})
    )
    return str(created["ARN"])


def runtime_sdk(interpreter: str, into: Path) -> Path:
    """The SDK the runtime provides, copied from this environment and precompiled by 3.13
    (the runtime's copy is precompiled too)."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    for name in RUNTIME_SDK:
        module = __import__(name)
        origin = Path(str(module.__file__))
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, into / name, ignore=shutil.ignore_patterns("*.pyc"))
        else:
            shutil.copy2(origin, into / origin.name)
    subprocess.run([interpreter, "-m", "compileall", "-q", str(into)], check=True)
    return into


def run(interpreter: str, script: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    # -s -S: no site-packages; the import path is Lambda's: the package, then the runtime's SDK.
    result = subprocess.run(
        [interpreter, "-s", "-S", "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cold start probe failed: {result.stderr.strip()[-400:]}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def measure(
    zip_path: Path, work_dir: Path, runs: int, progress: Callable[[str], None]
) -> list[ColdStart]:
    interpreter = lambda_python.runtime_python()
    task_root = extract(zip_path, work_dir / "runtime-task")
    sdk = runtime_sdk(interpreter, work_dir / "runtime-sdk")
    results = []
    with moto_server() as endpoint:
        secret_arn = seed(endpoint)
        base_env = {
            **lambda_environment(task_root),
            "PYTHONPATH": f"{task_root}:{sdk}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ENDPOINT_URL": endpoint,
        }
        for case in cases(secret_arn):
            env = {**base_env, **case.environment}
            event = json.dumps(case.event)
            recorded = run(interpreter, RECORDER, [case.module, event], env)
            if recorded["status"] != case.expected_status:
                raise RuntimeError(
                    f"{case.function} answered {recorded['status']}, "
                    f"expected {case.expected_status}"
                )
            calls = json.dumps(recorded["calls"])
            progress(f"  cold start {case.function} and its baseline ({runs} runs each)")
            function_ms, baseline_ms = [], []
            for _ in range(runs):  # interleaved, so a busy moment hits both sides
                function = run(interpreter, FUNCTION_PROBE, [case.module, event], env)
                function_ms.append(function["ms"])
                baseline_ms.append(run(interpreter, BASELINE_PROBE, [calls], env)["ms"])
            results.append(
                ColdStart(
                    case.function,
                    round(statistics.median(function_ms), 1),
                    round(statistics.median(baseline_ms), 1),
                    [f"{service}:{operation}" for service, operation, _ in recorded["calls"]],
                    interpreter,
                )
            )
    return results


def main() -> int:
    """Print the cold starts alone: `python -m workflow_tools.bench.coldstart [runs]`."""
    import tempfile

    from workflow_tools import REPO_ROOT
    from workflow_tools.bench import package

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    zip_path = package.build(REPO_ROOT, "runtime-host")
    with tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        for c in measure(zip_path, Path(tmp), runs, print):
            print(
                f"{c.function:10} {c.ms:7.1f} ms  baseline {c.baseline_ms:7.1f} ms  "
                f"{c.ratio:.2f}x  calls: {', '.join(c.calls)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

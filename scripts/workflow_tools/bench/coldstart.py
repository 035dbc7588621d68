"""Cold start as Lambda bills it: import + first invocation, in a fresh 3.13 interpreter.

Each sample is a new interpreter of the runtime's version (the one the build compiles the
package's bytecode with) importing one handler from the package built for the runtime
(`--platform runtime-host`: the deployed bytecode, native wheels for this machine) and
answering one event. Beside it, a baseline: a fresh interpreter that imports boto3 and
makes the same AWS calls, recorded from an untimed run of that handler, and the same HTTP
calls to Jira and the external API through urllib3 (which the runtime's boto3 brings).

Both talk to one moto server on 127.0.0.1, started for the measurement. A server rather
than botocore stubs because the handler's paths depend on real answers (a conditional
write refused, then a read) and a stub would skip the HTTP round trip and the response
parsing the function does pay; the server's own time is in both sides alike.

The API functions are measured on repeatable paths that leave the table as they found it
(a status read; a decision for a request that is not awaiting one; a repeated webhook
delivery), so every sample is a first invocation of the same work. The state machine's
tasks get a new issue and request per sample instead (coldstart_steps.py).
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
from urllib.parse import urlsplit

import boto3

from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain.execution_name import execution_name
from jira_workflow.domain.requests import RequestState
from jira_workflow.domain.signature import sign
from workflow_tools import lambda_python
from workflow_tools.bench import coldstart_steps

REGION = "eu-west-1"
TABLE = "bench-requests"
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 - a local moto server's fixture
ISSUE = "OPS-1"
DELIVERY = "bench-delivery"
API_GOAL, STEP_GOAL = 1.3, 1.5  # x the baseline (issue 15)
# What the Lambda Python runtime provides beside the standard library (boto3 and its deps).
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")

CONTEXT = (
    "class Context:\n"
    "    function_name = 'bench'; function_version = '$LATEST'; memory_limit_in_mb = 256\n"
    "    invoked_function_arn = 'arn:aws:lambda:eu-west-1:123456789012:function:bench'\n"
    "    aws_request_id = 'bench'; log_group_name = 'bench'; log_stream_name = 'bench'\n"
    "    def get_remaining_time_in_millis(self): return 30_000\n"
)
# What a handler answered, to check the path: an API's status code, a task's output keys.
SUMMARY = (
    "def summary(response):\n"
    "    return response.get('statusCode') if 'statusCode' in response else sorted(response)\n"
)
FUNCTION_PROBE = (
    "import json, sys, time\n"
    "from importlib import import_module\n"
    f"{CONTEXT}{SUMMARY}"
    "event, context = json.loads(sys.argv[2]), Context()\n"
    "started = time.perf_counter()\n"
    "response = import_module(sys.argv[1]).handler(event, context)\n"
    "elapsed = time.perf_counter() - started\n"
    "print(json.dumps({'ms': elapsed * 1000, 'summary': summary(response)}))\n"
)
# Untimed: which AWS calls (with their parameters) and HTTP requests (as sent, credentials
# included: they are the local fakes') the first invocation makes, in order.
RECORDER = (
    "import json, sys\n"
    "from importlib import import_module\n"
    "import botocore.client\n"
    "import requests.adapters\n"
    f"{CONTEXT}{SUMMARY}"
    "calls = []\n"
    "make_api_call = botocore.client.BaseClient._make_api_call\n"
    "def recorded(self, operation, params):\n"
    "    calls.append(['aws', self.meta.service_model.service_name, operation, params])\n"
    "    return make_api_call(self, operation, params)\n"
    "botocore.client.BaseClient._make_api_call = recorded\n"
    "send = requests.adapters.HTTPAdapter.send\n"
    "def recorded_send(self, request, **kwargs):\n"
    "    body = request.body.decode() if isinstance(request.body, bytes) else request.body\n"
    "    calls.append(['http', request.method, request.url, dict(request.headers), body])\n"
    "    return send(self, request, **kwargs)\n"
    "requests.adapters.HTTPAdapter.send = recorded_send\n"
    "response = import_module(sys.argv[1]).handler(json.loads(sys.argv[2]), Context())\n"
    "print(json.dumps({'calls': calls, 'summary': summary(response)}, default=str))\n"
)
BASELINE_PROBE = (
    "import json, sys, time\n"
    "calls = json.loads(sys.argv[1])\n"
    "started = time.perf_counter()\n"
    "import boto3\n"
    "from botocore.exceptions import ClientError\n"
    "session, clients, http = boto3.session.Session(), {}, None\n"
    "for kind, *call in calls:\n"
    "    if kind == 'http':\n"
    "        if http is None:\n"
    "            import urllib3\n"
    "            http = urllib3.PoolManager()\n"
    "        method, url, headers, body = call\n"
    "        http.request(method, url, body=body, headers=headers)\n"
    "        continue\n"
    "    service, operation, params = call\n"
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
    """One function's first invocation: its handler, environment and events."""

    function: str
    module: str
    event_for: coldstart_steps.EventFor  # sample n's event, after its untimed setup
    environment: dict[str, str]
    expected: int | list[str]  # the API's status code, or the task output's keys
    goal: float


@dataclass(frozen=True)
class ColdStart:
    function: str
    ms: float
    baseline_ms: float
    calls: list[str]  # service:Operation or http:METHOD path, in order
    interpreter: str
    goal: float

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


def api_cases(secret_arn: str) -> list[Case]:
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
            always(api_event("POST", "/jira/webhook", "/jira/webhook", delivery, webhook_headers)),
            {**table, "JIRA_WEBHOOK_SECRET_ARN": secret_arn},
            200,
            API_GOAL,
        ),
        Case(
            "callback",  # the request is running, not awaiting approval: 404 after the write
            "jira_workflow.handlers.callback",
            always(
                api_event(
                    "POST",
                    "/jira/callback",
                    "/jira/callback",
                    decision,
                    json_headers,
                    DECIDE_KEY_ID,
                )
            ),
            {**table, "DECISION_KEY_IDS": f"{DECIDE_KEY_ID}={DECIDE_KEY_NAME}"},
            404,
            API_GOAL,
        ),
        Case(
            "status",
            "jira_workflow.handlers.status",
            always(
                api_event("GET", f"/requests/{ISSUE}", "/requests/{issueKey}", None, json_headers)
            ),
            table,
            200,
            API_GOAL,
        ),
    ]


def always(event: dict[str, Any]) -> coldstart_steps.EventFor:
    return lambda _sample: event


def step_cases(stage: coldstart_steps.StepStage, environment: dict[str, str]) -> list[Case]:
    return [
        Case(c.function, c.module, c.event_for, environment, c.expected_output, STEP_GOAL)
        for c in coldstart_steps.step_cases(stage)
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


def bench_session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - the local moto server's
        region_name=REGION,
    )


def seed(session: boto3.session.Session, endpoint: str) -> str:
    """Create the table, one running request and the webhook secret; return the secret ARN."""
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
    """The API functions, then the state machine's tasks."""
    interpreter = lambda_python.runtime_python()
    task_root = extract(zip_path, work_dir / "runtime-task")
    sdk = runtime_sdk(interpreter, work_dir / "runtime-sdk")
    session = bench_session()
    with moto_server() as endpoint:
        secret_arn = seed(session, endpoint)
        base_env = {
            **lambda_environment(task_root),
            "PYTHONPATH": f"{task_root}:{sdk}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ENDPOINT_URL": endpoint,
        }
        with coldstart_steps.step_stage(session, endpoint, TABLE) as (stage, step_env):
            measured = api_cases(secret_arn) + step_cases(stage, step_env)
            return [measure_case(interpreter, case, base_env, runs, progress) for case in measured]


def measure_case(
    interpreter: str,
    case: Case,
    base_env: dict[str, str],
    runs: int,
    progress: Callable[[str], None],
) -> ColdStart:
    env = {**base_env, **case.environment}
    recorded = run(interpreter, RECORDER, [case.module, json.dumps(case.event_for(0))], env)
    if recorded["summary"] != case.expected:
        raise RuntimeError(
            f"{case.function} answered {recorded['summary']}, expected {case.expected}"
        )
    calls = json.dumps(recorded["calls"])
    progress(f"  cold start {case.function} and its baseline ({runs} runs each)")
    function_ms, baseline_ms = [], []
    for sample in range(1, runs + 1):  # interleaved, so a busy moment hits both sides
        event = json.dumps(case.event_for(sample))
        function_ms.append(run(interpreter, FUNCTION_PROBE, [case.module, event], env)["ms"])
        baseline_ms.append(run(interpreter, BASELINE_PROBE, [calls], env)["ms"])
    return ColdStart(
        case.function,
        round(statistics.median(function_ms), 1),
        round(statistics.median(baseline_ms), 1),
        [call_name(call) for call in recorded["calls"]],
        interpreter,
        case.goal,
    )


def call_name(call: list[Any]) -> str:
    """`dynamodb:UpdateItem`, or `http:POST /rest/api/3/issue/OPS-2/comment`."""
    if call[0] == "http":
        return f"http:{call[1]} {urlsplit(call[2]).path}"
    return f"{call[1]}:{call[2]}"


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

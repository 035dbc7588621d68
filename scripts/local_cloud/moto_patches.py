"""Each way moto 5.2.5 (pinned) is made to behave like the AWS this deployment needs.

One small named function per patch, each saying why; `apply_all` installs them once.
tests/functional/test_emulator_*.py covers each, so a moto upgrade that changes the code
underneath fails a test naming the patch instead of breaking the local stack silently.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult, EmptyResult
from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from local_cloud import execution_events
from local_cloud.asl_validation import diagnose
from local_cloud.dynamodb_atomic import patch_atomic_dynamodb_writes
from local_cloud.faults import FaultPlan
from local_cloud.lambda_runner import InProcessLambdaRunner

EXPECTED_MOTO_VERSION = "5.2.5"
APPLIED: list[str] = []
_apply_lock = threading.Lock()


class ThrottlingError(AWSError):
    TYPE = "ThrottlingException"
    STATUS = 400


class InvalidDefinitionError(AWSError):
    TYPE = "InvalidDefinition"
    STATUS = 400


def _patch(owner: Any, attribute: str, replacement: Callable[..., Any], name: str) -> None:
    """Install `replacement`, keeping the original reachable as `<attribute>_moto`."""
    setattr(owner, f"{attribute}_moto", getattr(owner, attribute, None))
    setattr(owner, attribute, replacement)
    APPLIED.append(name)


# ---- Lambda ----------------------------------------------------------------------------


def patch_run_lambda_in_process(runner: InProcessLambdaRunner) -> None:
    """moto runs Lambda code only in Docker (absent here) or not at all (use_docker off
    routes to a stub backend): run the real handler in this process instead, and keep the
    log lines as the function's CloudWatch log events like Lambda does."""

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        self.logs_backend.ensure_log_group(self.logs_group_name)
        result = runner.invoke(self, event if event is not None else {})
        self.save_logs(result.logs or "\n")
        return result.payload, result.errored, result.logs

    _patch(LambdaFunction, "_invoke_lambda", _invoke_lambda, "run_lambda_in_process")


def patch_async_invoke_in_background() -> None:
    """moto runs an `Event` (async) invocation before answering 202; AWS queues it. The
    scheduler-style callers must not wait on the function, so run it on its own thread."""
    original = LambdaFunction.invoke

    def invoke(
        self: LambdaFunction, body: str, request_headers: Any, response_headers: Any
    ) -> str | bytes:
        if request_headers.get("x-amz-invocation-type", "RequestResponse") != "Event":
            return original(self, body, request_headers, response_headers)
        event = json.loads(body) if body else {}
        threading.Thread(
            target=self._invoke_lambda,
            kwargs={"event": event},
            daemon=True,
            name=f"lambda-async-{self.function_name}",
        ).start()
        return ""

    _patch(LambdaFunction, "invoke", invoke, "async_invoke_in_background")


# ---- The server --------------------------------------------------------------------------


def patch_moto_server_no_delay() -> None:
    """moto's server answers with werkzeug's handler, Nagle's algorithm on: a small write
    behind an unacknowledged one can wait for the client's delayed ACK (about 40 ms)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    MotoRequestHandler.disable_nagle_algorithm = True
    APPLIED.append("moto_server_no_delay")


def patch_backend_lookup_once_per_host() -> None:
    """moto's server finds the backend for each request's host by listing its own package
    folder and testing every entry with `isdir` (about 170 of them), on every request and
    under its dispatcher's lock: a fifth of the server's time in a warm flow (py-spy). The
    answer depends on the host alone and the installed package does not change while we
    run, so it is looked up once per host."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    backends: dict[str | None, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in backends:  # a race only works out the same answer twice
            backends[host] = original(self, host)
        return backends[host]

    _patch(
        DomainDispatcherApplication,
        "get_backend_for_host",
        get_backend_for_host,
        "backend_lookup_once_per_host",
    )


# ---- Step Functions --------------------------------------------------------------------


def patch_validate_state_machine_definition() -> None:
    """The AWS provider calls ValidateStateMachineDefinition, which moto lacks; answer with
    real diagnostics so a broken ASL (e.g. a Next to nowhere) fails plan/apply locally."""

    def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
        diagnostics = [d.to_api() for d in diagnose(self._get_param("definition") or "")]
        return ActionResult(
            {
                "result": "FAIL" if diagnostics else "OK",
                "diagnostics": diagnostics,
                "truncated": False,
            }
        )

    _patch(
        StepFunctionResponse,
        "validate_state_machine_definition",
        validate_state_machine_definition,
        "validate_state_machine_definition",
    )


def patch_reject_invalid_definitions() -> None:
    """moto's parser accepts transitions to missing states, which then fail mid-execution;
    AWS rejects them at Create/UpdateStateMachine with InvalidDefinition."""
    original = StepFunctionsParserBackend._validate_definition

    def _validate_definition(definition: str) -> None:
        problems = diagnose(definition)
        if problems:
            raise InvalidDefinitionError(
                "; ".join(f"{p.code}: {p.message} at {p.location}" for p in problems)
            )
        original(definition)

    _patch(
        StepFunctionsParserBackend,
        "_validate_definition",
        staticmethod(_validate_definition),
        "reject_invalid_definitions",
    )


def patch_list_state_machine_versions() -> None:
    """The AWS provider lists versions after creating a state machine; moto lacks the
    action. We never publish versions, so the honest answer is an empty list."""

    def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
        return ActionResult({"stateMachineVersions": []})

    _patch(
        StepFunctionResponse,
        "list_state_machine_versions",
        list_state_machine_versions,
        "list_state_machine_versions",
    )


def patch_send_task_failure_keeps_cause() -> None:
    """moto's response handler drops `cause` from SendTaskFailure; the ASL's Catch reads
    `$.Cause` to tell Jira and DynamoDB why, so pass it through."""

    def send_task_failure(self: StepFunctionResponse) -> ActionResult:
        # The executing backend is the parser's, whose send_task_failure takes `cause`.
        backend = cast("StepFunctionsParserBackend", self.stepfunction_backend)
        backend.send_task_failure(
            self._get_param("taskToken"),
            error=self._get_param("error"),
            cause=self._get_param("cause"),
        )
        return EmptyResult()

    _patch(
        StepFunctionResponse,
        "send_task_failure",
        send_task_failure,
        "send_task_failure_keeps_cause",
    )


def patch_start_execution_names_and_faults(faults: FaultPlan) -> None:
    """Two fixes on StartExecution: the executing (parser) backend uses the literal name
    None when no name is given, so a second unnamed start collides ("...:None"): AWS
    generates a UUID. And the fault plan may throttle a fraction of calls on purpose."""
    original = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: StepFunctionsParserBackend,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        if faults.should_throttle_start_execution():
            raise ThrottlingError("Rate exceeded")
        if name is not None and not (0 < len(name) <= 80):
            raise ValidationException("Execution name must be 1 to 80 characters")
        return original(
            self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header
        )

    _patch(
        StepFunctionsParserBackend,
        "start_execution",
        start_execution,
        "start_execution_names_and_faults",
    )


# Executions a load test keeps running at once, each of whose Task states may be calling.
_ASL_CLIENT_POOL_SIZE = 128


def patch_reuse_asl_task_clients() -> None:
    """moto's ASL interpreter builds a new boto3 client for every Task state it runs
    (`boto_client_for`): botocore's model loading each time, on every execution. Those
    clients differ only by service, region and endpoint, and a botocore client is
    thread-safe once built, so share one per (service, region, endpoint)."""
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    clients: dict[tuple[str, str, str | None], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's own choice: in-process when its decorator intercepts, else this server.
        endpoint_url = (
            None if botocore_stubber.enabled else f"http://localhost:{moto_server_port()}"
        )
        key = (service, region, endpoint_url)
        with lock:  # boto3's default session is not safe to build clients from in parallel
            if key not in clients:
                clients[key] = _asl_task_client(service, region, endpoint_url)
            return clients[key]

    # Each task module bound the function by name when it was imported; modules imported
    # later read the patched one from `boto_client`.
    for module in list(sys.modules.values()):
        if getattr(module, "boto_client_for", None) is original and module is not boto_client:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]
    _patch(boto_client, "boto_client_for", boto_client_for, "reuse_asl_task_clients")


# Parallel and Map states keep run state on their parsed components (branch counters, map
# run records), so only definitions without them share one parsed program.
_STATEFUL_STATE_TYPES = re.compile(r'"Type"\s*:\s*"(Parallel|Map)"')
_PARSED_PROGRAMS_KEPT = 32


def patch_reuse_parsed_definitions() -> None:
    """moto's ASL interpreter parses the definition with its ANTLR grammar at the start of
    every execution: about a tenth of the local stack's time during a warm flow (py-spy).
    The parsed program of our states keeps no state of its own (each execution's lives in
    its Environment), so one parse per definition text is shared by every execution."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    programs: OrderedDict[str, Any] = OrderedDict()
    lock = threading.Lock()

    def _get_evaluation_entrypoint(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        if _STATEFUL_STATE_TYPES.search(definition):
            return AmazonStateLanguageParser.parse(definition)[0]
        with lock:
            program = programs.get(definition)
            if program is None:
                program = AmazonStateLanguageParser.parse(definition)[0]
                programs[definition] = program
                if len(programs) > _PARSED_PROGRAMS_KEPT:
                    programs.popitem(last=False)
            programs.move_to_end(definition)
            return program

    _patch(
        ExecutionWorker,
        "_get_evaluation_entrypoint",
        _get_evaluation_entrypoint,
        "reuse_parsed_definitions",
    )


def patch_reuse_parsed_json_paths() -> None:
    """moto's ASL interpreter parses every JSONPath (`$.request.issueKey`, a ResultPath)
    each time a state evaluates it, and jsonpath_ng builds a new PLY parser per parse:
    0.4 ms a path, several per state. A parsed path is only read (`find`,
    `update_or_create` change the document, not the path), so each text is parsed once."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (json_path, result_path):
        cached = functools.lru_cache(maxsize=1024)(module.parse)
        _patch(module, "parse", cached, f"reuse_parsed_json_paths:{module.__name__}")


def _asl_task_client(service: str, region: str, endpoint_url: str | None) -> Any:
    """The client moto 5.2.5's `boto_client_for` builds, with a connection pool sized for
    concurrent executions: one shared client must not drop connections at every burst."""
    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

    timeout = TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS
    config = Config(
        parameter_validation=False,
        retries={"max_attempts": 0, "total_max_attempts": 1},
        connect_timeout=timeout,
        read_timeout=timeout,
        max_pool_connections=_ASL_CLIENT_POOL_SIZE,
    )
    build: Callable[..., Any] = boto3.client  # the service is a runtime value, not a literal
    return build(
        service_name=service,
        region_name=region,
        aws_access_key_id="ak",
        aws_secret_access_key="sk",  # noqa: S106 - moto's fixed local credentials
        endpoint_url=endpoint_url,
        config=config,
    )


def patch_stop_execution_keeps_cause() -> None:
    """moto's StopExecution drops `error` and `cause`, and describes the aborted execution
    without them; AWS keeps both (the history, DescribeExecution, the status change event),
    and the finaliser shows the operator's cause in Jira."""
    from moto.stepfunctions.exceptions import ExecutionDoesNotExist
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    def stop_execution(self: StepFunctionResponse) -> ActionResult:
        arn = self._get_param("executionArn")
        backend = cast("StepFunctionsParserBackend", self.stepfunction_backend)
        found = (x for x in backend._get_executions() if x.execution_arn == arn)
        execution = next(found, None)
        if execution is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        stopped_at = datetime.now(UTC)
        execution.stop(
            stop_date=stopped_at, error=self._get_param("error"), cause=self._get_param("cause")
        )
        return ActionResult({"stopDate": stopped_at})

    original_reflect = BaseExecutionWorkerCommunication._reflect_execution_status

    def _reflect_execution_status(self: BaseExecutionWorkerCommunication) -> None:
        original_reflect(self)  # type: ignore[no-untyped-call]
        worker = self.execution.exec_worker
        stopped = worker.env.program_state() if worker and worker.env else None
        if isinstance(stopped, ProgramStopped):
            self.execution.error = stopped.error or None
            self.execution.cause = stopped.cause or None

    _patch(StepFunctionResponse, "stop_execution", stop_execution, "stop_execution_keeps_cause")
    _patch(
        BaseExecutionWorkerCommunication,
        "_reflect_execution_status",
        _reflect_execution_status,
        "stopped_executions_describe_their_cause",
    )


def patch_stopped_executions_stay_aborted() -> None:
    """StopExecution does not wake a Task waiting for its callback token: the execution runs
    on until the task's own timeout, and moto then records that failure over the stop
    (FAILED, States.Timeout). In AWS the execution ends ABORTED at once and nothing runs
    after it: wake the waiting tasks, and let no later failure replace the stop."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

    original_stop = Environment.set_stop
    original_error = Environment.set_error
    original_timed_out = Environment.set_timed_out

    def set_stop(self: Environment, stop_date: Any, cause: Any, error: Any) -> None:
        original_stop(self, stop_date=stop_date, cause=cause, error=error)
        for endpoint in list(self.callback_pool_manager._pool.values()):
            endpoint.interrupt_all()

    def set_error(self: Environment, error: Any) -> None:
        with self._state_mutex:
            if isinstance(self._program_state, ProgramStopped):
                return
            original_error(self, error)

    def set_timed_out(self: Environment) -> None:
        with self._state_mutex:
            if isinstance(self._program_state, ProgramStopped):
                return
            original_timed_out(self)

    _patch(Environment, "set_stop", set_stop, "stop_wakes_waiting_tasks")
    _patch(Environment, "set_error", set_error, "stopped_executions_stay_aborted")
    _patch(Environment, "set_timed_out", set_timed_out, "stopped_executions_do_not_time_out")


def patch_execution_status_change_events() -> None:
    """moto emits no "Step Functions Execution Status Change" event: put one on the default
    bus whenever a Standard execution closes, as Step Functions does (execution_events)."""
    from moto.stepfunctions.parser.api import StateMachineType
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        original(self)
        execution = self.execution
        if execution.sm_type != StateMachineType.STANDARD:
            return  # Express workflows send no events
        try:
            execution_events.put_on_default_bus(execution_events.status_change_event(execution))
        except Exception:  # the execution is over either way; say why the event was lost
            logging.getLogger(__name__).exception("status change event not delivered")

    _patch(
        BaseExecutionWorkerCommunication,
        "terminated",
        terminated,
        "execution_status_change_events",
    )


# ---- EventBridge -----------------------------------------------------------------------


def patch_rules_invoke_lambda_targets() -> None:
    """moto's rules deliver to SQS, logs and buses but raise NotImplementedError for a
    Lambda target; EventBridge invokes the function asynchronously with the event."""
    from moto.events.models import Rule
    from moto.events.utils import EventMessageType
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            if parse_arn(target["Arn"]).service == "lambda":
                execution_events.invoke_lambda_target(target, original_event, self.account_id)
            else:
                others.append(target)
        if others:
            # A copy with the other targets: the rule itself is shared by every thread.
            rule = copy.copy(self)
            rule.targets = others
            # moto's own targets read `time` and `ingestion-time` as its PutEvents sets them.
            event = {
                **original_event,
                "time": execution_events.epoch_seconds(original_event.get("time")),
                "ingestion-time": time.time(),
            }
            original(rule, cast("EventMessageType", event), transform_input)

    _patch(Rule, "send_to_targets", send_to_targets, "rules_invoke_lambda_targets")


# ---- S3 ------------------------------------------------------------------------------


def _statement_applies_over_tls(statement: dict[str, Any]) -> bool:
    """False when the statement is conditioned on `aws:SecureTransport` being false."""
    for operator, values in (statement.get("Condition") or {}).items():
        if operator not in ("Bool", "BoolIfExists"):
            continue
        for key, expected in values.items():
            if key.lower() != "aws:securetransport":
                continue
            wanted = expected if isinstance(expected, list) else [expected]
            if "true" not in [str(v).lower() for v in wanted]:
                return False
    return True


def patch_bucket_policy_sees_tls() -> None:
    """moto ignores the `Bool` condition operator, so the standard TLS-only statement
    (Deny s3:* when aws:SecureTransport is false) denies every request, Terraform's own
    uploads included. The emulator stands in for S3's HTTPS endpoint: evaluate the bucket
    policy as AWS does for a TLS caller, i.e. without the statements that only apply to
    plain HTTP."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy)
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        policy["Statement"] = [s for s in statements if _statement_applies_over_tls(s)]
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    _patch(FakeBucket, "get_permission", get_permission, "bucket_policy_sees_tls")


def apply_all(runner: InProcessLambdaRunner, faults: FaultPlan) -> list[str]:
    """Install every patch once per process; returns the names applied."""
    import moto

    with _apply_lock:
        if APPLIED:
            return list(APPLIED)
        if moto.__version__ != EXPECTED_MOTO_VERSION:
            raise RuntimeError(
                f"the local cloud is written against moto {EXPECTED_MOTO_VERSION}, found "
                f"{moto.__version__}: re-check every patch in {__name__} before moving the pin"
            )
        patch_run_lambda_in_process(runner)
        patch_async_invoke_in_background()
        patch_validate_state_machine_definition()
        patch_reject_invalid_definitions()
        patch_list_state_machine_versions()
        patch_send_task_failure_keeps_cause()
        patch_start_execution_names_and_faults(faults)
        patch_reuse_asl_task_clients()
        patch_stop_execution_keeps_cause()
        patch_stopped_executions_stay_aborted()
        patch_execution_status_change_events()
        patch_rules_invoke_lambda_targets()
        patch_reuse_parsed_definitions()
        patch_reuse_parsed_json_paths()
        patch_moto_server_no_delay()
        patch_backend_lookup_once_per_host()
        patch_bucket_policy_sees_tls()
        patch_atomic_dynamodb_writes()
        APPLIED.append("atomic_dynamodb_writes")
        return list(APPLIED)

"""The state machine definition: renders from the one placeholder map and keeps the rules
the house style sets for every Task (retry, catch, callback timeout, small payloads)."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from jira_workflow.domain import errors
from jira_workflow.domain.errors import (
    ExternalServiceUnavailable,
    InvalidRequest,
    JiraUnavailable,
    RetryableError,
    WorkflowError,
)
from local_cloud.statemachine import ASL_PATH, placeholders, render

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:jira-workflow-{}"
EXECUTION_TIMEOUT = 86400
APPROVAL_TIMEOUT = 7200
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
# A function killed by its own timeout, or an invoke that timed out on the client side:
# the step's retry must cover them, or one slow dependency fails the request.
LAMBDA_TIMEOUT_ERRORS = {"Sandbox.Timedout", "Lambda.ClientExecutionTimeoutException"}
AWS_ERROR_PREFIXES = ("States.", "Lambda.", "Sandbox.")
STEP_RETRYABLE_ERRORS = {ExternalServiceUnavailable.__name__, JiraUnavailable.__name__}
API_ONLY_RETRYABLE_ERRORS = {
    "StartThrottled",  # webhook: StartExecution throttled; callback: SendTaskSuccess throttled
    "TaskCompletionFailed",  # callback: SendTaskSuccess/Failure refused
    "CompletionUnconfirmed",  # callback, webhook, reconciler: SendTaskSuccess unanswered
}
ERROR_CLASSES = {
    name
    for name, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, WorkflowError)
}


def substitutions() -> dict[str, Any]:
    """The same keys as Terraform's `local.asl_substitutions`."""
    values: dict[str, Any] = {
        name: ARN.format(name.removesuffix("_arn"))
        for name in placeholders()
        if name.endswith("_arn")
    }
    values["approval_timeout_seconds"] = APPROVAL_TIMEOUT
    values["state_machine_timeout_seconds"] = EXECUTION_TIMEOUT
    return values


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render(substitutions()))
    return document


@pytest.fixture(scope="module")
def states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = definition["States"]
    return found


def tasks(states: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    return ((name, state) for name, state in states.items() if state["Type"] == "Task")


def targets(state: dict[str, Any]) -> Iterator[str]:
    """Every state name this state can move to."""
    if "Next" in state:
        yield state["Next"]
    if "Default" in state:
        yield state["Default"]
    for choice in state.get("Choices", ()):
        yield choice["Next"]
    for catcher in state.get("Catch", ()):
        yield catcher["Next"]


# ---- rendering --------------------------------------------------------------------------


def test_placeholders_are_the_designed_arns_and_timeout() -> None:
    assert placeholders() == {
        "validate_request_arn",
        "enrich_request_arn",
        "store_artifacts_arn",
        "request_approval_arn",
        "fulfil_request_arn",
        "report_outcome_arn",
        "record_failure_arn",
        "approval_timeout_seconds",
        "state_machine_timeout_seconds",
    }


def test_rendered_definition_has_no_placeholder_left() -> None:
    rendered = render(substitutions())

    assert "${" not in rendered
    for value in substitutions().values():
        assert str(value) in rendered


def test_render_fails_on_a_missing_key() -> None:
    values = substitutions()
    del values["fulfil_request_arn"]

    with pytest.raises(KeyError, match="fulfil_request_arn"):
        render(values)


def test_render_fails_on_an_unknown_key() -> None:
    with pytest.raises(KeyError, match="notify_arn"):
        render({**substitutions(), "notify_arn": ARN.format("notify")})


def test_render_fails_when_a_value_breaks_the_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        render({**substitutions(), "approval_timeout_seconds": "not a number"})


def test_template_itself_is_json_except_for_the_numeric_placeholder() -> None:
    # The only unquoted placeholders are the timeouts, which must render to JSON numbers.
    text = ASL_PATH.read_text()
    unquoted = re.findall(r'(?<!")\$\{([a-z_]+)\}(?!")', text)
    assert set(unquoted) == {"approval_timeout_seconds", "state_machine_timeout_seconds"}
    for name in unquoted:
        text = text.replace("${" + name + "}", "1")
    json.loads(text)


def test_the_whole_execution_is_bounded_by_the_state_machine_timeout(
    definition: dict[str, Any],
) -> None:
    assert definition["TimeoutSeconds"] == EXECUTION_TIMEOUT


# ---- graph --------------------------------------------------------------------------


def test_start_and_every_transition_target_exist(
    definition: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    assert definition["StartAt"] in states
    for name, state in states.items():
        for target in targets(state):
            assert target in states, f"{name} -> {target}"


def test_every_state_is_reachable_from_start(
    definition: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    seen = {definition["StartAt"]}
    frontier = [definition["StartAt"]]
    while frontier:
        for target in targets(states[frontier.pop()]):
            if target not in seen:
                seen.add(target)
                frontier.append(target)

    assert seen == set(states)


def test_only_terminal_states_have_no_next(states: dict[str, dict[str, Any]]) -> None:
    for name, state in states.items():
        terminal = state["Type"] in ("Succeed", "Fail") or state.get("End") is True
        assert terminal or list(targets(state)), name
        if state["Type"] in ("Succeed", "Fail"):
            assert "Next" not in state, name


def test_definition_uses_jsonpath_not_jsonata(
    definition: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    assert definition.get("QueryLanguage", "JSONPath") == "JSONPath"
    for name, state in states.items():
        assert state.get("QueryLanguage", "JSONPath") == "JSONPath", name
        assert "Arguments" not in state, name  # JSONata's name for Parameters
        assert "Output" not in state, name
    assert "{%" not in json.dumps(definition)


# ---- retry and catch ----------------------------------------------------------------


def test_every_task_retries_with_backoff_and_full_jitter(
    states: dict[str, dict[str, Any]],
) -> None:
    for name, state in tasks(states):
        assert state.get("Retry"), name
        for retrier in state["Retry"]:
            assert retrier["ErrorEquals"], name
            assert retrier["BackoffRate"] > 1, name
            assert 1 <= retrier["MaxAttempts"] <= 10, name
            assert retrier["JitterStrategy"] == "FULL", name
            assert retrier["MaxDelaySeconds"] >= retrier.get("IntervalSeconds", 1), name
            assert "States.ALL" not in retrier["ErrorEquals"], name  # terminal errors: no retry


def test_every_task_retries_lambda_service_errors_and_retryable_domain_errors(
    states: dict[str, dict[str, Any]],
) -> None:
    for name, state in tasks(states):
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        assert retried >= LAMBDA_SERVICE_ERRORS, name
        assert retried >= STEP_RETRYABLE_ERRORS, name


def test_every_task_retries_a_function_timeout(states: dict[str, dict[str, Any]]) -> None:
    for name, state in tasks(states):
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        missing = LAMBDA_TIMEOUT_ERRORS - retried
        assert not missing, f"{name} does not retry {sorted(missing)}"


def test_a_task_timeout_is_retried_unless_it_ends_a_callback_wait(
    states: dict[str, dict[str, Any]],
) -> None:
    # A callback's TimeoutSeconds is the approval window: its end is an outcome, caught.
    # Any other task's TimeoutSeconds bounds one attempt, which deserves another.
    for name, state in tasks(states):
        if "TimeoutSeconds" not in state:
            continue
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        callback = state["Resource"].endswith(".waitForTaskToken")
        assert ("States.Timeout" in retried) is not callback, name


def test_only_retryable_domain_errors_are_retried(states: dict[str, dict[str, Any]]) -> None:
    for name, state in tasks(states):
        for retrier in state["Retry"]:
            for error in retrier["ErrorEquals"]:
                if error.startswith(AWS_ERROR_PREFIXES):
                    continue
                assert issubclass(getattr(errors, error), RetryableError), f"{name}: {error}"


def test_retryable_errors_a_step_raises_are_the_ones_named() -> None:
    # A new RetryableError is either retried by every Task (add it to the ASL) or raised
    # only behind the API (answered 503 + Retry-After): decide which, here, on purpose.
    retryable = {
        name
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, RetryableError) and cls is not RetryableError
    }
    assert retryable - API_ONLY_RETRYABLE_ERRORS == STEP_RETRYABLE_ERRORS


def test_every_custom_error_name_is_a_domain_error_class(
    states: dict[str, dict[str, Any]],
) -> None:
    for name, state in tasks(states):
        for rule in (*state.get("Retry", ()), *state.get("Catch", ())):
            for error in rule["ErrorEquals"]:
                assert error.startswith(AWS_ERROR_PREFIXES) or error in ERROR_CLASSES, (
                    f"{name}: {error}"
                )


def test_every_task_catches_everything_to_the_failure_path(
    states: dict[str, dict[str, Any]],
) -> None:
    fail_states = {name for name, state in states.items() if state["Type"] == "Fail"}
    for name, state in tasks(states):
        catchers = state.get("Catch", [])
        catch_all = [c for c in catchers if "States.ALL" in c["ErrorEquals"]]
        assert catch_all, name
        assert catchers[-1] is catch_all[0], f"{name}: States.ALL must be the last catcher"
        expected = fail_states if name == "RecordFailure" else {"RecordFailure"}
        assert catch_all[0]["Next"] in expected, name
        # The error goes beside the input, not over it: RecordFailure still needs issueKey.
        assert catch_all[0]["ResultPath"] not in (None, "$"), name


def test_record_failure_reads_what_the_catchers_store(states: dict[str, dict[str, Any]]) -> None:
    payload = states["RecordFailure"]["Parameters"]["Payload"]
    catch_paths = {
        catcher["ResultPath"]
        for name, state in tasks(states)
        if name != "RecordFailure"
        for catcher in state["Catch"]
        if catcher["Next"] == "RecordFailure"
    }

    assert catch_paths == {"$.error"}
    assert payload["error.$"] == "$.error.Error"
    assert payload["cause.$"] == "$.error.Cause"
    assert payload["issueKey.$"] == "$.issueKey"


# ---- the approval callback ----------------------------------------------------------


def approval_tasks(states: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, state)
        for name, state in tasks(states)
        if state["Resource"].endswith(".waitForTaskToken")
    ]


def approval_task(states: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    return approval_tasks(states)[0]


def test_approval_waits_for_the_task_token(states: dict[str, dict[str, Any]]) -> None:
    waiting = approval_tasks(states)

    assert [name for name, _ in waiting] == ["RequestApproval", "AwaitDecisionWithoutJira"]
    for _, state in waiting:
        assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
        assert state["Parameters"]["FunctionName"] == ARN.format("request_approval")
        assert "$$.Task.Token" in state["Parameters"]["Payload"].values()
        assert state["Next"] == "RouteDecision"


def test_jira_unreachable_through_the_retries_still_waits_for_the_decision(
    states: dict[str, dict[str, Any]],
) -> None:
    # Telling Jira is what failed, not the request: it waits for a decision the reconciler
    # or an operator can bring once Jira answers, instead of failing.
    _, state = approval_task(states)
    errors = [catcher["ErrorEquals"] for catcher in state["Catch"]]
    assert errors == [["States.Timeout"], ["JiraUnavailable"], ["States.ALL"]]
    assert any("JiraUnavailable" in r["ErrorEquals"] for r in state["Retry"])  # retried first
    fallback = states[state["Catch"][1]["Next"]]
    assert fallback["Parameters"]["Payload"]["tellJira"] is False
    assert all("JiraUnavailable" not in c["ErrorEquals"] for c in fallback["Catch"])


def test_approval_timeout_is_rendered_from_the_placeholder(
    states: dict[str, dict[str, Any]],
) -> None:
    for _, state in approval_tasks(states):
        assert state["TimeoutSeconds"] == APPROVAL_TIMEOUT
        assert isinstance(state["TimeoutSeconds"], int)


def test_approval_timeout_is_reported_to_jira(states: dict[str, dict[str, Any]]) -> None:
    for _, state in approval_tasks(states):
        timeout_catchers = [c for c in state["Catch"] if c["ErrorEquals"] == ["States.Timeout"]]
        assert timeout_catchers
        assert state["Catch"].index(timeout_catchers[0]) == 0  # before States.ALL swallows it

        report = states[timeout_catchers[0]["Next"]]
        assert report["Type"] == "Task"
        assert report["Parameters"]["FunctionName"] == ARN.format("report_outcome")
        assert report["Parameters"]["Payload"]["outcome"] == "approval_timed_out"


def test_timeout_is_not_retried(states: dict[str, dict[str, Any]]) -> None:
    for _, state in approval_tasks(states):
        for retrier in state["Retry"]:
            assert "States.Timeout" not in retrier["ErrorEquals"]
            assert "States.TaskFailed" not in retrier["ErrorEquals"]


def test_only_callback_tasks_need_a_timeout(states: dict[str, dict[str, Any]]) -> None:
    for name, state in tasks(states):
        if state["Resource"].endswith(".waitForTaskToken"):
            assert state["TimeoutSeconds"] > 0, name


# ---- functions and payloads ---------------------------------------------------------


@pytest.mark.parametrize("placeholder", sorted(n for n in placeholders() if n.endswith("_arn")))
def test_each_function_placeholder_has_a_handler_module(placeholder: str) -> None:
    module = importlib.import_module(f"jira_workflow.handlers.{placeholder.removesuffix('_arn')}")

    assert callable(getattr(module, "handler", None))
    assert list(inspect.signature(module.handler).parameters)[:2] == ["event", "context"]


def test_every_function_placeholder_is_used_by_a_task(states: dict[str, dict[str, Any]]) -> None:
    used = {state["Parameters"]["FunctionName"] for _, state in tasks(states)}

    assert used == {
        ARN.format(name.removesuffix("_arn")) for name in placeholders() if name.endswith("_arn")
    }


def test_tasks_invoke_lambda_through_the_optimised_integration(
    states: dict[str, dict[str, Any]],
) -> None:
    for name, state in tasks(states):
        assert state["Resource"] in (
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
        ), name
        assert "Payload.$" not in state["Parameters"], name


def test_no_payload_passes_the_whole_state_document(states: dict[str, dict[str, Any]]) -> None:
    for name, state in tasks(states):
        payload = state["Parameters"]["Payload"]
        assert isinstance(payload, dict), name
        assert payload["issueKey.$"] == "$.issueKey", name
        assert payload["executionName.$"] == "$$.Execution.Name", name
        for key, value in payload.items():
            if not key.endswith(".$"):
                assert isinstance(value, (str, int, float, bool)), f"{name}.{key}"
                continue
            assert isinstance(value, str), f"{name}.{key}"
            assert value not in ("$", "$.", "$$", "$$."), f"{name}.{key} passes a whole document"
            assert re.fullmatch(r"\$\$?(\.[A-Za-z]+)+", value), f"{name}.{key}: {value}"
            assert not value.startswith("$.error") or name == "RecordFailure", f"{name}.{key}"


def test_results_keep_only_keys_and_scalars(states: dict[str, dict[str, Any]]) -> None:
    # The Lambda result lands in state only through a ResultSelector naming its fields,
    # so a step returning a large document cannot bloat the execution's state.
    for name, state in tasks(states):
        if state["Resource"].endswith(".waitForTaskToken"):
            continue  # the callback output is the decision SendTaskSuccess sends
        selector = state.get("ResultSelector")
        assert selector, name
        for key, value in selector.items():
            assert key.endswith(".$"), f"{name}.{key}"
            assert re.fullmatch(r"\$\.Payload\.[A-Za-z]+", value), f"{name}.{key}: {value}"
        assert state["ResultPath"] not in (None, "$"), name


def test_task_payload_fields_match_the_task_models(states: dict[str, dict[str, Any]]) -> None:
    from jira_workflow.models import tasks as task_models

    model_by_function: dict[str, type[task_models.TaskInput]] = {
        "validate_request": task_models.ValidateInput,
        "enrich_request": task_models.EnrichInput,
        "store_artifacts": task_models.StoreInput,
        "request_approval": task_models.ApprovalInput,
        "fulfil_request": task_models.FulfilInput,
        "report_outcome": task_models.ReportInput,
        "record_failure": task_models.FailureInput,
    }
    for _name, state in tasks(states):
        function = state["Parameters"]["FunctionName"].rsplit("jira-workflow-", 1)[1]
        model = model_by_function[function]
        payload = state["Parameters"]["Payload"]
        event = {key.removesuffix(".$"): sample_value(key, value) for key, value in payload.items()}
        model.from_event(event)  # nothing it requires is missing
        for field in event:  # and nothing sent is ignored: a bad value there is refused
            with pytest.raises(InvalidRequest, match=f"task input: {field}:"):
                model.from_event({**event, field: ["not", "a", "scalar"]})


# What each payload field holds at run time (a JSONPath's value) or as sent (a literal).
SAMPLE_VALUES = {"issueKey": "OPS-1", "riskScore": 50, "tellJira": True, "outcome": "rejected"}


def sample_value(key: str, value: Any) -> Any:
    if not key.endswith(".$"):
        return value
    return SAMPLE_VALUES.get(key.removesuffix(".$"), "value")

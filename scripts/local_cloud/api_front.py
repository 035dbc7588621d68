"""The HTTP front API Gateway would be: moto stores REST APIs but never invokes their
AWS_PROXY integrations, so this server reads the routes Terraform created in moto's
apigateway backend and calls the integrated Lambda functions with REST proxy (v1) events.

URLs: `http://127.0.0.1:<port>/<stage>/<path>` (unique stage name), or
`http://127.0.0.1:<port>/_api/<api-id>/<stage>/<path>` (what a deployed
`https://<api-id>.execute-api.<region>.amazonaws.com/<stage>` URL maps to locally).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from moto.apigateway.models import APIGatewayBackend, RestAPI, apigateway_backends
from moto.awslambda.models import lambda_backends
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request, Response

from local_cloud.wsgi_server import make_threaded_server, serve_in_background

FUNCTION_ARN_IN_URI = re.compile(
    r"functions/(arn:[^/]+:lambda:[^/]+:\d+:function:[^/]+)/invocations"
)
EXECUTE_API_HOST = re.compile(r"https://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com")


@dataclass(frozen=True)
class Route:
    """One method on one resource of one stage, as Terraform created it."""

    api_id: str
    stage: str
    resource_path: str
    http_method: str
    api_key_required: bool
    function_arn: str | None


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path: str
    path_parameters: dict[str, str]


def _segments_match(template: str, path: str) -> dict[str, str] | None:
    """Path parameters if `path` fits the resource template, else None."""
    template_parts = [p for p in template.split("/") if p]
    path_parts = [p for p in path.split("/") if p]
    parameters: dict[str, str] = {}
    for index, part in enumerate(template_parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = path_parts[index:]
            if not rest:
                return None
            parameters[part[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(path_parts):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = path_parts[index]
        elif part != path_parts[index]:
            return None
    return parameters if len(template_parts) == len(path_parts) else None


def _specificity(template: str) -> tuple[int, int]:
    """API Gateway prefers literal segments over parameters over greedy `{x+}`."""
    parts = [p for p in template.split("/") if p]
    greedy = sum(1 for p in parts if p.endswith("+}"))
    literals = sum(1 for p in parts if not p.startswith("{"))
    return (-greedy, literals)


class RouteTable:
    """The routes of every deployed REST API, read fresh from moto on each request so a
    later `terraform apply` shows up without restarting anything."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    @property
    def backend(self) -> APIGatewayBackend:
        return apigateway_backends[self.account_id][self.region]

    def routes(self, api: RestAPI, stage: str) -> Iterable[Route]:
        for resource in api.resources.values():
            for method_name, method in resource.resource_methods.items():
                uri = method.method_integration.uri if method.method_integration else ""
                found = FUNCTION_ARN_IN_URI.search(uri or "")
                yield Route(
                    api_id=api.id,
                    stage=stage,
                    resource_path=resource.get_path(),
                    http_method=method_name.upper(),
                    api_key_required=bool(method.api_key_required),
                    function_arn=found.group(1) if found else None,
                )

    def find_api(self, api_id: str | None, stage: str) -> RestAPI | None:
        for api in self.backend.apis.values():
            if (api_id is None or api.id == api_id) and stage in api.stages:
                return api
        return None

    def match(self, api: RestAPI, stage: str, method: str, path: str) -> RouteMatch | None:
        candidates: list[RouteMatch] = []
        for route in self.routes(api, stage):
            if route.http_method not in (method, "ANY"):
                continue
            parameters = _segments_match(route.resource_path, path)
            if parameters is not None:
                candidates.append(RouteMatch(route, path, parameters))
        if not candidates:
            return None
        # Most specific resource first; an exact method beats ANY on the same resource.
        candidates.sort(
            key=lambda m: (_specificity(m.route.resource_path), m.route.http_method == method),
            reverse=True,
        )
        return candidates[0]

    def authorised_key_id(self, api_id: str, stage: str, key_value: str | None) -> str | None:
        """The id of an enabled key in a usage plan that covers this API's stage, else None.

        As in API Gateway: the plan is checked, not the method. Any such key reaches every
        key-requiring method; the function tells keys apart by `identity.apiKeyId`.
        """
        if not key_value:
            return None
        backend = self.backend
        key_ids = {k.id for k in backend.keys.values() if k.value == key_value and k.enabled}
        for plan in backend.usage_plans.values():
            covers_stage = any(
                s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages
            )
            planned = key_ids & set(backend.usage_plan_keys.get(plan.id, {}))
            if covers_stage and planned:
                return str(next(iter(planned)))
        return None


def proxy_event(
    request: Request, match: RouteMatch, source_ip: str, api_key_id: str | None = None
) -> dict[str, Any]:
    """The REST API Lambda proxy (v1) event for `request`; `api_key_id`: the key checked."""
    body_bytes = request.get_data()
    try:
        body: str | None = body_bytes.decode("utf-8") if body_bytes else None
        is_base64 = False
    except UnicodeDecodeError:
        body, is_base64 = base64.b64encode(body_bytes).decode("ascii"), True
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
    multi_query = {k: request.args.getlist(k) for k in request.args}
    route = match.route
    return {
        "resource": route.resource_path,
        "path": match.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.resource_path,
            "httpMethod": request.method,
            "path": f"/{route.stage}{match.path}",
            "stage": route.stage,
            "apiId": route.api_id,
            "requestId": str(uuid.uuid4()),
            "extendedRequestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "domainName": request.host,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": request.headers.get("User-Agent"),
                "apiKey": request.headers.get("x-api-key") if route.api_key_required else None,
                "apiKeyId": api_key_id if route.api_key_required else None,
            },
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def gateway_error(status: int, message: str) -> Response:
    """API Gateway's own error shape: `{"message": ...}` with x-amzn-ErrorType."""
    error_type = {403: "ForbiddenException", 404: "NotFoundException"}.get(
        status, "InternalServerErrorException"
    )
    return Response(
        json.dumps({"message": message}),
        status=status,
        mimetype="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


def proxy_response(payload: Any) -> Response:
    """The function's proxy result as HTTP; a malformed result is a 502 as in API Gateway."""
    if not isinstance(payload, dict) or not isinstance(payload.get("statusCode"), int):
        return gateway_error(502, "Internal server error")
    body = payload.get("body") or ""
    raw = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode()
    response = Response(raw, status=payload["statusCode"])
    response.headers.pop("Content-Type", None)
    for name, value in (payload.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        response.headers.remove(name)
        for value in values:
            response.headers.add(name, str(value))
    return response


class GatewayRejection(Exception):
    """API Gateway answers the request itself (403/404) without calling the function."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


InvokeFunction = Callable[[str, dict[str, Any]], tuple[str, bool]]


class ApiGatewayFront:
    """A threaded WSGI server on 127.0.0.1 serving every deployed REST API stage."""

    def __init__(
        self,
        account_id: str,
        region: str,
        host: str = "127.0.0.1",
        port: int = 0,
        invoke: InvokeFunction | None = None,
    ) -> None:
        self.routes = RouteTable(account_id, region)
        self.account_id = account_id
        self.region = region
        self.invoke = invoke or self._invoke_moto_function
        # Lambda runs each invocation in an environment of its own; here a function's
        # invocations share one process and its module state (the mock API resolves with
        # Powertools, which keeps the event on its router *class*, BaseRouter.current_event),
        # so one function's invocations take turns. Different functions run side by side, as
        # their environments would: one queue for every route made each function wait for all
        # the others (the external API timed out behind 50 racing decisions).
        self._turns: dict[str, threading.Lock] = {}
        self._turns_guard = threading.Lock()
        self._server: BaseWSGIServer = make_threaded_server(host, port, self.wsgi_app)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> None:
        self._thread = serve_in_background(self._server, "api-gateway-front")

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread:
            self._thread.join(timeout=5)

    def local_url_for(self, api_id: str) -> str:
        return f"{self.url}/_api/{api_id}"

    def rewrite_execute_api_urls(self, value: str) -> str:
        """`https://<id>.execute-api.<region>.amazonaws.com/...` → this front (like DNS)."""
        return EXECUTE_API_HOST.sub(lambda m: self.local_url_for(m.group(1)), value)

    def _turn_of(self, function_arn: str) -> threading.Lock:
        with self._turns_guard:
            return self._turns.setdefault(function_arn, threading.Lock())

    def _invoke_moto_function(self, function_arn: str, event: dict[str, Any]) -> tuple[str, bool]:
        # Any: moto_patches replaced _invoke_lambda with one that takes the event as a dict.
        function: Any = lambda_backends[self.account_id][self.region].get_function(function_arn)
        payload, errored, _logs = function._invoke_lambda(event=event)
        return payload, errored

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self.handle(request, environ.get("REMOTE_ADDR", "127.0.0.1"))
        return response(environ, start_response)

    def handle(self, request: Request, source_ip: str) -> Response:
        try:
            match, api_key_id = self._authorised_route(request)
        except GatewayRejection as rejection:
            return gateway_error(rejection.status, rejection.message)
        if match.route.function_arn is None:
            return gateway_error(500, "Internal server error")
        event = proxy_event(request, match, source_ip, api_key_id)
        with self._turn_of(match.route.function_arn):
            payload, errored = self.invoke(match.route.function_arn, event)
        if errored:
            return gateway_error(502, "Internal server error")
        try:
            return proxy_response(json.loads(payload))
        except ValueError:
            return gateway_error(502, "Internal server error")

    def _authorised_route(self, request: Request) -> tuple[RouteMatch, str | None]:
        """The route `request` reaches and the API key it was let in with, or the
        rejection API Gateway would answer."""
        api_id, stage, path = self._split_path(request.path)
        api = self.routes.find_api(api_id, stage) if stage else None
        if api is None or stage is None:
            # An unknown API id is a DNS failure in AWS; an unknown stage or path is 403.
            if api_id is not None and api_id not in self.routes.backend.apis:
                raise GatewayRejection(404, "Not Found")
            raise GatewayRejection(403, "Missing Authentication Token")
        match = self.routes.match(api, stage, request.method, path)
        if match is None:
            raise GatewayRejection(403, "Missing Authentication Token")
        if not match.route.api_key_required:
            return match, None
        api_key_id = self.routes.authorised_key_id(api.id, stage, request.headers.get("x-api-key"))
        if api_key_id is None:
            raise GatewayRejection(403, "Forbidden")
        return match, api_key_id

    @staticmethod
    def _split_path(path: str) -> tuple[str | None, str | None, str]:
        parts = [p for p in path.split("/") if p]
        api_id = None
        if len(parts) >= 2 and parts[0] == "_api":
            api_id, parts = parts[1], parts[2:]
        if not parts:
            return api_id, None, "/"
        return api_id, parts[0], "/" + "/".join(parts[1:])

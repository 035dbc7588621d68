"""The external request API: enrichment and fulfilment over HTTPS with a bearer token.

No retries here: Step Functions retries the whole task with backoff, so a failure is
classified once (retryable or terminal) and raised. The call's timeout shrinks to the
invocation's time left (`remaining`); with too little left it is not made at all and
`ExternalServiceUnavailable` is raised, so the function reports instead of being killed.
Re-sending a fulfilment is safe: the provider dedupes on the Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from jira_workflow.deadline import RemainingSeconds, unbounded
from jira_workflow.domain.errors import ExternalServiceRejected, ExternalServiceUnavailable


class ExternalApi:
    def __init__(
        self,
        session: requests.Session,
        enrich_url: str,
        fulfil_url: str,
        token: Callable[[], str],
        timeout_seconds: float,
        *,
        remaining: RemainingSeconds = unbounded,
        min_attempt_seconds: float = 1.0,
    ) -> None:
        self._session = session
        self._enrich_url = enrich_url
        self._fulfil_url = fulfil_url
        self._token = token
        self._timeout = timeout_seconds
        self._remaining = remaining
        self._min_attempt = min_attempt_seconds

    def enrich(self, request: dict[str, Any]) -> dict[str, Any]:
        return self._post(self._enrich_url, request, headers={})

    def fulfil(self, request: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """The key makes a retried fulfilment a no-op on the provider's side."""
        return self._post(self._fulfil_url, request, headers={"Idempotency-Key": idempotency_key})

    def _post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        remaining = self._remaining()
        if remaining < self._min_attempt:
            raise ExternalServiceUnavailable(f"{_endpoint(url)}: no time left in this invocation")
        try:
            response = self._session.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {self._token()}", **headers},
                timeout=min(self._timeout, remaining),
            )
        except requests.RequestException as exc:
            raise ExternalServiceUnavailable(f"{_endpoint(url)}: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise ExternalServiceUnavailable(f"{_endpoint(url)} answered {response.status_code}")
        if response.status_code >= 400:
            raise ExternalServiceRejected(
                f"{_endpoint(url)} answered {response.status_code}: {_reason(response)}"
            )
        try:
            document = response.json()
        except ValueError:
            raise ExternalServiceUnavailable(f"{_endpoint(url)} answered non-JSON") from None
        if not isinstance(document, dict):
            raise ExternalServiceRejected(f"{_endpoint(url)} answered a non-object")
        return document


def _endpoint(url: str) -> str:
    return url.rsplit("/", 1)[-1] or url


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:200]
    return str(body)[:200]

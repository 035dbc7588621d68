"""Secrets Manager through Powertools' cached provider: one fetch per max-age per container."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from jira_workflow.adapters.jira import JiraCredentials


def parse_jira_credentials(secret_id: str, value: object) -> JiraCredentials:
    """The Jira API secret, JSON-decoded: `{"email": ..., "api_token": ...}`.

    The one reading of its shape: the functions and the operators' tools both use it.
    """
    from jira_workflow.adapters.jira import JiraCredentials  # only callers of Jira load requests

    document = _json_object(secret_id, value)
    return JiraCredentials(email=str(document["email"]), api_token=str(document["api_token"]))


class SecretsReader:
    def __init__(self, provider: SecretsProvider, max_age_seconds: int) -> None:
        self._provider = provider
        self._max_age = max_age_seconds

    def _fetch(self, secret_id: str) -> object:
        return self._provider.get(secret_id, transform="json", max_age=self._max_age)

    def _json(self, secret_id: str) -> dict[str, Any]:
        return _json_object(secret_id, self._fetch(secret_id))

    def webhook_secrets(self, secret_id: str) -> tuple[str, ...]:
        """Current and, during a rotation window, previous webhook secret."""
        value = self._json(secret_id)
        return tuple(str(value[k]) for k in ("current", "previous") if value.get(k))

    def jira_credentials(self, secret_id: str) -> JiraCredentials:
        return parse_jira_credentials(secret_id, self._fetch(secret_id))

    def external_api_token(self, secret_id: str) -> str:
        return str(self._json(secret_id)["token"])


def _json_object(secret_id: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"secret {secret_id} is not a JSON object")
    return value

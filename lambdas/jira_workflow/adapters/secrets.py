"""Secrets Manager through Powertools' cached provider: one fetch per max-age per container."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from jira_workflow.adapters.jira import JiraCredentials


class SecretsReader:
    def __init__(self, provider: SecretsProvider, max_age_seconds: int) -> None:
        self._provider = provider
        self._max_age = max_age_seconds

    def _json(self, secret_id: str) -> dict[str, Any]:
        value = self._provider.get(secret_id, transform="json", max_age=self._max_age)
        if not isinstance(value, dict):
            raise ValueError(f"secret {secret_id} is not a JSON object")
        return value

    def webhook_secrets(self, secret_id: str) -> tuple[str, ...]:
        """Current and, during a rotation window, previous webhook secret."""
        value = self._json(secret_id)
        return tuple(str(value[k]) for k in ("current", "previous") if value.get(k))

    def jira_credentials(self, secret_id: str) -> JiraCredentials:
        value = self._json(secret_id)
        return JiraCredentials(email=str(value["email"]), api_token=str(value["api_token"]))

    def external_api_token(self, secret_id: str) -> str:
        return str(self._json(secret_id)["token"])

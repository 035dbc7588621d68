"""Remote state is encrypted with the bootstrap's KMS key, per environment, not AES256."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = (ROOT / "terraform" / "bootstrap" / "main.tf").read_text(encoding="utf-8")


def backend_settings(environment: str) -> dict[str, str]:
    text = (ROOT / "terraform" / "environments" / f"{environment}.s3.tfbackend").read_text()
    return dict(re.findall(r'^(\w+)\s*=\s*"?([^"#\n]*?)"?\s*(?:#.*)?$', text, flags=re.M))


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_state_is_written_with_the_bootstraps_key(environment: str) -> None:
    settings = backend_settings(environment)
    assert settings["encrypt"] == "true"
    # The bootstrap names its alias alias/<project>-tfstate-<environment>.
    assert 'name          = "alias/${var.project}-tfstate-${var.environment}"' in BOOTSTRAP
    assert settings["kms_key_id"] == f"alias/jira-workflow-tfstate-{environment}"
    assert settings["bucket"] == f"jira-workflow-tfstate-{environment}"

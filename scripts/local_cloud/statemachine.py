"""Render statemachine/request_workflow.asl.json the way Terraform's templatefile() does.

The local emulator and the tests use this; Terraform renders the same file from the same
keys (`local.asl_substitutions`). Only `${name}` placeholders are supported, which is all
the definition uses.
"""

from __future__ import annotations

import json
import re
from typing import Any

from local_cloud import REPO_ROOT

ASL_PATH = REPO_ROOT / "statemachine" / "request_workflow.asl.json"
_PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


def placeholders(template: str | None = None) -> set[str]:
    return set(_PLACEHOLDER.findall(template if template is not None else ASL_PATH.read_text()))


def render(substitutions: dict[str, Any], template: str | None = None) -> str:
    """The definition with every placeholder filled; a missing or unknown key is an error."""
    text = template if template is not None else ASL_PATH.read_text()
    wanted = placeholders(text)
    missing = sorted(wanted - substitutions.keys())
    unknown = sorted(substitutions.keys() - wanted)
    if missing or unknown:
        raise KeyError(f"ASL placeholders missing: {missing}; unknown: {unknown}")
    rendered = _PLACEHOLDER.sub(lambda m: str(substitutions[m.group(1)]), text)
    json.loads(rendered)  # fail here, not in Step Functions, if rendering broke the JSON
    return rendered

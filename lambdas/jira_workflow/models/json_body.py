"""The one JSON body parser for HTTP bodies, shared by every API function.

Free of pydantic on purpose: the dev-only mock API (lambdas/mock_apis, its own zip) parses
its bodies with it too, and should not bundle pydantic for that.
"""

from __future__ import annotations

import json
from typing import Any

from jira_workflow.domain.errors import MalformedBody


def json_document(raw: bytes | str, problem: str = "body is not valid UTF-8 JSON") -> Any:
    """Parse an HTTP body as UTF-8 JSON; whatever a sender can get wrong is a MalformedBody.

    Beyond bad JSON: invalid UTF-8, integers past Python's digit limit (ValueError), nesting
    deeper than the parser's stack (RecursionError), and unpaired surrogate escapes
    (`"\\ud800"`), which parse but cannot be stored: DynamoDB and S3 want valid UTF-8.
    """
    try:
        document = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedBody("body has an unpaired surrogate escape: not valid Unicode") from None
    except (ValueError, RecursionError) as exc:
        raise MalformedBody(f"{problem}: {type(exc).__name__}") from None
    return document

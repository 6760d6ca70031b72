"""Does a response (a mock's, a proxied one, a recording) fit its operation in the spec?"""

from __future__ import annotations

import json
from typing import Any

from devserve.media import essence
from devserve.mocks.openapi.examples import status_key
from devserve.mocks.openapi.operations import Operation
from devserve.mocks.openapi.refs import Documents, Located
from devserve.mocks.openapi.schemas import Failure, Validators, shown
from devserve.mocks.openapi.validate import is_json, pick_media

# A body not read as JSON: text, or bytes devserve does not look into.
NOT_JSON = object()


def check_response(
    operation: Operation,
    status: int,
    content_type: str | None,
    body: Any,
    documents: Documents,
    validators: Validators,
) -> list[Failure]:
    """How a response breaks ``operation``: its status, its media type, its JSON body.

    ``body`` is the parsed JSON value, NOT_JSON for a body that is not JSON, or None for none.
    """
    responses = Located(operation.node, operation.base, operation.at).child("responses")
    listed = responses.node if isinstance(responses.node, dict) else {}
    picked = status_key(listed, status)
    if picked is None:
        return [Failure("/status", "one of " + ", ".join(map(str, listed)), str(status))]
    response = documents.follow(responses.child(picked[0]))
    content = response.node.get("content") if isinstance(response.node, dict) else None
    if not isinstance(content, dict) or not content or body is None:
        return []
    media = essence(content_type)
    key = pick_media(content, media)
    if key is None:
        wanted = "one of " + ", ".join(content)
        return [Failure("/header/content-type", wanted, shown(content_type or "nothing"))]
    schema = response.child("content", key, "schema")
    if not schema.node or not is_json(media) or body is NOT_JSON:
        return []
    return validators.failures(documents.follow(schema), body, request=False, at="/body")


def parse_json(raw: bytes) -> tuple[Any, Failure | None]:
    """A JSON body as a value, or the failure saying it is not JSON."""
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError) as exc:
        return NOT_JSON, Failure("/body", "JSON", f"text that is not JSON ({exc})")

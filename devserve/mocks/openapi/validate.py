"""Is a request what its operation describes? Parameters (path, query, headers, cookies)
and the body (JSON or form), each failing field named by a JSON pointer into the request:
``/path/petId``, ``/query/limit``, ``/header/x-api-key``, ``/body/amount``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from devserve.media import essence
from devserve.mocks.openapi.operations import Operation, Parameter
from devserve.mocks.openapi.refs import Documents, Located, escape
from devserve.mocks.openapi.schemas import Failure, Validators, shown

_INTEGER = re.compile(r"-?\d{1,300}")
_DELIMITERS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


@dataclass
class RequestData:
    """The parts of a request validation reads (the body already read, bounded upstream)."""

    method: str
    path_params: dict[str, str]
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    cookies: dict[str, str]
    content_type: str | None
    body: bytes
    parsed_json: list[Any] = field(default_factory=list)  # the body's JSON, once parsed


def check_request(
    operation: Operation, request: RequestData, documents: Documents, validators: Validators
) -> list[Failure]:
    """Every way ``request`` breaks ``operation``, empty when it conforms."""
    failures: list[Failure] = []
    for parameter in operation.parameters:
        failures.extend(_parameter(parameter, request, documents, validators))
    failures.extend(_body(operation, request, documents, validators))
    return failures


def _raw(parameter: Parameter, request: RequestData) -> list[str] | None:
    name = parameter.name
    if parameter.location == "path":
        value = request.path_params.get(name)
        return None if value is None else [value]
    if parameter.location == "query":
        values = [v for k, v in request.query if k == name]
        return values or None
    if parameter.location == "header":
        value = request.headers.get(name.lower())
        return None if value is None else [value]
    if parameter.location == "cookie":
        value = request.cookies.get(name)
        return None if value is None else [value]
    return None


def _parameter(
    parameter: Parameter, request: RequestData, documents: Documents, validators: Validators
) -> list[Failure]:
    where = f"/{'header' if parameter.location == 'header' else parameter.location}/"
    where += escape(parameter.name.lower() if parameter.location == "header" else parameter.name)
    raw = _raw(parameter, request)
    if raw is None:
        return [Failure(where, "a value (required)", "nothing")] if parameter.required else []
    schema = parameter.schema
    if not isinstance(schema.node, dict) or not schema.node:
        return []
    value = _coerce(raw, schema.node, parameter, documents, schema.uri)
    if value is _SKIP:
        return []
    return validators.failures(schema, value, request=True, at=where)


_SKIP = object()


def _coerce(
    raw: list[str], schema: dict[str, Any], parameter: Parameter, documents: Documents, base: str
) -> Any:
    """Text from the request as the JSON value the schema describes, where it can be."""
    if parameter.content:
        try:
            return json.loads(raw[0])
        except ValueError:
            return raw[0]
    kind = _type(schema)
    if kind == "array":
        items = documents.value(schema.get("items", {}), base)
        values = raw
        if len(raw) == 1 and not (parameter.explode and parameter.style == "form"):
            values = raw[0].split(_DELIMITERS.get(parameter.style, ","))
        return [_scalar(v, items if isinstance(items, dict) else {}) for v in values]
    if kind == "object":
        return _SKIP  # deepObject and exploded objects: not read
    return _scalar(raw[0], schema)


def _scalar(text: str, schema: dict[str, Any]) -> Any:
    kind = _type(schema)
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and _INTEGER.fullmatch(text) else number
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def pick_media(content: dict[str, Any], media: str) -> str | None:
    """The key of ``content`` that describes ``media`` (exact, ``type/*``, ``*/*``)."""
    lowered = {essence(key): key for key in content}
    for candidate in (media, media.split("/", 1)[0] + "/*", "*/*"):
        if candidate in lowered:
            return lowered[candidate]
    return None


def _body(
    operation: Operation, request: RequestData, documents: Documents, validators: Validators
) -> list[Failure]:
    located = Located(operation.node, operation.base, operation.at).child("requestBody")
    if not located.node:
        return []
    body = documents.follow(located)
    content = body.node.get("content") if isinstance(body.node, dict) else None
    if not request.body:
        required = isinstance(body.node, dict) and body.node.get("required") is True
        return [Failure("/body", "a request body (required)", "nothing")] if required else []
    if not isinstance(content, dict) or not content:
        return []
    media = essence(request.content_type)
    key = pick_media(content, media)
    if key is None:
        wanted = "one of " + ", ".join(content)
        return [Failure("/header/content-type", wanted, shown(request.content_type or "nothing"))]
    schema = body.child("content", key, "schema")
    if not schema.node and schema.node != {}:
        return []
    if is_json(media):
        try:
            value = json.loads(request.body)
        except (ValueError, RecursionError) as exc:
            return [Failure("/body", "JSON", f"text that is not JSON ({exc})")]
        request.parsed_json.append(value)
    elif media == "application/x-www-form-urlencoded":
        value = _form(request.body, documents.follow(schema), documents)
    else:
        return []  # multipart, XML, binary: not read
    if not isinstance(schema.node, dict) or not schema.node:
        return []
    return validators.failures(schema, value, request=True, at="/body")


def _form(body: bytes, schema: Located, documents: Documents) -> dict[str, Any]:
    properties = schema.node.get("properties", {}) if isinstance(schema.node, dict) else {}
    form: dict[str, Any] = {}
    for name, text in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        sub = documents.value(properties.get(name, {}), schema.uri)
        form[name] = _scalar(text, sub if isinstance(sub, dict) else {})
    return form

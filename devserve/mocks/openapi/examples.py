"""What an operation answers: the status (the first 2xx, or ``Prefer: code=``), the media
type (by ``Accept``), the spec's example (or ``Prefer: example=``), else a generated one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from devserve.media import essence
from devserve.mocks.openapi.generate import generate
from devserve.mocks.openapi.operations import Operation
from devserve.mocks.openapi.refs import Documents, Located
from devserve.mocks.openapi.schemas import Validators
from devserve.mocks.openapi.validate import is_json, pick_media


class NoSuchAnswer(Exception):
    """``Prefer`` asked for a status or an example the operation does not have."""


@dataclass
class Answer:
    """A response to send: a JSON value for JSON media types, text otherwise, or no body."""

    status: int
    media: str | None = None
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    note: str | None = None  # said in the log: a spec example was not used, and why


def parse_prefer(header: str) -> dict[str, str]:
    """``code=404, example=missing`` as a dict (RFC 7240 preferences, lower-case names)."""
    found = {}
    for part in header.replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def status_key(responses: dict[str, Any], code: int | None) -> tuple[str, int] | None:
    """Which entry of ``responses`` answers ``code`` (exact, ``4XX``, ``default``), and the status
    to send; with no code, the first 2xx (then ``2XX``, ``default`` as 200, the first listed)."""
    keys = [str(key) for key in responses]
    if code is not None:
        for key in (str(code), f"{str(code)[0]}XX", f"{str(code)[0]}xx", "default"):
            if key in keys:
                return key, code
        return None
    successes = sorted(k for k in keys if k.isdigit() and k.startswith("2"))
    if successes:
        return successes[0], int(successes[0])
    for key in ("2XX", "2xx", "default"):
        if key in keys:
            return key, 200
    numeric = [k for k in keys if k.isdigit()]
    return (numeric[0], int(numeric[0])) if numeric else None


def choose(
    operation: Operation,
    documents: Documents,
    validators: Validators,
    *,
    prefer: dict[str, str],
    accept: str,
    seed: str,
) -> Answer:
    """The answer to ``operation``; NoSuchAnswer when ``prefer`` names what the spec lacks."""
    located = Located(operation.node, operation.base, operation.at).child("responses")
    responses = located.node if isinstance(located.node, dict) else {}
    wanted = prefer.get("code")
    code = int(wanted) if wanted and wanted.isdigit() and 100 <= int(wanted) <= 599 else None
    if wanted and code is None:
        raise NoSuchAnswer(f"Prefer: code={wanted} is not a status (100-599)")
    picked = status_key(responses, code)
    if picked is None:
        codes = ", ".join(map(str, responses)) or "none"
        asked = f"{code} response" if code else "response"
        raise NoSuchAnswer(f"{operation.label} has no {asked} in the spec (it has: {codes})")
    key, status = picked
    response = documents.follow(located.child(key))
    answer = Answer(status, headers=_headers(response, documents, seed))
    content = response.node.get("content") if isinstance(response.node, dict) else None
    if not isinstance(content, dict) or not content or status in (204, 304):
        if prefer.get("example"):
            raise NoSuchAnswer(f"the {key} response of {operation.label} has no body")
        return answer
    media = _negotiate(content, accept)
    answer.media = media
    body = _body(response.child("content", media), documents, validators, prefer, seed, answer)
    answer.body = body
    return answer


def _negotiate(content: dict[str, Any], accept: str) -> str:
    for part in accept.split(","):
        asked = essence(part)
        if asked and asked != "*/*":
            key = pick_media(content, asked) if "*" not in asked else None
            if key is None and asked.endswith("/*"):
                key = next((k for k in content if k.lower().startswith(asked[:-1])), None)
            if key is not None:
                return key
    return next((k for k in content if is_json(essence(k))), next(iter(content)))


def _body(
    media: Located,
    documents: Documents,
    validators: Validators,
    prefer: dict[str, str],
    seed: str,
    answer: Answer,
) -> Any:
    node = media.node if isinstance(media.node, dict) else {}
    schema = media.child("schema")
    named = prefer.get("example")
    listed = node.get("examples")
    examples: dict[str, Any] = listed if isinstance(listed, dict) else {}
    if named:
        if named not in examples:
            known = ", ".join(examples) or "none"
            raise NoSuchAnswer(
                f"no example named {named!r} for {answer.status} (there are: {known})"
            )
        return _example_value(documents.follow(media.child("examples", named)).node)
    found, value = _spec_example(node, examples, media, documents)
    if found and schema.node:
        failures = validators.failures(documents.follow(schema), value, request=False, at="")
        if failures:
            answer.note = (
                f"the spec's example breaks its schema ({failures[0]}): generated one sent"
            )
            found = False
    if found:
        return value
    if not schema.node:
        return None
    target = documents.follow(schema)
    return generate(target.node, documents, target.uri, seed)


def _spec_example(
    node: dict[str, Any], examples: dict[str, Any], media: Located, documents: Documents
) -> tuple[bool, Any]:
    if "example" in node:
        return True, node["example"]
    if examples:
        first = next(iter(examples))
        return True, _example_value(documents.follow(media.child("examples", first)).node)
    schema = documents.follow(media.child("schema")).node
    if isinstance(schema, dict):
        if "example" in schema:
            return True, schema["example"]
        listed = schema.get("examples")
        if isinstance(listed, list) and listed:
            return True, listed[0]
    return False, None


def _example_value(example: Any) -> Any:
    return example.get("value") if isinstance(example, dict) else example


def _headers(response: Located, documents: Documents, seed: str) -> list[tuple[str, str]]:
    declared = response.node.get("headers") if isinstance(response.node, dict) else None
    headers = []
    for name in declared if isinstance(declared, dict) else {}:
        if name.lower() in ("content-type", "content-length", "transfer-encoding"):
            continue
        header = documents.follow(response.child("headers", name))
        node = header.node if isinstance(header.node, dict) else {}
        if "example" in node:
            value = node["example"]
        else:
            schema = documents.follow(header.child("schema"))
            value = schema.node.get("example") if isinstance(schema.node, dict) else None
            if value is None and schema.node:
                value = generate(schema.node, documents, schema.uri, f"{seed} {name}")
        text = _header_text(value)
        if text is not None:
            headers.append((name, text))
    return headers


def _header_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return text if text.isascii() and text.isprintable() and len(text) < 1024 else None

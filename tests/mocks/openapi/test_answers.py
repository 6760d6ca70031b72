"""Every operation of real public specs answers a body valid against its own schema, the same
body for the same request; Prefer picks another status or a named example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from devserve.mocks.openapi.generate import Direction, generate
from devserve.mocks.openapi.refs import Documents, escape
from tests.mocks.conftest import mock_client
from tests.mocks.openapi.conftest import answer_validator, stored

METHODS = ("get", "put", "post", "delete", "patch")


def _follow(document: dict[str, Any], node: Any, at: str) -> tuple[Any, str]:
    while isinstance(node, dict) and "$ref" in node:
        at = node["$ref"].removeprefix("#")
        node = document
        for token in at.strip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, at


def _request(
    documents: Documents, document: dict[str, Any], template: str, item: dict[str, Any], op: Any
) -> tuple[str, dict[str, str], bytes | None]:
    """A request the operation accepts: its parameters and body made up from their schemas."""
    path, query, headers = template, [], {}
    uri = documents.main
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        parameter, _ = _follow(document, raw, "")
        schema = parameter.get("schema", {})
        value = generate(schema, documents, uri, parameter["name"], Direction(response=False))
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        if isinstance(value, bool):
            text = str(value).lower()
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(text, safe=""))
        elif parameter["in"] == "query" and parameter.get("required"):
            query.append(f"{parameter['name']}={quote(text)}")
        elif parameter["in"] == "header" and parameter.get("required"):
            headers[parameter["name"]] = text
    body = None
    if "requestBody" in op:
        request_body, _ = _follow(document, op["requestBody"], "")
        content = request_body.get("content", {})
        media = next((m for m in content if "json" in m), None)
        if media is not None:
            schema = content[media].get("schema", {})
            value = generate(schema, documents, uri, template, Direction(response=False))
            body = json.dumps(value).encode()
            headers["Content-Type"] = media
    return path + ("?" + "&".join(query) if query else ""), headers, body


@pytest.mark.parametrize("name", ["petstore.yaml", "readme.json"])
def test_every_operation_answers_a_body_valid_against_its_own_schema(
    tmp_path: Path, name: str
) -> None:
    spec = stored(tmp_path, name)
    document = (
        json.loads(spec.read_text()) if name.endswith(".json") else yaml.safe_load(spec.read_text())
    )
    uri = spec.resolve().as_uri()
    documents = Documents(uri, {uri: document})
    api = mock_client(tmp_path, {"openapi": name})
    checked = 0
    for template, item in document["paths"].items():
        for method in (m for m in METHODS if m in item):
            operation = item[method]
            url, headers, body = _request(documents, document, template, item, operation)
            first = api.request(method.upper(), url, headers=headers, content=body)
            again = api.request(method.upper(), url, headers=headers, content=body)
            label = f"{method.upper()} {template}"
            # The first 2xx; an operation that lists none (PUT /pet) answers its first status.
            codes = [c for c in map(str, operation["responses"]) if c.isdigit()]
            # Only a `default` response: 200.
            expected = min(
                (c for c in codes if c.startswith("2")), default=codes[0] if codes else "200"
            )
            assert first.status_code == int(expected), (label, first.status_code, first.text)
            key = expected if expected in codes else "default"
            assert (again.status_code, again.content) == (first.status_code, first.content)
            at = f"/paths/{escape(template)}/{method}/responses/{key}"
            response, at = _follow(document, operation["responses"][key], at)
            media = first.headers.get("content-type", "").split(";")[0]
            if "content" in response and "json" in media:
                schema_at = f"{at}/content/{escape(media)}/schema"
                validator = answer_validator(document, uri, schema_at)
                errors = [e.message for e in validator.iter_errors(first.json())]
                assert errors == [], (label, first.json())
            checked += 1
    assert checked == sum(
        len([m for m in METHODS if m in item]) for item in document["paths"].values()
    )


def test_the_same_path_gets_the_same_body_and_another_path_its_own(
    tmp_path: Path, payments: Path
) -> None:
    api = mock_client(tmp_path, {"openapi": "payments.yaml"})
    key = {"X-Api-Key": "k"}
    account = api.get("/account", headers=key)
    assert account.status_code == 200
    assert account.json() == api.get("/account", headers=key).json()
    body = account.json()
    assert body["id"].startswith("acct_") and len(body["id"]) == 21
    assert body["email"].endswith("@example.com") and body["plan"] in ("free", "pro")
    assert 10 <= body.get("balance", 10) <= 20
    assert body["created"][:4].isdigit() and body["created"].endswith("Z")
    assert len(account.headers["x-request-id"]) == 36  # a uuid, from the declared header
    charges = [api.get(f"/charges?limit={n}").json() for n in (1, 2)]
    assert charges[0] == api.get("/charges?limit=1").json()
    assert all(c["currency"] in ("usd", "eur", "gbp") for page in charges for c in page)


def test_the_first_example_answers_and_prefer_chooses_another(
    tmp_path: Path, payments: Path
) -> None:
    api = mock_client(tmp_path, {"openapi": "payments.yaml"})
    assert api.get("/charges/1").json()["status"] == "paid"
    refunded = api.get("/charges/1", headers={"Prefer": "example=refunded"})
    assert refunded.json()["status"] == "refunded"
    missing = api.get("/charges/1", headers={"Prefer": "code=404"})
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "resource_missing", "message": "No such charge"}}
    unknown = api.get("/charges/1", headers={"Prefer": "code=418"})
    assert unknown.status_code == 400
    assert unknown.headers["content-type"] == "application/problem+json"
    detail = unknown.json()["detail"]
    assert (
        detail == "GET /charges/{id} (getCharge) has no 418 response in the spec (it has: 200, 404)"
    )
    no_example = api.get("/charges/1", headers={"Prefer": "example=void"})
    assert no_example.status_code == 400
    assert "there are: paid, refunded" in no_example.json()["detail"]

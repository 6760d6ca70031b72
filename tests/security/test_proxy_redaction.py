"""Secrets never reach a recording in any spelling: raw, percent-encoded (either case, ``+`` for
a space), JSON-escaped (once or inside a JSON string), short or long, whatever the field or
header that carried them is called, wherever the upstream echoes them (JSON, text, ``Link``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from tests.proxy.conftest import Proxied, ProxyFactory, Running
from tests.support.waiting import wait_until


def _spellings(secret: str) -> set[str]:
    encoded = {quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    lower = {re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), text) for text in encoded}
    escaped = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    twice = {json.dumps(text)[1:-1] for text in escaped}
    return {secret} | encoded | lower | escaped | twice


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _written(root: Path) -> list[str]:
    """Every recorded file's text, and every string inside the JSON ones (bodies kept as text)."""
    texts = []
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("latin-1")
            texts.append(text)
            if path.name.endswith(".json"):
                texts.extend(_strings(json.loads(text)))
    return texts


def _assert_nowhere(root: Path, *secrets: str) -> str:
    """No spelling of any secret in any file under ``root``; returns all that was written."""
    texts = _written(root)
    assert texts, "nothing was recorded"
    for secret in secrets:
        for spelling in _spellings(secret):
            for text in texts:
                assert spelling not in text, f"{secret!r} written as {spelling!r}"
    return "\n".join(texts)


def _recorded(proxied: Proxied, count: int) -> None:
    wait_until(
        lambda: [r.proxy.state for r in proxied.records if r.proxy] == ["recorded"] * count,
        f"{count} recordings",
    )


def test_a_percent_encoded_token_echoed_in_json_text_and_link(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    sent = "tok%2fen%2B%3d%3D+4242"  # the token "tok/en+== 4242", hex in both cases
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        link = proxied.client.get(f"/link?access_token={sent}&page=2")
        text = proxied.client.get(f"/text-echo?page=2&access_token={sent}")
        _recorded(proxied, 2)
    assert sent in link.headers["link"] and sent in text.text  # echoed as sent
    written = _assert_nowhere(tmp_path / "rec", "tok/en+== 4242", sent)
    assert "access_token=REDACTED&page=2" in written
    assert "page=2&access_token=REDACTED" in written


def test_key_names_of_every_kind_are_secret(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        proxied.client.get(
            "/echo?license_key=lic-0011223344&private_key=priv-5566778899&page=1",
            headers={"Ocp-Apim-Subscription-Key": "apim-99887766"},
        )
        proxied.client.post(
            "/echo", json={"licenseKey": "lic-body-13579", "privateKey": "pk-body-24680"}
        )
        _recorded(proxied, 2)
    _assert_nowhere(
        tmp_path / "rec",
        "lic-0011223344",
        "priv-5566778899",
        "apim-99887766",
        "lic-body-13579",
        "pk-body-24680",
    )
    envelope = json.loads((tmp_path / "rec" / "echo.mock.json").read_text())
    assert envelope["match"]["query"] == {"license_key": True, "private_key": True, "page": "1"}
    assert envelope["json"]["headers"]["ocp-apim-subscription-key"] == "REDACTED"


def test_short_values_are_redacted_too(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        proxied.client.get("/text-echo?password=pw12&page=2")
        proxied.client.post("/echo", data={"pin_password": "p4", "user": "ada"})
        _recorded(proxied, 2)
    written = _assert_nowhere(tmp_path / "rec", "pw12", "p4")
    assert "password=REDACTED&page=2" in written  # the rest stays as it was
    assert "pin_password=REDACTED&user=ada" in written


def test_a_secret_inside_a_json_string_is_redacted(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        echoed = proxied.client.post("/echo", json={"password": "hunter2", "user": "ada"})
        nested = proxied.client.get("/nested")
        _recorded(proxied, 2)
    assert "hunter2" in echoed.json()["body"]  # httpbin's "data": the body as a string
    assert "pk-nested-424242" in nested.json()["data"]  # a secret the request never had
    _assert_nowhere(tmp_path / "rec", "hunter2", "pk-nested-424242", "cs-nested-737373")
    envelope = json.loads((tmp_path / "rec" / "nested.mock.json").read_text())
    assert json.loads(envelope["json"]["data"]) == {
        "private_key": "REDACTED",
        "client_secret": "REDACTED",
    }


def test_json_escaped_secrets_in_a_text_body(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(
        proxy=upstream.url,
        record="rec",
        proxy_headers={"Authorization": "Bearer proxy-token-31337"},
    ) as proxied:
        response = proxied.client.post(
            "/text-echo",
            headers={"X-Api-Key": 'q"uo\\te/7777'},
            content=json.dumps({"password": "clé-secrète-123"}),  # "cl\u00e9-secr\u00e8te-123"
        )
        _recorded(proxied, 1)
    assert "\\\\u00e9" in response.text and 'q\\"uo\\\\te/7777' in response.text
    _assert_nowhere(
        tmp_path / "rec", 'q"uo\\te/7777', "clé-secrète-123", "proxy-token-31337"
    )


def test_short_cookie_values_are_redacted_where_echoed_next_to_their_name(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    cookie = {"Cookie": "sid=ab12; consent=1"}
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        proxied.client.get("/cookies", headers=cookie)
        proxied.client.get("/text-echo?page=1", headers=cookie)
        _recorded(proxied, 2)
    written = _assert_nowhere(tmp_path / "rec", "ab12")
    envelope = json.loads((tmp_path / "rec" / "cookies.mock.json").read_text())
    assert envelope["json"] == {"cookies": {"sid": "REDACTED", "consent": "REDACTED"}}
    assert "sid=REDACTED; consent=REDACTED" in written
    # A short cookie value is no secret word anywhere else: `1` is still a page number.
    assert '"query": "page=1"' in written.replace("\\", "")


def test_a_request_body_too_large_to_search_for_secrets_is_not_recorded(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    body = json.dumps({"password": "hunter2", "padding": "x" * (11 * 1024 * 1024)})
    with proxy_origin(
        proxy=upstream.url, record="rec", settings={"max_body_bytes": 20 * 1024 * 1024}
    ) as proxied:
        response = proxied.client.post(
            "/upload", content=body, headers={"Content-Type": "application/json"}
        )
        wait_until(lambda: proxied.records, "the request's log line")
    assert response.json() == {"received": len(body)}
    assert "not recorded: the request body is over 10 MiB" in proxied.records[0].line()
    assert not (tmp_path / "rec").exists()


def test_a_secret_used_as_a_json_key_of_a_matched_body(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    secret = "tenant-abcdef-123"
    options = {"record_match": {"body": True}, "proxy_headers": {"X-Api-Key": secret}}
    with proxy_origin(proxy=upstream.url, record="rec", **options) as proxied:
        response = proxied.client.post("/echo", json={secret: {"n": 1}})
        _recorded(proxied, 1)
    assert response.status_code == 200
    _assert_nowhere(tmp_path / "rec", secret)
    envelope = json.loads((tmp_path / "rec" / "echo.POST.mock.json").read_text())
    assert envelope["match"]["body"] == {"REDACTED": {"n": 1}}

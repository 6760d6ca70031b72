"""The one parsed origin value (devserve/urls.py): parsing, serializing, locality and sites."""

from __future__ import annotations

import pytest

from devserve.errors import DevserveError
from devserve.urls import Origin, is_loopback_host, same_site, serialize_origin, site


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("http://localhost:8000", Origin("http", "localhost", 8000)),
        ("HTTP://LOCALHOST", Origin("http", "localhost", 80)),
        ("https://[::1]:8443", Origin("https", "::1", 8443)),
        ("https://app.localhost.", Origin("https", "app.localhost", 443)),
    ],
)
def test_an_origin_header_is_parsed(header: str, expected: Origin) -> None:
    assert Origin.of_header(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "null",
        "http://evil.test@localhost",  # userinfo: never an origin a browser sends
        "http://localhost:8000/",
        "http://localhost/path",
        "ws://localhost",
        "http://[::g]",
        "http://localhost:0",
        "http://localhost:70000",
        "",
    ],
)
def test_anything_else_is_not_an_origin_header(header: str) -> None:
    assert Origin.of_header(header) is None


def test_a_url_has_an_origin() -> None:
    assert Origin.of_url("http://user:pw@API.localhost:8001/x?y#z") == Origin(
        "http", "api.localhost", 8001
    )
    assert Origin.of_url("wss://[::1]/socket") == Origin("wss", "::1", 443)
    assert Origin.of_url("data:text/plain,hi") is None
    assert Origin.of_url("http://[::1") is None


def test_serialized_as_browsers_write_it() -> None:
    assert Origin("http", "localhost", 80).serialized == "http://localhost"
    assert Origin("https", "::1", 8443).serialized == "https://[::1]:8443"
    assert Origin("https", "::1", 8443).netloc == "[::1]:8443"
    assert serialize_origin("HTTP://Example.com:80/a") == "http://example.com"
    assert serialize_origin("null") == "null"
    with pytest.raises(DevserveError):
        serialize_origin("ftp://example.com")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("app.localhost", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost.example.com", False),
        ("192.168.1.5", False),
        ("evil.test", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_sites_and_trust() -> None:
    assert same_site("http://localhost:8000", "http://localhost:8001")
    assert not same_site("http://app.localhost:8000", "http://api.localhost:8001")
    assert not same_site("http://localhost:8000", "https://localhost:8001")
    assert not same_site("null", "null")
    assert site("http://a.example.com:1/x") == "http://example.com"
    origin = Origin.of_url("http://192.168.1.10:8000")
    assert origin is not None and not origin.is_trustworthy
    secure = Origin.of_url("https://example.com")
    assert secure is not None and secure.is_trustworthy

"""Control-plane CSRF: no page of another origin can switch CORS or read the control API."""

from __future__ import annotations

import httpx
import pytest

from tests.support.everykind import EveryKind

EVIL = "http://evil.example"
DISABLE = b'{"enabled": false}'
JSON = "application/json"

# (id, method, path, headers, body): what a hostile page (or a form, or an image) can send.
ATTACKS: list[tuple[str, str, str, dict[str, str], bytes]] = [
    ("form-post", "POST", "/api/origins/api/cors",
     {"Origin": EVIL, "Sec-Fetch-Site": "cross-site",
      "Content-Type": "application/x-www-form-urlencoded"}, b"enabled=false"),
    ("multipart", "PUT", "/api/origins/api/cors",
     {"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\n\r\nfalse\r\n--x--"),
    ("text-plain-json", "PUT", "/api/origins/api/cors", {"Content-Type": "text/plain"}, DISABLE),
    ("no-content-type", "PUT", "/api/origins/api/cors", {}, DISABLE),
    ("json-lookalike", "PUT", "/api/origins/api/cors",
     {"Content-Type": "text/plain; application/json"}, DISABLE),
    ("json-suffix", "PUT", "/api/origins/api/cors",
     {"Content-Type": "application/jsonx"}, DISABLE),
    ("foreign-origin", "PUT", "/api/origins/api/cors",
     {"Origin": EVIL, "Content-Type": JSON}, DISABLE),
    ("null-origin", "PUT", "/api/origins/api/cors",
     {"Origin": "null", "Content-Type": JSON}, DISABLE),
    ("sibling-port-origin", "PUT", "/api/origins/api/cors",
     {"Origin": "http://127.0.0.1:{api}", "Content-Type": JSON}, DISABLE),
    ("same-site-fetch", "PUT", "/api/origins/api/cors",
     {"Sec-Fetch-Site": "same-site", "Content-Type": JSON}, DISABLE),
    ("cross-site-fetch", "PUT", "/api/origins/api/cors",
     {"Sec-Fetch-Site": "cross-site", "Content-Type": JSON}, DISABLE),
    ("method-override", "POST", "/api/origins/api/cors",
     {"X-HTTP-Method-Override": "PUT", "Content-Type": JSON}, DISABLE),
    ("get-with-query", "GET", "/api/origins/api/cors?enabled=false", {}, b""),
    ("preflight", "OPTIONS", "/api/origins/api/cors",
     {"Origin": EVIL, "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "content-type"}, b""),
]  # fmt: skip


def _api_enabled(fortress: EveryKind, http: httpx.Client) -> bool:
    origins = http.get(f"http://127.0.0.1:{fortress.dashboard}/api/origins").json()
    return bool(next(o for o in origins if o["name"] == "api")["cors"]["enabled"])


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [attack[1:] for attack in ATTACKS],
    ids=[attack[0] for attack in ATTACKS],
)
def test_no_cross_site_request_switches_cors(
    fortress: EveryKind,
    http: httpx.Client,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    assert _api_enabled(fortress, http)
    sent = {name: value.format(api=fortress.api) for name, value in headers.items()}
    url = f"http://127.0.0.1:{fortress.dashboard}{path}"
    response = http.request(method, url, headers=sent, content=body)
    assert response.status_code in (403, 405, 415), response.text
    assert not any(name.startswith("access-control-") for name in response.headers)
    assert _api_enabled(fortress, http)


@pytest.mark.parametrize("path", ["/api/origins", "/api/instance", "/api/events", "/"])
@pytest.mark.parametrize("origin", [EVIL, "null", "http://localhost:1"])
def test_no_other_origin_reads_the_control_api(
    fortress: EveryKind, http: httpx.Client, path: str, origin: str
) -> None:
    url = f"http://127.0.0.1:{fortress.dashboard}{path}"
    response = http.get(url, headers={"Origin": origin})
    assert response.status_code == 403
    assert "pid" not in response.text and str(fortress.root) not in response.text
    assert "access-control-allow-origin" not in response.headers


def test_the_dashboard_itself_can_switch(fortress: EveryKind, http: httpx.Client) -> None:
    """The control: a same-origin JSON request does switch, so the refusals above mean something."""
    url = f"http://127.0.0.1:{fortress.dashboard}/api/origins/api/cors"
    own = {"Origin": f"http://127.0.0.1:{fortress.dashboard}", "Sec-Fetch-Site": "same-origin"}
    assert http.put(url, json={"enabled": False}, headers=own).status_code == 200
    assert not _api_enabled(fortress, http)
    assert http.put(url, json={"enabled": True}, headers=own).status_code == 200
    assert _api_enabled(fortress, http)

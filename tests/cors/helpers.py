"""Build tiny origins from config dicts and send them the requests a browser would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from devserve.cors.policy import CorsSwitch
from devserve.serving.origin import OriginApp, build_origin
from tests.support.configs import build_config

PAGE = "http://localhost:8000"  # the page origin every policy under test allows
OTHER = "http://evil.example"  # an origin no allow-list contains

TABLE = {
    "allow_origins": [PAGE],
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "allow_credentials": True,
    "max_age": 600,
}

# Every kind of response an origin gives: method, path, expected status.
KINDS: dict[str, tuple[str, str, int]] = {
    "static": ("GET", "/hello.txt", 200),
    "head": ("HEAD", "/hello.txt", 200),
    "route": ("GET", "/data", 200),
    "not-modified": ("GET", "/hello.txt", 304),
    "redirect": ("GET", "/docs", 301),
    "not-found": ("GET", "/missing.txt", 404),
    "route-405": ("DELETE", "/data", 405),
    "static-405": ("POST", "/hello.txt", 405),
    "error-500": ("GET", "/boom", 500),
}

ROUTES: list[dict[str, Any]] = [
    {"path": "/data", "json": {"ok": True}, "headers": {"X-Custom": "1"}},
    {"path": "/varied", "body": "varied", "headers": {"Vary": "Accept"}},
    {"path": "/boom", "body": "{{ 1/0 }}"},
    {"path": "/any", "method": "*", "body": "any {{ method }}"},
    {
        "path": "/spoof",
        "body": "spoof",
        "headers": {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": "X-Secret",
        },
    },
]


@dataclass(frozen=True)
class Mode:
    """A CORS setting under which ``PAGE`` is allowed, with what its responses must say."""

    id: str
    cors: Any
    wildcard: bool  # ACAO is "*" rather than the request's Origin
    credentials: bool
    denied: str  # an Origin this setting refuses

    def acao(self, origin: str) -> str:
        return "*" if self.wildcard else origin


ENABLED = [
    Mode("on", "on", wildcard=False, credentials=True, denied="null"),
    Mode("true", True, wildcard=False, credentials=True, denied="null"),
    Mode("star", "*", wildcard=True, credentials=False, denied="null"),
    Mode("table", TABLE, wildcard=False, credentials=True, denied=OTHER),
    Mode("table-any", {"allow_origins": ["*"]}, wildcard=True, credentials=False, denied="null"),
]


@dataclass
class Served:
    """One running origin: its app (with the runtime switch) and a client talking to it."""

    origin: OriginApp
    client: TestClient

    @property
    def switch(self) -> CorsSwitch:
        return self.origin.switch

    def send(
        self,
        method: str,
        path: str,
        *,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if origin is not None:
            sent["Origin"] = origin
        response: httpx.Response = self.client.request(method, path, headers=sent)
        return response

    def fetch(
        self, kind: str, *, origin: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """Send the request of one of ``KINDS``; a 304 revalidates with the file's ETag."""
        method, path, _ = KINDS[kind]
        sent = dict(headers or {})
        if kind == "not-modified":
            sent["If-None-Match"] = self.client.get(path).headers["etag"]
        return self.send(method, path, origin=origin, headers=sent)

    def preflight(
        self,
        path: str = "/data",
        *,
        origin: str = PAGE,
        method: str = "PUT",
        request_headers: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"Access-Control-Request-Method": method, **(extra or {})}
        if request_headers is not None:
            sent["Access-Control-Request-Headers"] = request_headers
        return self.send("OPTIONS", path, origin=origin, headers=sent)


def make_site(root: Path) -> Path:
    site = root / "site"
    (site / "docs").mkdir(parents=True, exist_ok=True)
    (site / "hello.txt").write_text("hello")
    (site / "docs" / "index.html").write_text("<h1>docs</h1>")
    return site


def serve_all(root: Path, cors_by_name: dict[str, Any]) -> dict[str, Served]:
    """Build origins named as given, on ports 8001, 8002, ... each with the same content."""
    make_site(root)
    origins = {
        name: {"port": 8001 + index, "static": "site", "cors": cors, "routes": ROUTES}
        for index, (name, cors) in enumerate(cors_by_name.items())
    }
    config = build_config(root, origins)
    served = {}
    for name, origin_config in config.origins.items():
        origin = build_origin(name, origin_config, config.devserve)
        client = TestClient(
            origin.app, base_url=f"http://127.0.0.1:{origin_config.port}", follow_redirects=False
        )
        served[name] = Served(origin=origin, client=client)
    return served


def cors_headers(response: httpx.Response) -> dict[str, list[str]]:
    """Every Access-Control-* response header, by lower-case name, with all its values."""
    found: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        if name.lower().startswith("access-control-"):
            found.setdefault(name.lower(), []).append(value)
    return found


def single(response: httpx.Response, name: str) -> str | None:
    """The one value of header ``name``, None if absent; fails if it is sent more than once."""
    values = response.headers.get_list(name)
    assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
    return values[0] if values else None


def names(value: str | None) -> list[str]:
    """A comma-separated header value as a list, e.g. Vary or Access-Control-Expose-Headers."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]

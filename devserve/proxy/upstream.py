"""The upstream of one proxying origin: its URL, the headers it gets, its time limit, its client."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit

import httpx

from devserve.config import Origin
from devserve.config.envvars import fill_env
from devserve.localnet import AsyncLocalTransport
from devserve.proxy.paths import resolved_path


class _NoCookies(DefaultCookiePolicy):
    """Stores no cookie and sends none: the browser's ``Cookie`` header is all that goes up."""

    def set_ok(self, cookie: object, request: object) -> bool:
        return False

    def return_ok(self, cookie: object, request: object) -> bool:
        return False


@dataclass
class Upstream:
    """Where proxied requests go. ``headers`` may hold secrets: never log or record them."""

    url: str  # scheme://host[:port][/base], no trailing slash
    headers: dict[str, str] = field(repr=False)
    timeout: float
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    @classmethod
    def of(cls, config: Origin) -> Upstream:
        assert config.proxy is not None
        headers = {name: fill_env(value) for name, value in config.proxy_headers.items()}
        return cls(url=config.proxy, headers=headers, timeout=config.proxy_timeout)

    @property
    def base_path(self) -> str:
        """The upstream's path prefix ('' for none): ``/users`` is sent as ``{base}/users``."""
        return urlsplit(self.url).path.rstrip("/")

    def target(self, raw_path: bytes, query: bytes) -> httpx.URL:
        """The upstream URL for a request's raw (still percent-encoded) path and query.

        Raises PathEscape for a path that would leave the base path.
        """
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/").encode("ascii") + resolved_path(raw_path or b"/")
        return httpx.URL(
            scheme=parts.scheme,
            host=parts.hostname or "",
            port=parts.port,
            raw_path=path + (b"?" + query if query else b""),
        )

    @property
    def client(self) -> httpx.AsyncClient:
        """One pooled client per upstream, made on first use (inside the serving loop).

        Its own timeouts are off: ``proxy_timeout`` bounds the wait for the response headers,
        and a body (an event stream, a long download) may take as long as the browser waits.
        It keeps no cookie jar: one shared by every browser would log each one in as whoever
        logged in last, and bring a cookie back after its browser logged out.
        """
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(None, connect=self.timeout),
                follow_redirects=False,
                trust_env=False,  # a corporate HTTP_PROXY must not see localhost traffic
                transport=AsyncLocalTransport(),  # *.localhost upstreams, devserve's CA
                cookies=CookieJar(policy=_NoCookies()),
            )
        return self._client

"""An upstream API on 127.0.0.1 (never the internet), and origins proxying to it, each on a real
port in this process, so the proxy's own HTTP client talks real HTTP both ways."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from devserve.records import RequestRecord
from devserve.serving.origin import OriginApp, build_origin
from tests.support.configs import build_config
from tests.support.served import served
from tests.support.upstream import Upstream


@dataclass
class Running:
    """An upstream on a port: ``url`` to reach it, ``api`` to see what it was asked."""

    api: Upstream
    url: str


@dataclass
class Proxied:
    """An origin in front of the upstream: a client for it, and its request log."""

    origin: OriginApp
    client: httpx.Client
    url: str
    records: list[RequestRecord] = field(default_factory=list)


@pytest.fixture
def upstream() -> Iterator[Running]:
    api = Upstream()
    with served(api.app) as url:
        try:
            yield Running(api=api, url=url)
        finally:
            api.release_slow.set()  # a held request must not hold the server's shutdown


ProxyFactory = Callable[..., contextlib.AbstractContextManager[Proxied]]


@pytest.fixture
def proxy_origin(tmp_path: Path) -> ProxyFactory:
    """``with proxy_origin(proxy=url, record="rec", ...) as proxied:``: an origin on a port
    (``settings``: the ``[devserve]`` table)."""

    @contextlib.contextmanager
    def start(
        *, offline: bool = False, settings: dict[str, Any] | None = None, **origin: Any
    ) -> Iterator[Proxied]:
        config = build_config(tmp_path, {"api": {"port": 8001, **origin}}, settings)
        records: list[RequestRecord] = []
        app = build_origin(
            "api", config.origins["api"], config.devserve, observer=records.append, offline=offline
        )
        with served(app.app) as url, httpx.Client(base_url=url, timeout=30) as client:
            yield Proxied(origin=app, client=client, url=url, records=records)

    return start

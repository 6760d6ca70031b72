"""One running devserve with every kind of origin, a dashboard and live reload, for the
security and reliability suites: what an attacker (or a fuzzer) can reach on one machine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.process import Devserve, free_ports, run_devserve

SECRET = "TOP-SECRET-CONTENT"
# A hostile pattern: exponential in a backtracking engine.
HOSTILE_REGEX = r"https?://(.*\.)*example\.com"


@dataclass
class EveryKind:
    """Ports by origin kind: ``site`` static (CORS off), ``api`` routes (CORS on), ``spa`` static
    SPA + routes (a regex policy), ``public`` routes (CORS "*"), and the dashboard."""

    server: Devserve
    root: Path
    site: int
    api: int
    spa: int
    public: int
    dashboard: int

    @property
    def origins(self) -> dict[str, int]:
        return {"site": self.site, "api": self.api, "spa": self.spa, "public": self.public}


def _config(ports: list[int], settings: str) -> str:
    site, api, spa, public, dashboard = ports
    return f"""
[devserve]
dashboard_port = {dashboard}
allowed_hosts = ["myapp.test"]
{settings}

[origins.site]
port = {site}
static = "web"

[origins.api]
port = {api}
cors = "on"
[[origins.api.routes]]
path = "/data"
json = {{ ok = true }}
headers = {{ "X-Custom" = "1" }}
[[origins.api.routes]]
path = "/echo/{{rest:path}}"
method = "*"
json = {{ json = "{{{{ json }}}}", query = "{{{{ query }}}}", method = "{{{{ method }}}}" }}
headers = {{ "X-Echo" = "{{{{ headers.get('x-echo', '') }}}}" }}

[origins.spa]
port = {spa}
static = "web"
spa = true
cors = {{ allow_origin_regex = '{HOSTILE_REGEX}', allow_credentials = true }}
[[origins.spa.routes]]
path = "/api/item/{{id:int}}"
json = {{ id = "{{{{ path.id }}}}" }}

[origins.public]
port = {public}
cors = "*"
[[origins.public.routes]]
path = "/file"
method = ["GET", "POST"]
file = "mocks/data.json"
"""


def write_project(root: Path) -> None:
    """The served files, with secrets just outside the web root and hidden inside it."""
    (root / "secret.txt").write_text(SECRET)
    web = root / "web"
    (web / "sub").mkdir(parents=True)
    (web / "index.html").write_text("<html><head><title>t</title></head><body>home</body></html>")
    (web / "hello.txt").write_text("hello")
    (web / "sub" / "page.html").write_text("<p>sub</p>")
    (web / ".env").write_text(SECRET)
    (web / ".git").mkdir()
    (web / ".git" / "config").write_text(SECRET)
    os.symlink(root / "secret.txt", web / "link.txt")
    os.symlink(root, web / "up")
    (root / "mocks").mkdir()
    (root / "mocks" / "data.json").write_text('{"from": "file"}')


@contextmanager
def every_kind(
    root: Path, *, settings: str = "", args: tuple[str, ...] = ()
) -> Iterator[EveryKind]:
    """Write the project into ``root``, run devserve on it, stop it afterwards."""
    write_project(root)
    ports = free_ports(5)
    (root / "devserve.toml").write_text(_config(ports, settings))
    server = run_devserve(
        ["run", "-c", str(root / "devserve.toml"), *args], cwd=root, wait_ports=ports
    )
    try:
        yield EveryKind(server, root, *ports)
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


# Fixtures for the suites' conftest.py files (imported there, so each module gets its own).


@pytest.fixture(scope="module")
def fortress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EveryKind]:
    """One devserve with every kind of origin, shared by the tests of a module."""
    with every_kind(tmp_path_factory.mktemp("fortress")) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: a new httpx client per request costs ~50 ms of TLS setup."""
    with httpx.Client(timeout=10) as client:
        yield client

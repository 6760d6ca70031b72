"""Configs built from command-line options (`serve`, `demo`), with errors that name the option
the user typed rather than a config key they never wrote."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devserve._resources import templates_dir
from devserve.config.load import CONFIG_NAME, parse_config
from devserve.config.model import Config, Settings
from devserve.errors import ConfigError, DevserveError
from devserve.urls import is_localhost_name, origin_url_problem

CORS_MODES = ("off", "on", "*")
# The demo's page origin is on the base port, its three APIs on the next three.
DEMO_BASE_PORT = 8000
DEMO_PORTS = 4


def cors_setting(values: list[str]) -> Any:
    """Turn repeated ``--cors`` values into a config ``cors`` value."""
    if not values:
        return "off"
    if len(values) == 1 and values[0] in CORS_MODES:
        return values[0]
    if any(value in CORS_MODES for value in values):
        raise DevserveError(
            "--cors takes either one of off, on, * or one or more origin URLs, not both"
        )
    for value in values:
        if "://" not in value:
            raise DevserveError(
                f"--cors {value!r} is neither a mode nor an origin: use off, on, * "
                "or an origin URL such as http://localhost:3000 (repeatable)"
            )
        problem = origin_url_problem(value)
        if problem:
            raise DevserveError(f"--cors: {problem}")
    # An allow-list from the command line: those origins, with credentials and common methods.
    return {
        "allow_origins": values,
        "allow_credentials": True,
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type", "X-Requested-With"],
    }


def port_number(option: str, text: str | None) -> int | None:
    """A port typed on the command line, read here (not by Click) so that ``-p abc`` gets the
    same kind of message as every other mistake."""
    if text is None:
        return None
    if not text.strip().isdigit():
        raise DevserveError(
            f"{option} {text!r} is not a port: give a number from 1 to 65535 (0: any free port)"
        )
    return int(text)


def check_port(option: str, port: int, *, last: int = 65535, free: bool = True) -> None:
    """``port`` within 1-``last``, or 0 (any free port) where ``free`` allows it."""
    if port == 0 and not free:
        raise DevserveError(f"{option} must be a port, not 0 (1-{last})")
    if not (0 if free else 1) <= port <= last:
        lowest = "0 (any free port)" if free else "1"
        raise DevserveError(f"{option} must be between {lowest} and {last} (got {port})")


def serve_config(
    directory: Path,
    *,
    port: int,
    cors: list[str],
    spa: bool,
    dashboard_port: int | None,
    compress: bool = False,
    host_name: str | None = None,
    https: bool = False,
) -> Config:
    """The config of `devserve serve DIR`: one static origin named ``site``.

    A ``--host-name`` outside ``.localhost`` is the user's own name: it goes into
    ``allowed_hosts`` (the banner says to make it resolve)."""
    if not directory.exists():
        raise DevserveError(
            f"DIR {str(directory)!r} does not exist; give the folder to serve, "
            "e.g. `devserve serve .`"
        )
    if not directory.is_dir():
        raise DevserveError(
            f"DIR {str(directory)!r} is a file; `devserve serve` serves a folder: run "
            f"`devserve serve {str(directory.parent)!r}` and open /{directory.name}"
        )
    check_port("-p/--port", port)
    settings: dict[str, Any] = {}
    if dashboard_port is not None:
        check_port("--dashboard-port", dashboard_port)
        if dashboard_port == port != 0:
            raise DevserveError(
                f"--dashboard-port {port} is the origin's port too (-p/--port); pick another"
            )
        settings["dashboard_port"] = dashboard_port
    origin = {
        "port": port,
        "static": str(directory.resolve()),
        "cors": cors_setting(cors),
        "spa": spa,
        "compress": compress,
    }
    if host_name is not None:
        origin["host"] = host_name
        if not is_localhost_name(host_name):
            settings["allowed_hosts"] = [host_name]
    if https:
        origin["https"] = True
    data = {"devserve": settings, "origins": {"site": origin}}
    try:
        return parse_config(data, path=directory.resolve() / CONFIG_NAME, label="command line")
    except ConfigError as exc:  # the only key a user can get wrong here is the name
        raise DevserveError(exc.message.replace("origins.site.host", "--host-name")) from None


def demo_path() -> Path:
    return (templates_dir() / "demo" / "devserve.toml").resolve()


def demo_config(
    *, port: int | None, dashboard_port: int | None, https: bool = False, sites: bool = False
) -> Config:
    """The bundled demo, its four origins moved to ``port``..``port + 3`` when given; with
    ``https``, every origin serves https; with ``sites``, the page is on ``app.localhost`` and
    each API on ``NAME.localhost`` (four sites instead of one)."""
    path = demo_path()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    base = DEMO_BASE_PORT if port is None else port
    last = base + DEMO_PORTS - 1
    if port is not None:
        # Not 0: the demo's page finds its three APIs on the three ports after its own.
        check_port("--port", port, last=65535 - DEMO_PORTS + 1, free=False)
        shift = {p: p - DEMO_BASE_PORT + base for p in range(DEMO_BASE_PORT, last + 1)}
        for origin in data["origins"].values():
            origin["port"] = shift[origin["port"]]
            cors = origin.get("cors")
            if isinstance(cors, dict):
                cors["allow_origins"] = [_moved(o, shift) for o in cors.get("allow_origins", [])]
    if dashboard_port is not None:
        check_port("--dashboard-port", dashboard_port)
        data["devserve"]["dashboard_port"] = dashboard_port
    if https or sites:
        _as_sites(data, https=https, sites=sites)
    dashboard = data["devserve"].get(
        "dashboard_port", Settings.model_fields["dashboard_port"].default
    )
    if dashboard is not False and base <= dashboard <= last:
        raise DevserveError(
            f"the demo's origins use ports {base}-{last}, which include the dashboard's port "
            f"{dashboard}; move the demo with --port or the dashboard with --dashboard-port"
        )
    return parse_config(data, path=path, label=str(path))


def _as_sites(data: dict[str, Any], *, https: bool, sites: bool) -> None:
    """`demo --https` / `--sites`: schemes and names, and the allow-list to match them."""
    scheme = "https" if https else "http"
    for name, origin in data["origins"].items():
        origin["https"] = https
        if sites:
            origin["host"] = "app.localhost" if name == "page" else f"{name}.localhost"
        cors = origin.get("cors")
        if isinstance(cors, dict):
            page = data["origins"]["page"]["port"]
            hosts = ["app.localhost"] if sites else ["localhost", "127.0.0.1"]
            cors["allow_origins"] = [f"{scheme}://{host}:{page}" for host in hosts]


def _moved(origin: str, shift: dict[int, int]) -> str:
    """An allow-listed origin URL that points at a demo port, pointed at the moved port."""
    parts = urlsplit(origin)
    if parts.port in shift and parts.hostname:
        return f"{parts.scheme}://{parts.hostname}:{shift[parts.port]}"
    return origin

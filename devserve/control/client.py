"""Client side of the control API: find the running instance for a config, read and switch it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devserve.config import find_config, load_config
from devserve.errors import DevserveError
from devserve.serve.binding import url_host

TIMEOUT = 3.0


@dataclass(frozen=True)
class Instance:
    """A running devserve, reached through its control API."""

    url: str
    config: str | None
    pid: int
    version: str


def find_instance(*, config: Path | None = None, url: str | None = None) -> Instance:
    """Locate the instance as ``run`` would find the config, or at ``url``; check it is ours."""
    path: Path | None = None
    if url is None:
        path = config or find_config(Path.cwd())
        if path is None:
            raise DevserveError(
                "no devserve.toml here or in any parent folder; pass -c FILE or --url URL"
            )
        path = path.resolve()
        settings = load_config(path).devserve
        if settings.dashboard_port is False:
            raise DevserveError(
                f"{path}: dashboard_port = false, so the control API is off; "
                "set a port in [devserve] and restart devserve"
            )
        url = f"http://{url_host(settings.host)}:{settings.dashboard_port}"
    url = url.rstrip("/")
    info = _request("GET", f"{url}/api/instance", where=path or url)
    if path is not None and info.get("config") != str(path):
        other = info.get("config") or "a folder with no config file"
        raise DevserveError(
            f"the devserve on {url} serves another project ({other}), not {path}; "
            "stop it, or give this project another dashboard_port"
        )
    return Instance(url=url, config=info.get("config"), pid=info["pid"], version=info["version"])


def origins(instance: Instance) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _request(
        "GET", f"{instance.url}/api/origins", where=instance.url
    )
    return result


def set_cors(instance: Instance, name: str, enabled: bool) -> dict[str, Any]:
    result: dict[str, Any] = _request(
        "PUT",
        f"{instance.url}/api/origins/{name}/cors",
        where=instance.url,
        json={"enabled": enabled},
        names=[o["name"] for o in origins(instance)],
    )
    return result


def reset(instance: Instance, name: str) -> dict[str, Any]:
    """Restore the original data of an origin's resource file."""
    result: dict[str, Any] = _request(
        "POST",
        f"{instance.url}/api/origins/{name}/reset",
        where=instance.url,
        json={},
        names=[o["name"] for o in origins(instance)],
    )
    return result


def _request(
    method: str,
    url: str,
    *,
    where: Path | str,
    json: Any = None,
    names: list[str] | None = None,
) -> Any:
    try:
        response = httpx.request(method, url, json=json, timeout=TIMEOUT)
    except httpx.HTTPError:
        raise DevserveError(
            f"no devserve is running for {where} (nothing answers on {url.split('/api/')[0]}); "
            "start it with `devserve`"
        ) from None
    if response.status_code == 404 and names is not None:
        name = url.rstrip("/").split("/")[-2]
        raise DevserveError(f"no origin named {name!r}; the origins are: {', '.join(names)}")
    if response.status_code >= 400:
        try:
            detail = str(response.json()["error"])  # the control API explains itself
        except (ValueError, KeyError, TypeError):
            raise DevserveError(
                f"{method} {url} answered {response.status_code}: {response.text}"
            ) from None
        raise DevserveError(detail)
    return response.json()


def describe_origin(origin: dict[str, Any]) -> str:
    """One line: name, URL, what it serves, CORS state."""
    cors = origin["cors"]
    state = cors["describe"]
    if cors["enabled"] and cors["configured"] == "off":
        state += " (switched on at runtime; the config says off)"
    elif not cors["enabled"] and cors["configured"] != "off":
        state += f" (switched off at runtime; the config says {cors['configured']})"
    return f"{origin['name']}  {origin['url']}  {', '.join(origin['serves'])}  | CORS {state}"

"""Client side of the control API: find the running instance for a config, read and switch it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from devserve.config import find_config, load_config
from devserve.control.state import OriginState
from devserve.errors import DevserveError, UnknownOriginError
from devserve.instance import DEFAULT_DASHBOARD_PORT, describe_instance
from devserve.localnet import LocalTransport
from devserve.origins import http_url
from devserve.serving.binding import dashboard_bind_host

TIMEOUT = 3.0


@dataclass(frozen=True)
class Instance:
    """A running devserve, reached through its control API."""

    url: str
    config: str | None
    pid: int
    version: str
    kind: str = "config"
    # Set when no config was found and the default dashboard port answered: say who did.
    found_by: str | None = None

    @property
    def serving(self) -> str:
        return describe_instance(self.kind, self.config)


def find_instance(*, config: Path | None = None, url: str | None = None) -> Instance:
    """Locate the instance as ``run`` would find the config, or at ``url``; check it is ours.

    With no config here and no ``url``, ask the default dashboard port: the demo, and any
    `devserve serve`, have no config a command could find them by.
    """
    path: Path | None = None
    if url is None:
        path = config or find_config(Path.cwd())
        if path is None:
            return _default_instance()
        path = path.resolve()
        settings = load_config(path).devserve
        if settings.dashboard_port is False:
            raise DevserveError(
                f"{path}: dashboard_port = false, so the control API is off; "
                "set a port in [devserve] and restart devserve"
            )
        host = dashboard_bind_host(settings.dashboard_host, settings.host)
        url = http_url(host, settings.dashboard_port)
    url = url.rstrip("/")
    found = _instance(url, _request("GET", f"{url}/api/instance", where=path or url))
    if path is not None and found.config != str(path):
        raise DevserveError(
            f"the devserve on {url} serves another project ({found.serving}), not {path}; "
            "stop it, or give this project another dashboard_port"
        )
    return found


def _default_instance() -> Instance:
    url = f"http://127.0.0.1:{DEFAULT_DASHBOARD_PORT}"
    try:
        with _client() as client:
            info = client.get(f"{url}/api/instance").json()
    except (httpx.HTTPError, ValueError):
        raise DevserveError(
            "no devserve.toml here or in any parent folder, and no devserve answers on the "
            f"default dashboard port ({url}); pass -c FILE or --url URL, or start devserve"
        ) from None
    found = _instance(url, info)
    note = f"no devserve.toml here: using the devserve on {url} ({found.serving})"
    return replace(found, found_by=note)


def _instance(url: str, info: dict[str, Any]) -> Instance:
    config = info.get("config")
    # Before "kind" existed, an instance without a config was always a served folder.
    kind = info.get("kind") or ("config" if config else "folder")
    return Instance(
        url=url, config=config, pid=info["pid"], version=info["version"], kind=str(kind)
    )


def origins(instance: Instance) -> list[OriginState]:
    """Every origin of the instance, in config order."""
    listed = _request("GET", f"{instance.url}/api/origins", where=instance.url)
    return [OriginState.from_json(item) for item in listed]


def origin(instance: Instance, name: str) -> OriginState:
    """One origin of the instance; UnknownOriginError names the others."""
    listed = origins(instance)
    for state in listed:
        if state.name == name:
            return state
    raise UnknownOriginError(name, [state.name for state in listed])


def set_cors(instance: Instance, name: str, enabled: bool) -> OriginState:
    """Switch one origin's CORS at runtime; UnknownOriginError names the others."""
    answer = _request(
        "PUT",
        f"{instance.url}/api/origins/{name}/cors",
        where=instance.url,
        json={"enabled": enabled},
    )
    return OriginState.from_json(answer)


def reset(instance: Instance, name: str) -> dict[str, Any]:
    """Restart an origin's mock sequences and restore its resource file's original data."""
    answer: dict[str, Any] = _request(
        "POST", f"{instance.url}/api/origins/{name}/reset", where=instance.url, json={}
    )
    return answer


def _client() -> httpx.Client:
    """A client that reaches ``--url http://name.localhost:N`` as the browser would."""
    return httpx.Client(transport=LocalTransport(), timeout=TIMEOUT)


def _request(method: str, url: str, *, where: Path | str, json: Any = None) -> Any:
    try:
        with _client() as client:
            response = client.request(method, url, json=json)
    except httpx.HTTPError:
        raise DevserveError(
            f"no devserve is running for {where} (nothing answers on {url.split('/api/')[0]}); "
            "start it with `devserve`"
        ) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400:
        # The control API words its errors for people (e.g. "no origin named ..."): pass them on.
        error = answer.get("error") if isinstance(answer, dict) else None
        raise DevserveError(
            error or f"{method} {url} answered {response.status_code}: {response.text}"
        )
    return answer

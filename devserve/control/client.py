"""Client side of the control API: find the running instance for a config, read and switch it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter

from devserve.config import find_config, load_config
from devserve.control import answers
from devserve.control.answers import Answer
from devserve.errors import DevserveError, UnknownOriginError
from devserve.instance import DEFAULT_DASHBOARD_PORT, describe_instance
from devserve.localnet import LocalTransport
from devserve.origins import dashboard_bind_host, http_url
from devserve.runnotes import find as find_note
from devserve.state import OriginState
from devserve.terminal import printable

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
        if (note := find_note(path)) is not None:
            raise DevserveError(
                f"devserve (pid {note.pid}) serves {path}, but without its dashboard: "
                f"{printable(note.dashboard)}; `status` and `cors` talk to the dashboard, so "
                "free that port or set another dashboard_port in [devserve], then restart it"
            )
        settings = load_config(path).devserve
        if settings.dashboard_port is False:
            raise DevserveError(
                f"{path}: dashboard_port = false, so the control API is off; "
                "set a port in [devserve] and restart devserve"
            )
        host = dashboard_bind_host(settings.dashboard_host, settings.host)
        url = http_url(host, settings.dashboard_port)
    url = url.rstrip("/")
    asked = _request("GET", f"{url}/api/instance", answers.INSTANCE, _nothing_at(path or url, url))
    found = _instance(url, asked)
    if path is not None and found.config != str(path):
        serving = printable(found.serving)
        raise DevserveError(
            f"the devserve on {url} serves another project ({serving}), not {path}; "
            "stop it, or give this project another dashboard_port"
        )
    return found


def _default_instance() -> Instance:
    url = f"http://127.0.0.1:{DEFAULT_DASHBOARD_PORT}"
    nothing = DevserveError(
        "no devserve.toml here or in any parent folder, and no devserve answers on the "
        f"default dashboard port ({url}); pass -c FILE or --url URL, or start devserve"
    )
    found = _instance(url, _request("GET", f"{url}/api/instance", answers.INSTANCE, nothing))
    note = f"no devserve.toml here: using the devserve on {url} ({found.serving})"
    return replace(found, found_by=note)


def _instance(url: str, info: answers.InstanceAnswer) -> Instance:
    config = info["config"]
    # Before "kind" existed, an instance without a config was always a served folder.
    kind = info.get("kind") or ("config" if config else "folder")
    return Instance(url=url, config=config, pid=info["pid"], version=info["version"], kind=kind)


def origins(instance: Instance) -> list[OriginState]:
    """Every origin of the instance, in config order."""
    url = f"{instance.url}/api/origins"
    listed = _request("GET", url, answers.ORIGINS, _nothing_at(instance.url, instance.url))
    return [OriginState.from_json(dict(item)) for item in listed]


def origin(instance: Instance, name: str) -> OriginState:
    """One origin of the instance; UnknownOriginError names the others."""
    listed = origins(instance)
    for state in listed:
        if state.name == name:
            return state
    raise UnknownOriginError(name, [printable(state.name) for state in listed])


def set_cors(instance: Instance, name: str, enabled: bool) -> OriginState:
    """Switch one origin's CORS at runtime; UnknownOriginError names the others."""
    answer = _request(
        "PUT",
        f"{instance.url}/api/origins/{name}/cors",
        answers.ORIGIN,
        _nothing_at(instance.url, instance.url),
        json={"enabled": enabled},
    )
    return OriginState.from_json(dict(answer))


def reset(instance: Instance, name: str) -> answers.ResetAnswer:
    """Restart an origin's mock sequences and restore its resource file's original data."""
    return _request(
        "POST",
        f"{instance.url}/api/origins/{name}/reset",
        answers.RESET,
        _nothing_at(instance.url, instance.url),
        json={},
    )


def send(instance: Instance, name: str, path: str, text: str) -> answers.SendAnswer:
    """Send ``text`` to every page connected to the mock socket at ``path`` of origin ``name``."""
    return _request(
        "POST",
        f"{instance.url}/api/origins/{name}/sockets/send",
        answers.SEND,
        _nothing_at(instance.url, instance.url),
        json={"path": path, "text": text},
    )


def _nothing_at(where: Path | str, url: str) -> DevserveError:
    return DevserveError(
        f"no devserve is running for {where} (nothing answers on {printable(url)}); "
        "start it with `devserve`"
    )


def _request(
    method: str, url: str, shape: TypeAdapter[Answer], nothing: DevserveError, *, json: Any = None
) -> Answer:
    """Ask the control API; ``nothing`` is the error when nothing answers at all."""
    try:
        # LocalTransport: `--url http://name.localhost:N` is reached as a browser would.
        with (
            httpx.Client(transport=LocalTransport(), timeout=TIMEOUT) as client,
            client.stream(method, url, json=json) as response,
        ):
            return answers.checked(response, shape, method)
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise nothing from None
    except httpx.TimeoutException:  # it took the connection, then did not answer
        why = f"{method} {_path(url)}: no answer within {TIMEOUT:g} s"
        raise answers.not_devserve(url, why) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        base = printable(url.split("/api/")[0])
        raise DevserveError(
            f"{base} is not a URL devserve can ask; give one like http://127.0.0.1:8999"
        ) from None
    except httpx.HTTPError:
        raise answers.not_devserve(url, f"{method} {_path(url)}: no HTTP answer") from None


def _path(url: str) -> str:
    return "/api/" + url.split("/api/", 1)[-1]

"""The one config builder of the tests: a devserve.toml text (or a loaded Config) from plain
dicts, so no test writes TOML by hand or copies another test's template."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devserve.config import Config
from devserve.project import parse_project as parse_config

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are valid in a TOML basic string
    if isinstance(value, list | tuple):
        return f"[{', '.join(_value(item) for item in value)}]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def _table(header: str, values: Mapping[str, Any]) -> str:
    lines = [f"[{header}]"]
    lines += [f"{_key(key)} = {_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def config_toml(
    origins: Mapping[str, Mapping[str, Any]], devserve: Mapping[str, Any] | None = None
) -> str:
    """A devserve.toml text: ``[devserve]`` from ``devserve``, one ``[origins.NAME]`` each."""
    parts = [_table("devserve", devserve)] if devserve else []
    parts += [_table(f"origins.{name}", origin) for name, origin in origins.items()]
    return "\n".join(parts)


def build_config(
    root: Path,
    origins: Mapping[str, Mapping[str, Any]],
    devserve: Mapping[str, Any] | None = None,
) -> Config:
    """The Config devserve would load from ``root/devserve.toml`` (paths relative to ``root``)."""
    data: dict[str, Any] = {"origins": {name: dict(o) for name, o in origins.items()}}
    if devserve:
        data["devserve"] = dict(devserve)
    return parse_config(data, path=root / "devserve.toml", label="test config")


# A page and an API on free ports (port 0): the embedding API, the pytest plugin and its
# browser test all start this one.
PAGE_AND_API = config_toml(
    {
        "page": {"port": 0, "static": "."},
        "api": {"port": 0, "cors": "on"},
    },
    devserve={"dashboard_port": False},
) + (
    "\n[[origins.api.routes]]\n"
    'path = "/users/{id:int}"\n'
    'json = { id = "{{ path.id }}", name = "Ada" }\n'
)

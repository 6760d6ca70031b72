"""Find, read and validate ``devserve.toml``; resolve its paths; check what spans keys."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from devserve.config.envvars import env_problem
from devserve.config.messages import (
    UNSUPPORTED_ORIGIN_KEYS,
    UNSUPPORTED_ROUTE_KEYS,
    UNSUPPORTED_SETTINGS_KEYS,
    describe,
    unsupported_key_problems,
)
from devserve.config.model import Config, Origin
from devserve.errors import ConfigError

CONFIG_NAME = "devserve.toml"
PYPROJECT = "pyproject.toml"


def find_config(start: Path) -> Path | None:
    """Find the config as ``run`` does: devserve.toml here or above, else [tool.devserve]."""
    directories = [start, *start.parents]
    for directory in directories:
        if (directory / CONFIG_NAME).is_file():
            return directory / CONFIG_NAME
    for directory in directories:
        candidate = directory / PYPROJECT
        if candidate.is_file() and _has_tool_table(candidate):
            return candidate
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "devserve" in data["tool"]


def load_config(path: Path) -> Config:
    """Read, validate and resolve the config at ``path``; ConfigError lists every problem."""
    path = path.resolve()
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{label}: file not found; check the path given to -c"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{label}: cannot read the file ({exc})"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{label}: invalid TOML: {exc}; fix the syntax at that spot"]) from None
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        prefix = ("tool", "devserve")
        data = data.get("tool", {}).get("devserve", {})
        # In pyproject.toml the [devserve] table's keys sit directly under [tool.devserve].
        data = {
            "devserve": {k: v for k, v in data.items() if k != "origins"},
            "origins": data.get("origins", {}),
        }
    return parse_config(data, path=path, label=label, prefix=prefix)


def parse_config(
    data: dict[str, Any], *, path: Path, label: str, prefix: tuple[str, ...] = ()
) -> Config:
    """Validate already-parsed TOML data; paths resolve against ``path``'s folder."""
    problems = unsupported_key_problems(data)
    data = _strip_unsupported(data)
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems.extend(describe(exc))
    if config is not None:
        config = _resolve_paths(config, path.parent)
        problems.extend(_cross_checks(config))
    if problems:
        location = ".".join(prefix)
        raise ConfigError(
            [
                f"{label}: {location + '.' if location and not p.startswith('(') else ''}{p}"
                for p in problems
            ]
        )
    assert config is not None
    return config


def _strip_unsupported(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if isinstance(data.get("devserve"), dict):
        data["devserve"] = {
            k: v for k, v in data["devserve"].items() if k not in UNSUPPORTED_SETTINGS_KEYS
        }
    if isinstance(data.get("origins"), dict):
        origins = {}
        for name, origin in data["origins"].items():
            if isinstance(origin, dict):
                origin = {k: v for k, v in origin.items() if k not in UNSUPPORTED_ORIGIN_KEYS}
                if isinstance(origin.get("routes"), list):
                    origin["routes"] = [
                        {k: v for k, v in r.items() if k not in UNSUPPORTED_ROUTE_KEYS}
                        if isinstance(r, dict)
                        else r
                        for r in origin["routes"]
                    ]
            origins[name] = origin
        data["origins"] = origins
    return data


def _resolve_paths(config: Config, base: Path) -> Config:
    origins = {}
    for name, origin in config.origins.items():
        static = (base / origin.static).resolve() if origin.static is not None else None
        routes = [
            route.model_copy(update={"file": (base / route.file).resolve()})
            if route.file is not None
            else route
            for route in origin.routes
        ]
        update: dict[str, Any] = {"static": static, "routes": routes}
        if origin.record is not None:  # only then: fields_set tells what the user wrote
            update["record"] = (base / origin.record).resolve()
        origins[name] = origin.model_copy(update=update)
    return config.model_copy(update={"origins": origins})


def _cross_checks(config: Config) -> list[str]:
    problems: list[str] = []
    ports: dict[int, str] = {}
    dashboard = config.devserve.dashboard_port
    for name, origin in config.origins.items():
        if origin.port in ports:
            problems.append(
                f"origins.{name}.port: port {origin.port} is already used by origin "
                f"'{ports[origin.port]}'; every origin needs its own port"
            )
        ports.setdefault(origin.port, name)
        if dashboard is not False and origin.port == dashboard:
            problems.append(
                f"origins.{name}.port: port {dashboard} is the dashboard's "
                "(devserve.dashboard_port); pick another port, or move the dashboard"
            )
        if origin.static is not None and not origin.static.is_dir():
            problems.append(
                f"origins.{name}.static: directory {str(origin.static)!r} does not exist; "
                "create it or fix the path (relative to the config file)"
            )
        for index, route in enumerate(origin.routes):
            if route.file is not None and not route.file.is_file():
                problems.append(
                    f"origins.{name}.routes[{index}].file: {str(route.file)!r} does not exist; "
                    "create it or fix the path (relative to the config file)"
                )
        problems.extend(_proxy_checks(name, origin))
    return problems


# Keys that mean something only to a proxy, with their defaults (a non-default needs `proxy`).
_PROXY_ONLY = ("proxy_headers", "proxy_timeout", "record", "record_mode", "record_match", "redact")


def _proxy_checks(name: str, origin: Origin) -> list[str]:
    problems: list[str] = []
    if origin.proxy is None:
        given = [key for key in _PROXY_ONLY if key in origin.model_fields_set]
        problems.extend(
            f'origins.{name}.{key}: only used with a proxy; add proxy = "https://..." '
            "to this origin or remove the key"
            for key in given
        )
        return problems
    for header, value in origin.proxy_headers.items():
        problem = env_problem(value)
        if problem is not None:
            problems.append(f"origins.{name}.proxy_headers.{header}: {problem}")
    return problems


def default_config(
    directory: Path, *, port: int = 8000, name: str = "site", cors: Any = "off", spa: bool = False
) -> Config:
    """The config used with no config file: one static origin serving ``directory``."""
    origin = {"port": port, "static": str(directory), "cors": cors, "spa": spa}
    return parse_config(
        {"origins": {name: origin}}, path=directory / CONFIG_NAME, label="command line"
    )

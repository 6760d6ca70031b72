"""Find, read and validate ``devserve.toml``; resolve its paths; check what spans keys."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
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
from devserve.config.mocks import Route
from devserve.config.model import Config, Settings
from devserve.config.proxy import SpecUrl
from devserve.config.sites import site_problems
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
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False
    return isinstance(data.get("tool"), dict) and "devserve" in data["tool"]


# A check beyond the model, by a layer above the config (the mocks check their templates and
# files): it gets the raw data (every key, even where the model failed), the validated config
# when there is one, and the config's folder; it returns ``key.path: problem`` lines.
ConfigCheck = Callable[[dict[str, Any], Config | None, Path], list[str]]


def load_config(path: Path, *, checks: Sequence[ConfigCheck] = ()) -> Config:
    """Read, validate and resolve the config at ``path``; ConfigError lists every problem.

    Only the model's own checks run here; ``devserve.project.load_project`` adds the mocks'."""
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
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(
            [f"{label}: invalid TOML: arrays or tables nested too deeply; flatten them"]
        ) from None
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        prefix = ("tool", "devserve")
        data = data.get("tool", {}).get("devserve", {})
        # In pyproject.toml the [devserve] table's keys sit directly under [tool.devserve].
        data = {
            "devserve": {k: v for k, v in data.items() if k != "origins"},
            "origins": data.get("origins", {}),
        }
    return parse_config(data, path=path, label=label, prefix=prefix, checks=checks)


def parse_config(
    data: dict[str, Any],
    *,
    path: Path,
    label: str,
    prefix: tuple[str, ...] = (),
    checks: Sequence[ConfigCheck] = (),
) -> Config:
    """Validate already-parsed TOML data; paths resolve against ``path``'s folder."""
    problems = unsupported_key_problems(data)
    data = _strip_unsupported(data)
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems.extend(describe(exc))
    # On the raw data: a typo elsewhere must not hide a missing folder until the next run.
    problems.extend(_cross_checks(data, path.parent))
    if config is not None:
        config = _resolve_paths(config, path.parent)
    for check in checks:
        problems.extend(check(data, config, path.parent))
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


def _resolve(base: Path, path: Path | None) -> Path | None:
    return (base / path).resolve() if path is not None else None


def _resolve_route(route: Route, base: Path) -> Route:
    responses = route.responses
    if responses is not None:
        responses = [r.model_copy(update={"file": _resolve(base, r.file)}) for r in responses]
    return route.model_copy(update={"file": _resolve(base, route.file), "responses": responses})


def _resolve_paths(config: Config, base: Path) -> Config:
    origins = {}
    for name, origin in config.origins.items():
        update: dict[str, Any] = {
            "static": _resolve(base, origin.static),
            "mocks": _resolve(base, origin.mocks),
            "resources": _resolve(base, origin.resources),
            "resources_routes": _resolve(base, origin.resources_routes),
            "record": _resolve(base, origin.record),
            "openapi": (
                origin.openapi
                if isinstance(origin.openapi, SpecUrl)
                else _resolve(base, origin.openapi)
            ),
            "routes": [_resolve_route(route, base) for route in origin.routes],
        }
        origins[name] = origin.model_copy(update=update)
    return config.model_copy(update={"origins": origins})


def _cross_checks(data: dict[str, Any], base: Path) -> list[str]:
    """What spans keys or needs the file system, read from the raw data: values of the wrong
    type are left to the schema's messages, everything else is checked even when they fail."""
    problems: list[str] = []
    settings = data.get("devserve")
    dashboard = (settings if isinstance(settings, dict) else {}).get(
        "dashboard_port", Settings.model_fields["dashboard_port"].default
    )
    origins = data.get("origins")
    ports: dict[int, str] = {}
    for name, origin in (origins if isinstance(origins, dict) else {}).items():
        if not isinstance(origin, dict):
            continue
        port = origin.get("port")
        if type(port) is int and 1 <= port <= 65535:
            if port in ports:
                problems.append(
                    f"origins.{name}.port: port {port} is already used by origin "
                    f"'{ports[port]}'; every origin needs its own port"
                )
            ports.setdefault(port, name)
            if type(dashboard) is int and port == dashboard:
                problems.append(
                    f"origins.{name}.port: port {dashboard} is the dashboard's "
                    "(devserve.dashboard_port); pick another port, or move the dashboard"
                )
        static = origin.get("static")
        if isinstance(static, str) and not _is(base / static, Path.is_dir):
            problems.append(
                f"origins.{name}.static: directory {_shown(base / static)!r} does not "
                "exist; create it or fix the path (relative to the config file)"
            )
        if "resources" not in origin:
            problems.extend(
                f'origins.{name}.{key}: only applies to resources; add resources = "db.json" '
                "or remove it"
                for key in _RESOURCES_ONLY
                if key in origin
            )
        routes = origin.get("routes")
        for index, route in enumerate(routes if isinstance(routes, list) else []):
            file = route.get("file") if isinstance(route, dict) else None
            if isinstance(file, str) and not _is(base / file, Path.is_file):
                problems.append(
                    f"origins.{name}.routes[{index}].file: {_shown(base / file)!r} "
                    "does not exist; create it or fix the path (relative to the config file)"
                )
        problems.extend(_proxy_checks(name, origin))
    return problems + site_problems(data)


# Keys that mean something only to resources.
_RESOURCES_ONLY = (
    "resources_prefix",
    "resources_routes",
    "id_field",
    "foreign_key_suffix",
    "read_only",
    "persist",
    "dialect",
)
# Keys that mean something only to a proxy, with their defaults (a non-default needs `proxy`).
_PROXY_ONLY = ("proxy_headers", "proxy_timeout", "record", "record_mode", "record_match", "redact")


def _proxy_checks(name: str, origin: dict[str, Any]) -> list[str]:
    if "proxy" not in origin:
        return [
            f'origins.{name}.{key}: only used with a proxy; add proxy = "https://..." '
            "to this origin or remove the key"
            for key in _PROXY_ONLY
            if key in origin
        ]
    problems: list[str] = []
    headers = origin.get("proxy_headers")
    for header, value in (headers if isinstance(headers, dict) else {}).items():
        problem = env_problem(value) if isinstance(value, str) else None
        if problem is not None:
            problems.append(f"origins.{name}.proxy_headers.{header}: {problem}")
    return problems


def _is(path: Path, kind: Callable[[Path], bool]) -> bool:
    """``path.is_dir()`` / ``is_file()``, False where the OS refuses the name (too long, ...)."""
    try:
        return kind(path)
    except OSError:
        return False


def _shown(path: Path) -> str:
    """``path`` resolved for a message, as given where the OS cannot resolve it."""
    try:
        return str(path.resolve())
    except (OSError, ValueError):
        return str(path)


def default_config(
    directory: Path, *, port: int = 8000, name: str = "site", cors: Any = "off", spa: bool = False
) -> Config:
    """The config used with no config file: one static origin serving ``directory``."""
    origin = {"port": port, "static": str(directory), "cors": cors, "spa": spa}
    return parse_config(
        {"origins": {name: origin}}, path=directory / CONFIG_NAME, label="command line"
    )

"""What ``check-config`` (and every config load) checks of the mocks beyond the model's types:
templates and regexes compile, files and folders exist, envelopes are valid; and routes that can
never answer (a warning, not an error)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.routing import compile_path

from devserve.config.mocks import Route
from devserve.config.model import Config, Origin, Settings
from devserve.mocks.behaviour import compile_behaviour
from devserve.mocks.folders import folder_problems
from devserve.mocks.limits import Limits
from devserve.mocks.openapi.check import openapi_problems
from devserve.mocks.routes import compile_routes, label


def resource_file_problems(data: dict[str, Any], config: Config | None, base: Path) -> list[str]:
    """Each resource file must be a valid database now, and each routes file valid rules: a
    broken one is a config error. Read from the raw data, so a typo elsewhere in the config
    does not hide it."""
    problems: list[str] = []
    origins = data.get("origins")
    for name, origin in (origins if isinstance(origins, dict) else {}).items():
        if not isinstance(origin, dict):
            continue
        # Absent, or not a path (the schema's message says what to write): nothing to read.
        resources, routes = origin.get("resources"), origin.get("resources_routes")
        if not isinstance(resources, str) and not isinstance(routes, str):
            continue
        # Imported here: a config without resources starts without their modules.
        from devserve.mocks.resources.data import ResourceDataError
        from devserve.mocks.resources.data import read as read_resources
        from devserve.mocks.resources.routesfile import RoutesFileError, read_routes

        if isinstance(resources, str) and "\x00" not in resources:
            try:
                read_resources((base / resources).resolve())
            except ResourceDataError as exc:
                problems.append(f"origins.{name}.resources: {exc.message}")
        if isinstance(routes, str) and "\x00" not in routes:
            try:
                read_routes((base / routes).resolve())
            except RoutesFileError as exc:
                problems.append(f"origins.{name}.resources_routes: {exc.message}")
    return problems



def mock_problems(data: dict[str, Any], config: Config | None, base: Path) -> list[str]:
    """Every problem of every origin's mocks, as ``key.path: what is wrong; the fix`` lines
    (a ``config.load.ConfigCheck``: it needs the validated config)."""
    if config is None:
        return []
    problems: list[str] = []
    limits = Limits.of(config.devserve)
    for name, origin in config.origins.items():
        compile_routes(name, origin.routes, limits, problems)
        for index, route in enumerate(origin.routes):
            where = f"origins.{name}.routes[{index}]"
            # The route's own file is checked on the raw data, in config.load.
            files = [
                (f"{where}.responses[{i}]", r.file) for i, r in enumerate(route.responses or [])
            ]
            for key, file in files:
                if file is not None and not file.is_file():
                    problems.append(
                        f"{key}.file: {str(file)!r} does not exist; "
                        "create it or fix the path (relative to the config file)"
                    )
        if origin.mocks is not None:
            if not origin.mocks.is_dir():
                problems.append(
                    f"origins.{name}.mocks: directory {str(origin.mocks)!r} does not exist; "
                    "create it or fix the path (relative to the config file)"
                )
            else:
                problems.extend(
                    f"origins.{name}.mocks: {p}" for p in folder_problems(origin.mocks, limits)
                )
        problems.extend(openapi_problems(name, origin))
    return problems


def _shape(path: str) -> str:
    """A path with its parameter names removed: /users/{id} and /users/{uid} are one path."""
    return re.sub(r"\?P<\w+>", "", compile_path(path)[0].pattern)


def route_warnings(name: str, origin: Origin) -> list[str]:
    """Routes that can never answer: an earlier route with no ``match`` takes all their requests."""
    warnings = []
    # The earlier routes of each shape, in order: thousands of routes cost one pass, not one
    # comparison per pair.
    by_shape: dict[str, list[int]] = {}
    for index, route in enumerate(origin.routes):
        same = by_shape.setdefault(_shape(route.path), [])
        for earlier_index in same:
            earlier = origin.routes[earlier_index]
            if earlier.match is not None:
                continue
            if earlier.methods is None or (
                route.methods is not None and set(route.methods) <= set(earlier.methods)
            ):
                warnings.append(
                    f"origins.{name}.routes[{index}] ({label(route)}) never answers: "
                    f"routes[{earlier_index}] ({label(earlier)}) has no match and answers "
                    f"those requests first; give routes[{earlier_index}] a match, or remove one"
                )
                break
        same.append(index)
    return warnings


def template_problems_anyway(
    data: dict[str, Any], config: Config | None, base: Path
) -> list[str]:
    """When the config as a whole is invalid, every route that is valid on its own still gets
    its templates and regexes compiled: one run names every error, not the schema's first."""
    if config is not None:
        return []  # mock_problems compiles them all
    problems: list[str] = []
    limits = Limits.of(Settings())
    origins = data.get("origins")
    for name, origin in (origins if isinstance(origins, dict) else {}).items():
        routes = origin.get("routes") if isinstance(origin, dict) else None
        for index, raw in enumerate(routes if isinstance(routes, list) else []):
            try:
                route = Route.model_validate(raw)
            except ValidationError:
                continue  # the schema's message says what is wrong with it
            if route.file is not None or any(r.file for r in route.responses or []):
                continue  # its file is checked with the rest, once the config is valid
            where = f"origins.{name}.routes[{index}]"
            compile_behaviour(
                route, label=label(route), where=where, limits=limits, problems=problems
            )
    return problems


# What the mocks check of a config beyond its model, in the order the messages come.
MOCK_CHECKS = (resource_file_problems, mock_problems, template_problems_anyway)

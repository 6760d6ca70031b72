"""The file watcher: which folders to watch for a config, what a batch of changes means for each
origin (a pure ``plan``), and the loop that hands each plan to the runner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from devserve.config import Config
from devserve.files import OWN_WRITES
from devserve.live.events import CSS, RELOAD


class DevFilter(DefaultFilter):
    """watchfiles' defaults (.git, node_modules, __pycache__, swap files) plus editor leftovers."""

    ignore_entity_patterns = (
        *DefaultFilter.ignore_entity_patterns,
        r"^\.#",  # Emacs lock files
        r"^#.*#$",  # Emacs autosave
        r"\.swx$",
        r"^4913$",  # Vim's write-permission probe
        r"\.tmp$",
        r"\.crdownload$",
    )


@dataclass
class Plan:
    """What to do about one batch of changes."""

    config_changed: bool = False
    # origin name -> CSS when only stylesheets changed, else RELOAD (the event the pages get)
    pages: dict[str, str] = field(default_factory=dict)
    # origins whose resource file or routes file someone else edited
    resources: set[str] = field(default_factory=set)


def watch_roots(config: Config, config_path: Path | None) -> list[Path]:
    """The smallest set of existing folders covering the config file and every served file."""
    wanted: set[Path] = set()
    if config_path is not None:
        wanted.add(config_path.parent)
    for origin in config.origins.values():
        if origin.static is not None:
            wanted.add(origin.static)
        for route in origin.routes:
            if route.file is not None:
                wanted.add(route.file.parent)
        for file in (origin.resources, origin.resources_routes):
            if file is not None:
                wanted.add(file.parent)
    existing = sorted(path.resolve() for path in wanted if path.is_dir())
    return [p for p in existing if not any(p != q and p.is_relative_to(q) for q in existing)]


def plan(changes: set[tuple[Change, str]], config: Config, config_path: Path | None) -> Plan:
    """Map changed paths to a config reload and to the origins whose pages must refresh."""
    result = Plan()
    changed_by_origin: dict[str, list[Path]] = {}
    # Recordings (written by the proxy or edited by hand) are read on every request: a change
    # there is never a reason to reload a page, even in a recording folder inside a static one.
    recordings = [o.record for o in config.origins.values() if o.record is not None]
    for _, raw in changes:
        path = Path(raw)
        if OWN_WRITES.is_own(path):
            continue  # devserve persisted a resource: nobody's edit, nothing to reload
        if config_path is not None and path == config_path:
            result.config_changed = True
            continue
        if any(path.is_relative_to(folder) for folder in recordings):
            continue
        for name, origin in config.origins.items():
            if path in (origin.resources, origin.resources_routes):
                result.resources.add(name)
            if origin.static is not None and path.is_relative_to(origin.static):
                changed_by_origin.setdefault(name, []).append(path)
    for name, paths in changed_by_origin.items():
        result.pages[name] = CSS if all(p.suffix == ".css" for p in paths) else RELOAD
    return result


async def watch(
    current: Callable[[], tuple[Config, Path | None]],
    handle: Callable[[Plan], Awaitable[None]],
    *,
    stop: asyncio.Event,
) -> None:
    """Watch what ``current()`` config serves until ``stop``; ``handle`` each batch's plan.

    The config may change under the loop (``handle`` applies it): when its folders change,
    the watch starts again on the new ones.
    """
    while not stop.is_set():
        roots = watch_roots(*current())
        async for changes in awatch(*roots, watch_filter=DevFilter(), stop_event=stop, step=50):
            await handle(plan(changes, *current()))
            if stop.is_set():
                return
            if watch_roots(*current()) != roots:
                break

"""Carry out a reconfigure plan (``serving.reconfigure``) on the running origins: bind the new
ports first, then stop, start, swap or re-switch only what changed."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from devserve.config import Config
from devserve.errors import DevserveError
from devserve.serving import reconfigure
from devserve.serving.binding import bind
from devserve.serving.dashboard import Dashboard
from devserve.serving.registry import Registry

log = logging.getLogger("devserve")


def bind_all(names: list[str], config: Config, host: str) -> dict[str, socket.socket]:
    """Bind every port first: one taken port means nothing starts (exit 3)."""
    sockets: dict[str, socket.socket] = {}
    try:
        for name in names:
            sockets[name] = bind(name, host, config.origins[name].port)
    except DevserveError:
        for sock in sockets.values():
            sock.close()
        raise
    return sockets


@dataclass
class PlanExecutor:
    """Brings the registry from the running config to a new one."""

    registry: Registry
    dashboard: Dashboard
    # Told the new config once its ports are bound (from then on it is the running config).
    adopt: Callable[[Config], None]
    # Told that ports opened (the banner is worth showing again).
    ports_opened: Callable[[], None]

    async def apply(self, old: Config, new: Config) -> None:
        registry = self.registry
        plan = reconfigure.plan(old, new, running=list(registry.served))
        if plan.host_changed:
            log.warning("host changed in the config: restart devserve to bind the new host")
        for name in plan.tls_changed:
            log.warning(
                "origin '%s': https or its name changed: restart devserve to apply it", name
            )
        # Bind the new ports before changing anything, so a taken port changes nothing.
        sockets = bind_all(list(plan.bind), new, registry.host)
        self.adopt(new)
        switched = {name: registry.get(name).origin.switch.enabled for name in plan.restart}
        for name in plan.stop + plan.restart:
            await registry.stop(name)
        for name in plan.bind:
            origin = registry.build(name, new)
            if name in plan.keep_switch:
                origin.switch.enabled = switched[name]
            await registry.start(origin, sockets[name])
        for name in plan.swap:
            served = registry.get(name)
            origin = registry.build(name, new)
            if name in plan.keep_switch:
                origin.switch.enabled = served.origin.switch.enabled
            registry.swap(name, origin)
            registry.broadcast.reload_pages(name)
        for name in plan.cors_only:
            registry.get(name).origin.switch.reconfigure(new.origins[name].cors)
        if plan.dashboard_moved:
            await self.dashboard.move(new.devserve, registry.host)
        summary = plan.summary()
        log.info("config reloaded%s", f" ({summary})" if summary else "")
        if plan.opens_ports:
            self.ports_opened()

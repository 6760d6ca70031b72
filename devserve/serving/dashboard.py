"""The dashboard and control API's own server: where it listens, or why it does not."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from devserve.config import Settings

# The one import up a floor: the process starts its dashboard, whose app (control/) stands
# above serving/ because it reuses the origins' Host guard and body limit.
from devserve.control.server import Controlled, build_control_app
from devserve.errors import DevserveError
from devserve.instance import dashboard_port_advice
from devserve.live.broadcast import Broadcast
from devserve.origins import dashboard_bind_host
from devserve.runnotes import clear as clear_note
from devserve.runnotes import leave as leave_note
from devserve.serving.banner import dashboard_address, dashboard_warning
from devserve.serving.binding import bind
from devserve.serving.listener import Listener

log = logging.getLogger("devserve")


@dataclass
class Dashboard:
    """Started with the origins; a taken port is a warning, never a reason not to serve."""

    controlled: Controlled
    broadcast: Broadcast
    config_path: Path | None = None
    listener: Listener | None = None
    host: str | None = None  # where it listens; None when it does not
    note: str = "off (dashboard_port = false)"  # the banner's "dashboard:" line

    async def start(self, settings: Settings, origins_host: str) -> None:
        if settings.dashboard_port is False:
            self.note = "off (dashboard_port = false)"
            return
        host = dashboard_bind_host(settings.dashboard_host, origins_host)
        app = build_control_app(
            self.controlled, self.broadcast.dashboard, allowed_hosts=settings.allowed_hosts
        )
        try:
            sock = bind("dashboard", host, settings.dashboard_port)
            self.listener = await Listener.start(app, sock, "dashboard")
        except DevserveError:  # taken at bind, or at listen when another devserve started with us
            advice = dashboard_port_advice(self.config_path)
            self.note = (
                f"not started: port {settings.dashboard_port} is taken (another devserve?); "
                f"{advice}"
            )
            log.warning("dashboard: %s", self.note)
            if self.config_path is not None:
                leave_note(self.config_path, self.note)
            return
        self.note = dashboard_address(host, self.listener.port)
        self.host = host
        if self.config_path is not None:
            clear_note(self.config_path)

    async def stop(self) -> None:
        if self.config_path is not None:
            clear_note(self.config_path)
        if self.listener is not None:
            self.broadcast.end_dashboard()  # its streams would hold the server open
            await self.listener.stop()
            self.listener = self.host = None

    async def move(self, settings: Settings, origins_host: str) -> None:
        """A config change moved it (``dashboard_port`` or ``dashboard_host``)."""
        await self.stop()
        await self.start(settings, origins_host)
        log.info("dashboard: %s", self.note)
        if self.host is not None and (warning := dashboard_warning(self.host)):
            log.warning("%s", warning)

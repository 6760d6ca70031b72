"""The origins being served: built, started, swapped and stopped here, and looked up by name for
the control plane (it implements ``control.server.Controlled``: one guard for an unknown name)."""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devserve.config import Config
from devserve.errors import DevserveError, UnknownOriginError
from devserve.instance import switch_on_advice
from devserve.live.broadcast import Broadcast
from devserve.live.events import SOCKET, Event
from devserve.origins import site_url
from devserve.records import RequestRecord, SocketRecord
from devserve.serving.hosts import is_allowed_host
from devserve.serving.listener import Listener, Served
from devserve.serving.origin import OriginApp, build_origin
from devserve.serving.stopping import Stopping
from devserve.state import OriginState
from devserve.terminal import printable
from devserve.urls import Origin

if TYPE_CHECKING:
    from devserve.tls.serving import SiteTLS

log = logging.getLogger("devserve")


@dataclass
class Registry:
    """Every origin that listens now, and how a new one is built."""

    host: str
    broadcast: Broadcast
    stopping: Stopping
    config_path: Path | None = None
    embedded: bool = False  # started by devserve.serve / run_in_thread: advice for test code
    offline: bool = False  # proxies answer from their recordings only (run --offline)
    live_reload: bool = True
    # Told when an origin's resource or routes file (origin name, key) becomes invalid (a
    # message) or valid again (None).
    report_resources: Callable[[str, str, str | None], None] = lambda _name, _key, _error: None
    # Called with every request record (the embedding API's ``running.requests``).
    observers: list[Callable[[RequestRecord], None]] = field(default_factory=list)
    # Called with every mock socket record: opened, a frame, closed (``running.socket_events``).
    socket_observers: list[Callable[[SocketRecord], None]] = field(default_factory=list)
    served: dict[str, Served] = field(default_factory=dict)
    tls: SiteTLS | None = None  # made when the first https origin starts (devserve.tls)
    _config: Config | None = field(default=None, repr=False)  # the last one built from

    def get(self, name: str) -> Served:
        """The origin named ``name``; UnknownOriginError (listing the others) if none is."""
        if name not in self.served:
            raise UnknownOriginError(name, list(self.served))
        return self.served[name]

    # ---- lifecycle ------------------------------------------------------------------------

    def build(self, name: str, config: Config) -> OriginApp:
        self._config = config
        return build_origin(
            name,
            config.origins[name],
            config.devserve,
            hub=self.broadcast.pages if self.live_reload else None,
            observer=self._observe,
            socket_observer=self._socket_event,
            report=lambda key, error: self.report_resources(name, key, error),
            switch_on=switch_on_advice(
                name, self.config_path, config.devserve, embedded=self.embedded
            ),
            offline=self.offline,
            host=self.host,
            stopping=self.stopping,
        )

    async def start(self, origin: OriginApp, sock: socket.socket) -> None:
        self.served[origin.name] = await Served.start(origin, sock, self._tls(origin))

    def _tls(self, origin: OriginApp) -> ssl.SSLContext | None:
        """An https origin's TLS context (SNI certificates from devserve's CA); None for http."""
        if not origin.config.https:
            return None
        assert self._config is not None  # built before it starts
        if self.tls is None:
            from devserve.tls.serving import SiteTLS  # cryptography: only for https origins

            self.tls = SiteTLS()
        allowed = frozenset(h.lower().rstrip(".") for h in self._config.devserve.allowed_hosts)
        return self.tls.context(
            origin.config, self._config, answers=lambda name: is_allowed_host(name, allowed)
        )

    async def stop(self, name: str) -> None:
        # Its pages' streams end first: the server would otherwise wait for them to hang up.
        self.broadcast.end_pages(name)
        served = self.served.pop(name)
        served.origin.connections.end(1001, "the origin stopped")
        await served.listener.stop()

    def swap(self, name: str, origin: OriginApp) -> None:
        """Serve ``origin`` behind the same port; the old one's sockets close with 1012
        (service restart: a page reconnects to the new config) and its streams end."""
        served = self.get(name)
        old = served.origin
        served.swap(origin)
        old.connections.end(1012, "the config changed")

    def end_connections(self) -> None:
        """devserve is stopping: every mock stream ends, every mock socket closes with 1001."""
        for served in self.served.values():
            served.origin.connections.end(1001, "devserve is stopping")

    def listeners(self) -> list[Listener]:
        return [served.listener for served in self.served.values()]

    # ---- what the control plane and the embedding API ask ----------------------------------

    def url(self, origin: OriginApp, port: int) -> str:
        """An origin's URL: its name and scheme from its config, the port it really got."""
        return site_url(self.host, port, name=origin.config.host, https=origin.config.https)

    def origin_url(self, name: str) -> str:
        """The URL of a running origin, with the port it really got (for ``port = 0``)."""
        served = self.get(name)
        return self.url(served.origin, served.listener.port)

    def origins_state(self) -> list[OriginState]:
        return [self._state(served) for served in self.served.values()]

    def _state(self, served: Served) -> OriginState:
        port = served.listener.port
        return served.origin.state(self.url(served.origin, port), port)

    def set_cors(self, name: str, enabled: bool) -> OriginState:
        """Switch one origin's CORS; its very next response follows."""
        served = self.get(name)
        switch = served.origin.switch
        switch.enabled = enabled
        state = "on" if enabled else "off"
        log.info("CORS of '%s' switched %s: %s", name, state, switch.describe())
        self.broadcast.origins_changed(self.origins_state())
        return self._state(served)

    async def save_mock(self, name: str, capture: int) -> Path:
        """Write a proxied response the dashboard points at as a mock file of its origin."""
        proxy = self.get(name).origin.proxy
        if proxy is None:
            raise DevserveError(f"origin '{name}' has no proxy, so nothing to save")
        path = await proxy.save_capture(capture)
        log.info("saved a proxied response of '%s' as %s", name, path)
        return path

    async def reset_origin(self, name: str) -> dict[str, Any]:
        """Restart an origin's mock sequences; restore its resource file's original data."""
        answer = await self.get(name).origin.reset()
        log.info("mocks of '%s' reset: sequences restart, resources get their original data", name)
        return answer

    async def reset(self) -> None:
        """Restore every origin's mock state (sequences, resources)."""
        for served in self.served.values():
            await served.origin.reset()

    def send(self, name: str, path: str, message: str) -> dict[str, Any]:
        """Send ``message`` to every page connected to the mock socket at ``path`` of origin
        ``name`` (its configured path, or one its clients are at); how many got it queued."""
        origin = self.get(name).origin
        found = origin.sockets.key_for(path) if origin.sockets is not None else None
        if found is None and origin.connections.count(path) == 0:
            paths = origin.sockets.paths if origin.sockets is not None else []
            listed = f"its sockets: {', '.join(paths)}" if paths else "it has no [[sockets]]"
            raise DevserveError(f"origin '{name}' has no socket at {path} ({listed})")
        key, only = found if found is not None else (path, None)
        sent = origin.connections.send(key, only, message)
        log.info("sent to %d page(s) on %s of '%s'", sent, printable(path), name)
        return {"origin": name, "path": path, "sent": sent}

    def sockets_state(self, name: str) -> list[dict[str, Any]]:
        """Every mock socket of origin ``name``: its open connections and last frames."""
        origin = self.get(name).origin
        paths = origin.sockets.paths if origin.sockets is not None else []
        return [
            {
                "path": path,
                "connections": [
                    {"connection": client.number, "path": client.path}
                    for client in origin.connections.clients(path)
                ],
                "frames": origin.connections.frames(path),
            }
            for path in paths
        ]

    def control_events(self) -> list[Event]:
        """What a dashboard that connects now hears first: the origins, the config's state,
        then each mock socket's last frames (its open connections among them)."""
        events = self.broadcast.dashboard_greeting(self.origins_state())
        for name in self.served:
            for entry in self.sockets_state(name):
                events.extend(Event(SOCKET, frame) for frame in entry["frames"])
                # Still open, whatever the kept frames say (their "open" may be long gone).
                events.extend(
                    Event(SOCKET, {"origin": name, **client, "event": "open"})
                    for client in entry["connections"]
                )
        return events

    # ---- requests ---------------------------------------------------------------------------

    def _socket_event(self, record: SocketRecord) -> None:
        self.broadcast.socket(record)
        for observer in self.socket_observers:
            observer(record)

    def _observe(self, record: RequestRecord) -> None:
        self.broadcast.request(record, self._page_of)
        for observer in self.observers:
            observer(record)

    def _page_of(self, record: RequestRecord) -> tuple[str, str] | None:
        """The origin whose page sent a request (by the port of its ``Origin``), and the URL
        it asked for; None when devserve does not serve that page (or that origin stopped)."""
        source = Origin.of_url(record.source) if record.source else None
        port = None if source is None else source.port
        page = next((n for n, s in self.served.items() if s.listener.port == port), None)
        if page is None or record.origin not in self.served:
            return None
        return page, record.url or self.origin_url(record.origin) + record.path

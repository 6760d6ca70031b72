"""What a config change means for a running devserve: a pure plan from the old and new config.

The runner executes the plan; nothing here touches a socket, so every case is a fast test.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from devserve.config import Config, Origin


@dataclass(frozen=True)
class Plan:
    """The least work that brings the running origins in line with a new config."""

    start: tuple[str, ...] = ()  # new origins
    stop: tuple[str, ...] = ()  # origins gone from the config
    restart: tuple[str, ...] = ()  # port changed: a new server on the new port
    swap: tuple[str, ...] = ()  # anything else changed: a rebuilt app behind the same port
    cors_only: tuple[str, ...] = ()  # only `cors` changed: the switch takes the new policy
    # Restarted or swapped origins whose `cors` is unchanged keep a runtime CORS switch.
    keep_switch: frozenset[str] = field(default_factory=frozenset)
    dashboard_moved: bool = False  # dashboard_port or dashboard_host changed
    host_changed: bool = False  # needs a restart of devserve: only a warning
    tls_changed: tuple[str, ...] = ()  # https, or an https origin's name: only a warning

    @property
    def bind(self) -> tuple[str, ...]:
        """The origins that need a new port, bound before anything changes."""
        return self.start + self.restart

    @property
    def opens_ports(self) -> bool:
        """Worth a new banner: an origin answers on a port it did not before."""
        return bool(self.bind)

    def summary(self) -> str:
        """``+added -removed ~moved``, or empty when no port changed."""
        return " ".join(
            [f"+{n}" for n in self.start]
            + [f"-{n}" for n in self.stop]
            + [f"~{n}" for n in self.restart]
        )


def plan(old: Config, new: Config, running: Collection[str]) -> Plan:
    """Compare ``new`` with ``old``; ``running`` names the origins being served now."""
    settings_changed = new.devserve != old.devserve
    start, restart, swap, cors_only, keep = [], [], [], [], set()
    for name, after in new.origins.items():
        before = old.origins.get(name)
        if name not in running or before is None:
            start.append(name)
            continue
        if after.port != before.port:
            restart.append(name)
        elif after == before and not settings_changed:
            continue
        elif before.model_copy(update={"cors": after.cors}) == after and not settings_changed:
            cors_only.append(name)
            continue
        else:
            swap.append(name)
        if after.cors == before.cors:
            keep.add(name)
    old_dashboard = (old.devserve.dashboard_port, old.devserve.dashboard_host)
    new_dashboard = (new.devserve.dashboard_port, new.devserve.dashboard_host)
    return Plan(
        start=tuple(start),
        stop=tuple(name for name in running if name not in new.origins),
        restart=tuple(restart),
        swap=tuple(swap),
        cors_only=tuple(cors_only),
        keep_switch=frozenset(keep),
        dashboard_moved=new_dashboard != old_dashboard,
        host_changed=new.devserve.host != old.devserve.host,
        tls_changed=tuple(
            name
            for name, after in new.origins.items()
            if name in running and name in old.origins and _tls(after) != _tls(old.origins[name])
        ),
    )


def _tls(origin: Origin) -> tuple[bool, str | None]:
    """What an origin's listening socket was made with: TLS, and the name of its certificate."""
    return origin.https, origin.host if origin.https else None

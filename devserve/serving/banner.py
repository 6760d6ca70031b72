"""The start-up banner: each origin's URL, what it serves and its CORS; where the dashboard is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from devserve.origins import http_url
from devserve.state import OriginState, aligned
from devserve.urls import Origin, is_loopback_host
from devserve.version import __version__


def banner(
    origins: Sequence[OriginState],
    *,
    dashboard: str,
    host: str,
    watch: bool,
    live_reload: bool,
    dashboard_host: str | None = None,
    notes: Iterable[str] = (),
) -> str:
    """The text printed at start-up and whenever a config change opens a port.

    ``dashboard_host`` is where the dashboard listens (None: it does not).
    """
    lines = [f"devserve {__version__}: {len(origins)} origin(s)"]
    lines += [f"  {line}" for line in aligned(origins, runtime=False)]
    lines.append(f"  dashboard: {dashboard}")
    if watch:
        lines.append(f"  watching for changes (live reload {'on' if live_reload else 'off'})")
    if not is_loopback_host(host):
        lines.append(
            f"  warning: bound to {host}: other machines on your network can reach these "
            "origins. Use --host 127.0.0.1 to keep them local."
        )
    if dashboard_host is not None and (warning := dashboard_warning(dashboard_host)):
        lines.append(f"  {warning}")
    lines += [f"  {note}" for note in [*_own_names(origins), *notes]]
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def _own_names(origins: Sequence[OriginState]) -> list[str]:
    """A note per host name browsers do not resolve by themselves (not ``*.localhost``)."""
    names = []
    for state in origins:
        origin = Origin.of_url(state.url)
        if origin is not None and origin.ip is None and not origin.is_localhost_name:
            names.append(origin.host)
    return [
        f"{name}: make it resolve to 127.0.0.1 yourself (e.g. in /etc/hosts); browsers resolve "
        "only *.localhost names to this machine by themselves"
        for name in dict.fromkeys(names)
    ]


def dashboard_address(host: str, port: int) -> str:
    """Where the dashboard is: its URL, and the address it is bound to when that is not
    loopback (``0.0.0.0`` is reached as 127.0.0.1 here, and from elsewhere as this machine)."""
    url = http_url(host, port)
    return url if is_loopback_host(host) else f"{url} (bound to {host}:{port})"


def dashboard_warning(host: str) -> str | None:
    """The warning for a dashboard off loopback: the control API has no authentication."""
    if is_loopback_host(host):
        return None
    return (
        f"warning: the dashboard and control API are bound to {host}: anyone on your network "
        "can switch CORS and read the request log. Remove dashboard_host from [devserve] to "
        "keep them on 127.0.0.1."
    )

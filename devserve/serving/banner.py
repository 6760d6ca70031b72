"""The start-up banner: each origin's URL, what it serves and its CORS; where the dashboard is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from devserve.control.state import OriginState
from devserve.urls import is_loopback_host
from devserve.version import __version__


def banner(
    origins: Sequence[OriginState],
    *,
    dashboard: str,
    host: str,
    watch: bool,
    live_reload: bool,
    notes: Iterable[str] = (),
) -> str:
    """The text printed at start-up and whenever a config change opens a port."""
    lines = [f"devserve {__version__}: {len(origins)} origin(s)"]
    width = max((len(origin.name) for origin in origins), default=0)
    lines += [origin.banner_line(width) for origin in origins]
    lines.append(f"  dashboard: {dashboard}")
    if watch:
        lines.append(f"  watching for changes (live reload {'on' if live_reload else 'off'})")
    if not is_loopback_host(host):
        lines.append(
            f"  warning: bound to {host}: other machines on your network can reach these "
            "origins. Use --host 127.0.0.1 to keep them local."
        )
    lines += [f"  {note}" for note in notes]
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)

"""An origin's site name (``host = "api.localhost"``) and ``https``: the checks that need more
than one key. The name must reach this machine in every browser by itself (``*.localhost``), or
be one the user made resolve and listed in ``allowed_hosts`` (which the Host guard admits)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from devserve.urls import dns_name, ip_literal, is_localhost_name


def _check_site_name(host: str) -> str:
    if ip_literal(host) is not None:
        raise ValueError(
            f"{host!r} is an address, not a name; leave host out to use the bind address, or "
            "give a name such as 'app.localhost'"
        )
    name = dns_name(host)
    if name is None or ":" in host or "/" in host:
        raise ValueError(
            f"{host!r} is not a host name; write just the name, e.g. 'app.localhost' "
            "(no scheme, port or path)"
        )
    if name != host:
        raise ValueError(f"write the name in lower case without a trailing dot: {name!r}")
    return host


SiteName = Annotated[str, AfterValidator(_check_site_name)]


def site_problems(data: dict[str, Any]) -> list[str]:
    """A ``host`` outside ``.localhost`` must be listed in ``allowed_hosts`` (from the raw data:
    the schema reports values of the wrong type)."""
    settings = data.get("devserve")
    listed = settings.get("allowed_hosts") if isinstance(settings, dict) else None
    allowed = {h.lower().rstrip(".") for h in listed or [] if isinstance(h, str)}
    origins = data.get("origins")
    problems = []
    for name, origin in (origins if isinstance(origins, dict) else {}).items():
        host = origin.get("host") if isinstance(origin, dict) else None
        if not isinstance(host, str) or dns_name(host) != host or ip_literal(host) is not None:
            continue
        if not is_localhost_name(host) and host not in allowed:
            problems.append(
                f"origins.{name}.host: {host!r} is not under .localhost, so browsers do not "
                f"resolve it to this machine by themselves; use e.g. "
                f"'{host.split('.')[0]}.localhost', or add {host!r} to allowed_hosts in "
                "[devserve] and make it resolve to 127.0.0.1 yourself (e.g. in /etc/hosts)"
            )
    return problems

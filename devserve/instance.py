"""Which devserve this is (a project's config, a bare folder, the bundled demo), and the advice
that fits it: the demo has no devserve.toml to edit, and `serve` has no config at all."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from devserve.config import Settings
from devserve.config.adhoc import demo_path
from devserve.origins import dashboard_bind_host, http_url

Kind = Literal["config", "folder", "demo"]

DEFAULT_DASHBOARD_PORT: int = Settings.model_fields["dashboard_port"].default


def instance_kind(config_path: Path | None) -> Kind:
    if config_path is None:
        return "folder"
    return "demo" if config_path.resolve() == demo_path() else "config"


def describe_instance(kind: str, config: str | None) -> str:
    """What an instance serves, in words: for `status` and the dashboard header."""
    if kind == "demo":
        return "the bundled demo"
    if kind == "folder" or config is None:
        return "a folder, with no config file"
    return config


def switch_on_advice(
    name: str, config_path: Path | None, settings: Settings, *, embedded: bool = False
) -> str:
    """How to turn CORS on for origin ``name``: the commands this kind of instance has."""
    if embedded:
        return (
            f"turn it on with running.set_cors({name!r}, enabled=True), or drop the "
            f"devserve_cors_off marker that names it"
        )
    kind = instance_kind(config_path)
    command = f"devserve cors {name} on"
    dashboard = settings.dashboard_port
    # Without a config to find it by, `devserve cors` looks on the default port only.
    if kind != "config" and dashboard is not False and dashboard != DEFAULT_DASHBOARD_PORT:
        host = dashboard_bind_host(settings.dashboard_host, settings.host)
        command += f" --url {http_url(host, dashboard)}"
    if kind == "demo":
        return f"turn it on with `{command}` or its switch on the dashboard"
    if kind == "folder":
        return f"turn it on with `{command}`, or serve with `devserve serve --cors on`"
    assert config_path is not None
    return f'turn it on with `{command}` or set cors = "on" for it in {config_path.name}'


def dashboard_port_advice(config_path: Path | None) -> str:
    """How to move the dashboard when its port is taken."""
    kind = instance_kind(config_path)
    if kind == "demo":
        return "use `devserve demo --dashboard-port N` to move it"
    if kind == "folder":
        return "use `devserve serve --dashboard-port N` to move it"
    return "set dashboard_port in [devserve] to move it"

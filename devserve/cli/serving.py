"""The commands that start origins (run, serve, demo) and the one that scaffolds them (init)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from devserve.cli.options import (
    Common,
    ConfigOption,
    DashboardPortOption,
    HostNameOption,
    HostOption,
    HttpsOption,
    JsonLogOption,
    NoReloadOption,
    OpenOption,
    QuietOption,
    VerboseOption,
    common,
    use_json_log,
)
from devserve.config import Config, default_config, find_config
from devserve.config.adhoc import (
    DEMO_BASE_PORT,
    check_port,
    demo_config,
    demo_path,
    port_number,
    serve_config,
)
from devserve.errors import PortInUseError
from devserve.scaffold import write_starter


def _serve(
    config: Config,
    options: Common,
    *,
    config_path: Path | None = None,
    watch: bool = True,
    port_advice: str | None = None,
    json_log: bool = False,
    offline: bool = False,
) -> None:
    from devserve.serving.runner import run  # uvicorn is only needed for commands that serve

    if json_log:
        use_json_log()
    echo = (lambda text: typer.echo(text, err=True)) if json_log else typer.echo
    try:
        run(
            config,
            config_path=config_path,
            host=options.host,
            watch=watch and not options.no_reload,
            open_browser=options.open_browser,
            on_banner=echo,
            offline=offline,
        )
    except PortInUseError as exc:
        # The command knows the way out (another --port, another folder): it says so.
        raise exc.advised(port_advice) if port_advice else exc from None


def run(
    ctx: typer.Context,
    config: ConfigOption = None,
    host: HostOption = None,
    no_reload: NoReloadOption = False,
    open_browser: OpenOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
    json_log: JsonLogOption = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Proxies answer only from their recordings (record_mode replay)."
        ),
    ] = False,
) -> None:
    """Start every origin of the config; with no config, serve this folder on port 8000."""
    options = common(
        ctx,
        "run",
        config=config,
        host=host,
        no_reload=no_reload,
        open_browser=open_browser,
        verbose=verbose,
        quiet=quiet,
    )
    path = options.config or find_config(Path.cwd())
    if path is None:
        if not options.quiet:
            typer.echo(
                "No devserve.toml found: serving this folder as origin 'site'. "
                "Run `devserve init` for a multi-origin setup.",
                err=json_log,  # stdout carries only the JSON request lines
            )
        loaded = default_config(Path.cwd())
        advice = (
            "Stop whatever is using it, or serve this folder on another port: "
            "`devserve serve -p 8001`."
        )
        _serve(loaded, options, port_advice=advice, json_log=json_log)
        return
    from devserve.project import load_project  # the mocks, only for commands that serve

    loaded = load_project(path)
    _serve(loaded, options, config_path=path.resolve(), json_log=json_log, offline=offline)


def serve(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="Folder to serve.", metavar="DIR", show_default=False)
    ] = Path("."),
    port: Annotated[str, typer.Option("--port", "-p", help="Port.", metavar="PORT")] = "8000",
    cors: Annotated[
        list[str] | None,
        typer.Option(
            "--cors",
            help="off, on, * or an allowed origin URL (repeatable). Default: off.",
            metavar="MODE|ORIGIN",
            show_default=False,
        ),
    ] = None,
    spa: Annotated[
        bool, typer.Option("--spa", help="Fall back to index.html for unknown paths.")
    ] = False,
    compress: Annotated[
        bool,
        typer.Option(
            "--compress", help="Send text files gzip/Brotli-encoded when the browser accepts it."
        ),
    ] = False,
    host_name: HostNameOption = None,
    https: HttpsOption = False,
    dashboard_port: DashboardPortOption = None,
    host: HostOption = None,
    no_reload: NoReloadOption = False,
    open_browser: OpenOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
    json_log: JsonLogOption = False,
) -> None:
    """Serve one folder (DIR, default: here) as a single static origin, no config needed."""
    options = common(
        ctx,
        "serve",
        host=host,
        no_reload=no_reload,
        open_browser=open_browser,
        verbose=verbose,
        quiet=quiet,
    )
    config = serve_config(
        directory,
        port=port_number("-p/--port", port) or 0,
        cors=cors or [],
        spa=spa,
        compress=compress,
        dashboard_port=port_number("--dashboard-port", dashboard_port),
        host_name=host_name,
        https=https,
    )
    advice = "Stop whatever is using it, or pick another with -p/--port."
    _serve(config, options, port_advice=advice, json_log=json_log)


def demo(
    ctx: typer.Context,
    port: Annotated[
        str | None,
        typer.Option(
            "--port",
            "-p",
            help="First of the demo's four ports (default 8000: the page, then three APIs).",
            metavar="BASE",
            show_default=False,
        ),
    ] = None,
    https: HttpsOption = False,
    sites: Annotated[
        bool,
        typer.Option(
            "--sites",
            help="The page on app.localhost and each API on its own *.localhost site.",
        ),
    ] = False,
    dashboard_port: DashboardPortOption = None,
    host: HostOption = None,
    open_browser: OpenOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
    json_log: JsonLogOption = False,
) -> None:
    """Run the bundled demo: a page origin and three API origins with different CORS."""
    options = common(
        ctx, "demo", host=host, open_browser=open_browser, verbose=verbose, quiet=quiet
    )
    base_port = port_number("-p/--port", port)
    config = demo_config(
        port=base_port,
        dashboard_port=port_number("--dashboard-port", dashboard_port),
        https=https,
        sites=sites,
    )
    base = base_port or DEMO_BASE_PORT
    advice = (
        "Stop whatever is using it, or use --port to move the demo's ports, "
        f"e.g. `devserve demo --port {base + 100}`."
    )
    # Watched like any project: its pages get the live-reload script, and with it the in-page
    # notice of each blocked request and each API's CORS state as it is switched.
    _serve(
        config,
        options,
        config_path=demo_path(),
        port_advice=advice,
        json_log=json_log,
    )


def init(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Argument(
            help="Where to write the starter files (default: here).",
            metavar="DIR",
            show_default=False,
        ),
    ] = Path("."),
    port: Annotated[
        str,
        typer.Option(
            "--port",
            "-p",
            help="The page's port; the mock API gets the next one (default 8000 and 8001).",
            metavar="BASE",
        ),
    ] = "8000",
) -> None:
    """Write a starter devserve.toml, page and mock API; never overwrite a file."""
    common(ctx, "init")
    base = port_number("-p/--port", port) or 0
    check_port("-p/--port", base, last=65534, free=False)
    done = write_starter(directory, port=base)
    for path in done.written:
        typer.echo(f"wrote   {path}")
    for path in done.skipped:
        typer.echo(f"skipped {path} (already exists)")
    here = directory.resolve() == Path.cwd().resolve()
    if not done.written:
        typer.echo(f"Nothing written: every starter file already exists in {directory}.")
    elif here:
        typer.echo("Next: run `devserve` here.")
    else:
        typer.echo(f"Next: cd {shlex.quote(str(directory))} && devserve")

"""Typer commands only: parse, call the library, turn DevserveError into a message and exit code."""

from __future__ import annotations

import json
import logging
import shlex
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from devserve import __version__
from devserve.check.output import format_text, to_json
from devserve.check.simulate import parse_header, run_check
from devserve.config import Config, default_config, find_config, load_config
from devserve.config.adhoc import DEMO_BASE_PORT, demo_config, demo_path, serve_config
from devserve.cors.lna import parse_address_spaces
from devserve.cors.verdict import ENGINES, Engine
from devserve.errors import DevserveError, PortInUseError
from devserve.scaffold import write_starter

if TYPE_CHECKING:
    from devserve.control.client import Instance

app = typer.Typer(
    name="devserve",
    help="Static sites and mock APIs on several local origins, with per-origin CORS.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is plain: "[tool.devserve]" is not markup
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: devserve.toml here or above, "
        "else [tool.devserve] in pyproject.toml).",
        dir_okay=False,
        metavar="FILE",
    ),
]
HostOption = Annotated[
    str | None,
    typer.Option(
        "--host", help="Interface to bind (default 127.0.0.1, loopback only).", metavar="HOST"
    ),
]
NoReloadOption = Annotated[
    bool, typer.Option("--no-reload", help="Do not watch files or live-reload pages.")
]
JsonLogOption = Annotated[
    bool,
    typer.Option(
        "--json-log",
        help="One JSON object per request on stdout (the banner and other messages go to stderr).",
    ),
]
OpenOption = Annotated[
    bool, typer.Option("--open", help="Open the first page origin in a browser.")
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="More output.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")]
DashboardPortOption = Annotated[
    int | None,
    typer.Option(
        "--dashboard-port",
        help="Port of the dashboard and control API (default 8999).",
        metavar="N",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Common:
    """The options accepted before or after the command (SPEC §1); after it wins."""

    config: Path | None = None
    host: str | None = None
    no_reload: bool = False
    open_browser: bool = False
    verbose: bool = False
    quiet: bool = False


# How each common option is spelled, for a usage error where one does not apply.
_SPELLING = {
    "config": "-c/--config",
    "host": "--host",
    "no_reload": "--no-reload",
    "open_browser": "--open",
}


def _common(ctx: typer.Context, command: str, **given: Any) -> Common:
    """Merge the options given after ``command`` with those given before it.

    A common option before a command that has no use for it is an error, not silently
    ignored (``devserve -c FILE serve`` would otherwise serve without the config).
    -v and -q only set how much is logged, so every command takes them.
    """
    before = ctx.obj if isinstance(ctx.obj, Common) else Common()
    for name, spelling in _SPELLING.items():
        if name not in given and getattr(before, name) != getattr(Common(), name):
            typer.echo(f"error: {spelling} does not apply to `devserve {command}`", err=True)
            raise typer.Exit(2)
    merged = Common(
        **{name: (given.get(name) or getattr(before, name)) for name in Common.__dataclass_fields__}
    )
    _setup_logging(merged.verbose, merged.quiet)
    return merged


def _version(value: bool) -> None:
    if value:
        typer.echo(f"devserve {__version__}")
        raise typer.Exit()


def _setup_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("devserve")
    root.handlers[:] = [handler]
    root.propagate = False
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    uvicorn_logger = logging.getLogger("uvicorn")
    uvicorn_logger.handlers[:] = [handler]
    uvicorn_logger.propagate = False
    uvicorn_logger.setLevel(logging.INFO if verbose else logging.WARNING)


def _use_json_log() -> None:
    """--json-log: request records as JSON lines on stdout; everything else goes to stderr."""
    from devserve.serving.jsonlog import JsonRequestFormatter

    requests = logging.StreamHandler(sys.stdout)
    requests.setFormatter(JsonRequestFormatter())
    requests_logger = logging.getLogger("devserve.requests")
    requests_logger.handlers[:] = [requests]
    requests_logger.propagate = False
    requests_logger.setLevel(logging.INFO)
    for name in ("devserve", "uvicorn"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sys.stderr)


def _fail(error: DevserveError) -> typer.Exit:
    for line in error.message.splitlines():
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(error.exit_code)


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
        _use_json_log()
    echo = (lambda text: typer.echo(text, err=True)) if json_log else typer.echo
    try:
        run(
            config,
            config_path=config_path,
            host=options.host,
            watch=watch and not options.no_reload,
            open_browser=options.open_browser,
            echo=echo,
            offline=offline,
        )
    except PortInUseError as exc:
        raise _fail(exc.advised(port_advice) if port_advice else exc) from None
    except DevserveError as exc:
        raise _fail(exc) from None


def _load(path: Path) -> Config:
    try:
        return load_config(path)
    except DevserveError as exc:
        raise _fail(exc) from None


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    config: ConfigOption = None,
    host: HostOption = None,
    no_reload: NoReloadOption = False,
    open_browser: OpenOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Start every origin of the config (same as `devserve run`)."""
    ctx.obj = Common(config, host, no_reload, open_browser, verbose, quiet)
    _setup_logging(verbose, quiet)
    if ctx.invoked_subcommand is None:
        run(ctx)


@app.command()
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
    options = _common(
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
    _serve(_load(path), options, config_path=path.resolve(), json_log=json_log, offline=offline)


@app.command()
def serve(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="Folder to serve.", metavar="DIR", show_default=False)
    ] = Path("."),
    port: Annotated[int, typer.Option("--port", "-p", help="Port.", metavar="PORT")] = 8000,
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
    dashboard_port: DashboardPortOption = None,
    host: HostOption = None,
    no_reload: NoReloadOption = False,
    open_browser: OpenOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
    json_log: JsonLogOption = False,
) -> None:
    """Serve one folder (DIR, default: here) as a single static origin, no config needed."""
    options = _common(
        ctx,
        "serve",
        host=host,
        no_reload=no_reload,
        open_browser=open_browser,
        verbose=verbose,
        quiet=quiet,
    )
    try:
        config = serve_config(
            directory, port=port, cors=cors or [], spa=spa, dashboard_port=dashboard_port
        )
    except DevserveError as exc:
        raise _fail(exc) from None
    advice = "Stop whatever is using it, or pick another with -p/--port."
    _serve(config, options, port_advice=advice, json_log=json_log)


@app.command()
def demo(
    ctx: typer.Context,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "-p",
            help="First of the demo's four ports (default 8000: the page, then three APIs).",
            metavar="BASE",
            show_default=False,
        ),
    ] = None,
    dashboard_port: DashboardPortOption = None,
    host: HostOption = None,
    open_browser: OpenOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
    json_log: JsonLogOption = False,
) -> None:
    """Run the bundled demo: a page origin and three API origins with different CORS."""
    options = _common(
        ctx, "demo", host=host, open_browser=open_browser, verbose=verbose, quiet=quiet
    )
    try:
        config = demo_config(port=port, dashboard_port=dashboard_port)
    except DevserveError as exc:
        raise _fail(exc) from None
    base = port or DEMO_BASE_PORT
    advice = (
        "Stop whatever is using it, or use --port to move the demo's ports, "
        f"e.g. `devserve demo --port {base + 100}`."
    )
    _serve(
        config,
        options,
        config_path=demo_path(),
        watch=False,
        port_advice=advice,
        json_log=json_log,
    )


@app.command()
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
) -> None:
    """Write a starter devserve.toml, page and mock API; never overwrite a file."""
    _common(ctx, "init")
    try:
        done = write_starter(directory)
    except DevserveError as exc:
        raise _fail(exc) from None
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


@app.command("check-config")
def check_config(
    ctx: typer.Context,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Validate the config: exit 0 if valid, else print every error and exit 2."""
    options = _common(ctx, "check-config", config=config, verbose=verbose, quiet=quiet)
    path = options.config or find_config(Path.cwd())
    if path is None:
        typer.echo(
            "error: no devserve.toml here or in any parent folder; run `devserve init`", err=True
        )
        raise typer.Exit(2)
    loaded = _load(path)
    from devserve.mocks.check import route_warnings

    for name, origin in loaded.origins.items():
        for warning in route_warnings(name, origin):
            typer.echo(f"warning: {path}: {warning}")
    if not options.quiet:
        typer.echo(f"{path}: valid, {len(loaded.origins)} origin(s): {', '.join(loaded.origins)}")


UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Control API of the instance, e.g. http://127.0.0.1:8999."),
]


def _find_instance(options: Common, url: str | None) -> Instance:
    """The instance `status` and `cors` talk to; when found on the default port, say whose."""
    from devserve.control.client import find_instance  # httpx: only for commands that ask

    found = find_instance(config=options.config, url=url)
    if found.found_by and not options.quiet:
        typer.echo(found.found_by, err=True)  # stderr: stdout stays the answer (or JSON)
    return found


@app.command()
def status(
    ctx: typer.Context,
    config: ConfigOption = None,
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Show the running instance's origins, URLs and current CORS state."""
    from devserve.control import client

    options = _common(ctx, "status", config=config, verbose=verbose, quiet=quiet)
    try:
        found = _find_instance(options, url)
        listed = client.origins(found)
    except DevserveError as exc:
        raise _fail(exc) from None
    if as_json:
        origins = [origin.as_json() for origin in listed]
        typer.echo(json.dumps({"instance": asdict(found), "origins": origins}, indent=2))
        return
    typer.echo(f"devserve {found.version} (pid {found.pid}) serving {found.serving}")
    for origin in listed:
        typer.echo(f"  {origin.status_line()}")
    typer.echo(f"  dashboard: {found.url}")


@app.command()
def cors(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The origin's name in the config.")],
    state: Annotated[
        str | None, typer.Argument(help="on or off; leave out to show the current state.")
    ] = None,
    config: ConfigOption = None,
    url: UrlOption = None,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Show, or switch at runtime, CORS for one origin of the running instance."""
    from devserve.control import client

    options = _common(ctx, "cors", config=config, verbose=verbose, quiet=quiet)
    if state not in (None, "on", "off"):
        typer.echo(f"error: the state must be on or off, not {state!r}", err=True)
        raise typer.Exit(2)
    try:
        found = _find_instance(options, url)
        if state is None:
            origin = client.origin(found, name)
        else:
            origin = client.set_cors(found, name, state == "on")
    except DevserveError as exc:
        raise _fail(exc) from None
    typer.echo(origin.status_line())


@app.command()
def reset(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The origin whose mocks to reset.")],
    config: ConfigOption = None,
    url: UrlOption = None,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Restart an origin's mock sequences (responses = [...]) and restore its resource file's
    original data (as at start, or last edited)."""
    from devserve.control import client as control

    options = _common(ctx, "reset", config=config, verbose=verbose, quiet=quiet)
    try:
        found = _find_instance(options, url)
        result = control.reset(found, name)
    except DevserveError as exc:
        raise _fail(exc) from None
    typer.echo(f"{name}: mock sequences restart from their first response")
    if result.get("resources"):
        counts = ", ".join(
            f"{key}: {value if value == 'object' else f'{value} items'}"
            for key, value in result["reset"].items()
        )
        typer.echo(f"{name}: {result['resources']} restored ({counts or 'empty'})")


def _engine(value: str) -> str:
    if value.lower() not in ENGINES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(ENGINES)}")
    return value.lower()


@app.command("check")
def check(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(help="The URL the page's script fetches.", show_default=False)
    ],
    origin: Annotated[
        str,
        typer.Option(
            "--origin",
            help="The page's origin, e.g. http://localhost:8000 (a page URL works too).",
            show_default=False,
        ),
    ],
    method: Annotated[
        str | None,
        typer.Option(
            "--request",
            "-X",
            help="HTTP method (default GET, or POST with -d).",
            show_default=False,
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            "-H",
            help="A header the page sets, 'Name: value'; repeatable.",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        str | None, typer.Option("--data", "-d", help="Request body (text).", show_default=False)
    ] = None,
    credentials: Annotated[
        bool,
        typer.Option("--credentials", help="As fetch(url, {credentials: 'include'})."),
    ] = False,
    browser: Annotated[
        str,
        typer.Option(
            "--browser",
            help="standard (the Fetch standard, strictest), chromium or firefox.",
            callback=_engine,
        ),
    ] = "standard",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (stable keys).")] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help="Seconds the whole check may take (every request and redirect together).",
            min=0.1,
        ),
    ] = 10.0,
    address_space: Annotated[
        list[str] | None,
        typer.Option(
            "--address-space",
            help="HOST[:PORT]=public|local|loopback: the address space of a host (Local "
            "Network Access), e.g. a name your LAN resolves to a private address; repeatable.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Act as the browser would: preflight if needed, send the request, and explain the verdict.

    Exit 0 if the page can read the response, 1 if it is blocked, 2 on a usage or network error.
    """
    _common(ctx, "check")
    try:
        headers = [parse_header(text) for text in header or []]
        spaces = parse_address_spaces(address_space or [])
        report = run_check(
            url,
            origin=origin,
            method=method or ("POST" if data is not None else "GET"),
            headers=headers,
            body=data,
            credentials=credentials,
            engine=cast(Engine, browser.lower()),
            timeout=timeout,
            address_spaces=spaces,
        )
    except DevserveError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(to_json(report), indent=2) if as_json else format_text(report))
    raise typer.Exit(0 if report.allowed else 1)


@app.command()
def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of devserve.toml, for editor completion and checks."""
    _common(ctx, "schema")
    typer.echo(json.dumps(Config.model_json_schema(), indent=2))


def main() -> None:
    """Console-script entry point."""
    app()

"""Typer commands only: parse, call the library, turn DevserveError into a message and exit code."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from devserve import __version__
from devserve._resources import templates_dir
from devserve.check.output import format_text, to_json
from devserve.check.simulate import parse_header, run_check
from devserve.config import Config, default_config, find_config, load_config
from devserve.cors.verdict import ENGINES, Engine
from devserve.errors import DevserveError

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
    ),
]
HostOption = Annotated[
    str | None, typer.Option("--host", help="Interface to bind (default 127.0.0.1, loopback only).")
]
NoReloadOption = Annotated[
    bool, typer.Option("--no-reload", help="Do not watch files or live-reload pages.")
]
OpenOption = Annotated[
    bool, typer.Option("--open", help="Open the first page origin in a browser.")
]


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


def _fail(error: DevserveError) -> typer.Exit:
    for line in error.message.splitlines():
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(error.exit_code)


def _serve(
    config: Config,
    *,
    config_path: Path | None = None,
    host: str | None,
    watch: bool,
    open_browser: bool,
    offline: bool = False,
) -> None:
    from devserve.serve.runner import run  # uvicorn is only needed for commands that serve

    try:
        run(
            config,
            config_path=config_path,
            host=host,
            watch=watch,
            open_browser=open_browser,
            offline=offline,
        )
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
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Start every origin of the config (same as `devserve run`)."""
    _setup_logging(verbose, quiet)
    if ctx.invoked_subcommand is None:
        run(config=config, host=host, no_reload=no_reload, open_browser=open_browser)


@app.command()
def run(
    config: ConfigOption = None,
    host: HostOption = None,
    no_reload: NoReloadOption = False,
    open_browser: OpenOption = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Proxies answer only from their recordings (record_mode replay)."
        ),
    ] = False,
) -> None:
    """Start every origin of the config; with no config, serve this folder on port 8000."""
    path = config or find_config(Path.cwd())
    if path is None:
        typer.echo(
            "No devserve.toml found: serving this folder as origin 'site'. "
            "Run `devserve init` for a multi-origin setup."
        )
        loaded = default_config(Path.cwd())
    else:
        loaded = _load(path)
        path = path.resolve()
    _serve(
        loaded,
        config_path=path,
        host=host,
        watch=not no_reload,
        open_browser=open_browser,
        offline=offline,
    )


def cors_setting(values: list[str]) -> Any:
    """Turn repeated ``--cors`` values into a config ``cors`` value."""
    if not values:
        return "off"
    if len(values) == 1 and values[0] in ("off", "on", "*"):
        return values[0]
    if any(value in ("off", "on", "*") for value in values):
        raise DevserveError(
            "--cors takes either one of off, on, * or one or more origin URLs, not both"
        )
    # An allow-list from the command line: those origins, with credentials and common methods.
    return {
        "allow_origins": values,
        "allow_credentials": True,
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type", "X-Requested-With"],
    }


@app.command()
def serve(
    directory: Annotated[Path, typer.Argument(help="Folder to serve.")] = Path("."),
    port: Annotated[int, typer.Option("--port", "-p", help="Port.")] = 8000,
    cors: Annotated[
        list[str] | None,
        typer.Option("--cors", help="off, on, * or an allowed origin URL (repeatable)."),
    ] = None,
    spa: Annotated[
        bool, typer.Option("--spa", help="Fall back to index.html for unknown paths.")
    ] = False,
    host: HostOption = None,
    no_reload: NoReloadOption = False,
    open_browser: OpenOption = False,
) -> None:
    """Serve one folder as a single static origin, no config needed."""
    try:
        config = default_config(
            directory.resolve(), port=port, cors=cors_setting(cors or []), spa=spa
        )
    except DevserveError as exc:
        raise _fail(exc) from None
    _serve(config, host=host, watch=not no_reload, open_browser=open_browser)


@app.command()
def demo(host: HostOption = None, open_browser: OpenOption = False) -> None:
    """Run the bundled demo: a page origin and three API origins with different CORS."""
    config = _load(templates_dir() / "demo" / "devserve.toml")
    _serve(config, host=host, watch=False, open_browser=open_browser)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write the starter files.")] = Path(
        "."
    ),
) -> None:
    """Write a starter devserve.toml, page and mock API; never overwrite a file."""
    source = templates_dir() / "init"
    written, skipped = [], []
    for item in sorted(source.rglob("*")):
        if item.is_dir():
            continue
        relative = item.relative_to(source)
        target = directory / relative
        if target.exists():
            skipped.append(str(relative))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item, target)
        written.append(str(relative))
    for name in written:
        typer.echo(f"wrote   {directory / name}")
    for name in skipped:
        typer.echo(f"skipped {directory / name} (already exists)")
    typer.echo("Next: run `devserve` in that folder.")


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the config: exit 0 if valid, else print every error and exit 2."""
    path = config or find_config(Path.cwd())
    if path is None:
        typer.echo(
            "error: no devserve.toml here or in any parent folder; run `devserve init`", err=True
        )
        raise typer.Exit(2)
    loaded = _load(path)
    typer.echo(f"{path}: valid, {len(loaded.origins)} origin(s): {', '.join(loaded.origins)}")


UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Control API of the instance, e.g. http://127.0.0.1:8999."),
]


@app.command()
def status(
    config: ConfigOption = None,
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the running instance's origins, URLs and current CORS state."""
    from devserve.control import client

    try:
        found = client.find_instance(config=config, url=url)
        listed = client.origins(found)
    except DevserveError as exc:
        raise _fail(exc) from None
    if as_json:
        origins = [origin.as_json() for origin in listed]
        typer.echo(json.dumps({"instance": found.__dict__, "origins": origins}, indent=2))
        return
    typer.echo(f"devserve {found.version} (pid {found.pid}) serving {found.config or 'a folder'}")
    for origin in listed:
        typer.echo(f"  {origin.status_line()}")
    typer.echo(f"  dashboard: {found.url}")


@app.command()
def cors(
    name: Annotated[str, typer.Argument(help="The origin's name in the config.")],
    state: Annotated[
        str | None, typer.Argument(help="on or off; leave out to show the current state.")
    ] = None,
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Show, or switch at runtime, CORS for one origin of the running instance."""
    from devserve.control import client

    if state not in (None, "on", "off"):
        typer.echo(f"error: the state must be on or off, not {state!r}", err=True)
        raise typer.Exit(2)
    try:
        found = client.find_instance(config=config, url=url)
        if state is None:
            origin = client.origin(found, name)
        else:
            origin = client.set_cors(found, name, state == "on")
    except DevserveError as exc:
        raise _fail(exc) from None
    typer.echo(origin.status_line())


def _engine(value: str) -> str:
    if value.lower() not in ENGINES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(ENGINES)}")
    return value.lower()


@app.command("check")
def check(
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
        float, typer.Option("--timeout", help="Seconds to wait for each response.", min=0.1)
    ] = 10.0,
) -> None:
    """Act as the browser would: preflight if needed, send the request, and explain the verdict.

    Exit 0 if the page can read the response, 1 if it is blocked, 2 on a usage or network error.
    """
    try:
        headers = [parse_header(text) for text in header or []]
        report = run_check(
            url,
            origin=origin,
            method=method or ("POST" if data is not None else "GET"),
            headers=headers,
            body=data,
            credentials=credentials,
            engine=cast(Engine, browser.lower()),
            timeout=timeout,
        )
    except DevserveError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(to_json(report), indent=2) if as_json else format_text(report))
    raise typer.Exit(0 if report.allowed else 1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of devserve.toml, for editor completion and checks."""
    typer.echo(json.dumps(Config.model_json_schema(), indent=2))


def main() -> None:
    """Console-script entry point."""
    app()

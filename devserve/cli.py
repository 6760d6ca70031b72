"""Typer commands only: parse, call the library, turn DevserveError into a message and exit code."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from devserve import __version__
from devserve._resources import templates_dir
from devserve.check_command import check
from devserve.config import Config, default_config, find_config, load_config
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
) -> None:
    from devserve.runner import run  # uvicorn is only needed for commands that serve

    try:
        run(config, config_path=config_path, host=host, watch=watch, open_browser=open_browser)
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
    _serve(loaded, config_path=path, host=host, watch=not no_reload, open_browser=open_browser)


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
    from devserve import instance as control

    try:
        found = control.find_instance(config=config, url=url)
        listed = control.origins(found)
    except DevserveError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps({"instance": found.__dict__, "origins": listed}, indent=2))
        return
    typer.echo(f"devserve {found.version} (pid {found.pid}) serving {found.config or 'a folder'}")
    for origin in listed:
        typer.echo(f"  {control.describe_origin(origin)}")
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
    from devserve import instance as control

    if state not in (None, "on", "off"):
        typer.echo(f"error: the state must be on or off, not {state!r}", err=True)
        raise typer.Exit(2)
    try:
        found = control.find_instance(config=config, url=url)
        if state is None:
            listed = {o["name"]: o for o in control.origins(found)}
            if name not in listed:
                raise DevserveError(
                    f"no origin named {name!r}; the origins are: {', '.join(listed)}"
                )
            origin = listed[name]
        else:
            origin = control.set_cors(found, name, state == "on")
    except DevserveError as exc:
        raise _fail(exc) from None
    typer.echo(control.describe_origin(origin))


app.command("check")(check)


@app.command()
def schema() -> None:
    """Print the JSON Schema of devserve.toml, for editor completion and checks."""
    typer.echo(json.dumps(Config.model_json_schema(), indent=2))


def main() -> None:
    """Console-script entry point."""
    app()

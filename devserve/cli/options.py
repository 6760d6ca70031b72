"""The options every command shares, their merging, logging, and DevserveError as an exit."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ParamSpec

import typer

from devserve.errors import DevserveError

P = ParamSpec("P")

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
HostNameOption = Annotated[
    str | None,
    typer.Option(
        "--host-name",
        help="The origin's name, e.g. app.localhost (it still binds --host).",
        metavar="NAME",
        show_default=False,
    ),
]
HttpsOption = Annotated[
    bool,
    typer.Option("--https", help="Serve over https, with a certificate from devserve's local CA."),
]
DashboardPortOption = Annotated[
    str | None,
    typer.Option(
        "--dashboard-port",
        help="Port of the dashboard and control API (default 8999).",
        metavar="N",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Common:
    """The options accepted before or after the command (README "CLI reference"); after it wins."""

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


def common(ctx: typer.Context, command: str, **given: Any) -> Common:
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
    setup_logging(merged.verbose, merged.quiet)
    return merged


def setup_logging(verbose: bool, quiet: bool) -> None:
    """Plain messages on stdout; -v and -q set how many, for devserve and uvicorn."""
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


def use_json_log() -> None:
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


def fail(error: DevserveError) -> typer.Exit:
    """Print the error, one "error:" line per line, and return the exit to raise."""
    for line in error.message.splitlines():
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(error.exit_code)


def handled(command: Callable[P, None]) -> Callable[P, None]:
    """The one place a DevserveError becomes its message and exit code (as fastapi-cli's
    ``_run``): every command is registered through it; no command catches the error itself."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except DevserveError as exc:
            raise fail(exc) from None

    return run

"""The commands that judge without serving: check-config, check (a CORS request), schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, cast

import typer

from devserve.check.report import Mode
from devserve.cli.options import ConfigOption, QuietOption, VerboseOption, common
from devserve.config import Config, find_config
from devserve.cors.lna import parse_address_spaces
from devserve.cors.verdict import ENGINES, Engine
from devserve.errors import ConfigError


def _project(given: Path | None) -> tuple[Path, Config]:
    """The config file (``-c``, else found from here) loaded with every check, or exit 2."""
    path = given or find_config(Path.cwd())
    if path is None:
        typer.echo(
            "error: no devserve.toml here or in any parent folder; run `devserve init`", err=True
        )
        raise typer.Exit(2)
    # Imported here: `check` and `schema` need neither the mocks nor Starlette.
    from devserve.project import load_project

    return path, load_project(path)


def check_config(
    ctx: typer.Context,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Validate the config: exit 0 if valid, else print every error and exit 2."""
    options = common(ctx, "check-config", config=config, verbose=verbose, quiet=quiet)
    path, loaded = _project(options.config)
    from devserve.mocks.check import route_warnings
    from devserve.mocks.openapi.check import openapi_problems

    # Specs get openapi-spec-validator's deeper rules here, too slow for every start.
    deeper = [
        problem
        for name, origin in loaded.origins.items()
        if origin.openapi is not None
        for problem in openapi_problems(name, origin, thorough=True)
    ]
    if deeper:
        raise ConfigError([f"{path}: {problem}" for problem in deeper])

    for name, origin in loaded.origins.items():
        for warning in route_warnings(name, origin):
            typer.echo(f"warning: {path}: {warning}")
    if not options.quiet:
        typer.echo(f"{path}: valid, {len(loaded.origins)} origin(s): {', '.join(loaded.origins)}")


def check_contract(
    ctx: typer.Context,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check recordings and mock files against each origin's OpenAPI spec: exit 0 when all
    conform, 1 with a list of drifts (file, operation, JSON pointer, what differs)."""
    options = common(ctx, "check-contract", config=config, verbose=verbose, quiet=quiet)
    path, loaded = _project(options.config)
    from devserve.mocks.openapi.contract import check_contract as run_contract

    if not any(origin.openapi is not None for origin in loaded.origins.values()):
        typer.echo(f"error: {path}: no origin has an openapi spec to check against", err=True)
        raise typer.Exit(2)
    report = run_contract(loaded)
    for drift in report.drifts:
        typer.echo(f"drift: {drift}")
    if options.verbose:
        for skipped in report.skipped:
            typer.echo(f"skipped: {skipped}")
    if not options.quiet or report.drifts:
        typer.echo(
            f"{report.checked} file(s) checked, {len(report.drifts)} drift(s), "
            f"{len(report.skipped)} not in the spec (skipped)"
        )
    raise typer.Exit(1 if report.drifts else 0)


def _engine(value: str) -> str:
    if value.lower() not in ENGINES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(ENGINES)}")
    return value.lower()


# The options of `devserve check`, named once so the command reads as one signature.
UrlArgument = Annotated[
    str, typer.Argument(help="The URL the page's script fetches.", show_default=False)
]
OriginOption = Annotated[
    str,
    typer.Option(
        "--origin",
        help="The page's origin, e.g. http://localhost:8000 (a page URL works too).",
        show_default=False,
    ),
]
MethodOption = Annotated[
    str | None,
    typer.Option(
        "--request", "-X", help="HTTP method (default GET, or POST with -d).", show_default=False
    ),
]
HeaderOption = Annotated[
    list[str] | None,
    typer.Option(
        "--header",
        "-H",
        help="A header the page sets, 'Name: value'; repeatable.",
        show_default=False,
    ),
]
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        "-d",
        help="Request body (text). The request is really sent, as the page would send it (a "
        "POST may create a record): add --preflight-only to send only the preflight.",
        show_default=False,
    ),
]
PreflightOnlyOption = Annotated[
    bool,
    typer.Option(
        "--preflight-only",
        help="Send only the preflight (if the request needs one), never the request itself.",
    ),
]


def _mode(value: str) -> str:
    if value not in ("cors", "no-cors"):
        raise typer.BadParameter(f"{value!r} is not cors or no-cors")
    return value


ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="fetch()'s mode: cors (the default) or no-cors (an opaque response, as an <img>).",
        callback=_mode,
    ),
]
CredentialsOption = Annotated[
    bool, typer.Option("--credentials", help="As fetch(url, {credentials: 'include'}).")
]
BrowserOption = Annotated[
    str,
    typer.Option(
        "--browser",
        help="standard (the Fetch standard, strictest), chromium or firefox.",
        callback=_engine,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (stable keys).")]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        help="Seconds the whole check may take (every request and redirect together).",
        min=0.1,
    ),
]
AddressSpaceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--address-space",
        help="HOST[:PORT]=public|local|loopback: the address space of a host (Local "
        "Network Access), e.g. a name your LAN resolves to a private address; repeatable.",
        show_default=False,
    ),
]


def check(
    ctx: typer.Context,
    url: UrlArgument,
    origin: OriginOption,
    method: MethodOption = None,
    header: HeaderOption = None,
    data: DataOption = None,
    credentials: CredentialsOption = False,
    browser: BrowserOption = "standard",
    as_json: JsonOption = False,
    timeout: TimeoutOption = 10.0,
    address_space: AddressSpaceOption = None,
    mode: ModeOption = "cors",
    preflight_only: PreflightOnlyOption = False,
) -> None:
    """Act as the browser would: preflight if needed, send the request, and explain the verdict.

    Exit 0 if the page can read the response, 1 if it is blocked, 2 on a usage or network error.
    """
    common(ctx, "check")
    # Imported here: httpx is for this command only, and every other one (`run` first) starts
    # sooner without it.
    from devserve.check.output import format_text, to_json
    from devserve.check.simulate import parse_header, run_check

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
        mode=cast(Mode, mode),
        preflight_only=preflight_only,
    )
    typer.echo(json.dumps(to_json(report), indent=2) if as_json else format_text(report))
    raise typer.Exit(0 if report.allowed else 1)


def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of devserve.toml, for editor completion and checks."""
    common(ctx, "schema")
    typer.echo(json.dumps(Config.model_json_schema(), indent=2))

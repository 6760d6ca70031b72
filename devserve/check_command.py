"""The `devserve check` command: parse options, run the check, print it, exit 0, 1 or 2."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from devserve.check import format_text, parse_header, run_check, to_json
from devserve.errors import DevserveError


class Browser(StrEnum):
    """Whose rules decide: the Fetch standard (strictest) or a known engine's."""

    standard = "standard"
    chromium = "chromium"
    firefox = "firefox"


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
        Browser,
        typer.Option(
            "--browser",
            help="standard (the Fetch standard, strictest), chromium or firefox.",
            case_sensitive=False,
        ),
    ] = Browser.standard,
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
            engine=browser.value,
            timeout=timeout,
        )
    except DevserveError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(to_json(report), indent=2) if as_json else format_text(report))
    raise typer.Exit(0 if report.allowed else 1)

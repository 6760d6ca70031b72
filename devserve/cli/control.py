"""The commands that talk to a running instance: status, cors, reset, send."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from devserve.cli.options import Common, ConfigOption, QuietOption, VerboseOption, common
from devserve.state import aligned
from devserve.terminal import printable

if TYPE_CHECKING:
    from devserve.control.client import Instance

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Control API of the instance, e.g. http://127.0.0.1:8999."),
]


def _say(text: str, *, err: bool = False) -> None:
    """Print a line that holds what the server said: its control characters escaped, so an
    answer cannot clear the terminal or forge a line of its own."""
    typer.echo(printable(text), err=err)


def _find_instance(options: Common, url: str | None) -> Instance:
    """The instance `status` and `cors` talk to; when found on the default port, say whose."""
    from devserve.control.client import find_instance  # httpx: only for commands that ask

    found = find_instance(config=options.config, url=url)
    if found.found_by and not options.quiet:
        _say(found.found_by, err=True)  # stderr: stdout stays the answer (or JSON)
    return found


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

    options = common(ctx, "status", config=config, verbose=verbose, quiet=quiet)
    found = _find_instance(options, url)
    listed = client.origins(found)
    if as_json:
        origins = [origin.as_json() for origin in listed]
        # ASCII JSON: every control character is a \u escape, as JSON readers expect.
        typer.echo(json.dumps({"instance": asdict(found), "origins": origins}, indent=2))
        return
    _say(f"devserve {found.version} (pid {found.pid}) serving {found.serving}")
    for line in aligned(listed, runtime=True):
        _say(f"  {line}")
    _say(f"  dashboard: {found.url}")


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

    options = common(ctx, "cors", config=config, verbose=verbose, quiet=quiet)
    if state not in (None, "on", "off"):
        typer.echo(f"error: the state must be on or off, not {state!r}", err=True)
        raise typer.Exit(2)
    found = _find_instance(options, url)
    if state is None:
        origin = client.origin(found, name)
    else:
        origin = client.set_cors(found, name, state == "on")
    _say(origin.status_line())


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

    options = common(ctx, "reset", config=config, verbose=verbose, quiet=quiet)
    found = _find_instance(options, url)
    result = control.reset(found, name)
    _say(f"{name}: mock sequences restart from their first response")
    if result["resources"]:
        counts = ", ".join(
            f"{key}: {value if value == 'object' else f'{value} items'}"
            for key, value in result["reset"].items()
        )
        _say(f"{name}: {result['resources']} restored ({counts or 'empty'})")


def send(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The origin whose socket to send to.")],
    path: Annotated[str, typer.Argument(help="The socket's path, e.g. /ws.")],
    message: Annotated[
        str, typer.Argument(help="The message, sent as one text frame exactly as given.")
    ],
    config: ConfigOption = None,
    url: UrlOption = None,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Send MESSAGE to every page connected to a mock socket of the running instance (a
    JSON-looking MESSAGE is sent as it is: the page's JSON.parse reads it)."""
    from devserve.control import client as control

    options = common(ctx, "send", config=config, verbose=verbose, quiet=quiet)
    found = _find_instance(options, url)
    result = control.send(found, name, path, message)
    sent = result["sent"]
    if sent == 0:
        _say(f"no page is connected to {path} of '{name}': nothing sent")
        return
    _say(f"sent to {sent} page{'s' if sent != 1 else ''} on {path} of '{name}'")

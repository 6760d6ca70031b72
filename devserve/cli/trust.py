"""`devserve trust`: install devserve's local CA for this user's browsers, remove it, or say where
it is installed."""

from __future__ import annotations

from typing import Annotated

import typer

from devserve.cli.options import ConfigOption, QuietOption, VerboseOption, common


def trust(
    ctx: typer.Context,
    uninstall: Annotated[
        bool, typer.Option("--uninstall", help="Remove devserve's CA from every store.")
    ] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Say where the CA is installed, and where it is.")
    ] = False,
    system: Annotated[
        bool,
        typer.Option("--system/--no-system", help="As root, the system store too (default)."),
    ] = True,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Make this user's browsers trust devserve's local CA (for https = true origins)."""
    options = common(ctx, "trust", config=config, verbose=verbose, quiet=quiet)
    if uninstall and status:
        typer.echo("error: give --uninstall or --status, not both", err=True)
        raise typer.Exit(2)
    # Imported here: cryptography is needed only by this command and by https origins.
    from devserve.tls import report

    if status:
        lines = report.status(system=system)
    elif uninstall:
        lines = report.uninstall(system=system)
    else:
        lines = report.install(options.config, system=system)
    for line in lines:
        typer.echo(line)

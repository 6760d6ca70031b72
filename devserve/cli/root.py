"""The root command: the Typer app, the options before any command, the commands, main()."""

from __future__ import annotations

from typing import Annotated

import typer

from devserve.cli.checks import check, check_config, check_contract, schema
from devserve.cli.control import cors, reset, send, status
from devserve.cli.options import (
    Common,
    ConfigOption,
    HostOption,
    NoReloadOption,
    OpenOption,
    QuietOption,
    VerboseOption,
    handled,
    setup_logging,
)
from devserve.cli.serving import demo, init, run, serve
from devserve.cli.trust import trust
from devserve.version import __version__

app = typer.Typer(
    name="devserve",
    help="Static sites and mock APIs on several local origins, with per-origin CORS.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is plain: "[tool.devserve]" is not markup
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"devserve {__version__}")
        raise typer.Exit()


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
    setup_logging(verbose, quiet)
    if ctx.invoked_subcommand is None:
        handled(run)(ctx)


# Registered here, not where defined, so no command module imports the app; this order is
# the order `devserve --help` lists them in.
# Each through ``handled``: the one place a DevserveError becomes a message and an exit code.
app.command()(handled(run))
app.command()(handled(serve))
app.command()(handled(demo))
app.command()(handled(init))
app.command("check-config")(handled(check_config))
app.command("check-contract")(handled(check_contract))
app.command()(handled(status))
app.command()(handled(cors))
app.command()(handled(reset))
app.command()(handled(send))
app.command("check")(handled(check))
app.command()(handled(trust))
app.command()(handled(schema))


def main() -> None:
    """Console-script entry point."""
    app()

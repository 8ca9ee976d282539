"""`gongdan replay SERVICE`: rebuild a service's derived state from what it recorded into an empty database and
compare it with the source (one command per service; each imports its service lazily)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from shared.settings import Settings

replay_app = typer.Typer(help="Rebuild a service's state into an empty database from its event log, and compare.",
                         no_args_is_help=True)


@replay_app.command("compensation")
def replay_compensation(
    into: Annotated[str, typer.Option(help="Target database, named like a service (compensation_replay -> "
                                           "gongdan_compensation_replay); created if missing, must be empty")]
    = "compensation_replay",
    source: Annotated[str, typer.Option(help="Source database, named like a service")] = "compensation",
) -> None:
    """Claims and payout batches from compensation's log of ticket events and its own commands (issue 11)."""
    from services.compensation.service_layer.replay import replay_databases

    try:
        report = asyncio.run(replay_databases(Settings(), into, source))
    except ValueError as exc:
        typer.echo(f"replay compensation: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"replayed {report.events} ticket events and {report.commands} commands into {into}: "
               f"{report.claims} claims, {report.batches} batches")
    if report.identical:
        typer.echo("identical to the source: claims (every figure and the evidence) and batches (lines, totals)")
        return
    for line in report.differences[:50]:
        typer.echo(f"differs: {line}")
    raise typer.Exit(1)

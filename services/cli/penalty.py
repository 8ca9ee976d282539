"""`gongdan replay penalty` and `gongdan penalty what-if` (issue 10): straight on penalty's database.

Replay rebuilds the ledger from penalty's journal (services/penalty/adapters/journal.py says why that is the
honest source) into a new empty database on the same server and compares it with the live ledger, entry by
entry, to the fen; it exits 1 when they differ. What-if replays the same journal under a draft policy into a
scratch database (dropped afterwards) and prints the difference of a month per department and clause.

The server is DATABASE_URL, else the dev stack's embedded PostgreSQL in GONGDAN_DATA_DIR (.data).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from services.cli.replay import replay_app  # the `gongdan replay` sub-app: one command per service

penalty_app = typer.Typer(help="Penalty ledger tools (what-if of a draft policy).", no_args_is_help=True)

DbOpt = Annotated[str | None, typer.Option("--database-url", envvar="DATABASE_URL",
                                           help="PostgreSQL server (default: the dev stack's embedded one)")]


def _server_url(database_url: str | None) -> str:
    if database_url:
        return database_url
    from shared.devstack import EmbeddedPostgres
    from shared.settings import Settings

    pg_dir = Settings().gongdan_data_dir / "pg"
    if not pg_dir.exists():
        typer.echo("error: no database: set DATABASE_URL or run the dev stack (gongdan dev)", err=True)
        raise typer.Exit(code=2)
    return EmbeddedPostgres(pg_dir).start()  # the running dev server is found and reused, not started twice


def _live(server_url: str):
    from shared.persistence.database import create_engine, service_url

    return create_engine(service_url(server_url, "penalty"))


@replay_app.command("penalty")
def replay_penalty(
    database_url: DbOpt = None,
    into: Annotated[str | None, typer.Option(help="Name of the new database (default gongdan_penalty_replay_<time>)")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the rebuilt database (--no-keep drops it after comparing)")] = True,
    policy: Annotated[Path | None, typer.Option(help="Policy to assess under (default: the deployment's, "
                                                     "GONGDAN_POLICY)")] = None,
) -> None:
    """Rebuild the penalty ledger from the journal into an empty database and compare it with the live ledger."""
    from services.penalty.service_layer.config import load_config
    from services.penalty.service_layer.replay import replay_penalty as run
    from services.penalty.service_layer.whatif import draft_config
    from shared.settings import Settings

    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    server = _server_url(database_url)
    cfg = draft_config(policy, settings.gongdan_tz) if policy else load_config(settings)

    async def main() -> dict:
        live = _live(server)
        try:
            return await run(live, server, cfg, into=into, keep=keep)
        finally:
            await live.dispose()

    result = asyncio.run(main())
    a = result["applied"]
    typer.echo(f"journal up to #{a['journal_seq']}: {a['events']} events re-derived, {a['entry-insert']} manual/refund "
               f"entries, {a['entry-update']} reviews and appeal decisions, {a['month-closed']} month closes")
    typer.echo(f"live:    {result['live']['entries']} entries, {result['live']['fen']:,} fen")
    typer.echo(f"rebuilt: {result['rebuilt']['entries']} entries, {result['rebuilt']['fen']:,} fen "
               f"({'kept in database ' + result['store'] if keep else 'dropped'})")
    if result["equal"]:
        typer.echo("equal: every entry, amount, payer, month and status")
        return
    for name in ("missing", "extra", "different"):
        for item in result[name]:
            typer.echo(f"{name}: {json.dumps(item, ensure_ascii=False, default=str)}")
    raise typer.Exit(code=1)


@penalty_app.command("what-if")
def what_if(
    policy: Annotated[Path, typer.Option(help="The draft policy file", exists=True, dir_okay=False)],
    month: Annotated[str, typer.Option(help="YYYY-MM, the local month to assess")],
    database_url: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result as JSON")] = False,
) -> None:
    """Assess a past month under a draft policy; show the difference per department and clause (ledger untouched)."""
    import re

    from services.penalty.service_layer.whatif import draft_config
    from services.penalty.service_layer.whatif import what_if as run
    from shared.policy import PolicyError
    from shared.settings import Settings

    if not re.fullmatch(r"20\d{2}-(0[1-9]|1[0-2])", month):
        typer.echo("error: --month is YYYY-MM", err=True)
        raise typer.Exit(code=2)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    try:
        draft = draft_config(policy, settings.gongdan_tz)
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    server = _server_url(database_url)

    async def main() -> dict:
        live = _live(server)
        try:
            return await run(live, server, draft, month)
        finally:
            await live.dispose()

    result = asyncio.run(main())
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    typer.echo(f"{month} under {policy}: current {result['current_fen']:,} fen, draft {result['draft_fen']:,} fen, "
               f"difference {result['difference_fen']:+,} fen ({result['basis']})")
    for row in result["by_department_and_clause"]:
        if row["difference_fen"]:
            typer.echo(f"  {row['payer_kind']}:{row['payer_id'] or '-'}  {row['clause']:<12} "
                       f"{row['current_fen']:>10,} -> {row['draft_fen']:>10,}  ({row['difference_fen']:+,})")
    for row in result["by_department"]:
        typer.echo(f"  total {row['payer_kind']}:{row['payer_id'] or '-'}  {row['current_fen']:,} -> "
                   f"{row['draft_fen']:,}  ({row['difference_fen']:+,})")

"""`gongdan dead-letter list|replay`: the parked events of a service, through its HTTP API (role ops)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import httpx
import typer

dead_letter_app = typer.Typer(help="List and replay parked events (poison messages) of a service.",
                              no_args_is_help=True)

ServiceArg = Annotated[str, typer.Argument(help="intake | dispatch | sla_monitor | penalty | compensation")]
UrlOpt = Annotated[str | None, typer.Option(help="Service base URL (default: the dev stack's port)")]
KeyOpt = Annotated[str | None, typer.Option(
    envvar="GONGDAN_OPS_KEY", help="An ops API key (default: the dev stack's key file)")]


def _base_url(service: str, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    from services.catalog import load_spec

    return f"http://127.0.0.1:{load_spec(service).port}"


def _ops_key(key: str | None) -> str:
    if key:
        return key
    path = Path(os.environ.get("GONGDAN_DATA_DIR", ".data")) / "dev-api-keys.txt"
    for line in path.read_text().splitlines() if path.exists() else []:
        parts = line.split()
        if len(parts) == 2 and parts[0] in {"ops", "admin"}:
            return parts[1]
    typer.echo("error: no ops key: pass --key or set GONGDAN_OPS_KEY", err=True)
    raise typer.Exit(code=2)


def _call(method: str, url: str, key: str) -> dict:
    try:
        response = httpx.request(method, url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    except httpx.HTTPError as exc:
        typer.echo(f"error: {url}: {exc}", err=True)
        raise typer.Exit(code=1) from None
    if response.status_code >= 400:
        typer.echo(f"error: {response.status_code} {response.text}", err=True)
        raise typer.Exit(code=1)
    return response.json()


@dead_letter_app.command("list")
def list_parked(service: ServiceArg, url: UrlOpt = None, key: KeyOpt = None,
                all_: Annotated[bool, typer.Option("--all", help="Include replayed ones")] = False,
                as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False) -> None:
    """Parked events of SERVICE, oldest first."""
    base, token, after, items = _base_url(service, url), _ops_key(key), 0, []
    while True:
        page = _call("GET", f"{base}/dead-letters?waiting={str(not all_).lower()}&after={after}&limit=500", token)
        items += page["items"]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        state = f"replayed {item['replayed_at']}" if item["replayed_at"] else "waiting"
        source = item["source"]
        typer.echo(f"{item['id']:>6}  {item['event_type'] or '(undecodable)':<24} "
                   f"{source['topic']}[{source['partition']}]@{source['offset']}  {state}  {item['reason']}")
    typer.echo(f"{len(items)} parked event(s)")


@dead_letter_app.command("replay")
def replay_parked(service: ServiceArg, ids: Annotated[list[int], typer.Argument(help="Parked event ids")],
                  url: UrlOpt = None, key: KeyOpt = None) -> None:
    """Apply parked events of SERVICE again (each exactly once); a failing one stays parked."""
    base, token, failed = _base_url(service, url), _ops_key(key), 0
    for parked_id in ids:
        try:
            result = _call("POST", f"{base}/dead-letters/{parked_id}/replay", token)
            typer.echo(f"{parked_id}: {result['outcome']}")
        except typer.Exit:
            failed += 1
    if failed:
        raise typer.Exit(code=1)

"""`gongdan`: run one service, run the whole embedded dev stack, check policy files."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from shared.dead_letter_cli import dead_letter_app
from shared.policy.cli import policy_app
from shared.settings import Settings

app = typer.Typer(help="Gongdan work-order platform", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
app.add_typer(policy_app, name="policy", help="Validate and explain policy files")
app.add_typer(dead_letter_app, name="dead-letter", help="List and replay parked events of a service")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="intake | dispatch | sla_monitor | penalty | compensation")],
    port: Annotated[int | None, typer.Option(help="HTTP port (default: the service's own)")] = None,
) -> None:
    """Run one service: HTTP API, consumer and outbox relay in one process."""
    import uvicorn

    from services.catalog import load_spec
    from shared.service import create_app

    _logging()
    settings = Settings()
    spec = load_spec(service)
    uvicorn.run(create_app(spec, settings), host=settings.gongdan_host, port=port or spec.port,
                log_level="info", timeout_graceful_shutdown=15)


@app.command()
def dev(
    port_base: Annotated[int, typer.Option(help="Services listen on port_base+1 .. port_base+5")] = 8100,
    broker_port: Annotated[int, typer.Option(help="Embedded broker port")] = 19092,
    data_dir: Annotated[Path, typer.Option(help="Where the embedded database and dev keys live")] = Path(".data"),
) -> None:
    """Start everything embedded: PostgreSQL, the Tansu broker, topics, and the five services. Ctrl-C stops all."""
    from shared.devrun import run_dev_stack

    _logging()
    os.environ.setdefault("GONGDAN_DATA_DIR", str(data_dir))
    raise typer.Exit(run_dev_stack(Settings(), port_base=port_base, broker_port=broker_port, data_dir=data_dir))


if __name__ == "__main__":
    app()

"""`gongdan`: run one service, run the whole embedded dev stack, check policy files."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Literal

import typer

from services.cli.dead_letters import dead_letter_app
from services.cli.directory import directory_app
from services.cli.penalty import penalty_app  # also adds `penalty` to the replay sub-app
from services.cli.replay import replay_app
from shared.policy.cli import policy_app
from shared.settings import Settings

app = typer.Typer(help="Gongdan work-order platform", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
app.add_typer(policy_app, name="policy", help="Validate and explain policy files")
app.add_typer(dead_letter_app, name="dead-letter", help="List and replay parked events of a service")
app.add_typer(directory_app, name="directory", help="Load the organisation: departments, people, districts")
app.add_typer(penalty_app, name="penalty", help="Penalty ledger tools: what-if of a draft policy")
app.add_typer(replay_app, name="replay", help="Rebuild a service's state into an empty database and compare")


LogFormat = Annotated[Literal["text", "json"] | None, typer.Option(
    "--log-format",
    help="text, or json (one JSON object per line); default: GONGDAN_LOG_FORMAT, else text")]


def _logging(log_format: str | None = None, *, file: Path | None = None) -> None:
    """One format for every logger (uvicorn's included): text for people, or JSON lines for log shippers."""
    if (log_format or Settings().gongdan_log_format) == "json":
        from pythonjsonlogger.json import JsonFormatter

        formatter: logging.Formatter = JsonFormatter(
            "%(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time")
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(file, encoding="utf-8") if file is not None else logging.StreamHandler()
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.captureWarnings(True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="console | intake | dispatch | sla_monitor | penalty | compensation")],
    port: Annotated[int | None, typer.Option(help="HTTP port (default: the service's own)")] = None,
    log_format: LogFormat = None,
) -> None:
    """Run one service: HTTP API, consumer and outbox relay in one process."""
    import uvicorn

    from services.catalog import load_spec
    from shared.service import create_app

    _logging(log_format)
    settings = Settings()
    spec = load_spec(service)
    uvicorn.run(create_app(spec, settings), host=settings.gongdan_host, port=port or spec.port,
                log_level="info", log_config=None, timeout_graceful_shutdown=15)  # log_config: ours, above


@app.command()
def dev(
    port_base: Annotated[int, typer.Option(help="The console listens on port_base, the APIs on port_base+1 .. port_base+5")] = 8100,
    broker_port: Annotated[int, typer.Option(help="Embedded broker port")] = 19092,
    data_dir: Annotated[Path, typer.Option(help="Embedded database, dev keys, logs")] = Path(".data"),
    log_format: LogFormat = None,
) -> None:
    """Start everything embedded: PostgreSQL, the Tansu broker, topics, the console and the five services; restart any
    that dies. Ctrl-C, SIGTERM or SIGHUP stops all. Logs go to DATA_DIR/logs/."""
    from services.catalog import SERVICE_NAMES
    from shared.devrun import run_dev_stack

    if log_format:
        os.environ["GONGDAN_LOG_FORMAT"] = log_format  # the services inherit it
    os.environ.setdefault("GONGDAN_DATA_DIR", str(data_dir))
    raise typer.Exit(run_dev_stack(
        Settings(), SERVICE_NAMES, port_base=port_base, broker_port=broker_port, data_dir=data_dir,
        # once the stack's lock is ours; the terminal gets only the supervisor's own lines
        setup_logging=lambda: _logging(log_format, file=data_dir / "logs" / "dev.log")))


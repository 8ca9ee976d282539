"""`python -m services.cli` is `gongdan` (the dev stack starts its services this way)."""

from services.cli import app

app()

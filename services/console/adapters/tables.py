"""The console's database holds only what every service's runtime needs (outbox, inbox, idempotency, parking):
its pages come from the other services' HTTP APIs, never their tables."""

from sqlalchemy import MetaData

from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)

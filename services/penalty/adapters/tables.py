"""penalty's own database: the ticket facts it has seen, plus the platform tables."""

from sqlalchemy import MetaData

from shared.observed import ObservedTables
from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)
observed = ObservedTables(metadata)

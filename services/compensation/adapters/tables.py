"""compensation's own database: the ticket facts it has seen, claims and payouts (issue 11), the platform tables."""

from sqlalchemy import MetaData

from services.compensation.adapters.claim_tables import claim_tables
from services.compensation.adapters.tracking_tables import journal_table, tracking_tables
from shared.directory_copy import DirectoryTables
from shared.observed import ObservedTables
from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)
observed = ObservedTables(metadata)
directory = DirectoryTables(metadata)  # compensation's copy of the directory (issue 8): districts, contractors
claims = claim_tables(metadata)
tracking = tracking_tables(metadata)  # notice delivery attempts, missed payment limits
journal = journal_table(metadata)  # the order of compensation's own commands, for replay

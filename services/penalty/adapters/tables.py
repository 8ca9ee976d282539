"""penalty's own database: the ticket facts it has seen, the ledger (issue 10), plus the platform tables."""

from sqlalchemy import MetaData, Sequence

from services.penalty.adapters.kpi_tables import kpi_tables
from services.penalty.adapters.ledger_tables import ledger_tables
from shared.directory_copy import DirectoryTables
from shared.observed import ObservedTables
from shared.persistence.tables import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)
observed = ObservedTables(metadata)
directory = DirectoryTables(metadata)  # penalty's copy of the directory (issue 8)
ledger = ledger_tables(metadata)
kpi = kpi_tables(metadata)  # journal, timer outcomes, CT exemptions (RULEBOOK §9.12), frozen scorecards
# Envelope `sequence` of the events penalty publishes on gongdan.penalties: monotonic per stream, gaps allowed.
event_sequence = Sequence("penalty_event_seq", metadata=metadata)

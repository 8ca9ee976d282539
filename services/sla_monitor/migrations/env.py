from services.sla_monitor.adapters.tables import metadata
from shared.persistence.migration_env import run

run(metadata)

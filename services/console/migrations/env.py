from services.console.adapters.tables import metadata
from shared.persistence.migration_env import run

run(metadata)

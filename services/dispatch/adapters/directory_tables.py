"""Dispatch keeps the directory (issue 8) in the same tables every service's copy has (shared/directory_copy.py):
here they are written by the directory use cases, elsewhere by the directory events."""

from services.dispatch.adapters.tables import metadata
from shared.directory_copy import DirectoryTables

directory = DirectoryTables(metadata)

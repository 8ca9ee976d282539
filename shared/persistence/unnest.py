"""Set-based writes of a consumed batch: one statement of constant text, whatever the batch size (issue 13)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, String, Table
from sqlalchemy.dialects import postgresql


class Unnest:
    """Set-based writes of a batch in one statement of constant text: each column travels as one array
    parameter (`unnest(CAST(:c AS type[]), ...) AS v(c, ...)`), so asyncpg prepares the statement once and
    encodes each array in one go, instead of SQLAlchemy rendering and processing rows one by one (issue 13).
    Strings travel as text (a cast to varchar(n) would cut a long value instead of refusing it), JSON as text
    cast back to jsonb."""

    def __init__(self, table: Table, columns: list[str]) -> None:
        dialect = postgresql.dialect()
        self.table, self.columns = table.name, columns
        self._json = {c for c in columns if isinstance(table.c[c].type, JSON)}
        types = {c: "TEXT" if isinstance(table.c[c].type, String | JSON)
                 else table.c[c].type.compile(dialect=dialect) for c in columns}
        arrays = ", ".join(f"CAST(:{c} AS {types[c]}[])" for c in columns)
        self.source = f"unnest({arrays}) AS v({', '.join(columns)})"
        self.values = ", ".join(self.value(c) for c in columns)

    def value(self, column: str) -> str:
        """The column's value in a row of `source`."""
        return f"CAST(v.{column} AS JSONB)" if column in self._json else f"v.{column}"

    def params(self, rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
        """Row dicts (column -> value) as one list per column, JSON columns dumped."""
        return {c: [json.dumps(r[c]) for r in rows] if c in self._json else [r[c] for r in rows]
                for c in self.columns}

    def insert(self, tail: str = "") -> str:
        """`INSERT INTO table (columns) SELECT ... FROM source`, then `tail` (an ON CONFLICT clause)."""
        return f"INSERT INTO {self.table} ({', '.join(self.columns)}) SELECT {self.values} FROM {self.source} {tail}"

"""What the services take from outside (issue 7): text without NUL or other control characters, bounded lengths
(shared/limits.py), bounded JSON, timestamps with an offset in a sane range. Pure helpers, and the pydantic types
that apply them and document them in the OpenAPI (a `pattern`, `maxLength`, `format`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, GetCoreSchemaHandler, StringConstraints
from pydantic.json_schema import GetJsonSchemaHandler, JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from shared import limits

# Rule ids in the `fields` of a 422 (the `rule` of the project's error format).
RULE_CONTROL = "control_characters"
RULE_DEPTH = "json_depth"
RULE_RANGE = "datetime_range"
RULE_STRICT = "strict_type"

# C0 controls, DEL and C1 controls (Unicode category Cc). PostgreSQL cannot store NUL in text; the others
# corrupt logs, CSV exports and terminals. Free text may hold tab, newline and carriage return.
_LINE_CONTROLS = r"\x00-\x1f\x7f-\x9f"
_TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
LINE_PATTERN = f"^[^{_LINE_CONTROLS}]*$"
TEXT_PATTERN = f"^[^{_TEXT_CONTROLS}]*$"
# A lone surrogate (only possible through a JSON \ud800 escape) cannot be encoded for the database either.
_LINE_BAD = re.compile(f"[{_LINE_CONTROLS}\ud800-\udfff]")
_TEXT_BAD = re.compile(f"[{_TEXT_CONTROLS}\ud800-\udfff]")

assert limits.EARLIEST_YEAR % 100 == 0 and limits.LATEST_YEAR == limits.EARLIEST_YEAR + 99, "one century"
YEAR_PATTERN = f"^{limits.EARLIEST_YEAR // 100}[0-9]{{2}}-"


def control_problem(text: str, multiline: bool = False) -> str | None:
    """Why `text` may not be accepted: its first control character and where; None when it is clean."""
    found = (_TEXT_BAD if multiline else _LINE_BAD).search(text)
    if found is None:
        return None
    return f"control character U+{ord(found.group()):04X} at position {found.start()} is not allowed"


def json_problems(value: Any, max_depth: int = limits.MAX_JSON_DEPTH) -> Iterator[tuple[str, str, str]]:
    """(field path, rule, message) for every string or key holding a control character (tab and newlines
    allowed) and for nesting deeper than `max_depth`, in a parsed JSON document. Iterative: any depth is safe."""
    stack: list[tuple[str, Any, int]] = [("", value, 1)]
    while stack:
        path, node, depth = stack.pop()
        if isinstance(node, dict | list) and depth > max_depth:
            yield path or "body", RULE_DEPTH, f"JSON nested deeper than {max_depth} levels"
            continue
        if isinstance(node, str):
            if problem := control_problem(node, multiline=True):
                yield path or "body", RULE_CONTROL, problem
        elif isinstance(node, dict):
            for key, item in node.items():
                child = f"{path}.{key}" if path else str(key)
                if problem := control_problem(key):
                    yield child, RULE_CONTROL, f"field name: {problem}"
                else:
                    stack.append((child, item, depth + 1))
        elif isinstance(node, list):
            stack.extend((f"{path}.{i}" if path else str(i), item, depth + 1) for i, item in enumerate(node))


def year_problem(value: datetime) -> str | None:
    if limits.EARLIEST_YEAR <= value.year <= limits.LATEST_YEAR:
        return None
    return f"year {value.year} is outside {limits.EARLIEST_YEAR}..{limits.LATEST_YEAR}"


class _NoControls:
    """Pydantic marker: refuse control characters (tab and newlines too unless `multiline`), say so in the schema."""

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # Before the string is stripped: a tab or line break at either end is refused, as the schema says.
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = TEXT_PATTERN if self.multiline else LINE_PATTERN
        return json_schema

    def _check(self, value: Any) -> Any:
        if isinstance(value, str) and (problem := control_problem(value, self.multiline)):
            raise PydanticCustomError(RULE_CONTROL, problem)
        return value


def Line(max_length: int, min_length: int = 1) -> Any:  # noqa: N802 - used as a type
    """One line of text (a name, an id, a reference): no control characters at all."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), _NoControls(False)]


def Text(max_length: int = limits.FREE_TEXT, min_length: int = 1) -> Any:  # noqa: N802 - used as a type
    """Free text (a description, a note): tab and newlines allowed, other control characters not."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), _NoControls(True)]


def _string_not_number(value: Any) -> Any:
    """JSON gives a timestamp as a string; a bare number is not silently read as Unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(RULE_STRICT, "a timestamp is an ISO-8601 string with an offset")
    return value


def _sane_year(value: datetime) -> datetime:
    if problem := year_problem(value):
        raise PydanticCustomError(RULE_RANGE, problem)
    return value


#: A point in time from a client: ISO-8601 with an offset (naive is refused), years EARLIEST..LATEST_YEAR.
Instant = Annotated[
    AwareDatetime, BeforeValidator(_string_not_number), AfterValidator(_sane_year),
    Field(json_schema_extra={"pattern": YEAR_PATTERN},
          description=f"ISO-8601 with an offset, years {limits.EARLIEST_YEAR}..{limits.LATEST_YEAR}"),
]

"""The pure edge checks of issue 7: control characters, JSON depth, timestamps, media type, one source of limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from services.intake.domain.validation import DEFAULT_LIMITS
from shared import limits
from shared.http.edge import body_problem, url_problems
from shared.inputs import Instant, Line, Text, control_problem, json_problems, year_problem


@pytest.mark.parametrize("text", ["rec\x00", "a\x07b", "\x1b[2J", "x\x7f", "x\x85", "\ud800", "tab\there", "l1\nl2"])
def test_a_line_refuses_every_control_character(text: str) -> None:
    assert control_problem(text) is not None


def test_free_text_keeps_tab_and_line_breaks_only() -> None:
    assert control_problem("第一行\r\n第二行\t完", multiline=True) is None
    assert "U+0000 at position 3" in control_problem("rec\x00", multiline=True)
    assert control_problem("宽带断线 (ADSL-0001) — 027-88886666") is None


def test_json_problems_name_the_path_of_strings_and_keys() -> None:
    document = {"customer": {"name": "张\x00三", "tags": ["ok", "b\x01"]}, "k\x02": 1, "description": "a\nb"}
    found = {path: rule for path, rule, _ in json_problems(document)}
    assert found == {"customer.name": "control_characters", "customer.tags.1": "control_characters",
                     "k\x02": "control_characters"}


def test_json_problems_bound_the_depth_without_recursing() -> None:
    shallow: list = []
    deep: list = shallow
    for _ in range(50_000):
        deep.append([])
        deep = deep[0]
    assert [rule for _, rule, _ in json_problems({"a": shallow})] == ["json_depth"]
    assert list(json_problems({"a": [[["ok"]]]})) == []


def test_years_outside_the_window_are_refused() -> None:
    assert year_problem(datetime(2026, 3, 2, tzinfo=UTC)) is None
    assert "year 1" in year_problem(datetime(1, 1, 1, tzinfo=UTC))
    assert year_problem(datetime(9999, 12, 31, tzinfo=UTC)) is not None


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line(10)
    note: Text(20) | None = None
    at: Instant | None = None


@pytest.mark.parametrize(("data", "rule"), [
    ({"name": "x" * 11}, "string_too_long"),
    ({"name": "ok\t"}, "control_characters"),  # checked before stripping
    ({"name": "ok", "note": "a\x00"}, "control_characters"),
    ({"name": "ok", "at": "2026-03-02T09:00:00"}, "timezone_aware"),
    ({"name": "ok", "at": "0001-01-01T00:00:00Z"}, "datetime_range"),
    ({"name": "ok", "at": 1772323200}, "strict_type"),
])
def test_the_types_refuse_with_a_rule(data: dict, rule: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Sample.model_validate(data)
    assert refused.value.errors()[0]["type"] == rule


def test_the_types_accept_good_input_and_document_themselves() -> None:
    sample = Sample.model_validate({"name": " 张三 ", "note": "a\nb", "at": "2026-03-02T09:00:00+08:00"})
    assert sample.name == "张三" and sample.at == datetime(2026, 3, 2, 1, tzinfo=UTC)
    schema = Sample.model_json_schema()["properties"]
    assert schema["name"]["maxLength"] == 10 and schema["name"]["pattern"].startswith("^[^\\x00")
    at = schema["at"]["anyOf"][0]
    assert (at["format"], at["pattern"]) == ("date-time", "^20[0-9]{2}-")


@pytest.mark.parametrize(("content_type", "body", "status"), [
    ("application/json", b'{"a": 1}', None),
    ("application/json; charset=utf-8", b'{"a": 1}', None),
    ("text/plain", b'{"a": 1}', 415),
    (None, b'{"a": 1}', 415),
    ("text/plain", b"", None),  # no body, nothing to refuse
    ("application/json", b"{not json", 422),
    ("application/json", b'{"a": NaN}', 422),
    ("application/json", '{"a": 1}'.encode("utf-16"), 422),
    ("application/json", b"[" * 100_000 + b"]" * 100_000, 422),
])
def test_body_problem(content_type: str | None, body: bytes, status: int | None) -> None:
    refusal = body_problem(content_type, body)
    assert (refusal.status_code if refusal else None) == status


def test_url_problems_name_query_path_and_header() -> None:
    found = url_problems(b"department=a%00b&limit=5", {"technician": "x\x1b"}, {"Idempotency-Key": "k\x01"})
    assert [(f["field"], f["in"]) for f in found] == [("department", "query"), ("technician", "path"),
                                                       ("Idempotency-Key", "header")]
    assert url_problems(b"department=%E7%BD%91%E7%BB%9C", {"ticket_id": "abc"}, {}) == []


def test_deep_json_refusal_names_the_rule() -> None:
    refusal = body_problem("application/json", b"[" * 100_000 + b"]" * 100_000)
    assert json.loads(refusal.body)["error"]["fields"][0]["rule"] == "json_depth"


def test_intake_limits_fit_the_columns() -> None:
    assert DEFAULT_LIMITS.max_name <= limits.CUSTOMER_NAME
    assert DEFAULT_LIMITS.max_address <= limits.ADDRESS
    assert DEFAULT_LIMITS.max_phone <= limits.PHONE
    assert DEFAULT_LIMITS.max_account <= limits.ACCOUNT
    assert DEFAULT_LIMITS.max_description <= limits.FREE_TEXT

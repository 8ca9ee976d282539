"""Issue 7: a consumer retries what may clear by itself and parks what never will."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.messaging.transient import describe_failure, is_transient


class DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def db_error(sqlstate: str | None, cls: type[DBAPIError] = DBAPIError, message: str = "boom") -> DBAPIError:
    return cls("INSERT INTO t VALUES ($1)", {"p": "secret"}, DriverError(message, sqlstate))


@pytest.mark.parametrize("code", ["08006", "08003", "40001", "40P01", "55P03", "53300", "57P01", "58030"])
def test_connection_serialization_deadlock_and_restarts_are_transient(code: str) -> None:
    assert is_transient(db_error(code))


@pytest.mark.parametrize("code", ["22P05", "22021", "22001", "23505", "23503", "42703", "42P01"])
def test_bad_data_constraints_and_bugs_are_permanent(code: str) -> None:
    assert not is_transient(db_error(code))


def test_without_sqlstate_the_error_class_decides() -> None:
    assert is_transient(db_error(None, OperationalError))
    assert not is_transient(db_error(None, IntegrityError))


def test_broker_and_network_errors_are_transient_handler_bugs_are_not() -> None:
    assert is_transient(KafkaConnectionError())
    assert is_transient(ConnectionResetError())
    assert is_transient(TimeoutError())
    assert not is_transient(ValueError("unknown product"))
    assert not is_transient(KeyError("department"))


def test_a_dropped_connection_is_transient_whatever_its_code() -> None:
    error = db_error("22P05")
    error.connection_invalidated = True
    assert is_transient(error)


def test_failure_description_names_the_sqlstate_not_the_statement() -> None:
    text = describe_failure(db_error("22P05", message="unsupported Unicode escape sequence\nDETAIL: x"))
    assert text == "DBAPIError [22P05]: unsupported Unicode escape sequence"
    assert "secret" not in text and "INSERT" not in text

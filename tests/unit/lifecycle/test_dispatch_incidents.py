"""RULEBOOK §7 outages: declare and restore as pure rules (TT-8.6, NJ-4.3.2c/e, GX-5.4)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.dispatch.domain.incidents import (
    DeclareOutage,
    IncidentRefused,
    IncidentState,
    RestoreOutage,
    declare,
    restore,
)
from shared.events.vocabulary import AreaType, Product, Role

NOW = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
IID = uuid.uuid4()


def declaring(**changes: Any) -> DeclareOutage:
    fields: dict[str, Any] = {"area": "江汉区", "cause": "光缆被挖断", "starts_at": NOW - timedelta(minutes=20)}
    return DeclareOutage(**(fields | changes))


def declared(restored_at: datetime | None = None) -> IncidentState:
    return IncidentState(IID, NOW - timedelta(hours=2), restored_at)


def refused(call: Any) -> IncidentRefused:
    with pytest.raises(IncidentRefused) as info:
        call()
    return info.value


def test_declare_carries_the_command_and_notice_defaults_to_now() -> None:
    cmd = declaring(area_type="city-centre", products=["ftth-broadband"], planned=True,
                    estimated_restore_at=NOW + timedelta(hours=4))
    event = declare(cmd, IID, "desk-1", Role.dispatcher, NOW)
    assert (event.incident_id, event.actor, event.role) == (IID, "desk-1", Role.dispatcher)
    assert (event.area, event.area_type, event.products) == ("江汉区", AreaType.city_centre, (Product.ftth_broadband,))
    assert (event.planned, event.notice_at, event.estimated_restore_at) == (True, NOW, NOW + timedelta(hours=4))


def test_declare_keeps_an_earlier_notice_time() -> None:
    notice = NOW - timedelta(minutes=45)  # late notice: TT-8.6 judges it from this fact
    assert declare(declaring(notice_at=notice), IID, "desk-1", Role.dispatcher, NOW).notice_at == notice


def test_declare_refuses_a_future_notice() -> None:
    err = refused(lambda: declare(declaring(notice_at=NOW + timedelta(seconds=1)), IID, "d", Role.dispatcher, NOW))
    assert (err.state, err.reason) == ("new", "notice_at is in the future")


@pytest.mark.parametrize("offset", [timedelta(0), -timedelta(minutes=1)])
def test_declare_refuses_a_restore_estimate_not_after_the_start(offset: timedelta) -> None:
    cmd = declaring(estimated_restore_at=NOW - timedelta(minutes=20) + offset)
    assert "after starts_at" in refused(lambda: declare(cmd, IID, "d", Role.dispatcher, NOW)).reason


def test_planned_work_may_start_in_the_future() -> None:
    cmd = declaring(planned=True, starts_at=NOW + timedelta(days=7))  # GX-5.4.4: noticed ahead
    assert declare(cmd, IID, "d", Role.supervisor, NOW).starts_at == NOW + timedelta(days=7)


@pytest.mark.parametrize("changes", [
    {"area": "  "}, {"cause": ""}, {"starts_at": "2025-06-10T08:00:00"}, {"products": ["cable"]}, {"colour": "red"},
])
def test_declare_command_validation(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        declaring(**changes)


def test_restore_defaults_to_now() -> None:
    event = restore(declared(), RestoreOutage(note="熔接完成"), "desk-2", Role.dispatcher, NOW)
    assert (event.incident_id, event.restored_at, event.notice_at, event.note) == (IID, NOW, NOW, "熔接完成")
    assert (event.actor, event.role) == ("desk-2", Role.dispatcher)


def test_restore_keeps_field_times() -> None:
    cmd = RestoreOutage(restored_at=NOW - timedelta(minutes=50), notice_at=NOW - timedelta(minutes=10))
    event = restore(declared(), cmd, "desk-2", Role.dispatcher, NOW)
    assert (event.restored_at, event.notice_at) == (NOW - timedelta(minutes=50), NOW - timedelta(minutes=10))


def test_restore_at_the_start_is_allowed() -> None:
    cmd = RestoreOutage(restored_at=NOW - timedelta(hours=2))
    assert restore(declared(), cmd, "d", Role.dispatcher, NOW).restored_at == NOW - timedelta(hours=2)


def test_restore_twice_is_refused_with_the_current_state() -> None:
    state = declared(restored_at=NOW - timedelta(minutes=5))
    assert state.status == "restored"
    err = refused(lambda: restore(state, RestoreOutage(), "d", Role.dispatcher, NOW))
    assert err.state == "restored" and "already restored" in err.reason


@pytest.mark.parametrize("cmd", [RestoreOutage(restored_at=NOW + timedelta(seconds=1)),
                                 RestoreOutage(notice_at=NOW + timedelta(seconds=1))])
def test_restore_refuses_future_times(cmd: RestoreOutage) -> None:
    err = refused(lambda: restore(declared(), cmd, "d", Role.dispatcher, NOW))
    assert err.state == "declared" and "future" in err.reason


def test_restore_refuses_a_time_before_the_start() -> None:
    cmd = RestoreOutage(restored_at=NOW - timedelta(hours=2, seconds=1))
    assert "before the outage started" in refused(lambda: restore(declared(), cmd, "d", Role.dispatcher, NOW)).reason

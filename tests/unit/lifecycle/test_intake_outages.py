"""RULEBOOK §7: which active outages a caller is told about, soonest estimated restore first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.intake.domain.outages import ActiveIncident, affecting, affects
from shared.events.vocabulary import Product

T0 = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
ADDRESS = "武汉市江汉区解放大道1号"


def incident(area: str = "江汉区", products: tuple[Product, ...] = (), restore: datetime | None = None
             ) -> ActiveIncident:
    return ActiveIncident(uuid.uuid4(), area, "光缆中断", False, products, restore)


def test_address_inside_the_area_is_affected() -> None:
    assert affects(incident(), ADDRESS, None, None)


def test_address_comparison_is_loose() -> None:
    assert affects(incident("江汉 区"), "武汉市，江汉区 解放大道1号", None, None)
    assert affects(incident("Grid A-7"), "building 3, grid a7", None, None)


def test_named_area_matches_even_if_the_address_does_not() -> None:
    assert affects(incident("网格-07"), "解放大道1号", "网格07", None)
    assert not affects(incident("网格-07"), "解放大道1号", "网格08", None)


def test_other_area_is_not_affected() -> None:
    assert not affects(incident("硚口区"), ADDRESS, None, None)


def test_blank_incident_area_affects_nobody() -> None:
    assert not affects(incident(" - "), ADDRESS, " - ", None)


def test_products_must_match_when_both_are_known() -> None:
    catv = incident(products=(Product.catv, Product.digital_tv))
    assert affects(catv, ADDRESS, None, Product.catv)
    assert not affects(catv, ADDRESS, None, Product.ftth_broadband)
    assert affects(catv, ADDRESS, None, None)  # caller's product unknown: tell them
    assert affects(incident(), ADDRESS, None, Product.ftth_broadband)  # every product hit


def test_affecting_orders_by_estimated_restore_unknown_last() -> None:
    late, unknown, soon = incident(restore=T0 + timedelta(hours=5)), incident(), incident(restore=T0)
    elsewhere = incident("硚口区", restore=T0 - timedelta(hours=1))
    assert affecting([late, unknown, elsewhere, soon], ADDRESS, None, None) == [soon, late, unknown]


def test_affecting_nothing() -> None:
    assert affecting([], ADDRESS, None, None) == []

"""Penalty clauses as policy: shipped packs, operator overrides, GX without amounts, explain (issue 10)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from services.cli import app as cli
from services.penalty.domain import assess as pa
from services.penalty.domain.facts import TicketFacts
from shared.policy import SHIPPED_PACKS, load_pack, load_policy
from shared.policy.penalties import FixedAmount, PerUnitAmount
from tests.unit.penalty.test_amounts import breach
from tests.unit.sla.helpers import fails, write


@pytest.mark.parametrize("pack", SHIPPED_PACKS)
def test_every_pack_loads_its_clauses_with_unique_ids(pack: str) -> None:
    clauses = load_pack(pack).penalties.clauses
    assert len({c.clause for c in clauses}) == len(clauses)


def test_operator_overrides_an_amount_and_a_payer_and_disables_a_clause(tmp_path) -> None:
    path = write(tmp_path, """
pack: my-operator
include: [tietong-jianghan]
penalties:
  overrides:
    TT-9.12: {amount: {fen: 1000}}
    TT-8.13: {payer: responsible-department}
    TT-9.2: {amount: {type: per_unit, unit: hour, fen: 500}}
  disable: [TT-8.12]
""")
    policy = load_policy(path).penalties
    assert policy.clause("TT-9.12").amount == PerUnitAmount(type="per_unit", unit="hour", fen=1000)
    assert policy.clause("TT-8.13").payer == "responsible-department"
    assert policy.clause("TT-9.2").amount == PerUnitAmount(type="per_unit", unit="hour", fen=500)
    with pytest.raises(KeyError):
        policy.clause("TT-8.12")


def test_gx_assesses_nothing_until_the_operator_adds_an_amount(tmp_path) -> None:
    facts = TicketFacts(kind="inquiry", department="county-office")
    gx = load_pack("gx-power-966022").penalties
    assert all(c.amount is None for c in gx.clauses)
    assert pa.assess_breach(gx, breach("GX-reply-3wd", 90), facts, (), {}, "Asia/Shanghai") == []
    path = write(tmp_path, """
pack: gx-operator
include: [gx-power-966022]
penalties:
  overrides:
    GX-5.1.4: {amount: {type: fixed, fen: 5000}}
""")
    policy = load_policy(path).penalties
    assert policy.clause("GX-5.1.4").amount == FixedAmount(type="fixed", fen=5000)
    [p] = pa.assess_breach(policy, breach("GX-reply-3wd", 90), facts, (), {}, "Asia/Shanghai")
    assert (p.clause, p.computation.fen, p.payer.id) == ("GX-5.1.4", 5000, "jianghan-maint")


@pytest.mark.parametrize(("text", "key"), [
    ("penalties:\n  overrides:\n    TT-99: {amount: {fen: 1}}\n", "penalties.overrides.TT-99"),
    ("penalties:\n  clauses:\n    - {clause: TT-X1, title: t, citation: c, trigger: {breach: [NO-rule]}}\n",
     "penalties.clauses[0].trigger.breach[0]"),
    ("penalties:\n  clauses:\n    - {clause: TT-X1, title: t, citation: c, trigger: {manual: true, event: Resolved}}\n",
     "penalties.clauses[0].trigger"),
    ("penalties:\n  clauses:\n    - {clause: TT-9.2, title: t, citation: c, trigger: {manual: true}}\n",
     "penalties.clauses[0].clause"),
])
def test_bad_penalty_keys_are_named(tmp_path, text: str, key: str) -> None:
    path = write(tmp_path, "pack: my-operator\ninclude: [tietong-jianghan]\n" + text)
    error = fails(path)
    assert error.key.startswith(key), error


def test_explain_lists_the_clauses_with_amounts() -> None:
    result = CliRunner().invoke(cli, ["policy", "explain", "policies/default.yaml"])
    assert result.exit_code == 0, result.output
    assert "penalty clauses (appeal refund 120%)" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("TT-9.12 "))
    assert "800 fen per started hour" in line and "breach of TT-repair-22h" in line
    assert "first 100,000 fen, each further 200,000 fen" in result.output

"""The compensation screen's view of exemptions (CT-3.2) and disputes (CT-3.3.1): each claim's exemptions, how each
stands, and the reason codes a claim's scheme takes (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def by_claim(exemptions: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every claim id with the exemptions that cover it (the API names the claims of each), oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(exemptions, key=lambda e: (str(e.get("recorded_at") or ""), str(e.get("exemption_id")))):
        for claim_id in e.get("claims") or ():
            out.setdefault(str(claim_id), []).append(dict(e))
    return out


def state(exemption: Mapping[str, Any]) -> str:
    """`standing` (not disputed), `upheld` (disputed, a call recording supports it) or `void` (disputed without one:
    the customer's account prevails, CT-3.3.1)."""
    if not exemption.get("stands"):
        return "void"
    return "upheld" if exemption.get("disputed") else "standing"


def codes_for(codes: Sequence[Mapping[str, Any]], scheme: str | None) -> dict[str, Any]:
    """The reason codes, force-majeure causes and never-exempt codes of the claim's scheme (first scheme if unknown)."""
    chosen = next((c for c in codes if c.get("scheme") == scheme), codes[0] if codes else None)
    if chosen is None:
        return {"scheme": scheme, "reasons": {}, "force_majeure": [], "not_exempt": {}, "dispute_clause": None}
    return dict(chosen)

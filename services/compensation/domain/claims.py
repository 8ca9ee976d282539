"""A claim: one ticket's one promise under one scheme, with its evidence; exemptions and disputes (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from shared.policy.compensation import Exemptions

# Claim status: `open` (promise running, may be accruing past its deadline), `met` (done in time, nothing to pay),
# `due` (late, payable: approved automatically, CT proactive), `exempt` (late, exempt: §9.12), `ineligible`.
OPEN, MET, DUE, EXEMPT = "open", "met", "due", "exempt"


@dataclass(frozen=True)
class Claim:
    """What a ticket's promise is worth and why: every figure and the arithmetic in words."""

    scheme: str
    promise: str  # install | repair | provision | appointment:<local window start>
    clause: str
    currency: str
    unit: str  # fen | pence
    status: str
    eligibility: dict[str, Any]
    start: datetime | None
    deadline: datetime | None
    completion: datetime | None = None
    completion_basis: str | None = None
    days_late: int = 0
    amount: int = 0
    arithmetic: str = ""
    exemption: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        """The claim's evidence as JSON."""
        iso = (lambda t: t.isoformat() if t else None)
        return {"scheme": self.scheme, "clause": self.clause, "eligibility": self.eligibility,
                "start": iso(self.start), "deadline": iso(self.deadline), "completion": iso(self.completion),
                "completion_basis": self.completion_basis, "days_late": self.days_late, "amount": self.amount,
                "currency": self.currency, "unit": self.unit, "arithmetic": self.arithmetic,
                "exemption": self.exemption, "notes": list(self.notes)}


@dataclass(frozen=True)
class Exemption:
    """CT-3.2: a reason code with its evidence note, for one promise or (promise None) the whole ticket."""

    exemption_id: str
    code: str
    note: str
    promise: str | None = None
    cause: str | None = None  # force majeure: typhoon, earthquake, …
    recording_ref: str | None = None
    disputed: bool = False
    dispute_note: str | None = None
    automatic: bool = False  # e.g. rural, derived from the district's opt-in
    extra: dict[str, Any] = field(default_factory=dict)


def exemption_problem(rules: Exemptions, code: str, cause: str | None) -> tuple[str, str] | None:
    """(rule, why) when this exemption may not be recorded: not exempt (CT-4.8), unknown code, bad cause."""
    if code in rules.not_exempt:
        return "CT-4.8", f"{code!r} is not an exemption: {rules.not_exempt[code]}"
    if code not in rules.reasons:
        return "CT-3.2", f"unknown reason code {code!r}; one of {', '.join(rules.reasons)}"
    if code == "force-majeure" and rules.force_majeure and cause not in rules.force_majeure:
        return "CT-3.2", f"force majeure needs a cause, one of {', '.join(rules.force_majeure)}"
    return None


def standing(exemption: Exemption, recordings: tuple[str, ...]) -> tuple[bool, str]:
    """Does it stand? A disputed exemption without a call recording as evidence is void (CT-3.3.1)."""
    if not exemption.disputed:
        return True, "not disputed"
    evidence = exemption.recording_ref or (recordings[0] if recordings else None)
    if evidence is None:
        return False, "disputed by the customer and no call recording supports it: the customer's account prevails"
    return True, f"disputed; call recording {evidence} supports it"


def apply_exemptions(claim: Claim, exemptions: list[Exemption], rules: Exemptions,
                     recordings: tuple[str, ...]) -> Claim:
    """A late claim becomes `exempt` when a standing exemption with an exempting code covers its promise; codes that
    never exempt (safety, CT-4.8) and void ones (CT-3.3.1) are noted in the evidence and change nothing."""
    if claim.status not in (DUE, OPEN):
        return claim
    notes = list(claim.notes)
    for e in exemptions:
        if e.promise not in (None, claim.promise):
            continue
        if e.code in rules.not_exempt or e.code not in rules.reasons:
            notes.append(f"{e.code}: not an exemption ({rules.not_exempt.get(e.code, 'unknown code')})")
            continue
        stands, why = standing(e, recordings)
        if not stands:
            notes.append(f"exemption {e.code} void ({rules.dispute_clause}): {why}")
            continue
        if claim.status == OPEN:  # recorded before the claim is payable: it will be exempt when late
            notes.append(f"exemption {e.code} recorded: the promise will not be paid if late")
            return replace(claim, notes=tuple(notes), exemption=_shown(e, why))
        return replace(claim, status=EXEMPT, exemption=_shown(e, why), notes=tuple(notes),
                       arithmetic=claim.arithmetic + f"; exempt ({e.code}: {e.note}), nothing paid")
    return replace(claim, notes=tuple(notes))


def _shown(e: Exemption, why: str) -> dict[str, Any]:
    return {"id": e.exemption_id, "code": e.code, "cause": e.cause, "note": e.note, "automatic": e.automatic,
            "disputed": e.disputed, "standing": why}


def money(amount: int, unit: str) -> str:
    """'2,000 fen (20.00 yuan)' / '1,034 pence (£10.34)'."""
    if unit == "pence":
        return f"{amount:,} pence (£{amount // 100}.{amount % 100:02d})"
    return f"{amount:,} fen ({amount // 100}.{amount % 100:02d} yuan)"

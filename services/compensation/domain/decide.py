"""Every claim of a ticket under every scheme of the policy, exemptions applied (pure): what the service stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.compensation.domain import ct, ofcom
from services.compensation.domain.claims import Claim, Exemption, apply_exemptions
from services.compensation.domain.facts import TicketFacts
from shared.policy.compensation import CompensationPolicy, CtScheme, OfcomScheme


@dataclass(frozen=True)
class Inputs:
    """Facts kept by compensation itself, beside the ticket's events."""

    exemptions: tuple[Exemption, ...] = ()
    completion_confirmed: bool = False  # a supervisor confirmed the completion's field time (§9.13)
    district_opted_in: bool = False  # the directory's CT-2.5 opt-in of the ticket's district


def decide(policy: CompensationPolicy, cutoffs: dict[str, ct.Cutoff], facts: TicketFacts, inputs: Inputs,
           now: datetime, flag_backdated_after: timedelta) -> list[Claim]:
    """The claims of one ticket as of `now`."""
    out: list[Claim] = []
    for scheme_id, scheme in policy.schemes.items():
        exemptions = list(inputs.exemptions)
        if isinstance(scheme, CtScheme):
            flag_after = scheme.backdated_after or flag_backdated_after
            completion = (facts.completion.counted(flag_after, inputs.completion_confirmed)
                          if facts.completion else None)
            elig = ct.eligibility(scheme, facts, inputs.district_opted_in)
            if elig.rural_exempt:
                exemptions.insert(0, ct.rural_exemption(facts))
            found = ct.claims(scheme_id, scheme, cutoffs, facts, now, completion, elig)
        else:
            assert isinstance(scheme, OfcomScheme)
            completion = facts.completion.counted(flag_backdated_after, inputs.completion_confirmed) \
                if facts.completion else None
            found = ofcom.claims(scheme_id, scheme, facts, now, completion)
        out += [apply_exemptions(c, exemptions, scheme.exemptions, facts.recordings) for c in found]
    return out

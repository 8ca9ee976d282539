"""GX-5.3.1: a repeat fault report for an open fault ticket is linked to it, not made a new ticket."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.vocabulary import Product

DEFAULT_WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class FaultReport:
    """The new report as taken at intake."""

    reported_at: datetime
    account: str | None = None
    address: str | None = None
    product: Product | None = None


@dataclass(frozen=True)
class OpenFaultTicket:
    """An open fault ticket the report may repeat; `address` may be raw or normalized."""

    ticket_id: uuid.UUID
    opened_at: datetime
    account: str | None = None
    address: str | None = None
    product: Product | None = None


@dataclass(frozen=True)
class OpenFault:
    """An open fault ticket as the intake that may link to it sees it: its keys (see `normalize_*`), its number
    and state for the caller's answer."""

    ticket: OpenFaultTicket
    account_key: str
    address_key: str
    number: str
    state: str

    def shares_key(self, account_key: str, address_key: str) -> bool:
        """Whether a report with these keys may repeat it (`find_duplicate` decides; this only narrows the
        candidates cheaply, as the index does in SQL)."""
        return self.account_key == account_key or self.address_key == address_key


def normalize_address(address: str) -> str:
    """Compare addresses loosely: full-width folded, case folded, whitespace and punctuation dropped."""
    text = unicodedata.normalize("NFKC", address).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC")


def normalize_account(account: str) -> str:
    """Accounts compare without case, blanks or dashes."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", account).upper() if ch.isalnum())


def _key(value: str | None, normalize: Callable[[str], str]) -> str:
    return normalize(value) if value else ""


def matched_on(report: FaultReport, ticket: OpenFaultTicket) -> str | None:
    """'account' or 'address' when the ticket is the same fault as the report, else None."""
    if report.product and ticket.product and report.product is not ticket.product:
        return None  # a different service is a different fault ("same symptom")
    account = _key(report.account, normalize_account)
    if account and account == _key(ticket.account, normalize_account):
        return "account"
    address = _key(report.address, normalize_address)
    if address and address == _key(ticket.address, normalize_address):
        return "address"
    return None


def find_duplicate(
    report: FaultReport,
    open_tickets: Iterable[OpenFaultTicket],
    *,
    window: timedelta = DEFAULT_WINDOW,
    override: bool = False,
) -> OpenFaultTicket | None:
    """The open fault ticket to link the report to, or None for a new ticket.

    A ticket opened at most `window` before the report qualifies (inclusive, RULEBOOK §9.1); account
    matches win over address matches, then the earliest ticket. `override` always asks for a new ticket.
    """
    if override:
        return None
    candidates: list[tuple[int, datetime, str, OpenFaultTicket]] = []
    for ticket in open_tickets:
        on = matched_on(report, ticket)
        if on is None or report.reported_at - ticket.opened_at > window:
            continue
        candidates.append((0 if on == "account" else 1, ticket.opened_at, str(ticket.ticket_id), ticket))
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None

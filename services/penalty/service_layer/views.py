"""What the ledger APIs show: entries with their explanation, totals, the month's published list (CSV, XLSX)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from services.penalty.service_layer.config import PenaltyConfig
from shared.policy.penalties import describe_amount

PUBLISHED = ("confirmed", "modified", "appealed", "upheld", "refunded")  # TT-13: what the month's list shows
PAYABLE = ("confirmed", "modified", "appealed", "upheld")  # a refunded entry is paid back by its refund entry
COLUMNS = ("entry_id", "month", "clause", "title", "kind", "payer_kind", "payer_id", "person", "amount_fen",
           "original_fen", "status", "ticket_id", "computation")


def entry_view(e: dict[str, Any] | None, cfg: PenaltyConfig, explain: bool = False) -> dict[str, Any]:
    assert e is not None
    view = {
        "entry_id": str(e["id"]), "kind": e["kind"], "clause": e["clause"], "group": e["grp"], "cause": e["cause"],
        "ticket_id": str(e["ticket_id"]) if e["ticket_id"] else None,
        "payer": {"kind": e["payer_kind"], "id": e["payer_id"]}, "person": e["person"],
        "amount_fen": int(e["amount_fen"]),
        "original_fen": int(e["original_fen"]) if e["original_fen"] is not None else None,
        "computation": e["computation"], "month": e["month"], "status": e["status"],
        "cause_at": e["cause_at"].isoformat(), "event_ids": [ev["event_id"] for ev in e["evidence"]],
        "reverses": str(e["reverses"]) if e["reverses"] else None, "source": e["source"],
        "note": e["note"], "attachment": e["attachment"], "recorded_at": e["created_at"].isoformat(),
    }
    if explain:
        view["explanation"] = explanation(e, cfg)
        view["history"] = e["history"]
    return view


def explanation(e: dict[str, Any], cfg: PenaltyConfig) -> dict[str, Any]:
    """The clause text and citation from the policy, the events with their times, the arithmetic."""
    try:
        clause = cfg.penalties.clause(e["clause"])
        rule = {"title": clause.title, "citation": clause.citation, "trigger": clause.trigger.describe(),
                "amount": describe_amount(clause.amount), "payer": clause.payer}
    except KeyError:
        rule = {"title": None, "citation": None, "note": "the clause is no longer in this deployment's policy"}
    return {"clause": rule, "events": e["evidence"], "arithmetic": e["computation"], "numbers": e["numbers"]}


def totals(entries: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """Per department (payer) or per person: standing (not cancelled) and payable sums, in fen."""
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: {"standing_fen": 0, "payable_fen": 0, "entries": 0})
    for e in entries:
        key = (e["payer_kind"], e["payer_id"]) if by == "department" else (e["person"],)
        row = sums[key]
        row["entries"] += 1
        if e["status"] != "cancelled":
            row["standing_fen"] += int(e["amount_fen"])
        if e["status"] in PAYABLE or (e["kind"] == "refund" and e["status"] == "confirmed"):
            row["payable_fen"] += int(e["amount_fen"])
    out = []
    for key, row in sorted(sums.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        ident = {"payer_kind": key[0], "payer_id": key[1]} if by == "department" else {"person": key[0]}
        out.append(ident | row)
    return out


def published_rows(entries: list[dict[str, Any]], cfg: PenaltyConfig) -> list[tuple[Any, ...]]:
    rows = []
    for e in entries:
        if e["status"] not in PUBLISHED and not (e["kind"] == "refund" and e["status"] == "confirmed"):
            continue
        try:
            title = cfg.penalties.clause(e["clause"]).title
        except KeyError:
            title = ""
        rows.append((str(e["id"]), e["month"], e["clause"], title, e["kind"], e["payer_kind"], e["payer_id"] or "",
                     e["person"] or "", int(e["amount_fen"]), "" if e["original_fen"] is None else int(e["original_fen"]),
                     e["status"], str(e["ticket_id"] or ""), e["computation"]))
    return rows


def to_csv(rows: list[tuple[Any, ...]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue()


def to_xlsx(rows: list[tuple[Any, ...]], month: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = f"penalties {month}"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

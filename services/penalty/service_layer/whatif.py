"""What-if (issue 10): a past month assessed under a draft policy, beside the ledger, without touching it.

The whole journal is replayed under the draft into a scratch database (tier counts need the year's earlier cases),
which is dropped afterwards. Compared are the assessed amounts, before the review board: a modified entry counts
with its proposed amount, the review decisions and appeal refunds are people's acts the draft cannot change.
Manual entries are the same on both sides.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.penalty.adapters.tables import ledger
from services.penalty.service_layer.config import PenaltyConfig
from services.penalty.service_layer.replay import new_store, replay_into
from shared.policy import load_policy

E = ledger.entries


def draft_config(path: str | Path, tz: str) -> PenaltyConfig:
    """A draft policy file, validated like a deployment's (PolicyError names the file and key)."""
    return PenaltyConfig(path=Path(path), policy=load_policy(path), tz=tz)


async def assessed(conn: AsyncConnection, month: str) -> dict[tuple[str, str | None, str], dict[str, int]]:
    """(payer kind, payer id, clause) -> assessed fen and entry count of the month (refunds left out)."""
    amount = func.coalesce(E.c.original_fen, E.c.amount_fen)
    rows = await conn.execute(select(E.c.payer_kind, E.c.payer_id, E.c.clause, func.sum(amount), func.count())
                              .where(E.c.month == month, E.c.kind != "refund")
                              .group_by(E.c.payer_kind, E.c.payer_id, E.c.clause))
    return {(r[0], r[1], r[2]): {"fen": int(r[3]), "entries": int(r[4])} for r in rows}


def difference(month: str, current: dict, draft: dict, policy_path: str) -> dict[str, Any]:
    rows = []
    depts: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: {"current_fen": 0, "draft_fen": 0})
    for key in sorted(set(current) | set(draft), key=lambda k: tuple(str(x) for x in k)):
        cur, new = current.get(key, {"fen": 0, "entries": 0}), draft.get(key, {"fen": 0, "entries": 0})
        rows.append({"payer_kind": key[0], "payer_id": key[1], "clause": key[2], "current_fen": cur["fen"],
                     "draft_fen": new["fen"], "difference_fen": new["fen"] - cur["fen"],
                     "current_entries": cur["entries"], "draft_entries": new["entries"]})
        d = depts[(key[0], key[1])]
        d["current_fen"] += cur["fen"]
        d["draft_fen"] += new["fen"]
    by_dept = [{"payer_kind": k[0], "payer_id": k[1], **v, "difference_fen": v["draft_fen"] - v["current_fen"]}
               for k, v in sorted(depts.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]
    cur_total, new_total = sum(v["fen"] for v in current.values()), sum(v["fen"] for v in draft.values())
    return {"month": month, "draft_policy": policy_path, "basis": "assessed (proposed) amounts, refunds excluded",
            "current_fen": cur_total, "draft_fen": new_total, "difference_fen": new_total - cur_total,
            "by_department": by_dept, "by_department_and_clause": rows}


async def what_if(live: AsyncEngine, server_url: str, draft: PenaltyConfig, month: str) -> dict[str, Any]:
    store = await new_store(server_url, "whatif")
    try:
        counts = await replay_into(live, store.engine, draft, apply_reviews=False)
        async with live.connect() as a, store.engine.connect() as b:
            current, proposed = await assessed(a, month), await assessed(b, month)
    finally:
        await store.drop()
    return difference(month, current, proposed, str(draft.path)) | {"replayed": counts}

import uuid, asyncio, json
from datetime import UTC, datetime
import pytest
from shared.events.sla import SlaBreached
from shared.http.auth import Role
from tests.integration.test_penalty_ledger import publish_sla, sla, timer, H
pytestmark = pytest.mark.integration

async def test_dbg(stack):
    tid = uuid.uuid4()
    deadline = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
    b = sla(SlaBreached(**timer(tid, deadline), actual=None, still_open_at=deadline + H,
                               overdue_minutes=62, overdue_hours=2, overdue_days=1), tid, deadline, 1)
    await publish_sla(stack, b)
    await asyncio.sleep(8)
    r = await stack.clients["penalty"].get("/dead-letters", headers=stack.auth(Role.OPS))
    print("DL", r.status_code, r.text[:3000])
    r = await stack.clients["penalty"].get(f"/tickets/{tid}/penalties", headers=stack.auth(Role.OPS))
    print("T", r.status_code, r.text[:2000])

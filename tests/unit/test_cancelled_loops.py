"""A background loop that retries errors still ends when it is cancelled, even when client code turns the
CancelledError that reaches it mid-call into an error of its own (a shutdown once waited forever on the broker
watchdog this way: its cancellation came back out of an admin call as a broker error and was retried)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from shared.messaging.worker import run_batches


def _swallowing_cancellation(error: Exception):
    async def batch() -> bool:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise error from None  # what some client code does with a cancellation mid-call
        return False
    return batch


@pytest.mark.parametrize("error", [KafkaConnectionError("connection closed"), RuntimeError("a handler bug")])
async def test_a_worker_loop_ends_when_cancelled_even_if_its_call_turns_the_cancellation_into_an_error(
        error: Exception) -> None:
    loop = asyncio.create_task(run_batches("test", _swallowing_cancellation(error), rest=0.01))
    await asyncio.sleep(0.05)
    loop.cancel()
    done, _ = await asyncio.wait([loop], timeout=2)
    assert done, "the loop went on after it was cancelled"
    assert loop.cancelled()

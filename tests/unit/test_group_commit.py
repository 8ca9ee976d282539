"""Group commit (issue 13, shared/http/group_commit.py): who shares a batch, and how a failed batch is answered."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import DBAPIError

from shared.http.group_commit import ALONE, GroupCommit

Item = tuple[str, str | None]  # (name, replay key)


class Recorder:
    def __init__(self, fail_with: BaseException | None = None, alone: set[str] = frozenset()) -> None:
        self.batches: list[list[str]] = []
        self.alone: list[str] = []
        self.fail_with, self.run_alone = fail_with, alone

    async def write_many(self, items: list[Item]) -> list:
        self.batches.append([name for name, _ in items])
        await asyncio.sleep(0.01)  # a transaction in flight: later callers queue meanwhile
        if self.fail_with is not None:
            raise self.fail_with
        return [ALONE if name in self.run_alone else f"many:{name}" for name, _ in items]

    async def write_one(self, item: Item) -> str:
        self.alone.append(item[0])
        if item[0].startswith("bad"):
            raise ValueError(item[0])
        return f"one:{item[0]}"


def group(recorder: Recorder, max_batch: int = 64, writers: int = 1) -> GroupCommit:
    return GroupCommit(recorder.write_many, recorder.write_one, replay_key=lambda item: item[1], max_batch=max_batch,
                       writers=writers)


async def test_callers_that_arrive_while_a_batch_is_written_share_the_next_one() -> None:
    recorder = Recorder()
    commit = group(recorder, max_batch=3)
    answers = await asyncio.gather(*(commit.submit((f"c{i}", None)) for i in range(8)))
    assert answers == [f"many:c{i}" for i in range(8)]
    assert recorder.batches == [["c0", "c1", "c2"], ["c3", "c4", "c5"], ["c6", "c7"]]  # arrival order, at most 3
    assert (commit.batches, commit.largest) == (3, 3)


async def test_a_caller_with_nobody_to_share_with_is_written_alone() -> None:
    """A batch of one has nothing to share: the single-row statements cost less than the set-based ones."""
    recorder = Recorder()
    commit = group(recorder)
    assert await commit.submit(("only", None)) == "one:only"
    assert recorder.batches == [] and recorder.alone == ["only"] and commit.batches == 1


async def test_with_two_writers_two_batches_are_in_flight_at_once() -> None:
    recorder = Recorder()
    in_flight, most = 0, 0
    write_many = recorder.write_many

    async def counting(items: list[Item]) -> list:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await write_many(items)
        finally:
            in_flight -= 1
    recorder.write_many = counting  # type: ignore[method-assign]
    commit = group(recorder, max_batch=2, writers=2)
    answers = await asyncio.gather(*(commit.submit((f"c{i}", None)) for i in range(6)))
    assert answers == [f"many:c{i}" for i in range(6)] and most == 2
    assert sorted(name for batch in recorder.batches for name in batch) == [f"c{i}" for i in range(6)]


async def test_one_replay_key_never_appears_twice_in_a_batch() -> None:
    recorder = Recorder()
    commit = group(recorder)
    await asyncio.gather(commit.submit(("a", "k1")), commit.submit(("b", "k1")), commit.submit(("c", "k2")),
                         commit.submit(("d", None)))
    assert recorder.batches == [["a", "c", "d"]] and recorder.alone == ["b"]  # the next batch: b alone


async def test_a_failed_batch_runs_each_caller_alone_and_only_the_bad_one_fails() -> None:
    recorder = Recorder(fail_with=RuntimeError("deadlock"))
    commit = group(recorder)
    good, bad = await asyncio.gather(commit.submit(("good", None)), commit.submit(("bad", None)),
                                     return_exceptions=True)
    assert good == "one:good" and isinstance(bad, ValueError)
    assert recorder.alone == ["good", "bad"]


async def test_items_the_batch_leaves_out_are_written_alone_after_it() -> None:
    recorder = Recorder(alone={"refused"})
    commit = group(recorder)
    answers = await asyncio.gather(commit.submit(("x", None)), commit.submit(("refused", None)))
    assert answers == ["many:x", "one:refused"] and recorder.alone == ["refused"]


async def test_after_a_lost_connection_only_callers_with_a_key_run_again() -> None:
    """The batch's commit may have gone through: a call without a key could be logged twice, so it gets the error."""
    lost = DBAPIError("COMMIT", {}, ConnectionResetError("gone"), connection_invalidated=True)
    recorder = Recorder(fail_with=lost)
    commit = group(recorder)
    keyed, bare = await asyncio.gather(commit.submit(("keyed", "k")), commit.submit(("bare", None)),
                                       return_exceptions=True)
    assert keyed == "one:keyed" and bare is lost and recorder.alone == ["keyed"]


async def test_a_caller_that_goes_away_does_not_cancel_the_batch_of_the_others() -> None:
    recorder = Recorder()
    commit = group(recorder)
    leaving = asyncio.create_task(commit.submit(("leaving", None)))
    staying = asyncio.create_task(commit.submit(("staying", None)))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await staying == "many:staying"
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert recorder.batches == [["leaving", "staying"]]

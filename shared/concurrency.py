"""Optimistic concurrency for use cases (plain Python): a conflict means "load again and re-decide"."""

import asyncio
import random
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class ConcurrencyConflict(Exception):
    """Another writer changed the aggregate since it was loaded."""


_turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]],
    *,
    aggregate_id: str | None = None,
    attempts: int = 100,
    base_delay: float = 0.002,
) -> T:
    """Run a load-decide-save use case until it saves without a conflict.

    With `aggregate_id`, attempts on the same aggregate inside this process take turns, so only
    writers in other processes (replicas) can conflict: on FerretDB every losing attempt still
    costs a load and an insert under SQLite's single write lock.
    """
    for number in range(1, attempts + 1):
        try:
            if aggregate_id is None:
                return await attempt()
            turn = _turns.get(aggregate_id)
            if turn is None:
                turn = _turns[aggregate_id] = asyncio.Lock()
            async with turn:
                return await attempt()
        except ConcurrencyConflict:
            if number == attempts:
                raise
            # Jittered backoff spreads the losers out so the next round has fewer contenders.
            await asyncio.sleep(random.uniform(0, base_delay * min(2**number, 64)))
    raise AssertionError("unreachable")

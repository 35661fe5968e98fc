"""Optimistic concurrency for use cases (plain Python): a conflict means "load again and re-decide"."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class ConcurrencyConflict(Exception):
    """Another writer changed the aggregate since it was loaded."""


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]], *, attempts: int = 100, base_delay: float = 0.002
) -> T:
    """Run a load-decide-save use case until it saves without a conflict."""
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            if number == attempts:
                raise
            # Jittered backoff spreads the losers out so the next round has fewer contenders.
            await asyncio.sleep(random.uniform(0, base_delay * min(2**number, 64)))
    raise AssertionError("unreachable")

"""The SIGUSR1 task dump names where each task is suspended, link by link down to the future it waits for."""

import asyncio
import logging
import os
import signal

import pytest

from shared.taskdump import await_chain, dump_tasks_on_signal


async def waits_for_the_broker(ready: asyncio.Event) -> None:
    await ready.wait()


async def publishes(ready: asyncio.Event) -> None:
    await waits_for_the_broker(ready)


async def test_a_stuck_task_is_shown_down_to_the_future_it_waits_for(caplog: pytest.LogCaptureFixture) -> None:
    ready = asyncio.Event()
    stuck = asyncio.create_task(publishes(ready), name="outbox-relay")
    await asyncio.sleep(0)
    chain = await_chain(stuck)
    assert [link.rsplit(" ", 1)[-1] for link in chain[:2]] == ["publishes", "waits_for_the_broker"]
    assert "Future" in chain[-1]

    dump_tasks_on_signal(asyncio.get_running_loop())
    try:
        with caplog.at_level(logging.WARNING, logger="shared.taskdump"):
            os.kill(os.getpid(), signal.SIGUSR1)
            await asyncio.sleep(0.05)
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)
        ready.set()
        await stuck
    dumped = [record.getMessage() for record in caplog.records if "outbox-relay" in record.getMessage()]
    assert len(dumped) == 1 and "waits_for_the_broker" in dumped[0]

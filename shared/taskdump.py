"""What every asyncio task of a process is waiting on, logged on SIGUSR1: how a stuck task is found in a live
service (py-spy sees the one thread, not the coroutines suspended on it).

`kill -USR1 <pid>` logs one WARNING line per task: its name and its await chain, outermost first, each link a
`file:line function`, ending in the future it waits for.
"""

import asyncio
import logging
import signal
from typing import Any

logger = logging.getLogger(__name__)


def await_chain(task: "asyncio.Task[Any]") -> list[str]:
    """The task's coroutine and, link by link, what each awaits: where it is suspended right now."""
    links: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and len(links) < 50:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            links.append(repr(awaited)[:200])  # a future (or a finished coroutine): the end of the chain
            break
        links.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return links


def dump_tasks() -> int:
    """Log every task's await chain; how many tasks there were."""
    tasks = asyncio.all_tasks()
    for task in sorted(tasks, key=lambda task: task.get_name()):
        logger.warning("task dump: %s: %s", task.get_name(), " <- ".join(await_chain(task)))
    return len(tasks)


def dump_tasks_on_signal(loop: asyncio.AbstractEventLoop) -> None:
    """Install the SIGUSR1 handler on this loop (where signals can be had: the main thread, not Windows)."""
    try:
        loop.add_signal_handler(signal.SIGUSR1, dump_tasks)
    except (NotImplementedError, RuntimeError, ValueError):
        logger.debug("no SIGUSR1 task dump here")

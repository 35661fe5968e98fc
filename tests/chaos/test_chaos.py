"""Proof under faults (issue 11): the real flows under load while every part of the platform fails once.

A load generator (tests/chaos/load.py) offers RATE commands a second for SECONDS against the five
services running as processes: course applications and withdrawals, homework hand-ins and reviews,
circle comments and helpful marks, mentoring meetings logged in pairs. Meanwhile each service is
SIGKILLed and restarted, the Kafka broker is stopped and started again, and the store (FerretDB) is
frozen for a few seconds. Failed commands are repeated, the same command, until accepted or refused.
Afterwards the reconciler (tests/chaos/reconcile.py) waits for the platform to settle and requires
that nothing accepted was lost and nothing happened twice.

`OWLERY_CHAOS_SECONDS` and `OWLERY_CHAOS_RATE` shorten a local run; the fault times scale with it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time

import httpx

from tests.chaos.load import RATE, SECONDS, Load
from tests.chaos.reconcile import reconcile, settle
from tests.chaos.servers import ServerControl
from tests.support.platform import Platform

KAFKA_DOWN_SECONDS = 5.0
DATABASE_PAUSE_SECONDS = 3.0

KILLS = ("enrolment", "mentoring", "gamification", "notifications", "directory")
"""SIGKILLed one after another from KILLS_FROM on: each restarts before the next one dies."""
KILLS_FROM = 0.06
DATABASE_PAUSE_AT = 0.35
KAFKA_STOP_AT = 0.6
"""Shares of the run; Kafka stops once every killed service is back (they start on it)."""


class Faults:
    def __init__(self, platform: Platform, control: ServerControl) -> None:
        self.platform = platform
        self.control = control
        self.log: list[str] = []
        self.started = 0.0

    def note(self, text: str) -> None:
        line = f"t={time.monotonic() - self.started:5.1f}s {text}"
        self.log.append(line)
        print(line, flush=True)

    async def kill(self, service: str) -> None:
        process = self.platform.processes[service].process
        assert process is not None
        process.kill()
        self.note(f"SIGKILL {service} (pid {process.pid})")
        restarted = self.platform.restart(service)
        await asyncio.to_thread(restarted.wait_ready)
        self.note(f"{service} ready again")

    async def kafka(self) -> None:
        took = await asyncio.to_thread(self.control.stop_kafka)
        self.note(f"Kafka stopped (SIGTERM, gone after {took:.1f}s)")
        await asyncio.sleep(KAFKA_DOWN_SECONDS)
        took = await asyncio.to_thread(self.control.start_kafka)
        self.note(f"Kafka started again, answering after {took:.1f}s")

    async def database(self) -> None:
        self.note(f"SIGSTOP FerretDB (pid {self.control.ferretdb_pid()}) for {DATABASE_PAUSE_SECONDS:.0f}s")
        await asyncio.to_thread(self.control.pause_database, DATABASE_PAUSE_SECONDS)
        self.note("SIGCONT FerretDB")

    async def at(self, share: float, seconds: float) -> None:
        wait = self.started + share * seconds - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def kills(self, seconds: float) -> None:
        await self.at(KILLS_FROM, seconds)
        for service in KILLS:
            await self.kill(service)

    async def pause(self, seconds: float) -> None:
        await self.at(DATABASE_PAUSE_AT, seconds)
        await self.database()

    async def run(self, seconds: float, done: asyncio.Event) -> None:
        self.started = time.monotonic()
        try:
            pause = asyncio.ensure_future(self.pause(seconds))
            await asyncio.gather(self.kills(seconds), self.at(KAFKA_STOP_AT, seconds))
            await self.kafka()
            await pause
        finally:
            done.set()


async def task_dumps(platform: Platform) -> str:
    """Each service process's asyncio tasks (shared/taskdump.py, on SIGUSR1), as its log shows them."""
    sizes = {service: handle.log_path.stat().st_size for service, handle in platform.processes.items()}
    for handle in platform.processes.values():
        if handle.process is not None and handle.process.poll() is None:
            handle.process.send_signal(signal.SIGUSR1)
    await asyncio.sleep(2)
    lines = []
    for service, handle in platform.processes.items():
        with handle.log_path.open() as log:
            log.seek(sizes[service])
            lines += [f"{service}: {line.strip()[:3000]}" for line in log if "task dump" in line]
    return "\n".join(lines)


async def test_nothing_accepted_is_lost_or_doubled_under_faults(platform: Platform) -> None:
    control = ServerControl(platform.servers)  # fails now, not halfway, if the servers cannot be controlled
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=128)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        load = Load(platform, client)
        began = time.monotonic()
        await load.set_up()
        took = time.monotonic() - began
        print(f"\nset-up: {len(load.courses)} courses, a circle, {len(load.pairs)} pairs in {took:.1f}s")

        faults = Faults(platform, control)
        loaded = time.monotonic()
        recovered = asyncio.Event()
        await asyncio.gather(load.run_for(SECONDS, RATE, until=recovered), faults.run(SECONDS, recovered))
        summary = load.summary()
        took = time.monotonic() - loaded
        print(f"load (asked: {RATE:.0f}/s for {SECONDS:.0f}s; every command answered after {took:.1f}s):")
        print(json.dumps(summary, indent=1, ensure_ascii=False))

    settled = await settle(platform)
    print(f"settle: {settled}")
    if settled["settled_in_s"] is None:
        print(await task_dumps(platform))  # where each service's relay and consumer are stuck
    findings = await reconcile(platform, load)
    print(findings.report())
    print(f"total time {time.monotonic() - began:.1f}s")

    assert not summary["gave_up"], f"commands never accepted nor refused: {summary['gave_up']}"
    assert settled["settled_in_s"] is not None, f"the platform did not settle: {settled}"
    assert findings.lost_total == 0, findings.report()
    assert findings.doubled_total == 0, findings.report()
    assert len(faults.log) == 2 * len(KILLS) + 4, faults.log

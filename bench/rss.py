"""Idle memory of each service and the portal: started as processes, as the platform starts them, then left alone.

    .venv/bin/python -m bench.rss [--quick] [--idle SECONDS] [--json PATH]

Each service (directory, enrolment, mentoring, gamification, notifications) is started with
deploy/local/services.py's ServiceProcess, as `make run` does (`python -m <service>`, dev mode, the
directory as development issuer), but with a database, topic prefix and consumer group of this run's own
(removed afterwards). Once they are ready the portal is started over them, as `make run` does it (no
database or broker: the services' addresses and the issuer; ready once it has read the issuer's discovery).
Once every /health/ready answers 200 they are left idle for `--idle` seconds (5; the consumers have joined
their groups and the periodic jobs have run once by then), and VmRSS is read from /proc/<pid>/status (with
any child processes' added, though none has any). Target (issue 11): <= 120 MB each. Needs the local servers
(Kafka, FerretDB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from bench.figures import Figure, at_most, machine_facts
from bench.figures import write as write_figures
from bench.pipeline import LOG_DIR, READY_SECONDS, Environment, free_port, owlery_service, unique
from deploy.local.services import SERVICES, ServiceProcess, dev_issuer_url, portal_environment
from shared.auth.signing import TokenSigner, generate_private_key_pem

TARGET_MB = 120.0


def status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(kid) for kid in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for kid in kids:
            found += [kid, *children(kid)]
    return found


def rss(process: ServiceProcess) -> tuple[float | None, float | None, int]:
    """(VmRSS MB of the process, VmHWM MB, descendant processes counted); children's RSS added to the first."""
    assert process.process is not None
    pid = process.process.pid
    own = status_kib(pid, "VmRSS")
    peak = status_kib(pid, "VmHWM")
    kids = children(pid)
    total = None if own is None else own + sum(status_kib(kid, "VmRSS") or 0 for kid in kids)
    return (
        None if total is None else total / 1024,
        None if peak is None else peak / 1024,
        len(kids),
    )


async def measure(kafka: str, mongodb: str, idle: float) -> list[Figure]:
    env = Environment(kafka=kafka, mongodb=mongodb, run_id=unique("bench_rss"))
    name = env.run_id
    env.topic_prefixes.append(f"{name}.")
    directory_port = free_port()
    signer = TokenSigner(dev_issuer_url(directory_port), generate_private_key_pem())
    processes: dict[str, ServiceProcess] = {}
    out: list[Figure] = []
    try:
        for service in SERVICES:
            port = directory_port if service == "directory" else free_port()
            processes[service] = owlery_service(env, name, service, signer, port).start()
        started = time.monotonic()
        for process in processes.values():
            await asyncio.to_thread(process.wait_ready, READY_SECONDS)
        portal_port = free_port()
        portal = ServiceProcess(
            name="portal",
            port=portal_port,
            kafka_bootstrap=kafka,  # not read: the portal has no broker or database (its settings ignore these)
            mongodb_url=mongodb,
            log_path=LOG_DIR / f"{name}-portal.log",
            issuer=signer.issuer,
            extra_env=portal_environment(
                {service: process.port for service, process in processes.items()}, portal_port
            ),
        )
        env.services.append(portal)  # stopped by env.cleanup() with the services
        processes["portal"] = portal.start()
        await asyncio.to_thread(portal.wait_ready, READY_SECONDS)
        ready_in = time.monotonic() - started
        print(f"all five and the portal ready in {ready_in:.1f} s; idle {idle:g} s", file=sys.stderr)
        await asyncio.sleep(idle)
        for service, process in processes.items():
            megabytes, peak, kids = rss(process)
            print(f"{service}: VmRSS {megabytes or 0:.1f} MB (peak {peak or 0:.1f} MB, {kids} child processes)")
            out.append(
                Figure(
                    "rss",
                    f"idle RSS, {service}",
                    megabytes,
                    "MB",
                    f"<= {TARGET_MB:g} MB",
                    at_most(megabytes, TARGET_MB),
                    note=f"VmRSS after ready + {idle:g} s idle; peak (VmHWM) {peak or 0:.0f} MB"
                    + (f"; {kids} child processes added" if kids else ""),
                )
            )
    finally:
        await env.cleanup()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rss", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the same (it is quick already)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle after all are ready (5)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here (for python -m bench)")
    args = parser.parse_args()
    print(f"machine: {machine_facts()}")
    kafka = os.environ.get("OWLERY_BENCH_KAFKA", "127.0.0.1:9092")
    mongodb = os.environ.get("OWLERY_BENCH_MONGODB", "mongodb://127.0.0.1:27017/")
    write_figures(args.json, asyncio.run(measure(kafka, mongodb, args.idle)))


if __name__ == "__main__":
    main()

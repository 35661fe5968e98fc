"""Database commands per application: what one POST /courses/{id}/applications costs the store, counted.

    .venv/bin/python -m bench.commands [--applications 30]

Enrolment runs in this process on the bench servers (OWLERY_BENCH_KAFKA / OWLERY_BENCH_MONGODB, else the
`make run` profile's ports) with a database and topics of its own. A course with a cohort is opened, then
employees apply for themselves one after another; a pymongo CommandListener counts every command the
service sends, by command and collection, while the last application is handled and its event published.
On FerretDB every command costs about 3 ms of CPU (bench.latency), so this count is the floor under
enrolment's latency and throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
from pymongo import monitoring

from bench.figures import Figure
from bench.figures import write as write_figures
from bench.pipeline import Environment, unique


class Counting(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counting = False
        self.seen: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.counting:
            target = event.command.get(event.command_name)
            self.seen[(event.command_name, target if isinstance(target, str) else "")] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


LISTENER = Counting()
monitoring.register(LISTENER)  # before any client exists: clients take the listeners registered then


async def count(kafka: str, mongodb: str, applications: int) -> Counter[tuple[str, str]]:
    from enrolment.bootstrap import bootstrap
    from enrolment.config import EnrolmentSettings
    from enrolment.entrypoints.http import create_app
    from shared.auth.testing import TestIssuer

    name = unique("bench_commands")
    env = Environment(kafka=kafka, mongodb=mongodb, run_id=name)
    env.databases.append(f"{name}_enrolment")
    env.topic_prefixes.append(f"{name}.")
    settings = EnrolmentSettings(
        mongodb_url=mongodb,
        kafka_bootstrap_servers=kafka,
        mongodb_database=f"{name}_enrolment",
        topic_prefix=f"{name}.",
        consumer_group=f"{name}-enrolment",
        mode="dev",
    )
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as client,
        ):
            trainer, curator = issuer.headers("bench-trainer", "trainer"), issuer.headers("bench-curator", "curator")
            body = {"title_ru": "Счётчик", "sessions": 3, "weekly_effort_hours": 2, "rules": {"capacity": 30}}
            course = (await client.post("/courses", json=body, headers=trainer)).json()
            await client.post(f"/courses/{course['id']}/reviews", json={"verdict": "approved"}, headers=curator)
            start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
            slot = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
            await client.post(f"/courses/{course['id']}/cohorts", json=slot, headers=curator)
            for number in range(applications):
                last = number == applications - 1
                if last:
                    await asyncio.sleep(1.0)  # the relay has published everything before: count this one alone
                    LISTENER.counting = True
                person = f"employee-{number}"
                answer = await client.post(
                    f"/courses/{course['id']}/applications",
                    json={"person_id": person, "locale": "en"},
                    headers=issuer.headers(person),
                )
                if answer.status_code != 201:
                    raise SystemExit(f"application refused: {answer.status_code} {answer.text}")
            await asyncio.sleep(1.0)  # its event published and marked
            LISTENER.counting = False
    finally:
        await env.cleanup()
    return LISTENER.seen


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.commands", description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=30, help="applications before the counted one")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here (for python -m bench)")
    args = parser.parse_args()
    os.environ.setdefault("OWLERY_ENROLMENT_MODE", "dev")
    kafka = os.environ.get("OWLERY_BENCH_KAFKA", "127.0.0.1:9092")
    mongodb = os.environ.get("OWLERY_BENCH_MONGODB", "mongodb://127.0.0.1:27017/")
    seen = asyncio.run(count(kafka, mongodb, args.applications + 1))
    print(f"database commands for application {args.applications + 1} of one course (relay included):")
    for (command, collection), times in sorted(seen.items()):
        print(f"  {times:3d}  {command} {collection}")
    print(f"  {sum(seen.values()):3d}  in all")
    sys.stdout.flush()
    counted = ", ".join(f"{times} {command} {collection}" for (command, collection), times in sorted(seen.items()))
    write_figures(
        args.json,
        [Figure("commands", "database commands per application, relay included", sum(seen.values()), note=counted)],
    )


if __name__ == "__main__":
    main()

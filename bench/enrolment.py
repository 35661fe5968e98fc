"""Applications per second and p50/p99 latency at 100 concurrent clients, beside a bare FastAPI endpoint.

    .venv/bin/python -m bench.enrolment [--quick]

Three rows, measured by one client harness in one run (closed loop: 100 clients, each sending its next
request as soon as the last one answered):

(1) bare: a FastAPI app in its own uvicorn process with one POST endpoint that validates the same JSON
    body and answers 201 without touching anything; the ceiling of this harness on this machine.
(2) spread: the real enrolment service (a process of its own, started with a development issuer, every
    request carrying a signed token) and POST /courses/{id}/applications to a random one of many
    courses, each with a cohort of 30 seats: the common case, writers of different aggregates.
(3) one course: the same, every application to a single course: every request a writer of the same
    aggregate, so they take turns (load, decide, save of the whole course, which grows as people apply).

After each enrolment scenario the counts are checked over HTTP: enrolled + waiting = applications
accepted, nobody over a cohort's capacity. The servers are found like bench/pipeline.py finds them
(OWLERY_BENCH_KAFKA / OWLERY_BENCH_MONGODB, else the `make run` profile, started if need be); the
databases and topics this run creates are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shlex
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from bench.figures import Figure
from bench.figures import write as write_figures
from bench.pipeline import (
    LOG_DIR,
    READY_SECONDS,
    REPO,
    Environment,
    free_port,
    owlery_service,
    percentile,
    unique,
    wait_http,
)
from deploy.local.launcher import LocalServers
from deploy.local.services import dev_issuer_url
from shared.auth.signing import TokenSigner, generate_private_key_pem

CONCURRENCY = 100
CAPACITY = 30  # the largest cohort a course may have
REQUEST_TIMEOUT = 300.0
TRAINER, CURATOR, HR = "bench-trainer", "bench-curator", "bench-hr"


@dataclass(frozen=True)
class Plan:
    bare_requests: int
    spread_requests: int
    spread_courses: int
    one_course_requests: int
    warmup: int

    @classmethod
    def of(cls, quick: bool) -> Plan:
        if quick:
            return cls(bare_requests=3000, spread_requests=500, spread_courses=20, one_course_requests=150, warmup=20)
        return cls(bare_requests=10000, spread_requests=3000, spread_courses=50, one_course_requests=400, warmup=50)


# --------------------------------------------------------------------------- the bare endpoint


class BareApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str
    locale: str | None = None


def bare_app() -> FastAPI:
    """Factory for `uvicorn --factory bench.enrolment:bare_app`: the same route and body, no work behind it."""
    app = FastAPI(title="bare")

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/courses/{course_id}/applications", status_code=201)
    async def apply(course_id: str, body: BareApplication) -> dict[str, Any]:
        return {"course_id": course_id, "person_id": body.person_id, "status": "enrolled"}

    return app


# --------------------------------------------------------------------------- the client harness

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass
class Result:
    label: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: Counter[str] = field(default_factory=Counter)
    check: str = ""

    @property
    def ops(self) -> float:
        return len(self.latencies) / self.seconds

    def p(self, q: float) -> float | None:
        return percentile(self.latencies, q) * 1000 if self.latencies else None


async def closed_loop(label: str, request: Request, total: int, concurrency: int = CONCURRENCY) -> Result:
    """`total` requests from `concurrency` clients, each sending its next request when its last one answered.

    Each client has its own httpx.AsyncClient and connection, as separate users would: one AsyncClient
    with a pool of 100 connections spends so long in its pool that it caps at a few hundred requests a
    second here, and the harness would measure itself.
    """
    indexes = iter(range(total))
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    async def client() -> None:
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=1)) as http:
            for index in indexes:
                sent = time.perf_counter()
                try:
                    answer = await request(http, index)
                except httpx.HTTPError as error:
                    errors[type(error).__name__] += 1
                    continue
                if answer.status_code == 201:
                    latencies.append(time.perf_counter() - sent)
                else:
                    errors[f"HTTP {answer.status_code}"] += 1
                    if sum(errors.values()) <= 3:
                        print(f"  [{label}] HTTP {answer.status_code}: {answer.text[:300]}", file=sys.stderr)

    print(f"[{label}] {total} requests from {concurrency} clients", file=sys.stderr)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Result(label, total, time.perf_counter() - started, latencies, errors)


# --------------------------------------------------------------------------- the enrolment service


@dataclass
class Enrolment:
    url: str
    signer: TokenSigner

    def headers(self, person_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signer.sign(person_id, roles, lifetime_seconds=24 * 3600)}"}

    async def published_course(self, http: httpx.AsyncClient, title: str) -> str:
        """Proposed by the trainer, approved by a curator, with one cohort of 30 seats two weeks ahead."""
        trainer = self.headers(TRAINER, "trainer")
        proposal = {"title_en": title, "sessions": 4, "weekly_effort_hours": 2, "rules": {"capacity": CAPACITY}}
        proposed = await http.post(f"{self.url}/courses", json=proposal, headers=trainer)
        expect(proposed, 201)
        course_id = str(proposed.json()["id"])
        reviewed = await http.post(
            f"{self.url}/courses/{course_id}/reviews",
            json={"verdict": "approved"},
            headers=self.headers(CURATOR, "curator"),
        )
        expect(reviewed, 200)
        start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
        cohort = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
        expect(await http.post(f"{self.url}/courses/{course_id}/cohorts", json=cohort, headers=trainer), 201)
        return course_id

    async def counts(self, http: httpx.AsyncClient, course_id: str) -> tuple[int, int]:
        """(enrolled, waiting) as the API shows the course; no cohort over its capacity."""
        answer = await http.get(f"{self.url}/courses/{course_id}", headers=self.headers(HR, "admin"))
        expect(answer, 200)
        course = answer.json()
        for cohort in course["cohorts"]:
            if cohort["enrolled"] > cohort["capacity"]:
                raise RuntimeError(f"course {course_id}: {cohort['enrolled']} enrolled in {cohort['capacity']} seats")
        return sum(c["enrolled"] for c in course["cohorts"]), int(course["waitlist_length"])


def expect(answer: httpx.Response, status: int) -> None:
    if answer.status_code != status:
        raise RuntimeError(f"{answer.request.method} {answer.request.url}: HTTP {answer.status_code}: {answer.text}")


async def check_counts(enrolment: Enrolment, http: httpx.AsyncClient, courses: list[str], result: Result) -> str:
    """Enrolled plus waiting over the courses must be every application the service accepted."""
    counted = await asyncio.gather(*(enrolment.counts(http, course_id) for course_id in courses))
    enrolled, waiting = sum(e for e, _ in counted), sum(w for _, w in counted)
    accepted, failed = len(result.latencies), sum(result.errors.values())
    verdict = f"{enrolled} enrolled + {waiting} waiting for {accepted} applications answered 201"
    if any(e != min(CAPACITY, e + w) for e, w in counted):
        return f"WRONG: a free seat while people wait: {counted}"
    if enrolled + waiting == accepted:
        return f"ok, {verdict}"
    if accepted < enrolled + waiting <= accepted + failed:
        return f"{verdict}: {enrolled + waiting - accepted} of the {failed} failed requests were committed all the same"
    return f"WRONG COUNT: {verdict}, {failed} failed"


async def bench_enrolment(env: Environment, plan: Plan, http: httpx.AsyncClient, bare_url: str) -> list[Result]:
    name = env.run_id
    env.topic_prefixes.append(f"{name}.")
    directory_port = free_port()
    signer = TokenSigner(dev_issuer_url(directory_port), generate_private_key_pem())
    directory = owlery_service(env, name, "directory", signer, directory_port)
    service = owlery_service(env, name, "enrolment", signer, free_port())
    for process in (directory, service):
        process.start()
    for process in (directory, service):
        await asyncio.to_thread(process.wait_ready, READY_SECONDS)
    enrolment = Enrolment(service.url, signer)
    hr = enrolment.headers(HR, "hr_admin")  # HR may apply for anyone: one token for every request

    def apply_to(pick: Callable[[int], str], scenario: str) -> Request:
        async def request(client: httpx.AsyncClient, index: int) -> httpx.Response:
            person = f"{scenario}-{index}-{uuid.uuid4().hex[:6]}"
            body = {"person_id": person, "locale": "en"}
            return await client.post(f"{enrolment.url}/courses/{pick(index)}/applications", json=body, headers=hr)

        return request

    async def bare(client: httpx.AsyncClient, index: int) -> httpx.Response:
        body = {"person_id": f"bare-{index}", "locale": "en"}
        return await client.post(f"{bare_url}/courses/bare/applications", json=body, headers=hr)

    results = []
    await closed_loop("bare warm-up", bare, plan.warmup, concurrency=10)
    results.append(await closed_loop("bare FastAPI endpoint", bare, plan.bare_requests))

    print(f"[setup] {plan.spread_courses + 2} courses over HTTP", file=sys.stderr)
    semaphore = asyncio.Semaphore(10)

    async def course(title: str) -> str:
        async with semaphore:
            return await enrolment.published_course(http, title)

    spread = list(await asyncio.gather(*(course(f"bench {i}") for i in range(plan.spread_courses))))
    warmup_course, single = await asyncio.gather(course("bench warm-up"), course("bench one course"))
    await closed_loop("enrolment warm-up", apply_to(lambda _: warmup_course, "warm"), plan.warmup, 10)

    chooser = random.Random(7)
    picks = [chooser.choice(spread) for _ in range(plan.spread_requests)]
    result = await closed_loop(
        "enrolment, spread", apply_to(lambda index: picks[index], "spread"), plan.spread_requests
    )
    result.label = f"enrolment, {plan.spread_courses} courses"
    result.check = await check_counts(enrolment, http, spread, result)
    results.append(result)

    result = await closed_loop("enrolment, one course", apply_to(lambda _: single, "one"), plan.one_course_requests)
    result.check = await check_counts(enrolment, http, [single], result)
    results.append(result)
    return results


# --------------------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(results: list[Result]) -> str:
    bare = results[0]
    header = ("scenario", "requests", "ops/s", "p50 ms", "p99 ms", "errors", "ops/s vs bare", "p50 vs bare")
    rows = []
    for r in results:
        p50, bare_p50 = r.p(50), bare.p(50)
        rows.append(
            (
                r.label,
                str(r.requests),
                fmt(r.ops),
                fmt(p50, 2),
                fmt(r.p(99), 2),
                ", ".join(f"{count} {kind}" for kind, count in r.errors.items()) or "0",
                f"x{r.ops / bare.ops:.3f}" if bare.ops else "-",
                f"x{p50 / bare_p50:.1f}" if p50 is not None and bare_p50 else "-",
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
        *("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows),
        "",
        f"closed loop, {CONCURRENCY} concurrent clients (an httpx.AsyncClient each) in this process; latency"
        " from send to answer (successful requests); ops/s = successful requests / wall time.",
    ]
    lines += [f"check, {r.label}: {r.check}" for r in results if r.check]
    return "\n".join(lines)


def machine() -> str:
    model = "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "?",
        )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"machine: {os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {load}"
    )


# --------------------------------------------------------------------------- main


def spawn_bare(env: Environment) -> tuple[subprocess.Popen[bytes], Path, int]:
    """The bare app in a uvicorn process of its own, as the enrolment service runs in one."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{env.run_id}-bare.log"
    port = free_port()
    command = ["uvicorn", "--factory", "bench.enrolment:bare_app", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as handle:
        bare = subprocess.Popen(
            [sys.executable, "-m", *command, "--log-level", "warning"],
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    env.processes.append(bare)
    return bare, log, port


def figures(results: list[Result]) -> list[Figure]:
    """Each scenario's rate and latency; the count check as a figure that is met or not. No targets (issue 5)."""
    out: list[Figure] = []
    for result in results:
        note = f"{result.requests} requests, {CONCURRENCY} clients, closed loop"
        out.append(Figure("enrolment", f"{result.label}: throughput", result.ops, "ops/s", note=note))
        out.append(Figure("enrolment", f"{result.label}: p50", result.p(50), "ms"))
        out.append(Figure("enrolment", f"{result.label}: p99", result.p(99), "ms"))
        failed = sum(result.errors.values())
        if failed:
            out.append(Figure("enrolment", f"{result.label}: failed requests", failed, note=str(dict(result.errors))))
        if result.check:
            right = result.check.startswith("ok")
            out.append(
                Figure(
                    "enrolment",
                    f"{result.label}: counts check",
                    None,
                    target="enrolled + waiting = accepted",
                    met=right,
                    text="ok" if right else "WRONG",
                    note=result.check,
                )
            )
    return out


async def run(kafka: str, mongodb: str, plan: Plan) -> tuple[str, list[Figure]]:
    env = Environment(kafka=kafka, mongodb=mongodb, run_id=unique("bench_enrol"))
    print(f"run {env.run_id}: kafka {kafka}, mongodb {mongodb}", file=sys.stderr)
    bare, log, port = spawn_bare(env)
    limits = httpx.Limits(max_connections=20, keepalive_expiry=2.0)  # setup and checks; under uvicorn's 5 s
    try:
        await wait_http(f"http://127.0.0.1:{port}/health/ready", bare, log)
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as http:
            results = await bench_enrolment(env, plan, http, f"http://127.0.0.1:{port}")
    finally:
        await env.cleanup()
    return report(results), figures(results)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.enrolment", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts: the run takes under two minutes")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here (for python -m bench)")
    parser.add_argument("--bare", type=int, help="requests to the bare endpoint (10,000; --quick 3,000)")
    parser.add_argument("--spread", type=int, help="applications spread over the courses (3,000; --quick 500)")
    parser.add_argument("--courses", type=int, help="courses they are spread over (50; --quick 20)")
    parser.add_argument("--one-course", type=int, help="applications to one course (400; --quick 150)")
    args = parser.parse_args()
    plan = Plan.of(args.quick)
    plan = Plan(
        bare_requests=args.bare or plan.bare_requests,
        spread_requests=args.spread or plan.spread_requests,
        spread_courses=args.courses or plan.spread_courses,
        one_course_requests=args.one_course or plan.one_course_requests,
        warmup=plan.warmup,
    )
    print(f"command: {shlex.join(['python', '-m', 'bench.enrolment', *sys.argv[1:]])}")
    print(machine())
    print(
        f"plan: bare {plan.bare_requests} requests; spread {plan.spread_requests} applications over "
        f"{plan.spread_courses} courses; one course {plan.one_course_requests} applications; cohorts of {CAPACITY}"
    )
    sys.stdout.flush()

    kafka, mongodb = os.environ.get("OWLERY_BENCH_KAFKA"), os.environ.get("OWLERY_BENCH_MONGODB")
    started_here: list[Any] = []
    if not (kafka and mongodb):
        servers = LocalServers.for_profile("run")
        already = {status.name for status in servers.status() if status.ready}
        endpoints = servers.start()
        started_here = [server for server in servers.servers if server.name not in already]
        kafka, mongodb = kafka or endpoints.kafka_bootstrap, mongodb or endpoints.mongodb_url
    try:
        text, found = asyncio.run(run(kafka, mongodb, plan))
        print(text)
        write_figures(args.json, found)
    finally:
        deadline = time.monotonic() + 20
        for server in started_here:  # only what this run started; servers that were running stay up
            pid = server.signal_stop()
            if pid is not None:
                server.finish_stop(pid, deadline)


if __name__ == "__main__":
    main()

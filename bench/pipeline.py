"""Side-by-side benchmark: Kafka transport floor, a hand-made reference pipeline, and Owlery's real pipeline.

    .venv/bin/python -m bench.pipeline [--quick]

(a) transport: raw aiokafka produce -> consume.
(b) reference: bare ASGI app (insert + produce) -> bare consumer (insert in a second database).
(c) Owlery: enrolment POST /courses/{id}/applications -> ... -> gamification ledger entry for that person.

Completion for (b) and (c) is observed the same way: one poller queries the second database for every
pending person_id at once (``{"person_id": {"$in": [...]}}``) every POLL_SECONDS, so both carry the same
observation cost and the same quantisation (about half a poll interval on average).
Latency at a fixed rate is open loop: sends are scheduled at fixed intervals regardless of completions and
latency is measured from the scheduled send time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient

from bench.figures import Figure, at_least, at_most
from bench.figures import write as write_figures
from deploy.local.launcher import LocalServers
from deploy.local.services import ServiceProcess, dev_issuer_url
from shared.auth.signing import TokenSigner, generate_private_key_pem

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOG_DIR = HERE / ".run"
PARTITIONS = 3  # as Owlery's topic_partitions default
POLL_SECONDS = 0.005
OP_TIMEOUT = 30.0
READY_TIMEOUT = 60.0
READY_SECONDS = 180.0
"""How long a service may take to answer /health/ready: minutes, on a 2-CPU machine busy with other work."""

Operation = Callable[[int], Awaitable[None]]
HTTP_SECONDS: list[float] = []  # POST round trips of the current phase, to split HTTP from the asynchronous tail
Document = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    saturation_ops: int
    concurrency: int
    rate: float
    rate_seconds: float
    bulk_messages: int
    one_in_flight: int
    warmup: int

    @classmethod
    def of(cls, quick: bool) -> Plan:
        if quick:
            return cls(60, 20, 10.0, 5.0, 2000, 100, 5)
        return cls(200, 20, 10.0, 15.0, 10000, 300, 10)


@dataclass
class Stats:
    ops_per_s: float | None = None
    saturation_errors: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    rate_errors: int = 0
    rate_done: int = 0
    http_p50_ms: float | None = None
    note: str = ""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- completion trackers


class Tracker:
    """Futures keyed by an id, resolved with the monotonic time the completion was observed."""

    def __init__(self) -> None:
        self.pending: dict[str, asyncio.Future[float]] = {}

    def expect(self, key: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        return future

    def resolve(self, key: str, at: float) -> None:
        future = self.pending.pop(key, None)
        if future is not None and not future.done():
            future.set_result(at)

    def forget(self, key: str) -> None:
        self.pending.pop(key, None)


class MongoPoller(Tracker):
    """One query per tick for every pending person_id in a collection."""

    def __init__(self, client: AsyncMongoClient[Document], database: str, collection: str) -> None:
        super().__init__()
        self.collection = client[database][collection]

    async def run(self) -> None:
        while True:
            if self.pending:
                keys = list(self.pending)
                cursor = self.collection.find({"person_id": {"$in": keys}}, {"person_id": 1, "_id": 0})
                found = [document["person_id"] async for document in cursor]
                now = time.monotonic()
                for key in found:
                    self.resolve(key, now)
            await asyncio.sleep(POLL_SECONDS)


class KafkaWatcher(Tracker):
    """Resolves by record key as records arrive on all partitions of a topic."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        super().__init__()
        self.consumer = consumer
        self.seen = 0

    async def run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200, max_records=5000)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    self.seen += 1
                    self.resolve(record.key.decode(), now)


@contextlib.asynccontextmanager
async def running(coroutine: Awaitable[None]) -> AsyncIterator[None]:
    task = asyncio.ensure_future(coroutine)
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this task itself is being cancelled (Ctrl-C): let it, so the run cleans up
        except Exception:
            pass  # the background task's own failure is not the measurement's


# --------------------------------------------------------------------------- load shapes


async def timed(operation: Operation, index: int) -> float:
    started = time.monotonic()
    await asyncio.wait_for(operation(index), OP_TIMEOUT)
    return time.monotonic() - started


async def saturate(operation: Operation, start: int, count: int, concurrency: int) -> tuple[float, int]:
    """`count` operations with at most `concurrency` in flight; (ops/s over the whole batch, errors)."""
    queue = iter(range(start, start + count))
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for index in queue:
            try:
                await asyncio.wait_for(operation(index), OP_TIMEOUT)
            except Exception as error:
                errors += 1
                print(f"  op {index} failed: {type(error).__name__}: {error}", file=sys.stderr)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    return (count - errors) / elapsed, errors


async def open_loop(operation: Operation, start: int, rate: float, seconds: float) -> tuple[list[float], int]:
    """Send at fixed intervals regardless of completions; latency from the scheduled send time."""
    total = int(rate * seconds)
    began = time.monotonic()

    async def one(index: int, scheduled: float) -> float:
        await asyncio.wait_for(operation(start + index), OP_TIMEOUT)
        return time.monotonic() - scheduled

    tasks: list[asyncio.Task[float]] = []
    for index in range(total):
        scheduled = began + index / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [result for result in results if isinstance(result, float)]
    for result in results:
        if isinstance(result, BaseException):
            print(f"  open-loop op failed: {type(result).__name__}: {result}", file=sys.stderr)
    return latencies, total - len(latencies)


async def measure(operation: Operation, plan: Plan, label: str) -> Stats:
    for index in range(plan.warmup):
        await asyncio.wait_for(operation(-1 - index), READY_TIMEOUT)
    print(f"[{label}] saturation: {plan.saturation_ops} ops, concurrency {plan.concurrency}", file=sys.stderr)
    ops, sat_errors = await saturate(operation, 0, plan.saturation_ops, plan.concurrency)
    print(f"[{label}] open loop: {plan.rate:g} ops/s for {plan.rate_seconds:g} s", file=sys.stderr)
    HTTP_SECONDS.clear()
    latencies, rate_errors = await open_loop(operation, 100_000, plan.rate, plan.rate_seconds)
    http_p50 = percentile(HTTP_SECONDS, 50) * 1000 if HTTP_SECONDS else None
    return Stats(
        ops_per_s=ops,
        saturation_errors=sat_errors,
        p50_ms=percentile(latencies, 50) * 1000 if latencies else None,
        p99_ms=percentile(latencies, 99) * 1000 if latencies else None,
        rate_errors=rate_errors,
        rate_done=len(latencies),
        http_p50_ms=http_p50,
    )


# --------------------------------------------------------------------------- environment


@dataclass
class Environment:
    kafka: str
    mongodb: str
    run_id: str
    topics: list[str] = field(default_factory=list)
    topic_prefixes: list[str] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    services: list[ServiceProcess] = field(default_factory=list)

    async def create_topic(self, name: str) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka.split(","))
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
        finally:
            await admin.close()
        self.topics.append(name)

    async def cleanup(self) -> None:
        for service in self.services:
            service.stop()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        client: AsyncMongoClient[Document] = AsyncMongoClient(self.mongodb)
        try:
            for database in self.databases:
                with contextlib.suppress(Exception):
                    await client.drop_database(database)
        finally:
            await client.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka.split(","))
        with contextlib.suppress(Exception):
            await admin.start()
            existing = await admin.list_topics()
            doomed = [
                topic
                for topic in existing
                if topic in self.topics or any(topic.startswith(prefix) for prefix in self.topic_prefixes)
            ]
            if doomed:
                await admin.delete_topics(doomed)
        with contextlib.suppress(Exception):
            await admin.close()


async def wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = await asyncio.to_thread(log.read_text)
                raise RuntimeError(f"{url} exited with {process.returncode}:\n{tail[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} not ready within {READY_TIMEOUT} s")


def spawn(env: Environment, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{env.run_id}-{name}.log"
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.reference", *args], cwd=REPO, stdout=handle, stderr=subprocess.STDOUT
        )
    env.processes.append(process)
    return process, log


# --------------------------------------------------------------------------- (a) transport


async def bench_transport(env: Environment, plan: Plan) -> tuple[Stats, Stats, Stats]:
    topic = f"{env.run_id}.transport"
    await env.create_topic(topic)
    producer = AIOKafkaProducer(bootstrap_servers=env.kafka.split(","), acks="all")
    consumer = AIOKafkaConsumer(bootstrap_servers=env.kafka.split(","), enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        watcher = KafkaWatcher(consumer)
        async with running(watcher.run()):
            counter = iter(range(10**9))

            async def operation(index: int) -> None:
                key = f"m{next(counter)}"
                arrived = watcher.expect(key)
                try:
                    await producer.send_and_wait(topic, b'{"n":%d}' % index, key=key.encode())
                    await arrived
                finally:
                    watcher.forget(key)

            harness = await measure(operation, plan, "a transport")

            print(f"[a transport] one in flight: {plan.one_in_flight} round trips", file=sys.stderr)
            one = [await timed(operation, index) for index in range(plan.one_in_flight)]
            single = Stats(p50_ms=percentile(one, 50) * 1000, p99_ms=percentile(one, 99) * 1000, rate_done=len(one))
            single.note = f"{plan.one_in_flight} sequential round trips"

            print(f"[a transport] bulk: {plan.bulk_messages} messages", file=sys.stderr)
            keys = [f"b{index}" for index in range(plan.bulk_messages)]
            futures = [watcher.expect(key) for key in keys]
            started = time.monotonic()
            acks = [await producer.send(topic, b"x" * 100, key=key.encode()) for key in keys]
            await asyncio.wait_for(asyncio.gather(*acks), 120)
            await asyncio.wait_for(asyncio.gather(*futures), 120)
            bulk = Stats(ops_per_s=plan.bulk_messages / (time.monotonic() - started))
            bulk.note = f"{plan.bulk_messages} x 100 B produced unthrottled, all consumed"
    finally:
        await producer.stop()
        await consumer.stop()
    return harness, single, bulk


# --------------------------------------------------------------------------- (b) reference


async def bench_reference(env: Environment, plan: Plan, http: httpx.AsyncClient) -> Stats:
    topic = f"{env.run_id}.reference"
    first, second = f"{env.run_id}_ref_app", f"{env.run_id}_ref_consumer"
    env.databases += [first, second]
    await env.create_topic(topic)
    port = free_port()
    common = ("--kafka", env.kafka, "--mongodb", env.mongodb, "--topic", topic)
    app, app_log = spawn(env, "ref-app", "app", *common, "--database", first, "--port", str(port))
    spawn(env, "ref-consumer", "consumer", *common, "--database", second, "--group", f"{env.run_id}-ref")
    await wait_http(f"http://127.0.0.1:{port}/health", app, app_log)

    client: AsyncMongoClient[Document] = AsyncMongoClient(env.mongodb)
    poller = MongoPoller(client, second, "ledger")
    try:
        async with running(poller.run()):
            url = f"http://127.0.0.1:{port}/applications"

            async def operation(index: int) -> None:
                person = f"ref-{index}-{uuid.uuid4().hex[:8]}"
                done = poller.expect(person)
                try:
                    sent = time.monotonic()
                    answer = await http.post(url, json={"person_id": person, "locale": "en"})
                    HTTP_SECONDS.append(time.monotonic() - sent)
                    if answer.status_code != 201:
                        raise RuntimeError(f"HTTP {answer.status_code}: {answer.text[:200]}")
                    await done
                finally:
                    poller.forget(person)

            return await measure(operation, plan, "b reference")
    finally:
        await client.close()


# --------------------------------------------------------------------------- (c) Owlery


def owlery_service(env: Environment, name: str, service: str, signer: TokenSigner, port: int) -> ServiceProcess:
    """As tests/support/platform.py does it: unique prefix, databases and consumer group; the directory signs."""
    process = ServiceProcess(
        name=service,
        port=port,
        kafka_bootstrap=env.kafka,
        mongodb_url=env.mongodb,
        log_path=LOG_DIR / f"{name}-{service}.log",
        database=f"{name}_{service}",
        topic_prefix=f"{name}.",
        consumer_group=f"{name}-{service}",
        issuer=signer.issuer,
        # The outbox sweep keeps its production interval: it scans every commit, and a 2 s sweep over
        # the hundreds of courses a run creates measured the sweep, not the pipeline.
        extra_env={
            "OWLERY_DIRECTORY_DEV_ISSUER_KEY_PEM": signer.private_key_pem,
            "OWLERY_DIRECTORY_DEV_DEMO_PEOPLE": "false",
        },
    )
    env.services.append(process)
    env.databases.append(f"{name}_{service}")
    return process


async def bench_owlery(env: Environment, plan: Plan, http: httpx.AsyncClient, contended: bool) -> Stats:
    name = f"{env.run_id}_{'one' if contended else 'many'}"
    env.topic_prefixes.append(f"{name}.")
    directory_port = free_port()
    signer = TokenSigner(dev_issuer_url(directory_port), generate_private_key_pem())
    # Every request carries a token, as in production: an HR robot that may enrol anyone.
    http.headers["Authorization"] = f"Bearer {signer.sign('bench-hr', ['admin'], lifetime_seconds=24 * 3600)}"
    directory = owlery_service(env, name, "directory", signer, directory_port).start()
    enrolment = owlery_service(env, name, "enrolment", signer, free_port()).start()
    gamification = owlery_service(env, name, "gamification", signer, free_port()).start()
    for process in (directory, enrolment, gamification):
        await asyncio.to_thread(process.wait_ready, READY_SECONDS)

    def bearer(person: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {signer.sign(person, [role], lifetime_seconds=24 * 3600)}"}

    trainer, curator = bearer("bench-trainer", "trainer"), bearer("bench-curator", "curator")

    async def checked(answer: httpx.Response, expected: int) -> dict[str, Any]:
        if answer.status_code != expected:
            raise RuntimeError(f"{answer.request.url}: HTTP {answer.status_code}: {answer.text[:200]}")
        body: dict[str, Any] = answer.json()
        return body

    async def new_course(title: str, seats: int) -> str:
        """Proposed by a trainer, approved, with enough cohorts of at most 30 for `seats` people."""
        proposal = {"title_en": title, "sessions": 3, "weekly_effort_hours": 2, "rules": {"capacity": 30}}
        course_id = str(
            (await checked(await http.post(f"{enrolment.url}/courses", json=proposal, headers=trainer), 201))["id"]
        )
        approve = {"verdict": "approved"}
        await checked(
            await http.post(f"{enrolment.url}/courses/{course_id}/reviews", json=approve, headers=curator), 200
        )
        start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
        slot = {"weekday": 2, "local_time": "15:00", "time_zone": "UTC", "start_date": start}
        for _ in range(-(-seats // 30)):
            await checked(
                await http.post(f"{enrolment.url}/courses/{course_id}/cohorts", json=slot, headers=trainer), 201
            )
        return course_id

    needed = plan.warmup + plan.saturation_ops + int(plan.rate * plan.rate_seconds)
    if contended:
        shared_course = await new_course("bench contended", needed)
        courses: list[str] = []
    else:
        # Made eight at a time (the order does not matter): made one by one, on a busy 2-CPU machine the
        # hundreds of courses took minutes before the first measurement.
        setup = asyncio.Semaphore(8)

        async def one_course(index: int) -> str:
            async with setup:
                return await new_course(f"bench {index}", 1)

        courses = list(await asyncio.gather(*(one_course(index) for index in range(needed))))
        shared_course = ""
    course_iter = iter(courses)

    client: AsyncMongoClient[Document] = AsyncMongoClient(env.mongodb)
    poller = MongoPoller(client, f"{name}_gamification", "ledger")
    try:
        async with running(poller.run()):

            async def operation(index: int) -> None:
                course = shared_course if contended else next(course_iter)
                person = f"owl-{index}-{uuid.uuid4().hex[:8]}"
                done = poller.expect(person)
                try:
                    sent = time.monotonic()
                    answer = await http.post(
                        f"{enrolment.url}/courses/{course}/applications", json={"person_id": person, "locale": "en"}
                    )
                    HTTP_SECONDS.append(time.monotonic() - sent)
                    if answer.status_code != 201:
                        raise RuntimeError(f"HTTP {answer.status_code}: {answer.text[:200]}")
                    if answer.json()["status"] != "enrolled":
                        raise RuntimeError(f"not enrolled: {answer.text[:200]}")
                    await done
                finally:
                    poller.forget(person)

            label = "c owlery contended" if contended else "c owlery per-course"
            return await measure(operation, plan, label)
    finally:
        await client.close()
        enrolment.stop()
        gamification.stop()


# --------------------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(rows: list[tuple[str, Stats]], plan: Plan) -> str:
    header = ("scenario", "sat ops/s", "sat err", "p50 ms", "p99 ms", "rate n/err", "HTTP p50 ms", "note")
    lines = [
        (
            label,
            fmt(stats.ops_per_s),
            str(stats.saturation_errors),
            fmt(stats.p50_ms, 2),
            fmt(stats.p99_ms, 2),
            f"{stats.rate_done}/{stats.rate_errors}",
            fmt(stats.http_p50_ms, 2),
            stats.note,
        )
        for label, stats in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    out = [
        f"saturation: {plan.saturation_ops} ops at concurrency {plan.concurrency}; "
        f"latency: open loop {plan.rate:g} ops/s for {plan.rate_seconds:g} s, from scheduled send to completion "
        f"(HTTP p50 = POST round trip alone, same phase); completion of (b)/(c) = document seen by a "
        f"{POLL_SECONDS * 1000:g} ms poller",
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in lines]
    by_label = dict(rows)
    reference = by_label.get("(b) reference pipeline")
    if reference is not None and reference.ops_per_s and reference.p50_ms:
        out.append("")
        out.append("(c) relative to (b): throughput ratio (higher is better), p50 ratio (lower is better)")
        for label, stats in rows:
            if label.startswith("(c)") and stats.ops_per_s is not None and stats.p50_ms is not None:
                out.append(
                    f"  {label}: throughput x{stats.ops_per_s / reference.ops_per_s:.2f}, "
                    f"p50 x{stats.p50_ms / reference.p50_ms:.2f}"
                )
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def figures(rows: list[tuple[str, Stats]]) -> list[Figure]:
    """The rows as figures, and Owlery (c) against the reference (b): targets throughput >= 50 %, p50 <= 2x."""
    out: list[Figure] = []
    by_label = dict(rows)
    for label, stats in rows:
        if stats.ops_per_s is not None:
            unit = "msg/s" if "bulk" in label else "ops/s"
            out.append(Figure("pipeline", f"{label}: throughput", stats.ops_per_s, unit, note=stats.note))
        if stats.p50_ms is not None:
            out.append(Figure("pipeline", f"{label}: p50", stats.p50_ms, "ms", note=stats.note))
        if stats.p99_ms is not None and not label.startswith("(a) transport, one"):
            out.append(Figure("pipeline", f"{label}: p99", stats.p99_ms, "ms"))
        errors = stats.saturation_errors + stats.rate_errors
        if errors:
            out.append(Figure("pipeline", f"{label}: failed operations", errors, note="see the log"))
    reference = by_label.get("(b) reference pipeline")
    for label, stats in rows:
        if not label.startswith("(c)") or reference is None:
            continue
        throughput = (
            stats.ops_per_s / reference.ops_per_s if stats.ops_per_s is not None and reference.ops_per_s else None
        )
        p50 = stats.p50_ms / reference.p50_ms if stats.p50_ms is not None and reference.p50_ms else None
        out.append(
            Figure(
                "pipeline",
                f"{label}: throughput / reference's",
                throughput,
                "x",
                ">= x0.50",
                at_least(throughput, 0.5),
            )
        )
        out.append(Figure("pipeline", f"{label}: p50 / reference's", p50, "x", "<= x2.00", at_most(p50, 2.0)))
    return out


async def run(kafka: str, mongodb: str, plan: Plan) -> tuple[str, list[Figure]]:
    env = Environment(kafka=kafka, mongodb=mongodb, run_id=unique("bench"))
    print(f"run {env.run_id}: kafka {kafka}, mongodb {mongodb}", file=sys.stderr)
    rows: list[tuple[str, Stats]] = []
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=2.0)
    try:
        async with httpx.AsyncClient(timeout=OP_TIMEOUT, limits=limits) as http:
            harness, single, bulk = await bench_transport(env, plan)
            rows += [
                ("(a) transport, harness", harness),
                ("(a) transport, one in flight", single),
                ("(a) transport, bulk", bulk),
            ]
            rows.append(("(b) reference pipeline", await bench_reference(env, plan, http)))
            rows.append(("(c) one course (contended)", await bench_owlery(env, plan, http, contended=True)))
            rows.append(("(c) course per application", await bench_owlery(env, plan, http, contended=False)))
    finally:
        await env.cleanup()
    return report(rows, plan), figures(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts: the run takes about two minutes")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here (for python -m bench)")
    args = parser.parse_args()
    plan = Plan.of(args.quick)

    kafka, mongodb = os.environ.get("OWLERY_BENCH_KAFKA"), os.environ.get("OWLERY_BENCH_MONGODB")
    servers: LocalServers | None = None
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

"""HTTP p99 at a fixed rate, open loop: enrolment's application endpoint beside a bare FastAPI endpoint.

    .venv/bin/python -m bench.latency [--quick] [--rate 500] [--seconds 20] [--json PATH]

Two servers, each a process of its own, are sent requests at fixed intervals (open loop: the next request
goes at its scheduled time whether or not earlier ones answered) and every latency is measured from the
request's *scheduled* time, so a client or server that falls behind shows as latency, not as a lower rate:

(1) bare: `bench.enrolment:bare_app` under uvicorn (one POST route validating the same JSON body, answering
    201 with JSON, no work behind it): the floor of uvicorn + FastAPI + this client on this machine.
(2) enrolment: the real service (`python -m enrolment`, started as bench/pipeline.py starts it: a dev
    issuer, a database, topics and consumer group of this run's own), POST /courses/{id}/applications with
    an HR token, one distinct applicant per request, spread round-robin over 20 courses of 4 cohorts
    (120 seats) each: 2,400 seats, so while a run stays under ~2,400 applications (this machine takes
    ~20 a second) every applicant is enrolled; beyond, the rest join waitlists. (One course per 100
    requests took minutes of setup on a busy 2-CPU machine, more than the run itself.)

Each server first gets a warm-up (2 s at a tenth of the rate). The client is a minimal HTTP/1.1 client over
asyncio streams (keep-alive connections, a new one opened whenever every open one is busy): httpx costs
~1 ms of CPU a request, which at 500/s would take half a core from the server under test on a 2-core box.
It reports the rate it achieved (requests sent / sending time) beside the rate asked for, and how late its
sends were; the target (issue 11) is p99 <= 20 ms for enrolment at 500 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from bench.enrolment import Enrolment, spawn_bare
from bench.figures import Figure, at_most, machine_facts
from bench.figures import write as write_figures
from bench.pipeline import READY_SECONDS, Environment, free_port, owlery_service, percentile, unique, wait_http
from deploy.local.services import dev_issuer_url
from shared.auth.signing import TokenSigner, generate_private_key_pem

T = TypeVar("T")
P99_TARGET_MS = 20.0
COURSES = 20
MAX_CONNECTIONS = 512
REQUEST_TIMEOUT = 30.0
IDLE_SECONDS = 2.0


# --------------------------------------------------------------------------- a small HTTP/1.1 client


class Pool:
    """Keep-alive HTTP/1.1 connections to one host: an idle one is reused, else a new one is opened."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened = 0
        self.slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and read the whole answer; its status."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n"
        ).encode() + body
        async with self.slots:
            # uvicorn closes a connection idle for 5 s: never reuse one idle for half that.
            while self.idle and time.perf_counter() - self.idle[-1][2] > IDLE_SECONDS:
                self.idle.pop()[1].close()
            if self.idle:
                reader, writer, _ = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                self.opened += 1
            try:
                writer.write(request)
                status_line = await reader.readline()
                status = int(status_line.split(b" ", 2)[1])
                length, close = 0, False
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    lowered = name.strip().lower()
                    if lowered == b"content-length":
                        length = int(value)
                    elif lowered == b"connection" and value.strip().lower() == b"close":
                        close = True
                    elif lowered == b"transfer-encoding":
                        raise RuntimeError("chunked answers are not read by this client")
                await reader.readexactly(length)
            except BaseException:
                writer.close()
                raise
            if close:
                writer.close()
            else:
                self.idle.append((reader, writer, time.perf_counter()))
            return status

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


# --------------------------------------------------------------------------- the open loop


@dataclass
class Run:
    label: str
    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    sending_seconds: float = 0.0
    worst_send_lag: float = 0.0
    connections: int = 0
    began: float = 0.0
    last_answer: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU time each process of the stack spent during the run (user + system), by name."""

    @property
    def answered_per_second(self) -> float:
        """Answers 201 over the time from the first scheduled send to the last answer: what the server kept up."""
        elapsed = self.last_answer - self.began
        return len(self.latencies) / elapsed if elapsed > 0 else 0.0

    @property
    def achieved(self) -> float:
        return self.sent / self.sending_seconds if self.sending_seconds else 0.0

    def p(self, q: float) -> float | None:
        return percentile(self.latencies, q) * 1000 if self.latencies else None


Send = Callable[[int], tuple[str, bytes]]
"""Request number -> (path, JSON body)."""


async def open_loop(label: str, pool: Pool, send: Send, headers: dict[str, str], rate: float, seconds: float) -> Run:
    run = Run(label, rate, seconds)
    total = int(rate * seconds)
    interval = 1 / rate

    async def one(index: int, scheduled: float) -> None:
        path, body = send(index)
        try:
            status = await asyncio.wait_for(pool.post(path, body, headers), REQUEST_TIMEOUT)
        except (OSError, TimeoutError, RuntimeError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
            run.errors[type(error).__name__] += 1
            return
        if status == 201:
            run.last_answer = time.perf_counter()
            run.latencies.append(run.last_answer - scheduled)
        else:
            run.errors[f"HTTP {status}"] += 1

    print(f"[{label}] {total} requests at {rate:g}/s for {seconds:g} s, open loop", file=sys.stderr)
    tasks: set[asyncio.Task[None]] = set()
    began = run.began = time.perf_counter()
    for index in range(total):
        scheduled = began + index * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            run.worst_send_lag = max(run.worst_send_lag, -delay)
        task = asyncio.create_task(one(index, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    run.sent = total
    run.sending_seconds = time.perf_counter() - began
    if tasks:
        await asyncio.gather(*tasks)
    run.connections = pool.opened
    return run


# --------------------------------------------------------------------------- the two servers


def body(person: str) -> bytes:
    return json.dumps({"person_id": person, "locale": "en"}).encode()


async def measure(kafka: str, mongodb: str, rate: float, seconds: float) -> list[Run]:
    env = Environment(kafka=kafka, mongodb=mongodb, run_id=unique("bench_http"))
    print(f"run {env.run_id}: kafka {kafka}, mongodb {mongodb}", file=sys.stderr)
    warm_rate, warm_seconds = rate / 10, 2.0
    runs: list[Run] = []
    try:
        bare, log, port = spawn_bare(env)
        await wait_http(f"http://127.0.0.1:{port}/health/ready", bare, log)
        pool = Pool(f"http://127.0.0.1:{port}")

        def bare_send(index: int) -> tuple[str, bytes]:
            return "/courses/bare/applications", body(f"bare-{index}")

        await open_loop("bare warm-up", pool, bare_send, {}, warm_rate, warm_seconds)
        runs.append(await open_loop("bare FastAPI endpoint", pool, bare_send, {}, rate, seconds))
        pool.close()
        bare.terminate()

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
        hr = enrolment.headers("bench-hr", "hr_admin")

        courses_needed = COURSES
        print(f"[setup] {courses_needed} courses of 4 cohorts over HTTP", file=sys.stderr)
        semaphore = asyncio.Semaphore(8)
        # A short keep-alive: on a busy machine a setup connection may idle past uvicorn's 5 s and be closed
        # just as it is reused (httpx.ReadError).
        limits = httpx.Limits(max_connections=8, keepalive_expiry=1.0)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:

            async def course(index: int) -> str:
                async with semaphore:
                    course_id = await retried(lambda: enrolment.published_course(http, f"bench http {index}"))
                    for _ in range(3):  # published_course made one cohort of 30; three more: 120 seats
                        await retried(lambda: enrolment_cohort(http, enrolment, course_id))
                    return course_id

            courses = list(await asyncio.gather(*(course(index) for index in range(courses_needed))))
        pool = Pool(service.url)

        def enrolment_send(index: int) -> tuple[str, bytes]:
            course_id = courses[index % len(courses)]
            return f"/courses/{course_id}/applications", body(f"http-{index}-{uuid.uuid4().hex[:6]}")

        # The warm-up's applicants take the last requests' numbers, so no applicant applies twice.
        offset = int(rate * seconds)
        await open_loop(
            "enrolment warm-up", pool, lambda index: enrolment_send(offset + index), hr, warm_rate, warm_seconds
        )
        # Where the CPU goes: each process of the stack, read from /proc around the run. On 2 cores, 500
        # requests a second leave 4 ms of CPU per request for everything together.
        stack = {"enrolment": service.process.pid if service.process else None, **store_and_broker()}
        before = {name: cpu_of(pid) for name, pid in stack.items()}
        run = await open_loop("enrolment POST applications", pool, enrolment_send, hr, rate, seconds)
        run.cpu_seconds = {name: cpu_of(pid) - before[name] for name, pid in stack.items()}
        runs.append(run)
        pool.close()
    finally:
        await env.cleanup()
    return runs


def cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (0 if it is gone or unknown)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def store_and_broker() -> dict[str, int | None]:
    """The pids of the FerretDB and Kafka processes this machine runs (the launcher's), by name."""
    found: dict[str, int | None] = {"ferretdb": None, "kafka": None}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ")
        except OSError:
            continue
        if b"owlery-ferretdb" in command and found["ferretdb"] is None:
            found["ferretdb"] = int(entry)
        elif b"kafka.Kafka" in command and found["kafka"] is None:
            found["kafka"] = int(entry)
    return found


async def retried(call: Callable[[], Awaitable[T]], attempts: int = 4) -> T:
    """Setup calls again after a dropped connection (on a loaded machine httpx now and then reuses a keep-alive
    connection the server has just closed: httpx.ReadError). A repeated call at worst adds a course or a cohort."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except httpx.TransportError as error:
            if attempt == attempts:
                raise
            print(f"  setup call failed ({type(error).__name__}), again", file=sys.stderr)
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


async def enrolment_cohort(http: httpx.AsyncClient, enrolment: Enrolment, course_id: str) -> None:
    start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    cohort = {"weekday": 3, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
    answer = await http.post(
        f"{enrolment.url}/courses/{course_id}/cohorts",
        json=cohort,
        headers=enrolment.headers("bench-trainer", "trainer"),
    )
    if answer.status_code != 201:
        raise RuntimeError(f"cohort: HTTP {answer.status_code}: {answer.text[:300]}")


# --------------------------------------------------------------------------- report


def figures(runs: list[Run]) -> list[Figure]:
    out: list[Figure] = []
    for run in runs:
        is_enrolment = run.label.startswith("enrolment")
        p99 = run.p(99)
        note = f"{run.sent} requests at {run.rate:g}/s for {run.seconds:g} s, {run.connections} connections"
        out.append(Figure("http", f"{run.label}: p50", run.p(50), "ms", note=note))
        out.append(
            Figure(
                "http",
                f"{run.label}: p99 at {run.rate:g}/s",
                p99,
                "ms",
                f"<= {P99_TARGET_MS:g} ms" if is_enrolment else "",
                at_most(p99, P99_TARGET_MS) if is_enrolment else None,
                note=note,
            )
        )
        out.append(Figure("http", f"{run.label}: max", max(run.latencies) * 1000 if run.latencies else None, "ms"))
        out.append(
            Figure(
                "http",
                f"{run.label}: rate achieved (sent)",
                run.achieved,
                "req/s",
                f"{run.rate:g} req/s (within 2 %)",
                run.achieved >= run.rate * 0.98,
                note=f"worst send {run.worst_send_lag * 1000:.1f} ms late; "
                f"{len(run.latencies)} answered 201 / {run.sent} sent",
            )
        )
        out.append(
            Figure(
                "http",
                f"{run.label}: answered 201 per second",
                run.answered_per_second,
                "req/s",
                note="from the first scheduled send to the last answer",
            )
        )
        answered = len(run.latencies)
        for name, spent in run.cpu_seconds.items():
            out.append(
                Figure(
                    "http",
                    f"{run.label}: CPU per request, {name}",
                    spent * 1000 / answered if answered else None,
                    "ms",
                    note="user + system time of the process during the run / requests answered",
                )
            )
        if run.cpu_seconds and answered:
            per_request = sum(run.cpu_seconds.values()) / answered
            out.append(
                Figure(
                    "http",
                    f"{run.label}: cores the stack needs at {run.rate:g}/s",
                    per_request * run.rate,
                    "cores",
                    "<= 2 (this machine)",
                    per_request * run.rate <= 2,
                    note="CPU per request of every process above, times the rate",
                )
            )
        failed = sum(run.errors.values())
        if failed:
            out.append(Figure("http", f"{run.label}: failed requests", failed, note=str(dict(run.errors))))
    return out


def report(runs: list[Run]) -> str:
    lines = []
    for run in runs:
        p50, p99 = run.p(50), run.p(99)
        lines.append(
            f"{run.label}: asked {run.rate:g}/s for {run.seconds:g} s, sent {run.sent} at {run.achieved:.1f}/s "
            f"(worst send {run.worst_send_lag * 1000:.1f} ms late), {len(run.latencies)} answered 201 "
            f"({run.answered_per_second:.1f}/s), "
            f"errors {dict(run.errors) or 0}; latency from the scheduled time: p50 "
            f"{'-' if p50 is None else f'{p50:.2f}'} ms, p99 {'-' if p99 is None else f'{p99:.2f}'} ms; "
            f"{run.connections} connections"
        )
        if run.cpu_seconds and run.latencies:
            split = ", ".join(
                f"{name} {spent * 1000 / len(run.latencies):.2f}" for name, spent in run.cpu_seconds.items()
            )
            lines.append(f"  CPU ms per request answered: {split}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s at the rate instead of 20 s")
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second (500)")
    parser.add_argument("--seconds", type=float, default=None, help="how long at that rate (20; --quick 5)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here (for python -m bench)")
    args = parser.parse_args()
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    print(f"machine: {machine_facts()}")
    kafka = os.environ.get("OWLERY_BENCH_KAFKA", "127.0.0.1:9092")
    mongodb = os.environ.get("OWLERY_BENCH_MONGODB", "mongodb://127.0.0.1:27017/")
    runs = asyncio.run(measure(kafka, mongodb, args.rate, seconds))
    print(report(runs))
    write_figures(args.json, figures(runs))


if __name__ == "__main__":
    main()

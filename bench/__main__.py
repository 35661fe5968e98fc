"""Every benchmark in one table: `make bench`, or `.venv/bin/python -m bench [--quick] [--only a,b]`.

Each benchmark runs as a process of its own (`python -m bench.<script> ... --json FILE`), so one's memory,
threads and event loop never weigh on the next; it prints its usual report into a log under bench/.run/
and writes its figures (bench/figures.py) as JSON, which this runner gathers into one table: one row per
figure with its value, its target, whether it was met, and the command that reproduces it.

Benchmarks (in the order they run; `--only` takes these names):

    rss            idle VmRSS of each of the five services and the portal       bench/rss.py
    http           p99 at 500 requests/s, open loop: enrolment vs bare FastAPI   bench/latency.py
    commands       database commands one application costs, counted               bench/commands.py
    pipeline       HTTP -> Kafka -> ledger: transport, reference, Owlery         bench/pipeline.py
    enrolment      applications/s at 100 concurrent clients vs bare FastAPI      bench/enrolment.py
    matching       whole-pool mentor matching, 10,000 x 2,000                    bench/matching.py
    gamification   ledger entries/s, leaderboard reads, full rebuild             bench/gamification.py
    notifications  events -> inbox -> emails into a real SMTP server             bench/notifications.py

Sizes of the full run are each script's defaults except where noted at SIZES below (smaller, so that the
whole run takes about 15 minutes on a 2-CPU machine); `--quick` runs every script's own --quick sizes.
The servers (Kafka, FerretDB) are found as bench/pipeline.py finds them: OWLERY_BENCH_KAFKA /
OWLERY_BENCH_MONGODB, else the `make run` profile, started if need be (and stopped again at the end).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.figures import Figure, machine_facts, read
from bench.pipeline import LOG_DIR, REPO
from deploy.local.launcher import LocalServers


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    timeout: float
    """Seconds the full run may take before it is stopped (a quick run gets half)."""


BENCHMARKS = [
    Benchmark("rss", "bench.rss", (), ("--quick",), 240),
    Benchmark("http", "bench.latency", ("--seconds", "20"), ("--quick",), 400),
    Benchmark("commands", "bench.commands", (), (), 120),
    Benchmark("pipeline", "bench.pipeline", (), ("--quick",), 900),
    # SIZES (full run), chosen so that everything fits in about 15 minutes on a busy 2-CPU machine, where
    # each write to FerretDB (SQLite) takes tens of milliseconds: fewer requests than the scripts' defaults
    # (10,000 bare / 3,000 spread / 400 one course), the same shape.
    Benchmark(
        "enrolment",
        "bench.enrolment",
        ("--bare", "5000", "--spread", "1000", "--one-course", "200"),
        ("--quick",),
        600,
    ),
    Benchmark("matching", "bench.matching", (), ("--quick",), 300),
    # Issue 8's targets name 100,000 people and a rebuild of 1,000,000; here 20,000 people (the reads over
    # HTTP and the back-to-back refreshes scale with them and take minutes on FerretDB) and 1,000,000 kept
    # for the in-memory rebuild; 5,000 entries from Kafka instead of 10,000. Each figure names its size.
    Benchmark(
        "gamification",
        "bench.gamification",
        ("--entries", "5000", "--people", "20000", "--reads", "5000", "--rebuild", "1000000"),
        ("--quick",),
        900,
    ),
    Benchmark("notifications", "bench.notifications", ("--events", "1000"), ("--quick",), 600),
]
NAMES = [benchmark.name for benchmark in BENCHMARKS]


def command_of(benchmark: Benchmark, quick: bool) -> list[str]:
    return ["python", "-m", benchmark.module, *(benchmark.quick if quick else benchmark.full)]


def run_one(benchmark: Benchmark, quick: bool, stamp: str, env: dict[str, str]) -> tuple[list[Figure], float]:
    """Run one script with --json; its figures, or one failed figure saying why; and the seconds it took."""
    shown = command_of(benchmark, quick)
    log = LOG_DIR / f"{stamp}-{benchmark.name}.log"
    output = LOG_DIR / f"{stamp}-{benchmark.name}.json"
    timeout = benchmark.timeout / 2 if quick else benchmark.timeout
    print(f"[bench] {benchmark.name}: {shlex.join(shown)}  (log {log.relative_to(REPO)})", file=sys.stderr)
    started = time.monotonic()
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, *shown[1:], "--json", str(output)], cwd=REPO, env=env, stdout=handle, stderr=handle
        )
        try:
            returncode: int | str = process.wait(timeout)
        except KeyboardInterrupt:  # Ctrl-C reached the child too: let it clean up, then report what there is
            process.wait(120)
            returncode = "interrupted (Ctrl-C)"
        except subprocess.TimeoutExpired:
            # Ctrl-C first: the scripts clean up (stop their services, drop databases and topics) on it.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(90)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            returncode = f"stopped after {timeout:.0f} s"
    took = time.monotonic() - started
    print(f"[bench] {benchmark.name}: done in {took:.0f} s (exit {returncode})", file=sys.stderr)
    figures = read(output) if output.exists() and returncode == 0 else []
    if not figures:
        why = f"exit {returncode}" if isinstance(returncode, int) else returncode
        figures = [
            Figure(benchmark.name, "FAILED: no figures", None, met=False, text=why, note=f"see {log.relative_to(REPO)}")
        ]
    return figures, took


def table(rows: list[tuple[Figure, str]]) -> str:
    header = ("benchmark", "figure", "value", "target", "met", "command", "note")
    lines = [
        (
            figure.benchmark,
            figure.figure,
            figure.shown(),
            figure.target or "—",
            "—" if figure.met is None else "yes" if figure.met else "NO",
            command,
            figure.note,
        )
        for figure, command in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    return "\n".join([row(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|", *map(row, lines)])


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="every benchmark at its small --quick sizes (a smoke run)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {','.join(NAMES)}")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or NAMES
    unknown = sorted(set(chosen) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}")

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    facts = machine_facts()
    kafka, mongodb = os.environ.get("OWLERY_BENCH_KAFKA"), os.environ.get("OWLERY_BENCH_MONGODB")
    started_here: list[Any] = []
    if not (kafka and mongodb):
        servers = LocalServers.for_profile("run")
        already = {status.name for status in servers.status() if status.ready}
        endpoints = servers.start()
        started_here = [server for server in servers.servers if server.name not in already]
        kafka, mongodb = kafka or endpoints.kafka_bootstrap, mongodb or endpoints.mongodb_url
    env = {**os.environ, "OWLERY_BENCH_KAFKA": kafka, "OWLERY_BENCH_MONGODB": mongodb}

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    rows: list[tuple[Figure, str]] = []
    timings: list[str] = []
    began = time.monotonic()
    try:
        for benchmark in BENCHMARKS:
            if benchmark.name not in chosen:
                continue
            figures, took = run_one(benchmark, args.quick, stamp, env)
            command = shlex.join(command_of(benchmark, args.quick))
            rows += [(figure, command) for figure in figures]
            timings.append(f"{benchmark.name} {took:.0f} s")
            if figures[0].text == "interrupted (Ctrl-C)":
                break  # the rest are not run; the table shows what was measured
    finally:
        deadline = time.monotonic() + 20
        for server in started_here:  # only what this run started; servers that were running stay up
            pid = server.signal_stop()
            if pid is not None:
                server.finish_stop(pid, deadline)

    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    noisy = (
        f"NOISY: other work shared the CPUs (1-min load average {load_before:.2f} before the run, "
        f"{load_after:.2f} after, on {os.cpu_count()} CPUs); single runs, no repeats"
    )
    met = sum(1 for figure, _ in rows if figure.met is True)
    missed = sum(1 for figure, _ in rows if figure.met is False)
    text = "\n".join(
        [
            f"Owlery benchmarks ({'--quick' if args.quick else 'full'}) - {facts} - {noisy}",
            f"kafka {kafka}, mongodb {mongodb}; logs: {LOG_DIR.relative_to(REPO)}/{stamp}-*.log",
            "",
            table(rows),
            "",
            f"targets: {met} met, {missed} not met; took {time.monotonic() - began:.0f} s ({', '.join(timings)}); "
            "each command above is run with `.venv/bin/python` from the repository root",
        ]
    )
    print(text)
    (LOG_DIR / f"{stamp}-table.md").write_text(text + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()

"""Provision and run Owlery's local servers: Apache Kafka (KRaft) and FerretDB v1.

Both run as background processes on loopback, without Docker:

* Kafka: ``kafka_2.13`` and a log4j2 binding resolved from Maven Central by
  ``deploy/local/kafka/pom.xml`` into ``<cache>/kafka-<version>/lib``, run as a
  single combined broker+controller node.
* FerretDB: ``deploy/local/ferretdb`` (a tiny Go module embedding FerretDB
  v1.24.2, SQLite storage) built once into ``<cache>/bin/owlery-ferretdb-<version>``,
  with FerretDB patched (see ``FERRETDB_PATCHES``) so lookups by ``_id``,
  one id or a list of them, use the primary-key index instead of scanning.

Provisioning is cached and idempotent (a marker file is written only after a
successful download/build); starting is idempotent (a live, answering server is
reused). Only the standard library is used, so this runs before any venv exists.

CLI (from the repository root)::

    python -m deploy.local.launcher provision
    python -m deploy.local.launcher start  --profile run|test [--fresh]
    python -m deploy.local.launcher status --profile run|test
    python -m deploy.local.launcher stop   --profile run|test

Python API (e.g. a pytest fixture)::

    from deploy.local.launcher import LocalServers
    servers = LocalServers.for_profile("test")
    endpoints = servers.start()      # provisions if needed
    endpoints.kafka_bootstrap, endpoints.mongodb_url
    servers.stop()

Environment: ``OWLERY_CACHE_DIR`` (default ``<repo>/.cache``), ``OWLERY_RUN_DIR``
(default ``<repo>/.run``; a profile's state lives in ``<run dir>/<profile>``),
``OWLERY_KAFKA_PORT``, ``OWLERY_KAFKA_CONTROLLER_PORT``, ``OWLERY_MONGODB_PORT``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

HERE: Final = Path(__file__).resolve().parent
REPO_ROOT: Final = HERE.parent.parent
KAFKA_POM: Final = HERE / "kafka" / "pom.xml"
KAFKA_LOG4J2_CONFIG: Final = HERE / "kafka" / "log4j2.yaml"
FERRETDB_SRC: Final = HERE / "ferretdb"
FERRETDB_PATCHES: Final = (
    # FerretDB v1 on SQLite builds the unique _id index on `_ferretdb_sjson->"_id"` but queries (find, update,
    # replace, delete by _id) compare `_ferretdb_sjson->'$._id'`: the same value, yet SQLite only uses an
    # expression index for the identical expression, so every lookup by _id scanned the whole table
    # (45 ms at 20,000 documents instead of 0.7 ms). `->'_id'` is the same JSON label, in the index's form.
    (
        "github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata/metadata.go",
        """IDColumn = DefaultColumn + "->'$._id'\"""",
        """IDColumn = DefaultColumn + "->'_id'\"""",
    ),
    # A filter `{_id: {$in: [...]}}` of up to 500 string or ObjectID ids reads those rows through the same index
    # instead of scanning (v1 pushes down only `{_id: value}`): batch reads and marks by id stay cheap at any size.
    # FerretDB still applies the whole filter to what it read, so the answer is the same either way.
    (
        "github.com/FerretDB/FerretDB/internal/backends/sqlite/collection.go",
        "\t\tcase string, types.ObjectID:\n\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)",
        "\t\tcase *types.Document:\n\t\t\twhereClause, args = idInClause(v.(*types.Document))\n"
        "\t\tcase string, types.ObjectID:\n\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)",
    ),
    (
        "github.com/FerretDB/FerretDB/internal/backends/sqlite/collection.go",
        "// check interfaces\nvar (",
        """// idInClause pushes `{$in: [ids]}` down to the _id index (Owlery's patch); empty when it cannot.
func idInClause(condition *types.Document) (string, []any) {
	if condition.Len() != 1 {
		return "", nil
	}
	values, ok := condition.Map()["$in"].(*types.Array)
	if !ok || values.Len() == 0 || values.Len() > 500 {
		return "", nil
	}
	placeholders := make([]string, 0, values.Len())
	args := make([]any, 0, values.Len())
	for i := 0; i < values.Len(); i++ {
		value := must.NotFail(values.Get(i))
		switch value.(type) {
		case string, types.ObjectID:
			placeholders = append(placeholders, "?")
			args = append(args, string(must.NotFail(sjson.MarshalSingleValue(value))))
		default:
			return "", nil
		}
	}
	return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, strings.Join(placeholders, ", ")), args
}

// check interfaces
var (""",
    ),
)

HOST: Final = "127.0.0.1"
READY_TIMEOUT_S: Final = 90.0
STOP_TIMEOUT_S: Final = 20.0
LOG_TAIL_LINES: Final = 40
KAFKA_NODE_ID: Final = 1
KAFKA_JVM_OPTS: Final = (
    "-Xms256m",
    "-Xmx768m",
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)
MIN_JAVA_MAJOR: Final = 17

PROFILE_DEFAULTS: Final[dict[str, tuple[int, int, int]]] = {
    # profile: (kafka port, kafka controller port, mongodb port)
    "run": (9092, 9093, 27017),
    "test": (19092, 19093, 37017),
}
WIPE_ON_START: Final = {"run": False, "test": True}


class LauncherError(RuntimeError):
    """A failure to report as one line (no traceback) with a process exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ToolMissingError(LauncherError):
    """A required tool (java, mvn, go) is missing or too old: exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


def _info(message: str) -> None:
    print(f"[owlery-launcher] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- paths


def cache_dir() -> Path:
    raw = os.environ.get("OWLERY_CACHE_DIR")
    return Path(raw).expanduser().resolve() if raw else REPO_ROOT / ".cache"


def run_root() -> Path:
    raw = os.environ.get("OWLERY_RUN_DIR")
    return Path(raw).expanduser().resolve() if raw else REPO_ROOT / ".run"


def kafka_version() -> str:
    match = re.search(r"<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>", KAFKA_POM.read_text())
    if not match:
        raise LauncherError(f"no <kafka.version> property in {KAFKA_POM}")
    return match.group(1)


def ferretdb_version() -> str:
    text = (FERRETDB_SRC / "go.mod").read_text()
    match = re.search(r"github\.com/FerretDB/FerretDB\s+(v[0-9][^\s]*)", text)
    if not match:
        raise LauncherError(f"{FERRETDB_SRC / 'go.mod'} does not require github.com/FerretDB/FerretDB")
    return match.group(1)


def kafka_home() -> Path:
    return cache_dir() / f"kafka-{kafka_version()}"


def kafka_lib_dir() -> Path:
    return kafka_home() / "lib"


def ferretdb_binary() -> Path:
    return cache_dir() / "bin" / f"owlery-ferretdb-{ferretdb_version()}"


def _sources_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _kafka_digest() -> str:
    return _sources_digest([KAFKA_POM])


def _ferretdb_digest() -> str:
    sources = _sources_digest([FERRETDB_SRC / n for n in ("go.mod", "go.sum", "main.go")])
    return hashlib.sha256((sources + json.dumps(FERRETDB_PATCHES)).encode()).hexdigest()


def _marker_ok(marker: Path, digest: str) -> bool:
    try:
        return bool(json.loads(marker.read_text()).get("sources_sha256") == digest)
    except (OSError, ValueError, AttributeError):
        return False


def _write_marker(marker: Path, digest: str, **extra: Any) -> None:
    data = {"sources_sha256": digest, "provisioned_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra}
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(marker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- tools


_INSTALL_HINTS: Final = {
    "java": "a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)",
    "mvn": "Apache Maven 3.6+ (Debian: apt-get install maven)",
    "go": "Go 1.24+ (the official linux tarball unpacked into /usr/local/go; Debian's golang-go is too old)",
}
_FALLBACK_LOCATIONS: Final = {"go": ("/usr/local/go/bin/go",)}


def require_tool(name: str, purpose: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in _FALLBACK_LOCATIONS.get(name, ()):
        if os.access(candidate, os.X_OK):
            return candidate
    raise ToolMissingError(f"'{name}' not found on PATH (needed to {purpose}): install {_INSTALL_HINTS[name]}")


_java_checked: str | None = None


def require_java() -> str:
    global _java_checked
    if _java_checked:
        return _java_checked
    java = require_tool("java", "run Kafka")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolMissingError(f"'{java} -version' failed ({exc}): install {_INSTALL_HINTS['java']}") from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_392"
            major = int(match.group(2))
        if major < MIN_JAVA_MAJOR:
            raise ToolMissingError(
                f"Kafka {kafka_version()} needs Java {MIN_JAVA_MAJOR}+, but '{java}' is Java {major}: "
                f"install {_INSTALL_HINTS['java']}"
            )
    _java_checked = java
    return java


def _run_tool(argv: Sequence[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-LOG_TAIL_LINES:])
        raise LauncherError(f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n{tail}")


# --------------------------------------------------------------------------- provisioning


def kafka_provisioned() -> bool:
    lib = kafka_lib_dir()
    return lib.is_dir() and _marker_ok(kafka_home() / ".provisioned", _kafka_digest())


def ferretdb_provisioned() -> bool:
    binary = ferretdb_binary()
    marker = binary.with_name(binary.name + ".provisioned")
    return os.access(binary, os.X_OK) and _marker_ok(marker, _ferretdb_digest())


def provision_kafka() -> bool:
    """Resolve Kafka's runtime classpath into the cache. Returns True if work was done."""
    if kafka_provisioned():
        return False
    home, lib = kafka_home(), kafka_lib_dir()
    with _file_lock(cache_dir() / ".provision-kafka.lock"):
        if kafka_provisioned():
            return False
        mvn = require_tool("mvn", "download Kafka from Maven Central")
        require_java()
        marker = home / ".provisioned"
        marker.unlink(missing_ok=True)
        partial = home / "lib.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(lib, ignore_errors=True)
        home.mkdir(parents=True, exist_ok=True)
        _info(f"provisioning Kafka {kafka_version()} into {lib} (mvn, first time only)...")
        started = time.monotonic()
        _run_tool(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(KAFKA_POM),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={partial}",
            ],
            cwd=KAFKA_POM.parent,
            what="Maven download of Kafka",
        )
        jars = sorted(p.name for p in partial.glob("*.jar"))
        if not any(j.startswith(f"kafka_2.13-{kafka_version()}") for j in jars):
            raise LauncherError(f"Maven finished but {partial} has no kafka_2.13-{kafka_version()}.jar")
        partial.rename(lib)
        elapsed = time.monotonic() - started
        _write_marker(marker, _kafka_digest(), kafka_version=kafka_version(), jars=jars, seconds=round(elapsed, 1))
        _info(f"Kafka {kafka_version()}: {len(jars)} jars in {elapsed:.1f}s")
        return True


def provision_ferretdb() -> bool:
    """Build the embedded FerretDB binary into the cache. Returns True if work was done."""
    if ferretdb_provisioned():
        return False
    binary = ferretdb_binary()
    marker = binary.with_name(binary.name + ".provisioned")
    with _file_lock(cache_dir() / ".provision-ferretdb.lock"):
        if ferretdb_provisioned():
            return False
        go = require_tool("go", "build FerretDB")
        marker.unlink(missing_ok=True)
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_name(binary.name + ".partial")
        partial.unlink(missing_ok=True)
        _info(f"building FerretDB {ferretdb_version()} into {binary} (go build, first time only, ~1 min)...")
        started = time.monotonic()
        env = {**os.environ, "CGO_ENABLED": "0"}
        # Built from a vendored copy in the cache, so the patches touch neither the repository nor the module cache.
        staging = cache_dir() / "build" / "ferretdb"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in ("go.mod", "go.sum", "main.go"):
            shutil.copy2(FERRETDB_SRC / name, staging / name)
        _run_tool([go, "mod", "vendor"], cwd=staging, what="Go vendoring of FerretDB", env=env)
        for relative, before, after in FERRETDB_PATCHES:
            source = staging / "vendor" / relative
            text = source.read_text()
            if text.count(before) != 1:
                raise LauncherError(f"cannot patch {relative}: expected one {before!r} (FerretDB changed?)")
            source.write_text(text.replace(before, after))
        _run_tool(
            [go, "build", "-mod=vendor", "-trimpath", "-buildvcs=false", "-o", str(partial), "."],
            cwd=staging,
            what="Go build of FerretDB",
            env=env,
        )
        shutil.rmtree(staging, ignore_errors=True)
        partial.replace(binary)
        elapsed = time.monotonic() - started
        _write_marker(marker, _ferretdb_digest(), ferretdb_version=ferretdb_version(), seconds=round(elapsed, 1))
        _info(f"FerretDB {ferretdb_version()}: built in {elapsed:.1f}s")
        return True


def provision() -> None:
    provision_kafka()
    provision_ferretdb()
    from deploy.local import lrs  # imports this module: imported here, not at the top

    lrs.provision()  # the tests' Learning Record Store (ralph), in a venv of its own


# --------------------------------------------------------------------------- processes


def _pid_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own exited child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def _pid_cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


# Runs the server detached: the helper exits at once, so the server is nobody's
# child here (no zombies, no ResourceWarning) and survives this Python process.
_DETACH_HELPER: Final = (
    "import subprocess, sys\n"
    "log = open(sys.argv[1], 'ab', buffering=0)\n"
    "p = subprocess.Popen(sys.argv[3:], cwd=sys.argv[2], stdin=subprocess.DEVNULL,"
    " stdout=log, stderr=subprocess.STDOUT, start_new_session=True)\n"
    "print(p.pid, flush=True)\n"
)


def _spawn_detached(argv: Sequence[str], log_path: Path, cwd: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-I", "-W", "ignore", "-c", _DETACH_HELPER, str(log_path), str(cwd), *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        raise LauncherError(f"could not start {argv[0]}: {out.stderr.strip() or out.stdout.strip()}")
    return int(out.stdout.strip())


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))
            data = handle.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:]) or f"({path} is empty)"


def _port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- wire probes


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise ConnectionError("connection closed by peer")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self) -> str | None:
        length = self.take(">h")
        if length < 0:
            return None
        value = self.data[self.pos : self.pos + length].decode()
        self.pos += length
        return value


def _kafka_call(sock: socket.socket, api_key: int, version: int, correlation_id: int, body: bytes) -> _Reader:
    client_id = b"owlery-launcher"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    reader = _Reader(_recv_exact(sock, size))
    if reader.take(">i") != correlation_id:
        raise ConnectionError("Kafka answered with a wrong correlation id")
    return reader


@dataclass(frozen=True)
class KafkaMetadata:
    brokers: list[tuple[int, str, int]]
    controller_id: int
    cluster_id: str | None
    metadata_version: int


def kafka_metadata(port: int, timeout: float = 2.0) -> KafkaMetadata:
    """ApiVersions v0 then Metadata (v1..v8, non-flexible) over a raw socket."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        # ApiVersions v0: empty body; response: error_code, [api_key, min, max].
        reader = _kafka_call(sock, 18, 0, 1, b"")
        error = reader.take(">h")
        if error:
            raise ConnectionError(f"ApiVersions error code {error}")
        ranges = {}
        for _ in range(reader.take(">i")):
            key, low, high = reader.take(">hhh")
            ranges[key] = (low, high)
        if 3 not in ranges:
            raise ConnectionError("broker does not offer the Metadata API")
        low, high = ranges[3]
        version = max(low, min(high, 8))
        if not 1 <= version <= 8:
            raise ConnectionError(f"no Metadata version in 1..8 (broker offers {low}..{high})")
        body = struct.pack(">i", 0)  # no topics: brokers and controller only
        if version >= 4:
            body += b"\x00"  # allow_auto_topic_creation=false
        if version >= 8:
            body += b"\x00\x00"  # include cluster/topic authorized operations
        reader = _kafka_call(sock, 3, version, 2, body)
        if version >= 3:
            reader.take(">i")  # throttle_time_ms
        brokers = []
        for _ in range(reader.take(">i")):
            node_id = reader.take(">i")
            host = reader.string() or ""
            broker_port = reader.take(">i")
            reader.string()  # rack
            brokers.append((node_id, host, broker_port))
        cluster_id = reader.string() if version >= 2 else None
        controller_id = reader.take(">i")
        return KafkaMetadata(brokers, controller_id, cluster_id, version)


def kafka_ready(port: int) -> bool:
    try:
        metadata = kafka_metadata(port)
    except (OSError, ConnectionError, struct.error, UnicodeDecodeError):
        return False
    return any(node_id == KAFKA_NODE_ID for node_id, _, _ in metadata.brokers)


def _bson_cstring(value: str) -> bytes:
    return value.encode() + b"\0"


def _bson_encode(doc: dict[str, int | str]) -> bytes:
    body = b""
    for key, value in doc.items():
        if isinstance(value, bool):
            raise TypeError("bool is not supported")
        if isinstance(value, int):
            body += b"\x10" + _bson_cstring(key) + struct.pack("<i", value)
        else:
            raw = value.encode() + b"\0"
            body += b"\x02" + _bson_cstring(key) + struct.pack("<i", len(raw)) + raw
    return struct.pack("<i", len(body) + 5) + body + b"\0"


_BSON_FIXED_SIZES: Final = {
    0x01: 8,
    0x07: 12,
    0x08: 1,
    0x09: 8,
    0x0A: 0,
    0x10: 4,
    0x11: 8,
    0x12: 8,
    0x13: 16,
    0x7F: 0,
    0xFF: 0,
}


def _bson_decode(data: bytes) -> dict[str, Any]:
    """Top-level fields only: numbers, strings and booleans decoded, other types skipped."""
    (length,) = struct.unpack_from("<i", data, 0)
    pos, out = 4, {}
    while pos < length - 1:
        kind = data[pos]
        end = data.index(b"\0", pos + 1)
        key = data[pos + 1 : end].decode()
        pos = end + 1
        value: Any = None
        if kind == 0x01:
            value = struct.unpack_from("<d", data, pos)[0]
        elif kind == 0x10:
            value = struct.unpack_from("<i", data, pos)[0]
        elif kind == 0x12:
            value = struct.unpack_from("<q", data, pos)[0]
        elif kind == 0x08:
            value = data[pos] == 1
        if kind in _BSON_FIXED_SIZES:
            pos += _BSON_FIXED_SIZES[kind]
        elif kind in (0x02, 0x0D, 0x0E):  # string, JS code, symbol
            (size,) = struct.unpack_from("<i", data, pos)
            value = data[pos + 4 : pos + 4 + size - 1].decode(errors="replace")
            pos += 4 + size
        elif kind in (0x03, 0x04, 0x0F):  # document, array, code w/ scope
            pos += struct.unpack_from("<i", data, pos)[0]
        elif kind == 0x05:  # binary
            pos += 5 + struct.unpack_from("<i", data, pos)[0]
        elif kind == 0x0B:  # regex: two cstrings
            pos = data.index(b"\0", data.index(b"\0", pos) + 1) + 1
        elif kind == 0x0C:  # DBPointer
            pos += 4 + struct.unpack_from("<i", data, pos)[0] + 12
        else:
            raise ValueError(f"unknown BSON type 0x{kind:02x}")
        out[key] = value
    return out


def mongodb_command(port: int, command: dict[str, int | str], timeout: float = 2.0) -> dict[str, Any]:
    """Send one OP_MSG command (section kind 0) and decode the reply's top-level fields."""
    op_msg = 2013
    payload = struct.pack("<I", 0) + b"\x00" + _bson_encode(command)
    header = struct.pack("<iiii", 16 + len(payload), 1, 0, op_msg)
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(header + payload)
        length, _request_id, response_to, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
        reply = _recv_exact(sock, length - 16)
    if response_to != 1 or opcode != op_msg:
        raise ConnectionError(f"unexpected MongoDB reply (opcode {opcode}, responseTo {response_to})")
    if reply[4] != 0:
        raise ConnectionError(f"unexpected OP_MSG section kind {reply[4]}")
    return _bson_decode(reply[5:])


def mongodb_ready(port: int) -> bool:
    try:
        reply = mongodb_command(port, {"ping": 1, "$db": "admin"})
    except (OSError, ConnectionError, ValueError, struct.error, IndexError):
        return False
    return reply.get("ok") == 1


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    mongodb_url: str

    def as_env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP": self.kafka_bootstrap, "MONGODB_URL": self.mongodb_url}


@dataclass(frozen=True)
class Profile:
    name: str
    kafka_port: int
    kafka_controller_port: int
    mongodb_port: int
    state_dir: Path
    wipe_on_start: bool

    @classmethod
    def named(cls, name: str) -> Profile:
        if name not in PROFILE_DEFAULTS:
            raise LauncherError(f"unknown profile {name!r} (choose from {', '.join(PROFILE_DEFAULTS)})", 2)
        kafka, controller, mongodb = PROFILE_DEFAULTS[name]
        return cls(
            name=name,
            kafka_port=_env_port("OWLERY_KAFKA_PORT", kafka),
            kafka_controller_port=_env_port("OWLERY_KAFKA_CONTROLLER_PORT", controller),
            mongodb_port=_env_port("OWLERY_MONGODB_PORT", mongodb),
            state_dir=run_root() / name,
            wipe_on_start=WIPE_ON_START[name],
        )


def _env_port(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise LauncherError(f"{variable}={raw!r} is not a TCP port", 2)
    return int(raw)


class _Server:
    """One background server process with a pid file and a log under the state dir."""

    name = "server"

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.dir = profile.state_dir / self.name
        self.pid_file = self.dir / f"{self.name}.pid"
        self.out_log = self.dir / f"{self.name}.out"

    @property
    def port(self) -> int:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def data_paths(self) -> list[Path]:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write config and initialise storage before the process starts."""

    def log_tails(self) -> str:
        return f"--- last {LOG_TAIL_LINES} lines of {self.out_log} ---\n{_tail(self.out_log)}"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not _pid_alive(pid):
            return None
        cmdline = _pid_cmdline(pid)
        if cmdline is not None and str(self.dir) not in cmdline:
            return None  # the pid was recycled by an unrelated process
        return pid

    def wipe(self) -> None:
        for path in self.data_paths():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)

    def ports(self) -> list[int]:
        return [self.port]

    def spawn(self) -> int:
        """Start the process (not waiting for readiness); return its pid."""
        for port in self.ports():
            if _port_open(port):
                raise LauncherError(
                    f"{self.name}: port {HOST}:{port} is already taken by a process this launcher "
                    f"did not start (profile {self.profile.name}); stop it or set another port "
                    f"(OWLERY_KAFKA_PORT, OWLERY_KAFKA_CONTROLLER_PORT, OWLERY_MONGODB_PORT)"
                )
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        self.out_log.write_bytes(b"")
        pid = _spawn_detached(self.command(), self.out_log, self.dir)
        self.pid_file.write_text(f"{pid}\n")
        return pid

    def wait_ready(self, pid: int, deadline: float) -> None:
        while True:
            if self.ready():
                return
            if not _pid_alive(pid):
                self.pid_file.unlink(missing_ok=True)
                raise LauncherError(f"{self.name} exited during start-up\n{self.log_tails()}")
            if time.monotonic() > deadline:
                raise LauncherError(
                    f"{self.name} (pid {pid}) not ready on {HOST}:{self.port} after {READY_TIMEOUT_S:.0f}s\n"
                    f"{self.log_tails()}"
                )
            time.sleep(0.2)

    def signal_stop(self) -> int | None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        return pid

    def finish_stop(self, pid: int, deadline: float) -> bool:
        """Wait for the process to end, SIGKILL it at the deadline. True if it had to be killed."""
        killed = False
        while _pid_alive(pid):
            if time.monotonic() > deadline:
                _info(f"{self.name} (pid {pid}) ignored SIGTERM for {STOP_TIMEOUT_S:.0f}s: SIGKILL")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed = True
                deadline = time.monotonic() + 5
                while _pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                break
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return killed


class KafkaServer(_Server):
    name = "kafka"

    def __init__(self, profile: Profile) -> None:
        super().__init__(profile)
        self.properties = self.dir / "server.properties"
        self.data_dir = self.dir / "data"
        self.logs_dir = self.dir / "logs"
        self.cluster_id_file = self.dir / "cluster.id"

    @property
    def port(self) -> int:
        return self.profile.kafka_port

    def ports(self) -> list[int]:
        return [self.port, self.profile.kafka_controller_port]

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def ready(self) -> bool:
        return kafka_ready(self.port)

    def data_paths(self) -> list[Path]:
        return [self.data_dir, self.logs_dir]

    def log_tails(self) -> str:
        server_log = self.logs_dir / "server.log"
        server_tail, out_tail = _tail(server_log), _tail(self.out_log)
        text = f"--- last {LOG_TAIL_LINES} lines of {server_log} ---\n{server_tail}"
        if not set(out_tail.splitlines()) <= set(server_tail.splitlines()):  # JVM errors, crashes
            text += f"\n--- last {LOG_TAIL_LINES} lines of {self.out_log} (stdout/stderr) ---\n{out_tail}"
        return text

    def _java(self, main_class: str, *args: str, jvm: Sequence[str] = ()) -> list[str]:
        return [
            require_java(),
            *jvm,
            f"-Dlog4j2.configurationFile=file:{KAFKA_LOG4J2_CONFIG}",
            f"-Dkafka.logs.dir={self.logs_dir}",
            "-cp",
            f"{kafka_lib_dir()}/*",
            main_class,
            *args,
        ]

    def command(self) -> list[str]:
        return self._java("kafka.Kafka", str(self.properties), jvm=KAFKA_JVM_OPTS)

    def write_properties(self) -> None:
        p = self.profile
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(KAFKA_NODE_ID),
            "controller.quorum.voters": f"{KAFKA_NODE_ID}@{HOST}:{p.kafka_controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{p.kafka_port},CONTROLLER://{HOST}:{p.kafka_controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{p.kafka_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "auto.create.topics.enable": "true",
            "delete.topic.enable": "true",
            # One node: internal topics must not ask for 3 replicas (consumer groups would
            # never find a coordinator). Fewer partitions make the first group join faster.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "5",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        lines = [f"# written by deploy/local/launcher.py (profile {p.name}) at each start; edits are lost"]
        lines += [f"{key}={value}" for key, value in settings.items()]
        self.properties.write_text("\n".join(lines) + "\n")

    def cluster_id(self) -> str:
        with contextlib.suppress(OSError):
            stored = self.cluster_id_file.read_text().strip()
            if stored:
                return stored
        _info("kafka: generating a cluster id (StorageTool random-uuid, once per state dir)...")
        out = subprocess.run(
            self._java("kafka.tools.StorageTool", "random-uuid"),
            capture_output=True,
            text=True,
            check=False,
        )
        ids: list[str] = re.findall(r"^[A-Za-z0-9_-]{22}$", out.stdout, re.MULTILINE)
        if out.returncode != 0 or not ids:
            raise LauncherError(f"kafka StorageTool random-uuid failed:\n{out.stdout}{out.stderr}")
        self.cluster_id_file.write_text(ids[-1] + "\n")
        return ids[-1]

    @property
    def template_dir(self) -> Path:
        """A copy of ``data`` right after formatting, reused instead of formatting again."""
        return self.dir / f"formatted-{kafka_version()}"

    @staticmethod
    def _cluster_id_in(data_dir: Path) -> str | None:
        with contextlib.suppress(OSError):
            match = re.search(r"^cluster\.id=(\S+)", (data_dir / "meta.properties").read_text(), re.M)
            return match.group(1) if match else None
        return None

    def prepare(self) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.write_properties()
        formatted = self._cluster_id_in(self.data_dir)
        if formatted:  # existing storage (run profile restart): keep it and its cluster id
            if not self.cluster_id_file.exists():
                self.cluster_id_file.write_text(formatted + "\n")
            return
        cluster_id = self.cluster_id()
        if self._cluster_id_in(self.template_dir) == cluster_id:
            # Empty storage (first start after a wipe): copying the formatted template
            # gives the same files as StorageTool format, without a 2-3 s JVM start.
            shutil.rmtree(self.data_dir, ignore_errors=True)
            shutil.copytree(self.template_dir, self.data_dir)
            return
        _info(f"kafka: formatting {self.data_dir} (cluster id {cluster_id})...")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        out = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(self.properties), "-g"),
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise LauncherError(f"kafka StorageTool format failed:\n{out.stdout}{out.stderr}")
        partial = self.template_dir.with_name(self.template_dir.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(self.template_dir, ignore_errors=True)
        shutil.copytree(self.data_dir, partial)
        partial.rename(self.template_dir)


class FerretDBServer(_Server):
    name = "ferretdb"

    def __init__(self, profile: Profile) -> None:
        super().__init__(profile)
        self.data_dir = self.dir / "data"

    @property
    def port(self) -> int:
        return self.profile.mongodb_port

    @property
    def url(self) -> str:
        return f"mongodb://{HOST}:{self.port}/"

    def ready(self) -> bool:
        return mongodb_ready(self.port)

    def data_paths(self) -> list[Path]:
        return [self.data_dir]

    def command(self) -> list[str]:
        return [
            str(ferretdb_binary()),
            "-listen-addr",
            f"{HOST}:{self.port}",
            "-sqlite-dir",
            str(self.data_dir),
            "-log-level",
            os.environ.get("OWLERY_FERRETDB_LOG_LEVEL", "info"),
            # WAL (FerretDB's default) without a sync per commit: a crash of the process loses nothing, a power
            # cut may lose the last commits. Fine for a local server; production runs MongoDB.
            "-sqlite-params",
            "_pragma=synchronous(normal)",
        ]


@dataclass(frozen=True)
class ServerStatus:
    name: str
    pid: int | None
    port: int
    ready: bool


class LocalServers:
    """Kafka + FerretDB for one profile ("run" keeps data, "test" starts empty)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.kafka = KafkaServer(profile)
        self.ferretdb = FerretDBServer(profile)
        self._lock_path = profile.state_dir / ".launcher.lock"

    @classmethod
    def for_profile(cls, name: str) -> LocalServers:
        return cls(Profile.named(name))

    @property
    def servers(self) -> tuple[_Server, ...]:
        return (self.ferretdb, self.kafka)

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(kafka_bootstrap=self.kafka.bootstrap, mongodb_url=self.ferretdb.url)

    def start(self, *, fresh: bool = False) -> Endpoints:
        """Provision if needed, start what is not running, wait until both answer.

        A server that is already running and answering is reused as it is (its data
        kept, even on the test profile); ``fresh=True`` stops it first. A server
        started here on the "test" profile starts from empty storage.
        """
        provision()
        require_java()  # before anything starts: a missing java must not leave FerretDB behind
        started_at = time.monotonic()
        with _file_lock(self._lock_path):
            if fresh:
                self._stop_locked()
            deadline = time.monotonic() + READY_TIMEOUT_S
            spawned: list[tuple[_Server, int]] = []
            try:
                waiting: list[tuple[_Server, int]] = []
                for server in self.servers:
                    pid = server.pid()
                    if pid is not None:
                        if not server.ready():
                            _info(f"{server.name}: pid {pid} is running but not answering yet: waiting")
                        waiting.append((server, pid))
                        continue
                    server.pid_file.unlink(missing_ok=True)
                    if self.profile.wipe_on_start:
                        server.wipe()
                    pid = server.spawn()
                    _info(f"{server.name}: started pid {pid} on {HOST}:{server.port}")
                    spawned.append((server, pid))
                    waiting.append((server, pid))
                for server, pid in waiting:
                    server.wait_ready(pid, deadline)
            except BaseException:
                stop_deadline = time.monotonic() + STOP_TIMEOUT_S
                for server, pid in spawned:
                    if server.signal_stop() is not None:
                        server.finish_stop(pid, stop_deadline)
                raise
        if spawned:
            _info(f"profile {self.profile.name}: ready in {time.monotonic() - started_at:.1f}s")
        return self.endpoints

    def stop(self) -> None:
        with _file_lock(self._lock_path):
            self._stop_locked()

    @contextlib.contextmanager
    def shared(self) -> Iterator[Endpoints]:
        """Start (or reuse) the servers for this process and stop them after the last process using them.

        Test sessions run side by side on one machine (a developer's and an editor's): one finishing must not
        pull the servers from under another. Each user leaves its pid in the profile's state directory.
        """
        users = self.profile.state_dir / "users"
        mine = users / str(os.getpid())
        with _file_lock(self._lock_path):
            users.mkdir(parents=True, exist_ok=True)
            mine.touch()
        try:
            yield self.start()
        finally:
            with _file_lock(self._lock_path):
                mine.unlink(missing_ok=True)
                for other in users.iterdir():  # pid files a killed session left behind
                    if not (other.name.isdigit() and _alive(int(other.name))):
                        other.unlink(missing_ok=True)
                if not any(users.iterdir()):
                    self._stop_locked()

    def _stop_locked(self) -> None:
        stopping = [(server, pid) for server in self.servers if (pid := server.signal_stop()) is not None]
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for server, pid in stopping:
            started = time.monotonic()
            killed = server.finish_stop(pid, deadline)
            how = "killed" if killed else "stopped"
            _info(f"{server.name}: {how} pid {pid} ({time.monotonic() - started:.1f}s)")

    def status(self) -> list[ServerStatus]:
        return [
            ServerStatus(server.name, pid, server.port, pid is not None and server.ready())
            for server in self.servers
            for pid in [server.pid()]
        ]

    def __enter__(self) -> Endpoints:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local.launcher",
        description="Provision and run Owlery's local Kafka and FerretDB servers.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("provision", help="download Kafka and build FerretDB into the cache (once)")
    for name, text in (
        ("start", "start both servers (idempotent) and print their endpoints"),
        ("stop", "stop both servers (SIGTERM, then SIGKILL after 20 s)"),
        ("status", "show whether the servers run and answer"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--profile", choices=sorted(PROFILE_DEFAULTS), default="run")
        if name == "start":
            sub.add_argument("--fresh", action="store_true", help="stop running servers first")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "provision":
            provision()
            _info(f"provisioned: {kafka_lib_dir()}, {ferretdb_binary()} and the test LRS (ralph)")
            return 0
        servers = LocalServers.for_profile(args.profile)
        if args.command == "start":
            endpoints = servers.start(fresh=args.fresh)
            out: IO[str] = sys.stdout
            for key, value in endpoints.as_env().items():
                print(f"{key}={value}", file=out)
            return 0
        if args.command == "stop":
            servers.stop()
            return 0
        statuses = servers.status()
        for st in statuses:
            state = "stopped" if st.pid is None else f"running pid {st.pid}"
            answer = "answering" if st.ready else "not answering"
            print(f"{st.name:<9} {state:<20} {HOST}:{st.port:<6} {answer}")
        return 0 if all(st.ready for st in statuses) else 1
    except LauncherError as exc:
        print(f"launcher: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("launcher: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

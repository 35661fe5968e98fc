"""A real Learning Record Store for tests and trials: the LRS of the `ralph-malph` package, on loopback.

Ralph pins its own FastAPI (0.114), which the workspace cannot share, so it lives in a venv of its own
in the cache (``<cache>/ralph-<version>/venv``), made once by ``provision`` (uv when it is there, else
venv + pip). A server stores statements in files (ralph's ``fs`` backend) under a directory of its own
and lets one Basic-auth user in, written to its auth file with ``ralph auth``.

Only the standard library is used, like the launcher's.

CLI (from the repository root)::

    python -m deploy.local.lrs provision
    python -m deploy.local.lrs run --port 8100 --dir .run/lrs   # until Ctrl-C; user owlery/owlery
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from deploy.local.launcher import LauncherError, _file_lock, _info, _marker_ok, _tail, _write_marker, cache_dir

RALPH_VERSION: Final = "5.1.0"
REQUIREMENTS: Final = (
    f"ralph-malph[cli,lrs]=={RALPH_VERSION}",
    # Ralph 5.1.0 imports requests (its OIDC auth) at start without declaring it in its `lrs` extra.
    "requests>=2.31,<3",
)
HOST: Final = "127.0.0.1"
SERVE: Final = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

# Ralph's fs backend creates its one statements file and refuses every later write ("already exists"):
# appending makes it an LRS that takes more than one request. `ralph runserver` also runs uvicorn with
# reload (a file watcher), which a test server does not want.
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
"""
START_TIMEOUT_SECONDS: Final = 60.0


def ralph_home() -> Path:
    return cache_dir() / f"ralph-{RALPH_VERSION}"


def ralph_python() -> Path:
    return ralph_home() / "venv" / "bin" / "python"


def _digest() -> str:
    return hashlib.sha256(json.dumps(REQUIREMENTS).encode()).hexdigest()


def provisioned() -> bool:
    return os.access(ralph_python(), os.X_OK) and _marker_ok(ralph_home() / ".provisioned", _digest())


def _uv() -> str | None:
    for candidate in (
        cache_dir() / "tools" / "bin" / "uv",
        Path(__file__).parents[2] / ".cache" / "tools" / "bin" / "uv",
    ):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("uv")


def _run(argv: Sequence[str], what: str) -> None:
    proc = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise LauncherError(f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n{tail}")


def provision() -> bool:
    """Install ralph into its own venv in the cache, once. Returns True if work was done."""
    if provisioned():
        return False
    with _file_lock(cache_dir() / ".provision-ralph.lock"):
        if provisioned():
            return False
        home = ralph_home()
        venv = home / "venv"
        shutil.rmtree(venv, ignore_errors=True)  # a half-made venv from an interrupted run
        home.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        _info(f"provisioning ralph {RALPH_VERSION} (the test LRS) into {venv} (first time only)...")
        uv = _uv()
        if uv:
            _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], "creating ralph's venv")
            _run([uv, "pip", "install", "--quiet", "--python", str(ralph_python()), *REQUIREMENTS], "installing ralph")
        else:
            _run([sys.executable, "-m", "venv", str(venv)], "creating ralph's venv")
            _run([str(ralph_python()), "-m", "pip", "install", "--quiet", *REQUIREMENTS], "installing ralph")
        _write_marker(home / ".provisioned", _digest(), ralph_version=RALPH_VERSION)
        _info(f"ralph {RALPH_VERSION}: installed in {time.monotonic() - started:.1f}s")
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class LrsServer:
    """One ralph LRS process: `start()` returns once it answers, `stop()` ends it (its statements stay on disk)."""

    directory: Path
    port: int = field(default_factory=free_port)
    username: str = "owlery"
    password: str = "owlery"
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "ralph.log"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RALPH_APP_DIR": str(self.directory / "app"),
            "RALPH_AUTH_FILE": str(self.directory / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.directory / "statements"),
        }

    def _write_auth_file(self) -> None:
        auth = self.directory / "auth.json"
        auth.unlink(missing_ok=True)  # `ralph auth -w` appends, and refuses a user twice
        ralph = ralph_python().with_name("ralph")
        argv = [str(ralph), "auth", "-u", self.username, "-p", self.password, "-s", "all", "-w"]
        argv += ["-A", self.username, self.endpoint]  # the agent named as `authority` of what this user stores
        proc = subprocess.run(argv, env=self._env(), capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not auth.is_file():
            raise LauncherError(f"ralph auth failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")

    def start(self) -> LrsServer:
        provision()
        for name in ("app", "statements"):
            (self.directory / name).mkdir(parents=True, exist_ok=True)
        self._write_auth_file()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ralph_python()), "-c", SERVE, HOST, str(self.port)],
                cwd=self.directory,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise LauncherError(f"ralph did not answer on {self.endpoint}; its log:\n{_tail(self.log_path)}")
            time.sleep(0.2)
        return self

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/__heartbeat__", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    @contextlib.contextmanager
    def running(self) -> Iterator[LrsServer]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.lrs", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("provision", help=f"install ralph {RALPH_VERSION} into the cache (once)")
    run = commands.add_parser("run", help="run an LRS until interrupted")
    run.add_argument("--port", type=int, default=8100)
    run.add_argument("--dir", type=Path, default=Path(".run/lrs"))
    args = parser.parse_args(argv)
    try:
        if args.command == "provision":
            provision()
            _info(f"provisioned: {ralph_home()}")
            return 0
        server = LrsServer(args.dir.resolve(), args.port)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a plain kill stops ralph too, through `running`
        with server.running():
            _info(
                f"LRS at {server.endpoint}/xAPI (user {server.username}, password {server.password}); Ctrl-C stops it"
            )
            with contextlib.suppress(KeyboardInterrupt):
                while server.process is not None and server.process.poll() is None:
                    time.sleep(1)
        return 0
    except LauncherError as error:
        print(f"[owlery-lrs] {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())

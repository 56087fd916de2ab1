"""Fixtures of the server tests: an in-process TestClient and a real uvicorn server."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.app import create_app

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 20.0


def pytest_configure(config):
    # Starlette would rather its TestClient ran on httpx2; the installed httpx works and is ours.
    config.addinivalue_line(
        "filterwarnings", "ignore:Using `httpx` with `starlette.testclient` is deprecated"
    )


@pytest.fixture(scope="module")
def client():
    """The app in process: REST requests and websockets without a network."""
    from fastapi.testclient import TestClient  # imported here, where the warning filter applies

    with TestClient(create_app()) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    """A `python -m server` subprocess listening on `port`."""

    process: subprocess.Popen
    port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/train"

    def thread_count(self) -> int:
        """The server process's threads, as the kernel counts them."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("Threads:"))
        return int(line.split()[1])

    def thread_ids(self) -> set[int]:
        return {int(task.name) for task in Path(f"/proc/{self.process.pid}/task").iterdir()}


def _wait_until_healthy(server: LiveServer, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited at startup:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{server.http_url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /api/health:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The real server, started as a user starts it, killed when the module's tests are done."""
    log_path = tmp_path_factory.mktemp("live_server") / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        # As docs/deploy.md advises for hosting: glibc would otherwise keep an arena of memory
        # per thread that ever ran (two per session), which the memory checks would count.
        "MALLOC_ARENA_MAX": "2",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "--no-browser", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process, port)
    try:
        _wait_until_healthy(server, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

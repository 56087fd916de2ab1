"""Fixtures of the server tests: an in-process TestClient and a real uvicorn server."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from server.app import create_app
from server.settings import Settings
from tests.support.launcher import ServerProcess


def pytest_configure(config):
    # Starlette would rather its TestClient ran on httpx2; the installed httpx works and is ours.
    config.addinivalue_line(
        "filterwarnings", "ignore:Using `httpx` with `starlette.testclient` is deprecated"
    )


@pytest.fixture(scope="module")
def client():
    """The app in process: REST requests and websockets without a network."""
    from fastapi.testclient import TestClient  # imported here, where the warning filter applies

    # The TestClient sends `Host: testserver`, a name the server serves only when told to.
    with TestClient(create_app(Settings(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


@dataclass
class LiveServer:
    """A `python -m server` subprocess (tests/support/launcher.py) and what the tests read."""

    server: ServerProcess

    @property
    def process(self):
        return self.server.process

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def http_url(self) -> str:
        return self.server.url

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    def thread_count(self) -> int:
        """The server process's threads, as the kernel counts them."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("Threads:"))
        return int(line.split()[1])

    def thread_ids(self) -> set[int]:
        return {int(task.name) for task in Path(f"/proc/{self.process.pid}/task").iterdir()}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The real server, started as a user starts it, killed when the module's tests are done."""
    server = ServerProcess(
        log_path=tmp_path_factory.mktemp("live_server") / "server.log",
        # As docs/deploy.md advises for hosting: glibc would otherwise keep an arena of memory
        # per thread that ever ran (two per session), which the memory checks would count.
        env={"MALLOC_ARENA_MAX": "2"},
    )
    with server:
        yield LiveServer(server)

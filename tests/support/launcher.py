"""Start the playground's server in a subprocess, as a user starts it: for tests and benchmarks.

with ServerProcess("--workers", "2") as server:
    httpx.get(f"{server.url}/api/health")
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: tests/support/launcher.py


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`python -m server --no-browser --port PORT [args]`; ready once /api/health answers.

    Output goes to `log_path` (or nowhere); `env` adds to the environment. It can be stopped
    and started again on the same port.
    """

    def __init__(
        self,
        *args: str,
        port: int | None = None,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 30.0,
        root: Path = ROOT,
    ):
        """`root`: the checkout whose server runs (another tree's, for a benchmark's before)."""
        self.args, self.log_path, self.timeout, self.root = args, log_path, timeout, root
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/train"
        path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
        self.env = {**os.environ, "PYTHONPATH": path, **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServerProcess":
        command = [sys.executable, "-m", "server", "--no-browser", "--port", str(self.port)]
        log = self.log_path.open("a") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [*command, *self.args],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            if self.log_path:
                log.close()
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at startup{self._log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no answer from /api/health{self._log()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def _log(self) -> str:
        return f":\n{self.log_path.read_text()}" if self.log_path else ""

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

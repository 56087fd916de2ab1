"""The real server under load, and `--workers`: many sessions at once, tabs that vanish and
come back, and what the server holds once they are gone (benchmarks/bench_load.py measures)."""

import asyncio
import json

import httpx
from websockets.asyncio.client import connect

from benchmarks.bench_load import measure, warm_up
from tests.support.launcher import ServerProcess

SESSIONS, SECONDS = 16, 10.0
MEMORY_BACK_MB = 30


def test_many_sessions_with_tabs_that_vanish_leave_nothing_behind(live_server):
    warm_up(live_server.ws_url)
    figures = measure(live_server.ws_url, live_server.process.pid, SESSIONS, SECONDS, seed=7)
    print("load:", figures)
    assert figures["reconnects"] > 0
    assert figures["survivors_with_frames"] == figures["survivors"]
    assert figures["contiguous"], "a surviving session's epoch history has a gap"
    assert figures["threads_after"] <= figures["threads_before"]
    assert figures["children_after"] == figures["children_before"]
    assert figures["rss_after_mb"] - figures["rss_before_mb"] < MEMORY_BACK_MB


def _sessions_per_worker(base_url: str, workers: int = 2) -> dict[int, int]:
    """{pid: sessions} from /api/health over fresh connections, until `workers` answered."""
    seen = {}
    with httpx.Client(base_url=base_url, headers={"connection": "close"}) as client:
        for _ in range(200):
            health = client.get("/api/health").json()
            seen[health["pid"]] = health["sessions"]
            if len(seen) == workers:
                break
    return seen


async def _train_until_both_workers_serve(ws_url: str, base_url: str, pids: set[int]) -> dict:
    """Open sessions one at a time (the kernel hands each connection to whichever worker
    accepts first) until every worker runs one; each trains a few epochs. Returns the
    sessions each worker reports."""
    sockets, per_worker = [], {}
    try:
        while len(sockets) < 40:
            websocket = await connect(ws_url, max_size=None)
            sockets.append(websocket)
            await websocket.send(json.dumps({"type": "configure"}))
            await websocket.send(json.dumps({"type": "step", "epochs": 3}))
            while True:
                message = await asyncio.wait_for(websocket.recv(), 60)
                if isinstance(message, str) and "stepped to epoch 3" in message:
                    break
            per_worker = _sessions_per_worker(base_url, len(pids))
            if all(per_worker.get(pid, 0) > 0 for pid in pids):
                break
        return per_worker
    finally:
        for websocket in sockets:
            await websocket.close()


def test_two_workers_serve_independent_sessions():
    with ServerProcess("--workers", "2") as server:
        base_url, port = server.url, server.port
        pids = set(_sessions_per_worker(base_url))
        assert len(pids) == 2, f"only worker {pids} answered"
        ws_url = f"ws://127.0.0.1:{port}/ws/train"
        warm_up(ws_url)
        per_worker = asyncio.run(_train_until_both_workers_serve(ws_url, base_url, pids))
    assert sorted(per_worker) == sorted(pids)
    assert all(n > 0 for n in per_worker.values()), f"sessions per worker: {per_worker}"


def test_every_worker_process_warms_the_training_loop_as_it_starts(monkeypatch):
    """The app's start (run in each worker process) compiles or loads the compiled epoch, so a
    worker's first student does not wait for it; before, only `mlp-playground`'s own process
    warmed it, and with --workers N the workers are other processes."""
    import threading

    from fastapi.testclient import TestClient

    from mlp_engine import kernels
    from server.app import create_app
    from server.settings import Settings

    warmed = threading.Event()
    monkeypatch.setattr(kernels, "warm_up", warmed.set)
    with TestClient(create_app(Settings(allowed_hosts=("testserver",)))):
        assert warmed.wait(10), "the app started without warming the training loop"

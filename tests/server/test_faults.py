"""Faults leave the server up and the other sessions unaffected: a worker that raises, and a
client that stops reading while its session trains (the real server, over the network)."""

import asyncio
import json
import time

from fastapi.testclient import TestClient
from test_end_to_end import playground
from websockets.asyncio.client import connect
from wire import read_message, receive_message

from benchmarks.bench_load import rss_mb, warm_up
from mlp_engine import MLP
from server.app import create_app
from server.settings import Settings

SLOW_READER_MB = 50


def receive_type(ws, expected: str) -> dict:
    while True:
        message = receive_message(ws)
        if message["type"] == expected:
            return message


def test_a_worker_that_raises_answers_internal_and_the_session_goes_on(monkeypatch):
    train_epoch, calls = MLP.train_epoch_and_test, []

    def raise_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("injected fault")
        return train_epoch(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "train_epoch_and_test", raise_once)
    app = create_app(Settings(allowed_hosts=("testserver",)))
    with TestClient(app) as client, client.websocket_connect("/ws/train") as ws:
        ws.send_json({"type": "configure"})
        receive_type(ws, "ready")
        ws.send_json({"type": "step", "epochs": 1})
        error = receive_type(ws, "error")
        ws.send_json({"type": "step", "epochs": 3})
        stepped = receive_type(ws, "status")
    assert error["code"] == "internal" and "injected fault" in error["message"]
    assert (stepped["state"], stepped["epoch"]) == ("paused", 3)


def test_a_slow_reader_keeps_memory_bounded_and_others_streaming(live_server):
    warm_up(live_server.ws_url)
    pid = live_server.process.pid

    async def scenario():
        async with (
            # A queue of one message: the client stops reading the socket as soon as one waits.
            # Its close handshake then waits behind unread frames, hence the short close_timeout.
            connect(live_server.ws_url, max_size=None, max_queue=1, close_timeout=1) as slow,
            playground(live_server) as other,
        ):
            await slow.send(json.dumps({"type": "configure"}))
            await slow.send(json.dumps({"type": "play"}))
            await other.configure()
            await other.send("play")
            await other.messages_for(0.5)
            before = rss_mb(pid)
            frames_before, peak = len(other.frames()), before
            deadline = time.monotonic() + 3.0  # `slow` reads nothing meanwhile
            while time.monotonic() < deadline:
                await other.messages_for(0.25)
                peak = max(peak, rss_mb(pid))
            others_frames = len(other.frames()) - frames_before
            epochs = []
            resumed_until = time.monotonic() + 1.0
            while time.monotonic() < resumed_until:
                message = read_message(await asyncio.wait_for(slow.recv(), 5.0))
                if message["type"] == "frame":
                    epochs.append(message["epoch"])
            await slow.send(json.dumps({"type": "pause"}))
            await other.send("pause")
            await other.expect("status", until=lambda status: status["state"] == "paused")
            return before, peak, others_frames, epochs

    before, peak, others_frames, epochs = asyncio.run(scenario())
    print(f"slow reader: VmRSS {before:.1f} MB before, {peak:.1f} MB at the peak")
    assert peak - before < SLOW_READER_MB
    assert others_frames >= 10, "the other session stopped getting frames"
    assert len(epochs) >= 2 and epochs[-1] > epochs[0], "the slow session did not recover"

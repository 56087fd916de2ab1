"""The real server over the network: `python -m server` in a subprocess, driven with `websockets`.

Each test is a conversation of one or two browser tabs with the server, run by asyncio.run; the
server (conftest.py's module-scoped `live_server`) is shared by the module's tests.
"""

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

import numpy as np
import pytest
from websockets.asyncio.client import connect
from wire import decode_arrays, frame_parts, read_message

from server.history import HISTORY_POINTS

TIMEOUT = 10.0  # generous: the machine may be busy with other work
FIRST_EPOCH_TIMEOUT = 60.0  # the server's first epoch loads (or compiles) the engine's kernels
FRAME_LIMIT = 100_000  # bytes of JSON and binary together, for the default config


class PlaygroundClient:
    """A browser tab's side of /ws/train: JSON messages out; messages in, frames with payloads.

    Every message received is kept in `received`, in order. A frame (one binary message) gets
    its binary part as `frame["payload"]`, and the size of its JSON part as `frame["text_size"]`.
    """

    def __init__(self, websocket):
        self.websocket = websocket
        self.received: list[dict] = []

    async def send(self, message_type: str, **fields) -> None:
        await self.websocket.send(json.dumps({"type": message_type, **fields}))

    async def send_raw(self, data: str | bytes) -> None:
        await self.websocket.send(data)

    async def receive(self, timeout: float = TIMEOUT) -> dict:
        """The next message; a frame with its binary part."""
        data = await asyncio.wait_for(self.websocket.recv(), timeout)
        message = read_message(data)
        if message["type"] == "frame":
            text, payload = frame_parts(data)
            message["payload"], message["text_size"] = payload, len(text)
        self.received.append(message)
        return message

    async def expect(
        self,
        message_type: str,
        until: Callable[[dict], bool] = lambda message: True,
        timeout: float = TIMEOUT,
    ) -> dict:
        """The next message of `message_type` for which `until` holds; skips others.

        An `error` while waiting for something else fails the test with the error's message.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = await self.receive(max(remaining, 0.0))
            except TimeoutError:
                raise AssertionError(f"no matching {message_type!r} within {timeout} s") from None
            if message["type"] == "error" and message_type != "error":
                raise AssertionError(f"the server answered with an error: {message}")
            if message["type"] == message_type and until(message):
                return message

    async def messages_for(self, seconds: float) -> list[dict]:
        """Every message that arrives within `seconds`."""
        messages, deadline = [], time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                messages.append(await self.receive(remaining))
            except TimeoutError:
                break
        return messages

    async def configure(self, **config) -> tuple[dict, dict]:
        """Start a run: its `ready` and its first frame."""
        await self.send("configure", config=config)
        ready = await self.expect("ready")
        return ready, await self.expect("frame", until=lambda frame: frame["epoch"] == 0)

    async def step(self, epochs: int = 1, timeout: float = TIMEOUT) -> dict:
        """Train `epochs` epochs; the status that says they are done."""
        await self.send("step", epochs=epochs)
        return await self.expect(
            "status", until=lambda s: "stepped" in s["message"], timeout=timeout
        )

    async def frame_now(self) -> dict:
        """A fresh frame of the session's state, asked for by probing the same sample again.

        Messages already on their way are read first, so that the frame is the answer.
        """
        await self.messages_for(0.2)
        await self.send("probe", index=self.frames()[-1]["probe"])
        return await self.expect("frame")

    def frames(self) -> list[dict]:
        return [message for message in self.received if message["type"] == "frame"]


@asynccontextmanager
async def playground(server):
    async with connect(server.ws_url, max_size=None) as websocket:
        yield PlaygroundClient(websocket)


def history_epochs(frames: list[dict]) -> list[int]:
    return [epoch for frame in frames for epoch in frame["history"]["epoch"]]


def is_paused(status: dict) -> bool:
    return status["state"] == "paused"


@pytest.fixture(scope="module")
def server(live_server):
    """The live server, once it has trained an epoch: the first one loads the compiled kernels."""

    async def first_epoch():
        async with playground(live_server) as client:
            await client.configure()
            await client.step(timeout=FIRST_EPOCH_TIMEOUT)

    asyncio.run(first_epoch())
    return live_server


# -- training ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "config",
    [{"dataset": "circle"}, {"dataset": "xor", "hidden_layers": [4, 4]}],
    ids=["circle", "xor"],
)
def test_play_lowers_the_loss(server, config):
    async def scenario():
        async with playground(server) as client:
            _, first = await client.configure(**config)
            await client.send("play")
            halved = await client.expect(
                "frame", until=lambda f: f["train_loss"] < first["train_loss"] / 2, timeout=5.0
            )
            await client.send("pause")
            return halved

    halved = asyncio.run(scenario())
    assert halved["state"] == "running"
    assert halved["epoch"] > 0


def test_frames_are_coalesced_and_histories_sum_up_the_epochs_between(server):
    async def scenario():
        async with playground(server) as client:
            await client.configure()
            await client.send("play")
            await client.messages_for(1.0)
            await client.send("pause")
            paused = await client.expect("status", until=is_paused)
            await client.messages_for(0.3)
            return client.frames(), paused["epoch"]

    frames, last_epoch = asyncio.run(scenario())
    epochs = history_epochs(frames)
    assert epochs == sorted(set(epochs)) and epochs[0] >= 1 and epochs[-1] == last_epoch
    assert frames[-1]["epoch"] == last_epoch
    assert len(frames) < last_epoch, "frames should be fewer than epochs: they are coalesced"
    assert len(frames) <= 1.3 * 30 + 5, "at most about 30 frames a second"
    previous = 0
    for frame in frames:
        history = frame["history"]
        assert len(history["train_loss"]) == len(history["test_loss"]) == len(history["epoch"])
        trained = frame["epoch"] - previous
        # Every epoch of a short stretch; of a long one the last, lowest and highest (at most
        # five points), so that the curve reaches every frame with no gap.
        if trained <= HISTORY_POINTS:
            assert history["epoch"] == list(range(previous + 1, frame["epoch"] + 1))
        else:
            assert 1 <= len(history["epoch"]) <= 5
        if trained > 0:
            assert history["epoch"][-1] == frame["epoch"]
            assert history["epoch"][0] > previous
            assert history["train_loss"][-1] == pytest.approx(frame["train_loss"])
        previous = frame["epoch"]


def test_frames_stay_under_100_kb(server):
    async def scenario():
        async with playground(server) as client:
            await client.configure()
            await client.send("play")
            await client.messages_for(0.5)
            await client.send("pause")
            return client.frames()

    frames = asyncio.run(scenario())
    assert len(frames) > 2
    for frame in frames:
        assert frame["text_size"] + len(frame["payload"]) < FRAME_LIMIT


def test_pause_stops_the_epoch(server):
    async def scenario():
        async with playground(server) as client:
            await client.configure()
            await client.send("play")
            await client.expect("frame", until=lambda f: f["epoch"] >= 20)
            await client.send("pause")
            paused = await client.expect("status", until=is_paused)
            after_pause = await client.messages_for(0.5)
            return paused, after_pause, await client.frame_now()

    paused, after_pause, frame = asyncio.run(scenario())
    assert all(m["epoch"] <= paused["epoch"] for m in after_pause if m["type"] == "frame")
    assert (frame["epoch"], frame["state"]) == (paused["epoch"], "paused")


def test_frames_after_pause_say_paused_at_a_set_speed(server):
    """A view draws what the latest frame says, so the frame after `pause` must say paused.

    At a set speed every epoch's frame goes out at once; pausing then changes nothing a frame
    shows except `state`, and no new frame is sent unless one is owed anyway.
    """

    async def scenario():
        async with playground(server) as client:
            await client.configure()
            await client.send("set", speed=10)
            await client.send("play")
            await client.expect("frame", until=lambda f: f["epoch"] >= 2)
            await client.send("pause")
            paused = await client.expect("status", until=is_paused)
            await client.messages_for(0.5)
            return paused, client.frames()[-1]

    paused, latest = asyncio.run(scenario())
    assert latest["epoch"] == paused["epoch"]
    assert latest["state"] == "paused", "the latest frame still says the run is running"


def test_step_trains_exactly_the_epochs_asked_for(server):
    async def scenario():
        async with playground(server) as client:
            await client.configure()
            first = await client.step(1)
            after_first = await client.messages_for(0.3)
            seventh = await client.step(7)
            after_seventh = await client.messages_for(0.3)
            return first, after_first, seventh, after_seventh, client.frames()

    first, after_first, seventh, after_seventh, frames = asyncio.run(scenario())
    assert (first["state"], first["epoch"]) == ("paused", 1)
    assert (seventh["state"], seventh["epoch"]) == ("paused", 8)
    for later, epoch in ((after_first, 1), (after_seventh, 8)):
        assert not [m for m in later if m["type"] == "status"], "a step trained further"
        assert all(m["epoch"] <= epoch for m in later if m["type"] == "frame")
    assert after_first[-1]["epoch"] == 1
    assert frames[-1]["epoch"] == 8
    assert max(frame["epoch"] for frame in frames) == 8
    assert history_epochs(frames) == list(range(1, 9))


def test_reset_starts_a_new_run_on_the_same_data(server):
    async def scenario():
        async with playground(server) as client:
            ready, first = await client.configure(dataset="gaussian", noise=0.3)
            await client.step(5)
            await client.send("reset")
            again = await client.expect("ready")
            restart = await client.expect("frame", until=lambda f: f["run"] == again["run"])
            stepped = await client.step(1)
            return ready, first, again, restart, stepped

    ready, first, again, restart, stepped = asyncio.run(scenario())
    assert (ready["run"], again["run"]) == (1, 2)
    assert (restart["epoch"], restart["state"]) == (0, "paused")
    assert restart["history"]["epoch"] == []
    assert (again["train"], again["test"]) == (ready["train"], ready["test"])
    assert again["config"] == ready["config"]
    before = decode_arrays(first, first["payload"])
    after = decode_arrays(restart, restart["payload"])
    for layer in range(len(ready["layer_sizes"]) - 1):
        assert before["W", layer].shape == after["W", layer].shape
        assert not np.array_equal(before["W", layer], after["W", layer])
    assert stepped["epoch"] == 1


def test_probe_follows_a_training_sample(server):
    async def scenario():
        async with playground(server) as client:
            ready, _ = await client.configure()
            await client.send("probe", index=17)
            probed = await client.expect("frame", until=lambda f: f["probe"] == 17)
            await client.send("probe", index=250)
            error = await client.expect("error")
            stepped = await client.step(1)
            after_step = await client.expect("frame", until=lambda f: f["epoch"] == 1)
            return ready, probed, error, stepped, after_step

    ready, probed, error, stepped, after_step = asyncio.run(scenario())
    arrays = decode_arrays(probed, probed["payload"])
    np.testing.assert_allclose(arrays["input", None], ready["train"]["x"][17], atol=1e-4)
    assert error["code"] == "bad_probe"
    assert "250" in error["message"]
    assert stepped["epoch"] == 1
    assert after_step["probe"] == 17, "a refused probe must leave the probe as it was"


def test_set_learning_rate_changes_the_running_training(server):
    async def scenario():
        async with playground(server) as client:
            await client.configure(
                dataset="plane", optimizer="sgd", hidden_layers=[8, 8], learning_rate=0.01
            )
            await client.send("play")
            steady = await client.expect("frame", until=lambda f: f["epoch"] >= 10)
            await client.send("set", learning_rate=10)
            diverged = await client.expect("status", until=lambda s: s["state"] == "diverged")
            return steady, diverged

    steady, diverged = asyncio.run(scenario())
    assert steady["state"] == "running"
    assert diverged["epoch"] >= steady["epoch"]
    assert "diverged" in diverged["message"]


def test_speed_paces_training(server):
    async def scenario():
        async with playground(server) as client:
            await client.configure()
            await client.send("set", speed=20)
            await client.send("play")
            start = await client.expect("frame", until=lambda f: f["epoch"] >= 1)
            started_at = time.monotonic()
            await client.messages_for(2.0)
            end, ended_at = client.frames()[-1], time.monotonic()
            await client.send("pause")
            return start, started_at, end, ended_at

    start, started_at, end, ended_at = asyncio.run(scenario())
    rate = (end["epoch"] - start["epoch"]) / (ended_at - started_at)
    assert 10 <= rate <= 30, f"{rate:.1f} epochs/s at speed 20"
    assert 10 <= end["epochs_per_second"] <= 30


# -- errors --------------------------------------------------------------------------------------
def test_before_configure_the_session_asks_for_a_configure(server):
    async def scenario():
        async with playground(server) as client:
            await client.send("play")
            return await client.expect("error")

    assert asyncio.run(scenario())["code"] == "not_configured"


def test_the_pace_may_come_before_the_first_run(server):
    """A page sends its speed on connecting; when its configure is refused (a link's network
    too large for this server), that `set` must not add a second, puzzling error."""

    async def scenario():
        async with playground(server) as client:
            await client.send("set", speed=5)
            await client.send("configure", config={"hidden_layers": [4] * 9})
            refused = await client.expect("error")
            await client.configure()
            await client.send("play")
            frames = await client.messages_for(1.5)
            return refused, [m for m in frames if m.get("type") in ("error", "frame")]

    refused, later = asyncio.run(scenario())
    assert refused["code"] == "invalid_config"
    assert not [m for m in later if m["type"] == "error"]
    epochs = [m["epoch"] for m in later if m["type"] == "frame"]
    # Paced at 5 epochs a second, the pace sent first: flat out would be thousands.
    assert max(epochs, default=0) <= 15, epochs


@pytest.mark.parametrize(
    ("sent", "code", "named"),
    [
        ("not json", "bad_json", "JSON"),
        (json.dumps({"type": "fly"}), "unknown_type", "fly"),
        (json.dumps({"type": "step", "epochs": "many"}), "invalid_message", "epochs"),
        (json.dumps({"type": "probe", "index": [1]}), "invalid_message", "index"),
        (json.dumps({"type": "set", "speed": "fast"}), "invalid_message", "speed"),
        (
            json.dumps({"type": "configure", "config": {"n_samples": 5001}}),
            "invalid_config",
            "n_samples",
        ),
        (
            json.dumps({"type": "configure", "config": {"hidden_layers": [4] * 9}}),
            "invalid_config",
            "hidden_layers",
        ),
        (b"\x00\x01", "invalid_message", "binary"),
    ],
    ids=[
        "not-json",
        "unknown-type",
        "wrong-type",
        "wrong-index",
        "wrong-speed",
        "5001-samples",
        "9-layers",
        "binary",
    ],
)
def test_a_bad_message_gets_an_error_and_the_session_keeps_working(server, sent, code, named):
    async def scenario():
        async with playground(server) as client:
            await client.configure()
            await client.step(2)
            await client.send_raw(sent)
            error = await client.expect("error")
            stepped = await client.step(1)
            frame = await client.expect("frame", until=lambda f: f["epoch"] == 3)
            return error, stepped, frame

    error, stepped, frame = asyncio.run(scenario())
    assert error["code"] == code
    assert named in error["message"]
    assert stepped["epoch"] == 3
    assert frame["run"] == 1, "an error must leave the run as it was"


def test_a_diverging_run_pauses_and_reset_recovers(server):
    async def scenario():
        async with playground(server) as client:
            await client.configure(
                dataset="plane", learning_rate=10, optimizer="sgd", hidden_layers=[8, 8]
            )
            await client.send("play")
            diverged = await client.expect("status", until=lambda s: s["state"] == "diverged")
            shown = await client.expect("frame", until=lambda f: f["state"] == "diverged")
            await client.send("play")
            refused = await client.expect("status")
            after = await client.messages_for(0.3)
            await client.send("reset")
            ready = await client.expect("ready")
            restart = await client.expect("frame", until=lambda f: f["run"] == ready["run"])
            stepped = await client.step(1)
            return diverged, shown, refused, after, ready, restart, stepped

    diverged, shown, refused, after, ready, restart, stepped = asyncio.run(scenario())
    # The status says what happened; the server's log is no place for NumPy's overflow warnings.
    assert "Warning" not in server.server.log_path.read_text()
    assert shown["epoch"] == diverged["epoch"]
    assert shown["train_loss"] is not None, "the weights are restored to their last finite state"
    assert refused["state"] == "diverged"
    assert "reset" in refused["message"]
    assert all(m["epoch"] == diverged["epoch"] for m in after if m["type"] == "frame")
    assert ready["run"] == 2
    assert (restart["epoch"], restart["state"]) == (0, "paused")
    assert (stepped["state"], stepped["epoch"]) == ("paused", 1)


# -- sessions ------------------------------------------------------------------------------------
def settled_thread_count(server, quiet: float = 0.5, timeout: float = 5.0) -> int:
    """The server's thread count once it has not changed for `quiet` seconds."""
    count, since, deadline = server.thread_count(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = server.thread_count()
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return count


def test_a_disconnect_during_training_frees_the_sessions_worker(server):
    """The threads a session starts end when its tab vanishes mid-training.

    Threads are followed by id as well as counted: the server's thread pool may retire an idle
    thread of its own meanwhile, which lowers the count but is no session's doing.
    """
    baseline, before = settled_thread_count(server), server.thread_ids()

    async def train_then_vanish():
        async with playground(server) as client:
            await client.configure()
            await client.send("play")
            await client.expect("frame", until=lambda f: f["epoch"] >= 10)
            started = server.thread_ids() - before
            client.websocket.transport.abort()  # no close handshake: a tab that crashed
            return started

    started = asyncio.run(train_then_vanish())
    assert started, "a training session runs on a worker thread of its own"
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and (
        started & server.thread_ids() or server.thread_count() > baseline
    ):
        time.sleep(0.05)
    assert not started & server.thread_ids(), "the session's worker outlived its connection"
    assert server.thread_count() <= baseline


def test_two_connections_train_independently(server):
    async def scenario():
        async with playground(server) as first, playground(server) as second:
            ready_first, _ = await first.configure(dataset="circle", seed=1)
            ready_second, _ = await second.configure(dataset="xor", hidden_layers=[4, 4])
            await first.send("play")
            await second.send("play")
            await first.expect("frame", until=lambda f: f["epoch"] >= 10)
            await second.expect("frame", until=lambda f: f["epoch"] >= 10)
            await first.send("pause")
            paused = await first.expect("status", until=is_paused)
            second_then = (await second.expect("frame"))["epoch"]
            await second.messages_for(0.5)
            second_later = second.frames()[-1]
            first_later = await first.frame_now()
            await second.send("pause")
            return ready_first, ready_second, paused, second_then, second_later, first_later

    ready_first, ready_second, paused, second_then, second_later, first_later = asyncio.run(
        scenario()
    )
    assert (ready_first["run"], ready_second["run"]) == (1, 1)
    assert ready_first["train"] != ready_second["train"]
    assert (first_later["epoch"], first_later["state"]) == (paused["epoch"], "paused")
    assert second_later["epoch"] > second_then, "pausing one session paused the other"
    assert second_later["state"] == "running"

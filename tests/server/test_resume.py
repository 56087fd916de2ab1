"""Runs survive their session: the page keeps `run_state`, and `resume` carries the run on in
another session (another connection, a restarted server, another backend), checked as strictly
as an imported model file. Real server, real websockets."""

import asyncio
import copy
import json
import signal

import numpy as np
import pytest
from test_end_to_end import FIRST_EPOCH_TIMEOUT, playground
from websockets.exceptions import ConnectionClosed
from wire import decode_arrays

from tests.support.launcher import ServerProcess

SPIRAL = {"dataset": "spiral", "optimizer": "adam", "hidden_layers": [5, 3], "batch_size": 8}


@pytest.fixture(scope="module")
def server(live_server):
    async def first_epoch():
        async with playground(live_server) as client:
            await client.configure()
            await client.step(timeout=FIRST_EPOCH_TIMEOUT)

    asyncio.run(first_epoch())
    return live_server


def kept(state: dict, frames: list[dict], custom: dict | None = None) -> dict:
    """A `resume` message as the page builds it from the last `run_state` it kept and the
    history its frames brought (up to the state's epoch)."""
    fields = {k: v for k, v in state.items() if k not in ("type", "history_rows")}
    rows = [
        (epoch, train, test)
        for frame in frames
        if frame["run"] == state["run"]
        for epoch, train, test in zip(
            frame["history"]["epoch"],
            frame["history"]["train_loss"],
            frame["history"]["test_loss"],
            strict=True,
        )
        if epoch <= state["epoch"]
    ]
    history = {
        name: [row[i] for row in rows]
        for i, name in enumerate(("epoch", "train_loss", "test_loss"))
    }
    fields["custom"] = custom or fields["custom"]
    return {"type": "resume", "state": {**fields, "history": history}}


def weights(frame: dict) -> list[np.ndarray]:
    arrays = decode_arrays(frame, frame["payload"])
    return [arrays[key] for key in sorted(arrays) if key[0] in ("W", "b")]


async def trained_state(client, epochs: int = 40) -> dict:
    """A spiral run with Adam, a new learning rate and an edited weight, stepped `epochs`;
    its state once the steps are done."""
    await client.send("keep_state")
    await client.configure(**SPIRAL)
    await client.step(epochs // 2)
    await client.send("set", learning_rate=0.01)
    await client.send("set_weight", layer=1, row=0, col=2, value=0.5)
    await client.send("probe", index=7)
    await client.step(epochs - epochs // 2)
    return await client.expect("run_state", lambda s: s["epoch"] == epochs and s["probe"] == 7)


def test_a_resumed_run_goes_on_exactly_as_it_would_have(server):
    """Same number, same epoch, and the same weights after 25 more epochs as the session that
    kept going: weights, Adam's buffers and the shuffling generator all came back."""

    async def conversation():
        async with playground(server) as first:
            await first.configure()  # run 1; the kept run is run 2
            state = await trained_state(first)
            message = kept(state, first.frames())
            await first.step(25)
            went_on = await first.frame_now()
        async with playground(server) as second:
            await second.send_raw(json.dumps(message))
            ready = await second.expect("ready")
            status = await second.expect("status")
            frame = await second.expect("frame")
            await second.step(25)
            resumed = await second.frame_now()
            await second.send("configure", config={})
            next_run = await second.expect("ready")
        return state, ready, status, frame, went_on, resumed, next_run

    state, ready, status, frame, went_on, resumed, next_run = asyncio.run(conversation())
    assert state["run"] == ready["run"] == 2
    assert ready["config"]["learning_rate"] == 0.01
    assert status["message"] == "resumed run 2 at epoch 40"
    assert frame["epoch"] == 40 and frame["probe"] == 7
    assert went_on["epoch"] == resumed["epoch"] == 65
    for ours, theirs in zip(weights(resumed), weights(went_on), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert next_run["run"] == 3


def test_a_resumed_run_keeps_its_custom_data_history_and_changes(server):
    points = [[x / 10, (x % 7) / 4 - 0.7] for x in range(-30, 30)]
    labels = [float(x % 2) for x in range(-30, 30)]

    async def conversation():
        async with playground(server) as first:
            await first.send("keep_state")
            await first.send("draw", x=points, y=labels, kind="binary")
            await first.expect("data")
            await first.configure(dataset="custom", batch_size=5)
            state = await first.expect("run_state")
            custom = state["custom"]
            await first.step(12)
            await first.send("set_weight", layer=0, row=1, col=0, value=-1.5)
            state = await first.expect("run_state", lambda s: len(s["changes"]) == 1)
            message = kept(state, first.frames(), custom)
        async with playground(server) as second:
            await second.send_raw(json.dumps(message))
            data = await second.expect("data")
            ready = await second.expect("ready")
            state = await second.expect("run_state")
            await second.send("export", what="script")
            script = await second.expect("export")
        return custom, data, ready, script, state, message

    custom, data, ready, script, state, message = asyncio.run(conversation())
    assert state["custom"] == custom and custom["x"] == points
    assert data["source"] == "drawn" and data["n_rows"] == len(points)
    assert ready["source"] == "custom" and ready["run"] == 1
    assert state["epoch"] == 12 and state["changes"] == [[12, "W", [0, 1, 0], -1.5]]
    assert "-1.5" in script["content"]  # the script replays the change made before the restart
    assert message["state"]["history"]["epoch"][-1] == 12


#: Stands for a number JSON cannot hold, written as its literal 1e999 (Python reads infinity).
INFINITE = "<1e999>"


def _breaks(message: dict, places: str, value) -> str:
    """`message` as JSON text with the values at the dotted paths `places` (comma-separated)
    replaced (or deleted: ...)."""
    broken = copy.deepcopy(message)
    for where in places.split(","):
        *path, last = where.split(".")
        place = broken["state"]
        for part in path:
            place = place[int(part)] if part.isdigit() else place[part]
        key = int(last) if last.isdigit() else last
        if value is ...:
            del place[key]
        else:
            place[key] = value
    return json.dumps(broken).replace(json.dumps(INFINITE), "1e999")


BAD_RESUMES = [
    ("wrong shape", "model.layers.0.W.0", ..., "layer 0: W should be 5 rows of 2 numbers"),
    ("non-finite weight", "model.layers.1.b.0", INFINITE, "layers[1].b[0]"),
    ("missing weight", "model.layers.1.W.0.0", None, "layers[1].W[0][0]"),
    ("non-finite history", "history.train_loss.3", INFINITE, "history.train_loss[3]"),
    ("oversize network", "model.config.n_h", [32] * 9, "config.n_h"),
    (
        "another run's data",
        "model.playground.config.features,initial_config.features",
        ["x1", "x2", "x1*x2"],
        "layer sizes [2, 5, 3, 1] do not fit",
    ),
    ("another run's config", "initial_config.dataset", "xor", "initial_config is another run's"),
    ("history after the epoch", "history.epoch.5", 10**6, "epochs must go up"),
    ("epoch beside the file's", "epoch", 41, "its model file at epoch 40"),
    ("probe out of range", "probe", 4999, "probe 4999"),
    ("change out of the network", "changes.1.2", [1, 0, 9], "no entry (0, 9)"),
    ("unknown field", "weights", [1], "weights: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(
    ("where", "value", "named"), [b[1:] for b in BAD_RESUMES], ids=[b[0] for b in BAD_RESUMES]
)
def test_a_bad_resume_is_refused_by_name_and_the_session_goes_on(server, where, value, named):
    async def conversation():
        async with playground(server) as first:
            state = await trained_state(first)
            message = _breaks(kept(state, first.frames()), where, value)
        async with playground(server) as second:
            await second.send_raw(message)
            error = await second.expect("error")
            await second.configure()
            status = await second.step(3)
        return error, status

    error, status = asyncio.run(conversation())
    assert error["code"] == "bad_resume", error
    assert named in error["message"], error["message"]
    assert status["epoch"] == 3


def test_an_oversize_resume_is_refused_before_it_is_read(server):
    async def conversation():
        async with playground(server) as first:
            state = await trained_state(first)
        message = kept(state, [])
        message["state"]["history"] = {"epoch": [0] * 3_000_000, "train_loss": [], "test_loss": []}
        async with playground(server) as second:
            await second.send_raw(json.dumps(message))
            error = await second.expect("error")
            await second.configure()
            status = await second.step(2)
        return error, status

    error, status = asyncio.run(conversation())
    assert error["code"] == "message_too_large"
    assert status["epoch"] == 2


def test_sigterm_tells_the_page_and_sends_the_final_state_before_closing(tmp_path):
    """A planned stop: `restarting`, then the run's state at the epoch it had reached (running,
    so that it trains on once resumed), then close code 1012; a new server resumes it."""

    async def training(server):
        async with playground(server) as client:
            await client.send("keep_state")
            await client.configure(**SPIRAL)
            await client.step(timeout=FIRST_EPOCH_TIMEOUT)
            await client.send("set", speed=50)
            await client.send("play")
            await client.expect("frame", lambda f: f["epoch"] >= 20)
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await client.receive()
            return client.received, closed.value

    async def resumed(server, message):
        async with playground(server) as client:
            await client.send_raw(json.dumps(message))
            await client.expect("ready")
            return await client.expect("frame", lambda f: f["state"] == "running")

    server = ServerProcess(log_path=tmp_path / "server.log")
    with server:
        received, closed = asyncio.run(training(server))
        server.process.wait(timeout=10)
        server.process = None
        server.start()
        types = [m["type"] for m in received]
        final = received[types.index("restarting") + 1]
        frames = [m for m in received if m["type"] == "frame"]
        frame = asyncio.run(resumed(server, kept(final, frames)))
    assert closed.rcvd is not None and closed.rcvd.code == 1012
    assert final["type"] == "run_state" and final["state"] == "running"
    assert [m for m in received if m["type"] == "run_state"][-1] is final  # no later state
    assert final["epoch"] >= frames[-1]["epoch"]  # nothing the page saw is lost
    assert frame["run"] == final["run"] and frame["epoch"] >= final["epoch"]


def test_states_come_when_asked_for_and_at_least_every_two_seconds_of_training(server):
    """No `run_state` unless asked for (`keep_state`); then one per run at once, and while a run
    trains at 20 epochs a second, never more than 2 seconds' epochs apart."""

    async def conversation():
        async with playground(server) as quiet:
            await quiet.configure()
            await quiet.step(5)
            unasked = await quiet.messages_for(0.5)
        async with playground(server) as keeping:
            await keeping.send("keep_state")
            await keeping.configure()
            first = await keeping.expect("run_state")
            await keeping.send("set", speed=20)
            await keeping.send("play")
            await keeping.expect("frame", lambda f: f["epoch"] >= 100, timeout=60)
            await keeping.send("pause")
            await keeping.expect("status", lambda s: s["state"] == "paused")
            last = await keeping.expect("run_state", lambda s: s["state"] == "paused")
            frames = keeping.frames()
            states = [m for m in keeping.received if m["type"] == "run_state"]
        return quiet.received + unasked, first, last, frames, states

    quiet, first, last, frames, states = asyncio.run(conversation())
    assert "run_state" not in [m["type"] for m in quiet]
    assert first["epoch"] == 0 and first["state"] == "paused"
    assert last["epoch"] == frames[-1]["epoch"]  # the pause's state is where training stopped
    epochs = [state["epoch"] for state in states]
    assert max(b - a for a, b in zip(epochs, epochs[1:], strict=False)) <= 2 * 20

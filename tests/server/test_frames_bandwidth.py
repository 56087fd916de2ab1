"""What a student costs the network: a frame is a few kilobytes, its history a summary.

The page draws the plane from the frame's weights (static/forward.js), so a frame carries no
grid; of the epochs since the previous frame it carries those a loss chart needs, while the
server keeps them all (`server.history`). Bytes are counted here, never timed.
"""

import asyncio
import json
import math

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from wire import read_message

from server.history import HISTORY_POINTS, MAX_ROWS, LossHistory, summary_rows
from tests.support.launcher import ServerProcess


def filled(losses) -> LossHistory:
    history = LossHistory()
    for epoch, (train, test) in enumerate(losses, start=1):
        history.append(epoch, train, test)
    return history


def test_a_short_stretch_goes_out_whole():
    history = filled([(1.0 / e, 2.0 / e) for e in range(1, HISTORY_POINTS + 1)])
    summary = history.take_summary()
    assert summary.epoch == list(range(1, HISTORY_POINTS + 1))
    assert summary.train_loss == [1.0 / e for e in range(1, HISTORY_POINTS + 1)]
    assert history.take_summary().epoch == []  # nothing new since


def test_a_long_stretch_keeps_its_last_lowest_and_highest_losses():
    rng = np.random.default_rng(0)
    losses = np.column_stack([np.linspace(1.0, 0.1, 500), np.linspace(1.2, 0.3, 500)])
    losses += rng.uniform(0, 0.01, losses.shape)
    losses[137, 0] = 5.0  # a spike of the training loss
    losses[301, 1] = 0.01  # a dip of the test loss
    history = filled(losses)
    summary = history.take_summary()
    rows = [epoch - 1 for epoch in summary.epoch]
    assert 137 in rows and 301 in rows and rows[-1] == 499
    assert rows == sorted(rows) and len(rows) <= 5
    np.testing.assert_array_equal(summary.train_loss, losses[rows, 0])
    np.testing.assert_array_equal(summary.test_loss, losses[rows, 1])
    for column in (0, 1):
        shown = losses[rows, column]
        assert shown.min() == losses[:, column].min() and shown.max() == losses[:, column].max()


def test_an_overflow_is_never_summed_away():
    losses = [(0.5, 0.6)] * 40
    losses[12] = (math.inf, math.nan)
    summary = filled(losses).take_summary()
    assert 13 in summary.epoch
    at = summary.epoch.index(13)
    assert summary.train_loss[at] is None and summary.test_loss[at] is None
    assert summary_rows(np.array([[np.nan, np.nan]] * 20)).tolist() == [0, 19]


def test_the_server_keeps_every_epoch():
    losses = [(1.0 + e, 2.0 + e) for e in range(3000)]
    history = filled(losses)
    for _ in range(3):
        history.take_summary()
        history.append(history.length + 1, 0.0, math.inf)
    kept = history.as_lists()
    assert kept["epoch"] == list(range(1, 3004))
    assert kept["train_loss"][:3000] == [train for train, _ in losses]
    assert kept["test_loss"][-1] is None


def test_an_hour_flat_out_keeps_a_bounded_history_with_its_spikes():
    """Past MAX_ROWS epochs the sent stretches are summarised: memory stays bounded, the curve
    keeps its order, its first and last epochs and a spike (an hour at 6,000 epochs/s would
    otherwise keep 21.6 million rows, 0.5 GB)."""
    history = LossHistory()
    epochs = 6 * MAX_ROWS
    spike = 4 * MAX_ROWS + 7
    for epoch in range(1, epochs + 1):
        history.append(epoch, 50.0 if epoch == spike else 1.0 / epoch, 2.0 / epoch)
        if epoch % 200 == 0:
            history.take_summary()
    assert history.length <= 2 * MAX_ROWS
    assert history.epochs.nbytes + history.losses.nbytes <= 2 * 24 * 2 * MAX_ROWS
    kept = history.as_lists()
    assert kept["epoch"][0] == 1 and kept["epoch"][-1] == epochs
    assert all(a < b for a, b in zip(kept["epoch"], kept["epoch"][1:], strict=False))
    assert kept["train_loss"][kept["epoch"].index(spike)] == 50.0
    # What was not yet sent is intact, epoch by epoch.
    assert kept["epoch"][-(epochs % 200) :] == list(range(epochs - epochs % 200 + 1, epochs + 1))


@pytest.fixture(scope="module")
def server():
    with ServerProcess() as process:
        yield process


class CountingConnection(ClientConnection):
    """A client connection that counts the bytes its socket receives."""

    wire_bytes = 0

    def data_received(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        super().data_received(data)


async def flat_out(url: str, config: dict, frames: int) -> dict:
    """While training flat out: each frame's message bytes (JSON + binary), the socket's bytes
    per frame, and the websocket extensions the server accepted."""
    async with connect(url, max_size=None, create_connection=CountingConnection) as ws:
        extensions = [type(extension).__name__ for extension in ws.protocol.extensions]
        await ws.send(json.dumps({"type": "configure", "config": config}))
        await ws.send(json.dumps({"type": "set", "speed": None}))
        await ws.send(json.dumps({"type": "play"}))
        sizes, start = [], None
        while len(sizes) < frames:
            message = await asyncio.wait_for(ws.recv(), 30)
            if read_message(message)["type"] == "frame":
                if start is None:  # from the first frame on: the ready message is bigger
                    start = ws.wire_bytes
                else:
                    sizes.append(len(message))
        wire_per_frame = (ws.wire_bytes - start) / frames
        return {"sizes": sizes, "wire_per_frame": wire_per_frame, "extensions": extensions}


#: (config, bytes a frame may take on the socket: the issue's budget at 30 frames/s, and as
#: messages before compression: "a few kilobytes", 60-130 kB before the page drew the plane)
NETWORKS = {
    "default": ({}, 100_000 / 30, 6_000),
    "6 x 8": ({"dataset": "spiral", "hidden_layers": [8] * 6}, 300_000 / 30, 12_000),
}


@pytest.mark.parametrize("network", NETWORKS)
def test_a_frame_fits_the_budget_of_a_student_at_30_frames_a_second(server, network):
    config, on_the_socket, as_messages = NETWORKS[network]
    got = asyncio.run(flat_out(server.ws_url, config, frames=40))
    # Browsers offer permessage-deflate and the server takes it: the arrays' manifest, which
    # repeats every frame, and the predictions' few distinct values shrink several-fold.
    assert got["extensions"] == ["PerMessageDeflate"]
    assert got["wire_per_frame"] < on_the_socket
    assert max(got["sizes"]) < as_messages, got["sizes"]

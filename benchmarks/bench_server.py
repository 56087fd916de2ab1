"""Throughput, frame size and latency of the playground's `/ws/train` websocket.

Run from the repository root (needs the project's dependencies: numpy, fastapi, uvicorn,
websockets):

    python benchmarks/bench_server.py                      # default config, 10 s window
    python benchmarks/bench_server.py --seconds 5 --config '{"dataset": "spiral"}'

It times the engine in-process, without the server, doing exactly what a session's worker does
per epoch (`train_epoch` on the training set, then `loss` on the test set), and `train_epoch`
alone: for half the window before the server runs and half after, so that a load that drifts
weighs on both sides of the comparison. In between it starts the real server
(`python -m server`) on a free port, configures a run, sends `play` and, after a 1 s warm-up,
counts the epochs and frames that arrive over the measuring window. Frames carry no send
timestamp, so latency is measured as the round trip of `{"type": "step", "epochs": 1}` while
paused: from sending it to receiving the frame of the new epoch. That round trip includes
training one epoch and building the frame, so it bounds from above the delay between an
epoch's end and its frame's arrival.
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.bench_load import frame_head  # noqa: E402
from server.protocol import TrainConfig  # noqa: E402
from server.session import build_run  # noqa: E402
from tests.support.launcher import ServerProcess  # noqa: E402

WARM_UP = 1.0
STEP_REPEATS = 100
ROUND = 0.25  # seconds per round of the bare measurement
RECEIVE_TIMEOUT = 10.0


@dataclass
class Frame:
    epoch: int
    state: str
    n_bytes: int  # JSON text (UTF-8) + the binary message that follows it
    arrived: float  # time.perf_counter() once the binary part is in


def bare_epochs(config: TrainConfig, seconds: float) -> np.ndarray:
    """[epochs, seconds] of the engine alone, in this process, after a warm-up.

    Row 0 is the worker's epoch (`Run.train_epoch`: the epoch, then both sets' losses from
    one pass), row 1 train_epoch alone (with the training set's loss); they run in
    alternating short rounds so that both see the same load.
    """
    run = build_run(config, 1, 0)

    def train(duration: float, with_test_loss: bool) -> tuple[int, float]:
        start, epochs = time.perf_counter(), 0
        while time.perf_counter() - start < duration:
            if with_test_loss:
                run.train_epoch()
            else:
                run.model.train_epoch(run.X_train, run.Y_train, config.batch_size)
            epochs += 1
        return epochs, time.perf_counter() - start

    train(WARM_UP, True)
    totals = np.zeros((2, 2))
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        for row in (0, 1):
            totals[row] += train(ROUND, row == 0)
    return totals


async def next_frame(ws) -> Frame:
    """The next frame with its binary part; other messages (ready, status) are skipped."""
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while True:
            received = await ws.recv()
            if isinstance(received, bytes):  # a frame: its JSON part, then its arrays
                message = json.loads(frame_head(received))
                return Frame(message["epoch"], message["state"], len(received), time.perf_counter())
            message = json.loads(received)
            if message["type"] == "error":
                raise RuntimeError(f"server error: {message['message']}")


async def stream(ws, seconds: float) -> tuple[float, list[Frame], int]:
    """Seconds from `play` to the first frame; the frames of the `seconds` after the warm-up,
    which starts at that first frame (it may wait for a JIT compilation); the last epoch."""
    sent = time.perf_counter()
    await ws.send(json.dumps({"type": "play"}))
    start = (await next_frame(ws)).arrived
    frames = []
    while (frame := await next_frame(ws)).arrived < start + WARM_UP + seconds:
        if frame.arrived >= start + WARM_UP:
            frames.append(frame)
    await ws.send(json.dumps({"type": "pause"}))
    while (frame := await next_frame(ws)).state != "paused":
        pass
    return start - sent, frames, frame.epoch


async def step_round_trips(ws, epoch: int, repeats: int) -> list[float]:
    """Seconds from sending a one-epoch `step` to receiving that epoch's frame, while paused."""
    times = []
    for _ in range(repeats):
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "step", "epochs": 1}))
        while (frame := await next_frame(ws)).epoch <= epoch:
            pass
        times.append(frame.arrived - sent)
        epoch = frame.epoch
    return times


async def drive(port: int, config: dict, seconds: float) -> tuple[float, list[Frame], list[float]]:
    url = f"ws://127.0.0.1:{port}/ws/train"
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "configure", "config": config}))
        await next_frame(ws)  # epoch 0
        first_frame, frames, epoch = await stream(ws, seconds)
        return first_frame, frames, await step_round_trips(ws, epoch, STEP_REPEATS)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class Results:
    bare: np.ndarray  # from bare_epochs
    first_frame: float  # seconds from `play` to the first frame
    frames: list[Frame]
    round_trips: list[float]  # seconds
    load: tuple[float, float]  # 1-min load average at start and end
    runtime: float  # seconds


def report(sent: dict, config: TrainConfig, seconds: float, results: Results) -> str:
    frames = results.frames
    span = frames[-1].arrived - frames[0].arrived
    streaming = (frames[-1].epoch - frames[0].epoch) / span
    bare, bare_train_only = results.bare[:, 0] / results.bare[:, 1]
    cost = 1 - streaming / bare
    frame_rate = (len(frames) - 1) / span
    sizes = np.array([frame.n_bytes for frame in frames])
    gaps = np.diff([frame.arrived for frame in frames]) * 1e3
    rtt_median, rtt_p95 = np.percentile(np.array(results.round_trips) * 1e3, [50, 95])

    def row(measure: str, value: str, target: str = "", ok: bool | None = None) -> str:
        verdict = "" if ok is None else "pass" if ok else "**FAIL**"
        return f"| {measure} | {value} | {target} | {verdict} |"

    return "\n".join(
        [
            "## /ws/train benchmark",
            "",
            f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"- machine: {cpu_model()}, {os.cpu_count()} logical cores, {platform.platform()}",
            f"- Python {platform.python_version()}, numpy {np.__version__}, "
            f"websockets {websockets.__version__}",
            f"- load average (1 min) at start / end: {results.load[0]:.2f} / "
            f"{results.load[1]:.2f} (other benchmarks or tests may share the CPUs)",
            f"- config sent: `{json.dumps(sent)}`; with defaults filled in: "
            f"`{json.dumps(config.model_dump(mode='json'))}`",
            f"- streaming: {span:.1f} s window after a {WARM_UP:g} s warm-up that starts at the "
            f"first frame after `play`, {len(frames)} frames; "
            f"{len(results.round_trips)} step round trips",
            f"- bare engine: in-process, no server, {seconds / 2:g} s before and {seconds / 2:g} s "
            "after the server run, the two variants in alternating rounds",
            f"- runtime: {results.runtime:.1f} s",
            "",
            "| measure | value | target | result |",
            "|---|---|---|---|",
            row(
                "epochs/s while streaming (frames' epoch counter)",
                f"{streaming:,.0f}",
                ">= 1,000",
                streaming >= 1000,
            ),
            row("bare epochs/s: the worker's epoch (`Run.train_epoch`)", f"{bare:,.0f}"),
            row("bare epochs/s: train_epoch alone", f"{bare_train_only:,.0f}"),
            row(
                "streaming cost: 1 - streaming / bare (the worker's epoch)",
                f"{cost:.1%}",
                "<= 20%",
                cost <= 0.20,
            ),
            row("frames/s received", f"{frame_rate:.1f}", ">= 25", frame_rate >= 25),
            row(
                "bytes/frame (JSON + binary): mean / max",
                f"{sizes.mean():,.0f} / {sizes.max():,}",
                "max < 100 kB (100,000 B)",
                sizes.max() < 100_000,
            ),
            row(
                "step round trip, ms: median / p95",
                f"{rtt_median:.1f} / {rtt_p95:.1f}",
                "median < 50",
                rtt_median < 50,
            ),
            row(
                "frame inter-arrival during play, ms: mean / stdev (jitter) / p95 / max",
                f"{gaps.mean():.1f} / {gaps.std():.1f} / {np.percentile(gaps, 95):.1f} / "
                f"{gaps.max():.1f}",
            ),
            row(
                "first frame after `play`, ms (includes any JIT compilation)",
                f"{results.first_frame * 1e3:,.0f}",
            ),
            "",
            "Latency: frames carry no send timestamp, so the figure is the round trip of "
            '`{"type": "step", "epochs": 1}` sent while paused, until the frame of the new epoch '
            "has fully arrived (JSON + binary). It includes training that epoch and building the "
            "frame, so it is an upper bound on the delay from an epoch's end to its frame's "
            "arrival. Jitter is the spread of the gaps between frame arrivals during `play`.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window")
    parser.add_argument("--config", default="{}", help="TrainConfig fields as JSON")
    args = parser.parse_args()
    started, load_start = time.perf_counter(), os.getloadavg()[0]
    sent = json.loads(args.config)
    config = TrainConfig(**sent)
    bare = bare_epochs(config, args.seconds / 2)
    with ServerProcess() as server:
        first_frame, frames, round_trips = asyncio.run(drive(server.port, sent, args.seconds))
    bare += bare_epochs(config, args.seconds / 2)
    load = (load_start, os.getloadavg()[0])
    results = Results(bare, first_frame, frames, round_trips, load, time.perf_counter() - started)
    print(report(sent, config, args.seconds, results))


if __name__ == "__main__":
    main()

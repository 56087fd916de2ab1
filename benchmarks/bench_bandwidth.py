"""What one student costs the network: bytes/s and frames/s of one `/ws/train` session.

Run from the repository root:

    python benchmarks/bench_bandwidth.py                       # this tree, 3 rounds of 5 s
    python benchmarks/bench_bandwidth.py --root /tmp/old /work/main --rounds 5

For each tree given (`--root`, default this one) it starts the real server (`python -m server`
from that tree) and, for the default network (circle, 2-4-2-1) and 6 hidden layers of 8
(spiral), a `websockets` client that configures, plays flat out (speed null) and reads every
message for `--seconds` after a 1 s warm-up. It counts the messages' bytes (JSON text + the
binary part) and the bytes that came over the socket: with permessage-deflate, which browsers
and this client negotiate and uvicorn accepts, and without it (`compression=None`). The rounds
take the trees and cases in turn, so a change of the machine's load touches every contender
alike; the medians of the rounds are reported.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import websockets
from websockets.asyncio.client import ClientConnection

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.bench_load import frame_head  # noqa: E402
from tests.support.launcher import ServerProcess  # noqa: E402

WARM_UP = 1.0
CASES = {
    "default 2-4-2-1 (circle)": {},
    "6 x 8 (spiral)": {"dataset": "spiral", "hidden_layers": [8] * 6},
}


class CountingConnection(ClientConnection):
    """A client connection that counts the bytes its socket receives (headers, compression)."""

    wire_bytes = 0

    def data_received(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        super().data_received(data)


async def measure(port: int, config: dict, seconds: float, compression: str | None) -> dict:
    """One session flat out: per second, message bytes, socket bytes, frames and epochs."""
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/train",
        max_size=None,
        compression=compression,
        create_connection=CountingConnection,
    ) as ws:
        await ws.send(json.dumps({"type": "configure", "config": config}))
        await ws.send(json.dumps({"type": "set", "speed": None}))
        await ws.send(json.dumps({"type": "play"}))
        counting, message_bytes, frames, first_epoch, epoch = False, 0, 0, None, 0
        start = time.perf_counter()
        while True:
            now = time.perf_counter()
            if not counting and now - start >= WARM_UP:
                counting, message_bytes, frames = True, 0, 0
                wire_start, started, first_epoch = ws.wire_bytes, now, epoch
            if counting and now - started >= seconds:
                break
            message = await ws.recv()
            message_bytes += len(message.encode() if isinstance(message, str) else message)
            if (head := frame_head(message)) is not None:
                frames += 1
                epoch = json.loads(head)["epoch"]
        elapsed = time.perf_counter() - started
        await ws.send(json.dumps({"type": "pause"}))
        return {
            "message_bytes_per_s": message_bytes / elapsed,
            "wire_bytes_per_s": (ws.wire_bytes - wire_start) / elapsed,
            "frames_per_s": frames / elapsed,
            "bytes_per_frame": message_bytes / max(frames, 1),
            "epochs_per_s": (epoch - first_epoch) / elapsed,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", nargs="+", type=Path, default=[ROOT])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    servers = {root: ServerProcess(root=root).start() for root in args.root}
    results: dict = {}
    try:
        for _ in range(args.rounds):
            for root, server in servers.items():
                for case, config in CASES.items():
                    for compression in ("deflate", None):
                        got = asyncio.run(measure(server.port, config, args.seconds, compression))
                        results.setdefault((root, case, compression), []).append(got)
    finally:
        for server in servers.values():
            server.stop()
    print(
        f"load average before/after: {os.getloadavg()[0]:.1f}; {args.rounds} rounds of "
        f"{args.seconds:g} s; medians\n"
    )
    print(
        "| tree | network | deflate | KB/s on the socket | KB/s of messages | bytes/frame "
        "| frames/s | epochs/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (root, case, compression), runs in results.items():
        med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(
            f"| {root} | {case} | {'yes' if compression else 'no'} "
            f"| {med['wire_bytes_per_s'] / 1000:,.1f} | {med['message_bytes_per_s'] / 1000:,.1f} "
            f"| {med['bytes_per_frame']:,.0f} | {med['frames_per_s']:.1f} "
            f"| {med['epochs_per_s']:,.0f} |"
        )


if __name__ == "__main__":
    main()

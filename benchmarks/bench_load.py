"""Many browser tabs at once against the real server: frame rates, memory, threads.

Run from the repository root:

    python benchmarks/bench_load.py            # 16 sessions for 10 s (what CI checks)
    python benchmarks/bench_load.py --full     # 32 sessions for 30 s

It starts `python -m server` on a free port, trains one session to load the compiled kernels,
then opens the sessions at once: each configures the default run, sends `play` and reads
every frame. A quarter of them vanish at random moments (the TCP connection aborted, without
a close handshake: a tab that crashed, sometimes mid-frame) and reconnect with a new session;
the others survive the whole window, and their frames' `history` must cover every epoch from
1 without a gap. It prints frames per second per surviving session (median and 5th
percentile), the slowest opening handshake, the server's resident memory (VmRSS) before, at
the peak and after, and its threads and child processes before and after (once the server has
settled).
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's server
from server.launcher import ServerProcess  # noqa: E402

CHURN_FRACTION = 0.25
SETTLE_TIMEOUT = 10.0
#: Busy training threads slow the server's event loop, and with it the opening handshake.
OPEN_TIMEOUT = 60.0


def proc_status(pid: int, key: str) -> int:
    """A number from /proc/<pid>/status (VmRSS in kB, Threads)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def rss_mb(pid: int) -> float:
    return proc_status(pid, "VmRSS") / 1024


def thread_count(pid: int) -> int:
    return proc_status(pid, "Threads")


def child_count(pid: int) -> int:
    """Processes whose parent is `pid`."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields_after_name = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += int(fields_after_name[1]) == pid
    return count


@dataclass
class Tab:
    """One simulated browser tab's record."""

    survivor: bool
    frames: int = 0
    epoch: int = 0  # the last frame's
    gaps: int = 0  # frames whose history does not run on from the previous frame's epoch
    reconnects: int = 0
    connect_seconds: list[float] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


async def _read_frames(websocket, tab: Tab, until: float) -> None:
    while (remaining := until - time.monotonic()) > 0:
        try:
            text = await asyncio.wait_for(websocket.recv(), remaining)
        except TimeoutError:
            return
        message = json.loads(text)
        if message["type"] == "frame":
            await websocket.recv()
            tab.frames += 1
            if tab.survivor:
                shown = message["history"]["epoch"]  # a summary since the last frame
                if shown and (shown[0] <= tab.epoch or shown[-1] != message["epoch"]):
                    tab.gaps += 1
                tab.epoch = message["epoch"]


async def _run_tab(ws_url: str, tab: Tab, seconds: float, rng: random.Random) -> None:
    tab.started = time.monotonic()
    end = tab.started + seconds
    while time.monotonic() < end:
        asked = time.monotonic()
        async with connect(ws_url, max_size=None, open_timeout=OPEN_TIMEOUT) as websocket:
            tab.connect_seconds.append(time.monotonic() - asked)
            await websocket.send(json.dumps({"type": "configure"}))
            await websocket.send(json.dumps({"type": "play"}))
            if tab.survivor:
                await _read_frames(websocket, tab, end)
                await websocket.send(json.dumps({"type": "pause"}))
            else:
                await _read_frames(websocket, tab, min(end, time.monotonic() + rng.uniform(0.2, 3)))
                if time.monotonic() < end:
                    websocket.transport.abort()  # no close handshake
                    tab.reconnects += 1
    tab.ended = time.monotonic()


async def _sample_memory(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(pid))
        await asyncio.sleep(0.2)


def settled(pid: int, before_threads: int, timeout: float = SETTLE_TIMEOUT) -> tuple[int, int]:
    """Threads and children once the threads are back to `before_threads` (or the timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and thread_count(pid) > before_threads:
        time.sleep(0.1)
    return thread_count(pid), child_count(pid)


async def _load(ws_url: str, pid: int, sessions: int, seconds: float, seed: int) -> dict:
    rng = random.Random(seed)
    n_churn = round(sessions * CHURN_FRACTION)
    tabs = [Tab(survivor=i >= n_churn) for i in range(sessions)]
    peak, stop = [rss_mb(pid)], asyncio.Event()
    sampler = asyncio.create_task(_sample_memory(pid, peak, stop))
    await asyncio.gather(*(_run_tab(ws_url, tab, seconds, rng) for tab in tabs))
    stop.set()
    await sampler
    return {"tabs": tabs, "peak_mb": peak[0]}


def measure(ws_url: str, pid: int, sessions: int, seconds: float, seed: int = 0) -> dict:
    """Run the load against a server already warmed up; the figures and invariants."""
    before = {"rss_mb": rss_mb(pid), "threads": thread_count(pid), "children": child_count(pid)}
    result = asyncio.run(_load(ws_url, pid, sessions, seconds, seed))
    threads_after, children_after = settled(pid, before["threads"])
    time.sleep(1.0)  # let the allocator give back what it will
    survivors = [tab for tab in result["tabs"] if tab.survivor]
    fps = sorted(tab.frames / (tab.ended - tab.started) for tab in survivors)
    return {
        "sessions": sessions,
        "seconds": seconds,
        "fps_median": statistics.median(fps),
        "fps_p5": fps[max(0, round(0.05 * (len(fps) - 1)))],
        "survivors_with_frames": sum(tab.frames > 0 for tab in survivors),
        "survivors": len(survivors),
        "contiguous": all(tab.gaps == 0 for tab in survivors),
        "epochs_median": statistics.median(tab.epoch for tab in survivors),
        "reconnects": sum(tab.reconnects for tab in result["tabs"]),
        "connect_max_s": max(t for tab in result["tabs"] for t in tab.connect_seconds),
        "rss_before_mb": before["rss_mb"],
        "rss_peak_mb": result["peak_mb"],
        "rss_after_mb": rss_mb(pid),
        "threads_before": before["threads"],
        "threads_after": threads_after,
        "children_before": before["children"],
        "children_after": children_after,
    }


async def _warm_up(ws_url: str) -> None:
    """One epoch and a close: the first epoch loads the compiled kernels."""
    async with connect(ws_url, max_size=None) as websocket:
        await websocket.send(json.dumps({"type": "configure"}))
        await websocket.send(json.dumps({"type": "step", "epochs": 1}))
        while True:
            message = await websocket.recv()
            if isinstance(message, str) and "stepped" in json.loads(message).get("message", ""):
                return


def warm_up(ws_url: str) -> None:
    asyncio.run(asyncio.wait_for(_warm_up(ws_url), 120))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="32 sessions for 30 s")
    parser.add_argument("--sessions", type=int)
    parser.add_argument("--seconds", type=float)
    args = parser.parse_args()
    sessions = args.sessions or (32 if args.full else 16)
    seconds = args.seconds or (30.0 if args.full else 10.0)
    with ServerProcess() as server:
        warm_up(server.ws_url)
        figures = measure(server.ws_url, server.process.pid, sessions, seconds)
    print(f"{os.cpu_count()} cores; {sessions} sessions for {seconds:g} s")
    for name, value in figures.items():
        print(f"  {name:24} {value:.1f}" if isinstance(value, float) else f"  {name:24} {value}")


if __name__ == "__main__":
    main()

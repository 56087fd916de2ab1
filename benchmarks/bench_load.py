"""Many browser tabs at once against the real server: what each session gets, and what is left.

Run from the repository root:

    python benchmarks/bench_load.py                 # capacity: 1, 8, 32, 64 sessions x 1, 2 workers
    python benchmarks/bench_load.py --root /tmp/old --sessions 32 --workers 2 --seconds 10
    python benchmarks/bench_load.py --root /tmp/old . --sessions 1 32 --workers 2 --rounds 5
    python benchmarks/bench_load.py --churn         # 16 sessions for 10 s, a quarter vanishing

**Capacity** (the default). For each worker count and session count it starts
`python -m server --workers W` from each tree given (`--root`, default this one; the trees
take turns case by case, so a change of the machine's load touches them alike), loads the
compiled kernels in every worker, then opens the sessions one after another, as students
arrive: each asks for its run's state (`keep_state`, as the page does), `configure`s the
default run (circle, 2-4-2-1) and, if it trains, `play`s flat out (speed null); every client
reads every message, with permessage-deflate as a browser
does. With 64 sessions the first 32 train and the other 32 stay paused, so their handshakes
are timed against a loaded server. One second after the last session opened, a window of
`--seconds` gives each session's bytes/s on the socket, frames/s and epochs/s (frames'
epoch counters); every session's handshake (connect to open) is timed as it opens.

The students' browsers would run elsewhere; here one client process stands in for all of them
on the server's own cores, so it does what a page's connection does and no more: it takes
every byte off the socket and inflates every message, reading a frame's epoch from the head
of its JSON, on uvloop (a browser's networking is native code too). The `client cores` column
is the CPU it took in the window, taken from the server's; `server cores` the CPU the server's
processes got (user + system time: what the host lets a shared machine run). After the table,
for each tree and worker count measured with one session and more, all sessions' epochs/s
together against one session's times the cores (the issue's "60% of one session's epochs/s
times the cores"), and the epochs each CPU-second the server was given bought. This machine's
share moves by several points from minute to minute (other work on its host): `--rounds`
measures every case again, in turn, and gives each share's median.

**Churn** (`--churn`, what CI checks through tests/server/test_load.py): the sessions open at
once and a quarter of them vanish at random moments (the TCP connection aborted, without a
close handshake: a tab that crashed, sometimes mid-frame) and reconnect with a new session;
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
import re
import statistics
import struct
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import uvloop
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's server
from tests.support.launcher import ServerProcess  # noqa: E402

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


def _processes():
    """(pid, the fields of /proc/<pid>/stat after the command's name) of every process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) that process `pid` and its children (the workers) have used:
    time the machine gave them, whatever else ran on its host meanwhile (steal is not in it)."""
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(
        (int(fields[11]) + int(fields[12])) / ticks
        for process, fields in _processes()
        if process == pid or int(fields[1]) == pid
    )


def child_count(pid: int) -> int:
    """Processes whose parent is `pid`."""
    return sum(int(fields[1]) == pid for _, fields in _processes())


#: How a frame's JSON part begins (`server.frames.frame_text`).
FRAME_START = '{"type": "frame"'


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


def frame_head(message: str | bytes) -> str | None:
    """A frame's JSON part, None for any other message. A frame is one binary message, its JSON
    part's length (uint32 little-endian) first (docs/protocol.md); trees before 2026-12-02's
    seventh session sent the JSON part as a text message, then the arrays as a binary one
    (for which this gives None), and are read too, so that they can be compared."""
    if isinstance(message, str):
        return message if message.startswith(FRAME_START) else None
    if len(message) < 4:
        return None
    (length,) = struct.unpack_from("<I", message)
    head = message[4 : 4 + length]
    return head.decode("ascii") if head.startswith(FRAME_START.encode()) else None


async def _read_frames(websocket, tab: Tab, until: float) -> None:
    while (remaining := until - time.monotonic()) > 0:
        try:
            received = await asyncio.wait_for(websocket.recv(), remaining)
        except TimeoutError:
            return
        if (head := frame_head(received)) is not None:
            message = json.loads(head)
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


# -- capacity --------------------------------------------------------------------------------
SESSION_COUNTS = (1, 8, 32, 64)
WORKER_COUNTS = (1, 2)
#: With this many sessions or more, half of them stay paused (the 64 of a class, say).
MIXED_FROM = 64
SETTLE_SECONDS = 1.0
FRAME_EPOCH = re.compile(r'^\{"type": "frame", "run": \d+, "epoch": (\d+)')


class CountingConnection(ClientConnection):
    """A client connection that counts the bytes its socket receives (compressed)."""

    wire_bytes = 0

    def data_received(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        super().data_received(data)


@dataclass
class Student:
    """One tab of the capacity run: what it has received so far."""

    trains: bool
    handshake_seconds: float = 0.0
    frames: int = 0
    epoch: int = 0
    websocket: CountingConnection | None = None

    def snapshot(self) -> tuple[int, int, int]:
        return self.frames, self.epoch, self.websocket.wire_bytes


async def _read_all(student: Student) -> None:
    """Read every message; frames' epochs from the start of their JSON, so that 64 readers
    in this one process do not take the cores the server is measured on."""
    async for message in student.websocket:
        if (head := frame_head(message)) is not None and (found := FRAME_EPOCH.match(head)):
            student.frames += 1
            student.epoch = int(found[1])


def start_server(root: Path, workers: int) -> ServerProcess:
    """`python -m server --workers W` from the tree `root`, with room for every session."""
    server = ServerProcess(
        "--workers", str(workers), "--max-sessions", "200",
        root=root, env={"MALLOC_ARENA_MAX": "2"}, timeout=60,
    )  # fmt: skip
    return server.start()


async def _warm_every_worker(ws_url: str, workers: int) -> None:
    """A few epochs on as many connections as it takes to reach every worker (the kernel hands
    each to whichever accepts first), so that no worker loads its kernels in the window."""
    await asyncio.gather(*(_warm_up(ws_url) for _ in range(4 * workers)))


def _sessions_per_worker(ws_url: str, tries: int = 30) -> dict[int, int]:
    """{pid: sessions} from /api/health over fresh connections (each may reach another
    worker), until every worker seems to have answered."""
    url = ws_url.replace("ws://", "http://").replace("/ws/train", "/api/health")
    seen = {}
    for _ in range(tries):
        request = urllib.request.Request(url, headers={"Connection": "close"})
        with urllib.request.urlopen(request, timeout=10) as response:
            health = json.load(response)
        seen[health["pid"]] = health["sessions"]
    return seen


async def _capacity(
    ws_url: str, server_pid: int, sessions: int, seconds: float
) -> tuple[dict, tuple[float, float], list[dict]]:
    """{pid: sessions}, the client's and the server's CPU (cores) in the window, and each
    session's figures."""
    n_training = sessions if sessions < MIXED_FROM else sessions // 2
    students = [Student(trains=i < n_training) for i in range(sessions)]
    readers = []
    try:
        for student in students:
            asked = time.perf_counter()
            student.websocket = await connect(
                ws_url,
                max_size=None,
                open_timeout=OPEN_TIMEOUT,
                create_connection=CountingConnection,
            )
            student.handshake_seconds = time.perf_counter() - asked
            # As the page does: its copy of the run comes every 1.5 s while it trains.
            await student.websocket.send(json.dumps({"type": "keep_state"}))
            await student.websocket.send(json.dumps({"type": "configure"}))
            if student.trains:
                await student.websocket.send(json.dumps({"type": "play"}))
            readers.append(asyncio.create_task(_read_all(student)))
        await asyncio.sleep(SETTLE_SECONDS)
        began, first = time.perf_counter(), [student.snapshot() for student in students]
        client_began, server_began = time.process_time(), cpu_seconds(server_pid)
        per_worker = await asyncio.to_thread(_sessions_per_worker, ws_url)
        await asyncio.sleep(seconds - (time.perf_counter() - began))
        ended, last = time.perf_counter(), [student.snapshot() for student in students]
        client_seconds = time.process_time() - client_began
        server_seconds = cpu_seconds(server_pid) - server_began
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*(s.websocket.close() for s in students if s.websocket))
    elapsed = ended - began
    return (
        per_worker,
        (client_seconds / elapsed, server_seconds / elapsed),
        [
            {
                "trains": student.trains,
                "handshake_s": student.handshake_seconds,
                "frames_per_s": (b[0] - a[0]) / elapsed,
                "epochs_per_s": (b[1] - a[1]) / elapsed,
                "bytes_per_s": (b[2] - a[2]) / elapsed,
            }
            for student, a, b in zip(students, first, last, strict=True)
        ],
    )


def capacity(root: Path, workers: int, sessions: int, seconds: float) -> dict:
    """One case: per-session figures of the training sessions, and every handshake."""
    server = start_server(root, workers)
    ws_url = server.ws_url
    try:
        asyncio.run(asyncio.wait_for(_warm_every_worker(ws_url, workers), 180))
        time.sleep(0.5)  # the warm-up sessions end
        load = os.getloadavg()[0]
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            per_worker, (client_cores, server_cores), rows = runner.run(
                _capacity(ws_url, server.process.pid, sessions, seconds)
            )
    finally:
        server.stop()
    training = [row for row in rows if row["trains"]]

    def sorted_of(key: str) -> list[float]:
        return sorted(row[key] for row in training)

    fps, eps = sorted_of("frames_per_s"), sorted_of("epochs_per_s")
    handshakes = sorted(row["handshake_s"] for row in rows)
    return {
        "root": str(root),
        "workers": workers,
        "sessions": sessions,
        "training": len(training),
        "load_before": load,
        "fps_median": statistics.median(fps),
        "fps_p5": _percentile(fps, 5),
        "fps_min": fps[0],
        "eps_median": statistics.median(eps),
        "eps_min": eps[0],
        "eps_total": sum(eps),
        "kbps_median": statistics.median(sorted_of("bytes_per_s")) / 1000,
        "handshake_median_s": statistics.median(handshakes),
        "handshake_max_s": handshakes[-1],
        "per_worker": sorted(per_worker.values(), reverse=True),
        "client_cores": client_cores,
        "server_cores": server_cores,
    }


def _percentile(ordered: list[float], percent: float) -> float:
    return ordered[max(0, round(percent / 100 * (len(ordered) - 1)))]


TABLE_HEAD = (
    "| tree | workers | sessions (training) | frames/s median / p5 / min | epochs/s median / min "
    "| epochs/s all together | kB/s median | handshake median / max | sessions per worker "
    "| server cores | client cores | load |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(f: dict) -> str:
    return (
        f"| {f['root']} | {f['workers']} | {f['sessions']} ({f['training']}) "
        f"| {f['fps_median']:.1f} / {f['fps_p5']:.1f} / {f['fps_min']:.1f} "
        f"| {f['eps_median']:,.0f} / {f['eps_min']:,.0f} | {f['eps_total']:,.0f} "
        f"| {f['kbps_median']:.1f} | {f['handshake_median_s']:.3f} / {f['handshake_max_s']:.3f} s "
        f"| {' + '.join(map(str, f['per_worker']))} | {f['server_cores']:.2f} "
        f"| {f['client_cores']:.2f} "
        f"| {f['load_before']:.1f} |"
    )


def shares_of_one_session(cases: list[dict]) -> list[str]:
    """For each tree, worker count and round with a one-session case: each larger case's
    epochs/s all together as a share of one session's times the cores (the issue asks 60% or
    more); with several rounds, each share's median over them."""
    cores = os.cpu_count()
    lines, shares = [], {}
    for one in (f for f in cases if f["sessions"] == 1):
        reference = one["eps_total"] * cores
        same = ("root", "workers", "round")
        for f in cases:
            if all(f[key] == one[key] for key in same) and f["training"] > 1:
                share = f["eps_total"] / reference
                shares.setdefault((f["root"], f["workers"], f["sessions"]), []).append(share)
                lines.append(
                    f"{f['root']}, {f['workers']} workers, {f['sessions']} sessions, round "
                    f"{f['round']}: {f['eps_total']:,.0f} epochs/s = {share:.0%} of one "
                    f"session's {one['eps_total']:,.0f} x {cores} cores (the client took "
                    f"{f['client_cores']:.2f} of them); per CPU-second the server used, "
                    f"{f['eps_total'] / f['server_cores']:,.0f} epochs against one session's "
                    f"{one['eps_total'] / one['server_cores']:,.0f}"
                )
    for (root, workers, sessions), values in shares.items():
        if len(values) > 1:
            lines.append(
                f"{root}, {workers} workers, {sessions} sessions: median share "
                f"{statistics.median(values):.0%} over {len(values)} rounds "
                f"({min(values):.0%} to {max(values):.0%})"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", nargs="+", type=Path, default=[Path(__file__).parents[1]])
    parser.add_argument("--sessions", type=int, nargs="+", default=list(SESSION_COUNTS))
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKER_COUNTS))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure every case this many times, in turn"
    )
    parser.add_argument("--churn", action="store_true", help="the churn run of CI instead")
    args = parser.parse_args()
    if args.churn:
        sessions = args.sessions[0] if args.sessions != list(SESSION_COUNTS) else 16
        with ServerProcess() as server:
            warm_up(server.ws_url)
            figures = measure(server.ws_url, server.process.pid, sessions, args.seconds)
        print(f"{os.cpu_count()} cores; {sessions} sessions for {args.seconds:g} s")
        for name, value in figures.items():
            shown = f"{value:.1f}" if isinstance(value, float) else value
            print(f"  {name:24} {shown}")
        return
    print(f"{os.cpu_count()} cores; windows of {args.seconds:g} s; {time.strftime('%F %T')}")
    print(TABLE_HEAD, flush=True)
    cases = []
    for round_ in range(1, args.rounds + 1):
        for workers in args.workers:
            for sessions in args.sessions:
                for root in args.root:
                    case = capacity(root.resolve(), workers, sessions, args.seconds)
                    cases.append({**case, "round": round_})
                    print(table_row(cases[-1]), flush=True)
    print(*shares_of_one_session(cases), sep="\n")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}; {time.strftime('%F %T')}")


if __name__ == "__main__":
    main()

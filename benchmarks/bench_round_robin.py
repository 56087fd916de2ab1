"""A worker's epochs without its server: runs trained round robin in one thread, in-process.

Run from the repository root:

    python benchmarks/bench_round_robin.py                       # this checkout
    python benchmarks/bench_round_robin.py --root ../before .    # two trees, in turn

Each tree's `Run.train_epoch` (the epoch a session trains, with both sets' losses for the
history) is timed in a subprocess of its own, for 1 run and for 16 runs of the default config
taking turns of about 1 ms, as a crowded worker's scheduler gives them; no frames, no event
loop, no websockets. So it tells the engine's share of a crowded worker's cost from the
server's (bench_load.py measures the whole). Reported: the best of 5 windows of 1 s, for each
round; the trees run in turn, round after round, so that they share the machine's moments.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

TURN_SECONDS = 0.001

CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from server.protocol import TrainConfig
from server.run import build_run

runs = [build_run(TrainConfig(seed=i), i + 1, 0) for i in range(int(sys.argv[2]))]
for run in runs:
    for _ in range(20):
        run.train_epoch()

def window(seconds):
    epochs, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for run in runs:
            turn_ends = time.perf_counter() + {turn}
            while time.perf_counter() < turn_ends:
                run.train_epoch()
                epochs += 1
    return epochs / seconds

print(max(window(1.0) for _ in range(5)))
"""


def epochs_per_second(root: Path, runs: int) -> float:
    code = CHILD.format(turn=TURN_SECONDS)
    result = subprocess.run(
        [sys.executable, "-c", code, str(root.resolve()), str(runs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return float(result.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", nargs="+", type=Path, default=[Path(".")])
    parser.add_argument("--runs", nargs="+", type=int, default=[1, 16])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(
        f"runs trained round robin, turns of {TURN_SECONDS * 1000:g} ms; {time.strftime('%F %T')}"
    )
    print("| round | tree | runs | epochs/s, all runs together |\n|---|---|---|---|")
    for round_number in range(1, args.rounds + 1):
        for runs in args.runs:
            for root in args.root:
                rate = epochs_per_second(root, runs)
                print(f"| {round_number} | {root} | {runs} | {rate:,.0f} |", flush=True)


if __name__ == "__main__":
    main()

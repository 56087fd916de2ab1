"""How long the page's forward pass takes to draw a frame's pictures, in Chromium.

Run from the repository root (needs Playwright for Python and Chromium at /usr/bin/chromium):

    python benchmarks/bench_pictures.py                      # this checkout
    python benchmarks/bench_pictures.py --root ../before .   # two trees, in turn

For each tree it starts the real server, imports that tree's static/forward.js in headless
Chromium and times `computePlanePictures` (the decision boundary over the 100 x 100 grid and
every neuron's thumbnail: what forward-worker.js computes for each frame) for random weights of
the default network (2-4-2-1, tanh, sigmoid output), of 6 hidden layers of 8, and of a
3-class network on all seven features. It reports the median over rounds of each round's mean
of 20 calls; the trees are measured in turn, round after round, so that they share the
machine's moments.
"""

import argparse
import sys
from pathlib import Path
from statistics import median

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's test support
from tests.support.launcher import ServerProcess  # noqa: E402

CASES = {
    "default 4,2": ([4, 2], ["x1", "x2"], 1, "tanh", "sigmoid"),
    "6 x 8": ([8] * 6, ["x1", "x2"], 1, "tanh", "sigmoid"),
    "8,8 relu, 7 features, 3 classes": (
        [8, 8], ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2"], 3, "relu", "softmax",
    ),
}  # fmt: skip
CALLS = 20

TIME_CASE = """async ([hidden, features, nY, hiddenActivation, output, calls]) => {
    const { computePlanePictures } = await import("/forward.js");
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const layers = [];
    let width = features.length;
    [...hidden, nY].forEach((size, l) => {
        layers.push({
            W: Float32Array.from({ length: size * width }, random),
            b: Float32Array.from({ length: size }, random),
            activation: { name: l === hidden.length ? output : hiddenActivation },
        });
        width = size;
    });
    const spec = { grid: { resolution: 100, thumbnail: 20, x_range: [-6, 6], y_range: [-6, 6] },
                   features, nY };
    computePlanePictures(layers, spec);  // compiled, and the grid's inputs kept
    const started = performance.now();
    for (let i = 0; i < calls; i++) computePlanePictures(layers, spec);
    return (performance.now() - started) / calls;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", nargs="+", type=Path, default=[Path(".")])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times: dict[tuple[str, str], list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        servers = [ServerProcess(root=root.resolve()).start() for root in args.root]
        try:
            pages = []
            for server in servers:
                page = browser.new_page()
                page.goto(f"{server.url}/api/health")
                pages.append(page)
            for _ in range(args.rounds):
                for root, page in zip(args.root, pages, strict=True):
                    for name, case in CASES.items():
                        ms = page.evaluate(TIME_CASE, [*case, CALLS])
                        times.setdefault((str(root), name), []).append(ms)
        finally:
            for server in servers:
                server.stop()
            browser.close()
    print(f"computePlanePictures, ms a frame (median of {args.rounds} rounds of {CALLS} calls)")
    for (root, name), values in times.items():
        print(f"  {root:30} {name:34} {median(values):6.2f}")


if __name__ == "__main__":
    main()

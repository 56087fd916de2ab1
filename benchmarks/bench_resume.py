"""What a restart, a crash and a lost backend cost a student: epochs lost, seconds until training.

Run from the repository root (needs /usr/bin/chromium and, for the lost backend, /usr/sbin/nginx):

    python benchmarks/bench_resume.py --rounds 3

Each round opens the real page in headless Chromium (so the page's own reconnection, with its
backoff, is what is measured), trains spiral (hidden 6-4, Adam) flat out (speed "max") for a
few seconds, then:

- restart: SIGTERM the server and start it again on the same port at once;
- crash: SIGKILL the server and start it again on the same port at once;
- lost backend: two backends behind nginx (least connections); SIGKILL the one serving the page.

Epochs lost: the epoch the page showed when the fault came, minus the epoch its run resumed at
(0 or less: nothing lost). Seconds until training again: from the fault to the page's first
frame past the resumed epoch (for a restart this includes the new server's start-up).
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402
from nginx import Nginx  # noqa: E402

from tests.support.launcher import ServerProcess  # noqa: E402

LINK = "dataset=spiral&hidden=6,4&optimizer=adam&speed=max"


def shown_epoch(page) -> int:
    return page.evaluate("window.playground.stats.epoch")


def train(page, url: str, seconds: float) -> float:
    """Open the page and train for `seconds`; the epochs a second it trained meanwhile."""
    page.goto(f"{url}/#{LINK}")
    page.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
    page.get_by_test_id("play-pause").click()
    page.wait_for_function("() => window.playground.kept.state?.epoch > 0", timeout=60_000)
    first, start = shown_epoch(page), time.monotonic()
    time.sleep(seconds)
    return (shown_epoch(page) - first) / (time.monotonic() - start)


def recovery(page, fault_at: float, shown: int) -> tuple[int, float]:
    """(epochs lost, seconds from the fault until the page trains again)."""
    page.wait_for_function("() => window.playground.resumed", timeout=120_000, polling=10)
    resumed = page.evaluate("window.playground.resumed.epoch")
    page.wait_for_function(
        "([n]) => window.playground.stats.epoch > n", arg=[resumed], timeout=60_000, polling=10
    )
    return shown - resumed, time.monotonic() - fault_at


def restart(browser, kill: bool, seconds: float, log: Path) -> tuple[int, float, float]:
    server = ServerProcess(log_path=log).start()
    page = browser.new_page(viewport=VIEWPORT)
    try:
        rate = train(page, server.url, seconds)
        fault_at = time.monotonic()
        if kill:
            server.process.kill()
        else:
            server.process.terminate()
        server.process.wait(timeout=15)
        shown = shown_epoch(page)
        server.process = None
        server.start()
        return (*recovery(page, fault_at, shown), rate)
    finally:
        page.close()
        server.stop()


def lost_backend(browser, seconds: float, folder: Path) -> tuple[int, float, float]:
    backends = [ServerProcess(log_path=folder / f"backend{i}.log").start() for i in range(2)]
    nginx = Nginx(folder, [backend.port for backend in backends]).start()
    page = browser.new_page(viewport=VIEWPORT)
    try:
        rate = train(page, nginx.url, seconds)
        serving = [backend for backend in backends if sessions(backend) == 1]
        fault_at = time.monotonic()
        serving[0].process.kill()
        serving[0].process.wait(timeout=15)
        shown = shown_epoch(page)
        serving[0].process = None
        return (*recovery(page, fault_at, shown), rate)
    finally:
        page.close()
        nginx.stop()
        for backend in backends:
            backend.stop()


def sessions(backend: ServerProcess) -> int:
    with urllib.request.urlopen(f"{backend.url}/api/health", timeout=5) as answer:
        return json.load(answer)["sessions"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="training before the fault")
    args = parser.parse_args()
    results: dict[str, list[tuple]] = {"restart": [], "crash": [], "lost backend": []}
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for round_ in range(args.rounds):
            folder = Path(tmp) / f"round{round_}"
            folder.mkdir()
            results["restart"].append(restart(browser, False, args.seconds, folder / "r.log"))
            results["crash"].append(restart(browser, True, args.seconds, folder / "c.log"))
            results["lost backend"].append(lost_backend(browser, args.seconds, folder))
        browser.close()
    print(
        "| fault | epochs lost (each round) | as seconds of training | "
        "seconds until training again (each round) |"
    )
    print("|---|---|---|---|")
    for name, rows in results.items():
        lost = ", ".join(str(max(epochs, 0)) for epochs, _, _ in rows)
        lost_seconds = ", ".join(f"{max(epochs, 0) / rate:.2f}" for epochs, _, rate in rows)
        waited = ", ".join(f"{seconds:.1f}" for _, seconds, _ in rows)
        median = statistics.median(seconds for _, seconds, _ in rows)
        print(f"| {name} | {lost} | {lost_seconds} | {waited} (median {median:.1f}) |")


if __name__ == "__main__":
    main()

"""What the browser tests of runs that survive the server share: a paced run to keep, and
the checks that the page resumed it."""

from playwright.sync_api import Page

from tests.support.launcher import ServerProcess

SPEED = 10  # epochs a second: a frame never sums up more than 8 (the history stays whole)
#: At most this much training may be lost to a crash: 2 s at the pace the page trains.
MOST_EPOCHS_LOST = 2 * SPEED
LINK = f"dataset=spiral&hidden=6,4&optimizer=adam&speed={SPEED}"


def train_until_kept(page: Page, epochs: int) -> int:
    """Play until the page shows `epochs` and holds a kept state past epoch 0; its run number."""
    page.get_by_test_id("play-pause").click()
    page.wait_for_function(
        "([n]) => window.playground.stats.epoch >= n && window.playground.kept.state?.epoch > 0",
        arg=[epochs],
        timeout=60_000,
    )
    return page.evaluate("window.playground.run.run")


def wait_until_resumed(page: Page) -> dict:
    page.wait_for_function("() => window.playground.resumed", timeout=60_000)
    return page.evaluate("window.playground.resumed")


def history_epochs(page: Page) -> list[int]:
    return page.evaluate(
        "() => { const h = window.playground.lossHistory(); "
        "return Array.from(h.epochs.subarray(0, h.length)); }"
    )


def restart(server: ServerProcess, *args: str) -> ServerProcess:
    """The server started again on the same port (with `args`, if given)."""
    if not args:
        return server.start()
    again = ServerProcess(*args, port=server.port, log_path=server.log_path)
    return again.start()


def forget_refused_reconnections(watched) -> None:
    # Chromium logs each refused reconnection attempt as a console error; those are expected.
    watched.console_errors[:] = [e for e in watched.console_errors if "WebSocket" not in e]


def check_goes_on_unbroken(page: Page, resumed_at: int) -> None:
    """Training goes on past the resumed epoch, and the loss curve has every epoch once."""
    page.wait_for_function(
        "([n]) => window.playground.stats.epoch >= n", arg=[resumed_at + 10], timeout=30_000
    )
    epochs = history_epochs(page)
    assert epochs == list(range(len(epochs))), "the loss history has a gap or a repeat"
    assert epochs[-1] >= resumed_at + 5

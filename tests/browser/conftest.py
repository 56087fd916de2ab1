"""Fixtures of the browser tests: the real server, headless Chromium, and a watched page.

Every page a test opens is watched for console errors, uncaught exceptions and dialogs
(alert, confirm): a test fails if any appears, whatever it checks besides.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.support.launcher import ServerProcess

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    """The server the tests of a module share."""
    server = ServerProcess(log_path=tmp_path_factory.mktemp("server") / "server.log")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def own_server(tmp_path):
    """A server of the test's own, for tests that stop it."""
    server = ServerProcess(log_path=tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Watched:
    """A page and everything it complained about."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, hash_: str = "", base_url: str | None = None) -> Page:
        """Load the playground (with `hash_` as its URL hash) and wait for its first drawing."""
        self.page.goto(f"{base_url or self.base_url}/{'#' + hash_ if hash_ else ''}")
        self.page.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
        return self.page

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{name}.png")


@pytest.fixture
def watched(browser, server_url):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15_000)
    watched = Watched(page, server_url)
    page.on("console", lambda m: m.type == "error" and watched.console_errors.append(m.text))
    page.on("pageerror", lambda error: watched.page_errors.append(str(error)))

    def dismiss(dialog):
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    yield watched
    context.close()
    assert watched.console_errors == [], "console errors"
    assert watched.page_errors == [], "uncaught exceptions"
    assert watched.dialogs == [], "the page opened a dialog"

"""Issue 11, point 10: the page works under its Content-Security-Policy, which blocks inline
script, and every response carries the security headers.

A CSP violation is a console error, which `watched` fails a test on: training, the inspector
(KaTeX), the exports and the PNG downloads (Plotly) are each run here with the policy on.
Conditions waited for are functions ("() => ..."): Playwright evaluates a bare expression with
`eval`, which the policy refuses as it would refuse any script the page did not load.
"""

import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_model_files import download, train
from tests.browser.test_page_inspector import HASH as INSPECTOR_HASH

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def open_page(watched, hash_: str = "") -> Page:
    """`watched.open`, waiting for the first drawing with a function rather than an expression."""
    watched.page.goto(f"{watched.base_url}/{'#' + hash_ if hash_ else ''}")
    watched.page.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
    return watched.page


@pytest.mark.parametrize("path", ["/", "/main.js", "/vendor/plotly.min.js", "/api/options"])
def test_every_response_carries_the_security_headers(server_url, path):
    with urllib.request.urlopen(server_url + path) as response:
        headers = {name.lower(): value for name, value in response.getheaders()}
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in headers["content-security-policy"].split("; ")
    }
    assert {name: headers.get(name) for name in HEADERS} == HEADERS
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]


def test_the_page_trains_inspects_and_exports_under_its_policy(watched, tmp_path):
    page = open_page(watched, "dataset=xor&speed=100")
    assert train(page, "() => window.playground.stats.epoch >= 3") >= 3
    for test_id in ["export-model", "export-script", "export-data", "export-loss-history"]:
        name, _ = download(page, test_id, tmp_path)
        assert name
    for test_id in ["download-loss-png", "boundary-png"]:
        name, path = download(page, test_id, tmp_path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page = open_page(watched, INSPECTOR_HASH)
    page.get_by_test_id("inspect").click()
    expect(page.get_by_test_id("inspect-stage")).to_have_text("1/5 — Forward pass")
    expect(page.locator("[data-testid=inspector-body] .katex").first).to_be_visible()
    page.get_by_test_id("inspect-next").click()
    expect(page.get_by_test_id("inspect-stage")).to_have_text("2/5 — Output error")


def test_an_injected_inline_script_does_not_run(watched):
    page = open_page(watched)
    violations = []
    page.on("console", lambda message: violations.append(message.text))
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
            const img = document.createElement("img");
            img.setAttribute("onerror", "window.injected = true");
            img.src = "data:,";
            document.body.append(img);
        }"""
    )
    page.wait_for_function("() => document.querySelector('img[onerror]').complete")
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert any("Content Security Policy" in text for text in violations)
    # The refusals above are what this test wants: they are not the page's errors.
    watched.console_errors.clear()

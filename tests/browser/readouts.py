"""Reading the page's readouts as a user sees them (their exact values are in data-value)."""

import time

from playwright.sync_api import Page


def number(page: Page, test_id: str) -> float | None:
    """A readout's exact value (its data-value), None while it has none."""
    value = page.get_by_test_id(test_id).get_attribute("data-value")
    return float(value) if value else None


def epoch(page: Page) -> int:
    return int(number(page, "epoch-count"))


def settled_epoch(page: Page) -> int:
    """The epoch once it has stopped changing (the last frames of a pause have arrived)."""
    last = epoch(page)
    while True:
        time.sleep(0.4)
        now = epoch(page)
        if now == last:
            return now
        last = now

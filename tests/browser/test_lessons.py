"""Issue 15: the Lessons panel. Each lesson runs end to end as a learner would follow it: chosen
from the menu, its configuration in the page, the learner's step done, trained (at full speed,
to keep the test short) until the page's own check of its goal says done.
"""

import pytest
from playwright.sync_api import Page, expect

LESSON_IDS = [
    "line", "features", "bend", "backprop", "vanishing", "learning-rate", "overfitting",
    "softmax", "xor",
]  # fmt: skip
TRAINING_TIMEOUT_MS = 60_000


def open_page(watched, hash_: str = "") -> Page:
    watched.page.goto(f"{watched.base_url}/{'#' + hash_ if hash_ else ''}")
    watched.page.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
    return watched.page


def wait_for_run_of(page: Page, dataset: str) -> None:
    page.wait_for_function(
        "dataset => window.playground.run?.config.dataset === dataset", arg=dataset
    )


def learner_steps(page: Page, lesson: str) -> None:
    """What the lesson asks the learner to do before (or instead of) training."""
    if lesson == "features":
        page.get_by_test_id("feature-x1sq").click()
        page.get_by_test_id("feature-x2sq").click()
    elif lesson == "xor":
        page.get_by_test_id("feature-x1x2").click()
    elif lesson == "backprop":
        expect(page.get_by_test_id("inspect-stage")).to_have_text("1/5 — Forward pass")
        for _ in range(4):
            page.get_by_test_id("inspect-next").click()
        expect(page.get_by_test_id("inspect-stage")).to_contain_text("5/5")
        return
    if page.get_by_test_id("speed-max").get_attribute("aria-pressed") == "false":
        page.get_by_test_id("speed-max").click()
    page.get_by_test_id("play-pause").click()


def test_the_lessons_menu_lists_every_lesson(watched):
    page = open_page(watched)
    menu = page.get_by_test_id("lessons")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    items = page.get_by_test_id("lesson")
    expect(items).to_have_count(len(LESSON_IDS))
    assert [items.nth(i).get_attribute("data-lesson") for i in range(len(LESSON_IDS))] == LESSON_IDS
    watched.screenshot("lessons-menu")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize("lesson", LESSON_IDS)
def test_each_lesson_runs_end_to_end(watched, lesson):
    page = open_page(watched, "dataset=gaussian&hidden=2")
    page.get_by_test_id("lessons").click()
    page.locator(f"[data-testid=lesson][data-lesson='{lesson}']").click()
    card = page.get_by_test_id("lesson-card")
    expect(card).to_be_visible()
    assert f"lesson={lesson}" in page.url
    check = page.get_by_test_id("lesson-check")
    expect(check).to_have_attribute("data-met", "false")
    expect(check).to_contain_text("Not yet")
    dataset = page.evaluate("() => new URLSearchParams(location.hash.slice(1)).get('dataset')")
    wait_for_run_of(page, dataset)
    learner_steps(page, lesson)
    expect(check).to_have_attribute("data-met", "true", timeout=TRAINING_TIMEOUT_MS)
    expect(check).to_contain_text("✓ Done")
    if lesson in ("features", "vanishing", "learning-rate", "backprop"):
        watched.screenshot(f"lesson-{lesson}-done")


def test_a_lesson_link_opens_the_lesson_and_a_copied_link_keeps_the_learners_changes(watched):
    page = open_page(watched, "lesson=xor")
    expect(page.get_by_test_id("lesson-card")).to_contain_text("XOR with at most 4 neurons")
    expect(page.get_by_test_id("dataset-xor")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("layer-0-size")).to_have_text("4 neurons")
    page.get_by_test_id("feature-x1x2").click()
    link = page.url
    assert "lesson=xor" in link and "x1*x2" in link

    copy = watched.page.context.new_page()
    copy.goto(link)
    copy.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
    expect(copy.get_by_test_id("lesson-card")).to_contain_text("XOR with at most 4 neurons")
    expect(copy.get_by_test_id("feature-x1x2")).to_have_attribute("aria-pressed", "true")
    copy.close()

    page.get_by_test_id("lesson-close").click()
    expect(page.get_by_test_id("lesson-card")).to_be_hidden()
    assert "lesson=&" in page.url or page.url.endswith("lesson=")


def test_the_introduction_explains_the_page_below_the_tool(watched):
    page = open_page(watched)
    intro = page.get_by_test_id("intro")
    expect(intro).to_contain_text("What this page shows")
    assert intro.bounding_box()["y"] >= page.viewport_size["height"], "below the tool"
    term = intro.locator("[data-term=probe]")
    term.focus()
    expect(page.locator("#tooltip")).to_be_visible()
    expect(page.locator("#tooltip")).to_contain_text("Probe: the one training sample")

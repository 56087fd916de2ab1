"""The backprop inspector and the layer-space view in a real browser, against the real server.

The inspector's numbers are read back from their `data-value` attributes (the full values) and
compared with the engine's own for the same configuration: the same seeds give the same data
and initial weights, and the page inspects at epoch 0, before any training. Screenshots of the
five stages go to tests/browser/artifacts/.
"""

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from mlp_engine.inspection import trace
from server.protocol import TrainConfig
from server.run import build_run

# A 2-3-3 network: the closest to 2-3-2 there is, since a binary problem has one output unit
# and a multi-class one at least three (n_classes >= 3).
HASH = "dataset=multi_blobs&classes=3&features=x1,x2&hidden=3&batch=10"
CONFIG = TrainConfig(
    dataset="multi_blobs", n_classes=3, features=["x1", "x2"], hidden_layers=[3], batch_size=10
)
N_TRAIN = 250
STAGES = ["Forward pass", "Output error", "Backpropagated errors", "Gradients", "Update"]


@pytest.fixture(scope="module")
def expected() -> dict:
    """The engine's trace of the page's inspection at epoch 0: probe 0 and the batch after it."""
    run = build_run(CONFIG, 1, 0)
    batch = np.arange(CONFIG.batch_size) % run.X_train.shape[0]
    return trace(run.model, run.X_train[batch], run.Y_train[batch], sample=0)


def shown(page: Page, key: str) -> float:
    """The full value of the inspector's number named `key` ("name:layer:row[:col]")."""
    cell = page.locator(f'[data-testid=inspector-body] [data-key="{key}"]')
    return float(cell.get_attribute("data-value"))


def assert_shown(page: Page, name: str, layer: int, values) -> None:
    """Every entry of a vector or matrix the inspector shows equals the engine's, exactly."""
    for index in np.ndindex(np.shape(values)):
        key = ":".join(map(str, (name, layer, *index)))
        assert shown(page, key) == np.asarray(values)[index], key


def lit(page: Page, selector: str):
    """The graph's highlighted `selector`s, for `expect(...).to_have_count`: the highlight is
    drawn by the render loop, a frame after the click that changes it."""
    return page.locator(f"[data-testid=network-graph] {selector}.lit")


def open_inspector(watched) -> Page:
    page = watched.open(HASH)
    page.get_by_test_id("inspect").click()
    expect(page.get_by_test_id("inspect")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("inspect-stage")).to_have_text("1/5 — Forward pass")
    expect(page.locator('[data-testid=inspector-body] [data-key="z:0:0"]')).to_have_count(1)
    return page


def test_the_five_stages_show_the_engines_numbers(watched, expected):
    page = open_inspector(watched)
    hidden, output = expected["layers"]
    stage = page.get_by_test_id("inspect-stage")
    expect(page.get_by_test_id("inspector-context")).to_contain_text("Epoch 0 · probe #0")
    assert page.locator("[data-testid=inspector-body] .katex").count() > 0

    assert_shown(page, "z", 0, hidden["z"])
    assert_shown(page, "a", 0, hidden["a"])
    assert_shown(page, "z", 1, output["z"])
    expect(lit(page, ".edge")).to_have_count(2 * 3 + 3 * 3)
    cell = page.locator('[data-testid=inspector-body] [data-key="z:0:1"]')
    assert float(cell.inner_text()) == pytest.approx(shown(page, "z:0:1"), rel=1e-3)  # 4 digits
    page.locator('[data-testid=inspector-body] [data-key="W:1:2:0"]').hover()
    expect(page.locator("[data-testid=network-graph] .edge.lit")).to_have_count(1)
    page.mouse.move(0, 0)
    watched.screenshot("inspect-1-forward")

    page.get_by_test_id("inspect-next").click()
    expect(stage).to_have_text("2/5 — Output error")
    assert output["fused"]  # softmax + categorical cross-entropy: delta^L = a^L - y
    assert_shown(page, "delta", 1, output["delta"])
    assert_shown(page, "y", 1, output["y"])
    assert_shown(page, "grad_a", 1, output["grad_a"])
    expect(page.get_by_test_id("inspector-body")).to_contain_text("collapses")
    expect(page.locator('[data-testid=network-graph] .node.lit[data-column="2"]')).to_have_count(3)
    expect(lit(page, ".node")).to_have_count(3)
    expect(lit(page, ".edge")).to_have_count(0)
    watched.screenshot("inspect-2-output-error")

    page.get_by_test_id("inspect-next").click()
    expect(stage).to_have_text("3/5 — Backpropagated errors")
    assert_shown(page, "backprop", 0, hidden["backprop"])
    assert_shown(page, "phi_prime", 0, hidden["phi_prime"])
    assert_shown(page, "delta", 0, hidden["delta"])
    expect(page.locator('[data-testid=network-graph] .node.lit[data-column="1"]')).to_have_count(3)
    watched.screenshot("inspect-3-backprop")

    page.get_by_test_id("inspect-next").click()
    expect(stage).to_have_text("4/5 — Gradients")
    for layer, values in enumerate(expected["layers"]):
        assert_shown(page, "dW_sample", layer, values["dW_sample"])
        assert_shown(page, "dW_batch", layer, values["dW_batch"])
        assert_shown(page, "db_batch", layer, values["db_batch"])
    expect(lit(page, ".edge")).to_have_count(15)
    expect(lit(page, ".node")).to_have_count(0)
    watched.screenshot("inspect-4-gradients")

    page.get_by_test_id("inspect-next").click()
    expect(stage).to_have_text("5/5 — Update")
    expect(page.get_by_test_id("inspect-next")).to_be_disabled()
    for layer, values in enumerate(expected["layers"]):
        assert_shown(page, "W", layer, values["W"])
        assert_shown(page, "W_after", layer, values["W_after"])
        assert_shown(page, "b_after", layer, values["b_after"])
    watched.screenshot("inspect-5-update")

    for number in range(4, 0, -1):
        page.get_by_test_id("inspect-prev").click()
        expect(stage).to_have_text(f"{number}/5 — {STAGES[number - 1]}")
    expect(page.get_by_test_id("inspect-prev")).to_be_disabled()


def test_the_gradient_check_passes(watched):
    page = open_inspector(watched)
    page.get_by_test_id("gradcheck").click()
    result = page.get_by_test_id("gradcheck-result")
    expect(result).to_have_attribute("data-passed", "true")
    expect(result).to_contain_text("pass")
    expect(result.locator("tbody tr")).to_have_count(2)  # one row per weight layer
    worst = float(result.locator("b[data-value]").get_attribute("data-value"))
    assert worst < 1e-5
    watched.screenshot("inspect-gradcheck")


def test_a_step_reinspects_play_and_escape_leave_inspect_mode(watched):
    page = open_inspector(watched)
    page.get_by_test_id("step").click()
    expect(page.get_by_test_id("inspector-context")).to_contain_text("Epoch 1 ·")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("inspector")).to_be_hidden()
    expect(lit(page, ".edge")).to_have_count(0)
    expect(lit(page, ".node")).to_have_count(0)

    page.get_by_test_id("inspect").click()
    expect(page.get_by_test_id("inspector")).to_be_visible()
    page.get_by_test_id("play-pause").click()
    expect(page.get_by_test_id("inspector")).to_be_hidden()
    expect(page.get_by_test_id("inspect")).to_have_attribute("aria-pressed", "false")
    page.get_by_test_id("play-pause").click()


def canvas_picture(page: Page) -> str:
    return page.evaluate("document.querySelector('[data-testid=layer-space] canvas').toDataURL()")


def test_the_layer_space_view_maps_the_points_live(watched):
    page = watched.open(HASH + "&speed=20")
    page.get_by_test_id("tab-layer-space").click()
    view = page.get_by_test_id("layer-space")
    expect(view).to_have_attribute("data-points", str(N_TRAIN))
    expect(view).to_have_attribute("data-lines", "22")
    expect(page.get_by_test_id("decision-boundary")).to_be_hidden()

    page.get_by_test_id("layer-space-y").select_option("2")
    expect(view).to_have_attribute("data-neurons", "0,2")
    expect(view).to_have_attribute("data-points", str(N_TRAIN))
    page.get_by_test_id("layer-space-x").select_option("2")  # the other axis's: they swap
    expect(view).to_have_attribute("data-neurons", "2,0")
    expect(page.get_by_test_id("error-layer_space")).to_be_hidden()
    watched.screenshot("layer-space")

    before = canvas_picture(page)
    page.get_by_test_id("play-pause").click()
    page.wait_for_function("() => window.playground.stats.epoch >= 5")
    page.get_by_test_id("play-pause").click()
    assert canvas_picture(page) != before, "the view follows training"

    page.get_by_test_id("tab-boundary").click()
    expect(page.get_by_test_id("decision-boundary")).to_be_visible()
    expect(view).to_be_hidden()

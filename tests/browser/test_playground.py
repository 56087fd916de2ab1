"""The playground in a real browser against the real server, as a student uses it.

Each test drives the page through its controls (or opens a link) and checks what the page
shows; screenshots of the main states go to tests/browser/artifacts/.
"""

import time

from playwright.sync_api import Page, expect
from readouts import epoch, number, settled_epoch

TRAINING_TIMEOUT_MS = 45_000
REQUIRED_HOOKS = [
    "play-pause", "step", "reset", "add-layer", "remove-layer", "layer-0-add-neuron",
    "layer-1-remove-neuron", "learning-rate", "activation", "batch-size", "optimizer",
    "epoch-count", "train-loss", "test-loss", "network-graph", "decision-boundary", "loss-chart",
    "dataset-circle", "dataset-sine",
]  # fmt: skip


def columns(page: Page) -> int:
    return int(page.get_by_test_id("network-graph").get_attribute("data-columns"))


def nodes_in_column(page: Page, column: int) -> int:
    return page.locator(f'[data-testid=network-graph] .node[data-column="{column}"]').count()


def wait_for_nodes(page: Page, column: int, count: int) -> None:
    page.wait_for_function(
        "([column, count]) => document.querySelectorAll("
        "`[data-testid=network-graph] .node[data-column='${column}']`).length === count",
        arg=[column, count],
    )


def wait_for_columns(page: Page, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=network-graph]').dataset.columns === '{count}'"
    )


def wait_for_test_loss_below(page: Page, target: float) -> None:
    page.wait_for_function(
        """target => {
            const value = document.querySelector('[data-testid=test-loss]').dataset.value;
            return value !== '' && Number(value) < target;
        }""",
        arg=target,
        timeout=TRAINING_TIMEOUT_MS,
    )


def selected_text(page: Page, test_id: str) -> str:
    return page.get_by_test_id(test_id).evaluate("s => s.options[s.selectedIndex].text")


def painted_fraction(page: Page) -> float:
    """The share of the boundary's background pixels that are painted and not white."""
    return page.evaluate(
        """() => {
            const canvas = document.querySelector('[data-testid=decision-boundary] canvas');
            const {width, height} = canvas;
            const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
            let painted = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                const white = pixels[i] > 250 && pixels[i + 1] > 250 && pixels[i + 2] > 250;
                if (pixels[i + 3] > 0 && !white) painted += 1;
            }
            return painted / (pixels.length / 4);
        }"""
    )


def boundary_points(page: Page) -> int:
    return page.evaluate(
        "document.querySelector('[data-testid=decision-boundary] .boundary-plot').data[0].x.length"
    )


def test_page_loads_with_every_view_and_no_console_errors(watched):
    page = watched.open()
    for test_id in REQUIRED_HOOKS:
        expect(page.get_by_test_id(test_id)).to_be_visible()
    assert epoch(page) == 0
    assert number(page, "test-loss") > 0
    assert columns(page) == 4  # x1, x2 -> 4 -> 2 -> output
    assert boundary_points(page) == 250
    stats = page.evaluate("window.playground.stats")
    assert set(stats) >= {"framesReceived", "framesRendered", "lastRenderMs", "epoch"}
    main_views_fit = page.evaluate(
        """() => ['network-graph', 'decision-boundary', 'loss-chart'].every(id => {
            const box = document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();
            return box.bottom <= window.innerHeight && box.right <= window.innerWidth;
        })"""
    )
    assert main_views_fit, "the main views need no scrolling at 1280 x 800"
    watched.screenshot("initial")


def test_architecture_controls_reshape_the_graph(watched):
    page = watched.open()
    page.get_by_test_id("add-layer").click()
    wait_for_columns(page, 5)
    expect(page.get_by_test_id("layer-2-size")).to_have_text("2 neurons")
    page.get_by_test_id("layer-0-add-neuron").click()
    wait_for_nodes(page, 1, 5)
    page.get_by_test_id("layer-1-remove-neuron").click()
    wait_for_nodes(page, 2, 1)
    assert "hidden=5,1,2" in page.url
    watched.screenshot("architecture")
    page.get_by_test_id("remove-layer").click()
    wait_for_columns(page, 4)
    assert nodes_in_column(page, 1) == 5


def test_play_on_circle_drives_the_test_loss_below_a_tenth(watched):
    page = watched.open("dataset=circle")
    page.get_by_test_id("play-pause").click()
    wait_for_test_loss_below(page, 0.1)
    expect(page.get_by_test_id("play-pause")).to_have_attribute("aria-label", "Pause")
    assert epoch(page) > 0
    assert int(page.get_by_test_id("loss-chart").get_attribute("data-points")) > 1
    watched.screenshot("circle-trained")


def test_play_on_xor_with_the_product_feature_drives_the_test_loss_below_a_tenth(watched):
    page = watched.open()
    page.get_by_test_id("dataset-xor").click()
    page.get_by_test_id("feature-x1x2").click()
    wait_for_nodes(page, 0, 3)
    page.get_by_test_id("play-pause").click()
    wait_for_test_loss_below(page, 0.1)
    assert "dataset=xor" in page.url and "x1*x2" in page.url
    watched.screenshot("xor-trained")


def test_pause_step_and_reset(watched):
    page = watched.open("speed=100")
    play = page.get_by_test_id("play-pause")
    play.click()
    page.wait_for_function("() => window.playground.stats.epoch >= 5")
    play.click()
    expect(play).to_have_attribute("aria-label", "Play")
    paused_at = settled_epoch(page)

    page.get_by_test_id("step").click()
    page.wait_for_function(f"() => window.playground.stats.epoch === {paused_at + 1}")
    assert settled_epoch(page) == paused_at + 1

    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => window.playground.stats.epoch === {paused_at + 2}")
    page.keyboard.press(" ")
    page.wait_for_function(f"() => window.playground.stats.epoch > {paused_at + 4}")
    page.keyboard.press(" ")
    expect(play).to_have_attribute("aria-label", "Play")

    page.get_by_test_id("reset").click()
    page.wait_for_function("() => window.playground.stats.epoch === 0")
    expect(page.get_by_test_id("epoch-count")).to_have_attribute("data-value", "0")
    assert settled_epoch(page) == 0


def test_multiclass_data_render_one_colour_per_class(watched):
    page = watched.open("dataset=multi_blobs&classes=4&showTest=true")
    boundary = page.get_by_test_id("decision-boundary")
    expect(boundary).to_have_attribute("data-kind", "multiclass")
    assert nodes_in_column(page, 3) == 4  # one output per class
    page.get_by_test_id("step").click()
    page.wait_for_function("() => window.playground.stats.epoch === 1")
    assert boundary_points(page) == 250
    assert painted_fraction(page) > 0.9
    watched.screenshot("multiclass")


def test_regression_data_render_a_surface_and_a_curve(watched):
    page = watched.open("dataset=plane")
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-kind", "regression")
    assert painted_fraction(page) > 0.9
    expect(page.locator("#metric-name")).to_have_text("R²")
    watched.screenshot("regression-plane")

    page.get_by_test_id("dataset-sine").click()
    wait_for_nodes(page, 0, 1)
    expect(page.get_by_test_id("feature-x2")).to_be_disabled()
    assert boundary_points(page) == 250
    assert 0 < painted_fraction(page) < 0.2  # a curve, not a surface
    page.get_by_test_id("play-pause").click()
    wait_for_test_loss_below(page, 0.2)
    watched.screenshot("regression-sine")


def test_a_copied_link_restores_the_configuration(watched):
    page = watched.open()
    page.get_by_test_id("learning-rate").select_option(label="0.1")
    page.get_by_test_id("dataset-spiral").click()
    page.get_by_test_id("feature-sinx1").click()
    page.get_by_test_id("add-layer").click()
    page.get_by_test_id("activation").select_option(label="ReLU")
    page.get_by_test_id("show-test").check()
    wait_for_columns(page, 5)
    link = page.url

    copy = watched.page.context.new_page()
    copy.goto(link)
    copy.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
    expect(copy.get_by_test_id("dataset-spiral")).to_have_attribute("aria-checked", "true")
    assert selected_text(copy, "learning-rate") == "0.1"
    assert selected_text(copy, "activation") == "ReLU"
    expect(copy.get_by_test_id("feature-sinx1")).to_have_attribute("aria-pressed", "true")
    expect(copy.get_by_test_id("show-test")).to_be_checked()
    expect(copy.get_by_test_id("layer-2-size")).to_have_text("2 neurons")
    copy.wait_for_function(
        "() => document.querySelector('[data-testid=network-graph]').dataset.columns === '5'"
    )
    assert copy.locator('[data-testid=network-graph] .node[data-column="0"]').count() == 3

    copy.evaluate("window.location.hash = '#dataset=circle&lr=0.3&hidden=3'")
    expect(copy.get_by_test_id("dataset-circle")).to_have_attribute("aria-checked", "true")
    copy.wait_for_function(
        "() => document.querySelector('[data-testid=network-graph]').dataset.columns === '3'"
    )
    assert selected_text(copy, "learning-rate") == "0.3"
    copy.close()


def test_a_link_sets_controls_the_server_then_uses(watched):
    page = watched.open("dataset=gaussian&hidden=6,3&lr=0.3&batch=25&noise=0.2&ratio=0.7&speed=20")
    expect(page.get_by_test_id("batch-size")).to_have_value("25")
    assert selected_text(page, "learning-rate") == "0.3"
    assert selected_text(page, "speed") == "20"
    expect(page.get_by_test_id("layer-0-size")).to_have_text("6 neurons")
    assert nodes_in_column(page, 1) == 6
    assert boundary_points(page) == 350  # 70% of 500 samples


def test_a_server_error_shows_beside_its_control(watched):
    page = watched.open()
    batch = page.get_by_test_id("batch-size")
    batch.fill("400")
    batch.press("Enter")
    error = page.locator(".field", has=batch).get_by_test_id("error-batch_size")
    expect(error).to_be_visible()
    expect(error).to_contain_text("250 training samples")
    watched.screenshot("error-inline")

    batch.fill("25")
    batch.press("Enter")
    expect(error).to_be_hidden()


def test_clicking_a_training_point_makes_it_the_probe(watched):
    page = watched.open()
    index, x, y = page.evaluate(
        """() => {
            const plot = document.querySelector('[data-testid=decision-boundary] .boundary-plot');
            const {x, y} = plot.data[0];
            const distance = (i, j) => (i === j ? Infinity : Math.hypot(x[i] - x[j], y[i] - y[j]));
            const gap = (i) => Math.min(...x.map((_, j) => distance(i, j)));
            const candidates = x.map((_, i) => i).slice(1);  // not 0, the probe already
            const loneliest = candidates.reduce((best, i) => (gap(i) > gap(best) ? i : best));
            return [loneliest, x[loneliest], y[loneliest]];
        }"""
    )
    box = page.locator("[data-testid=decision-boundary] canvas").bounding_box()
    point = (box["x"] + (x + 6) / 12 * box["width"], box["y"] + (6 - y) / 12 * box["height"])
    page.mouse.move(*point)
    page.mouse.click(*point)
    expect(page.get_by_test_id("delta-charts")).to_contain_text(f"probe #{index}")
    page.get_by_test_id("direction-backward").check()
    expect(page.get_by_test_id("network-graph")).to_have_attribute("data-direction", "backward")
    watched.screenshot("probe-backward")


def sent_messages(page: Page) -> list[str]:
    """Every text message the page sends over its websocket from now on."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    return sent


def wait_for_message(page: Page, sent: list[str], message: str) -> None:
    deadline = time.monotonic() + 5
    while message not in sent and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert message in sent


def test_clicking_an_edge_or_a_bias_sets_it_with_set_weight(watched):
    page = watched.page
    sent = sent_messages(page)
    watched.open()
    edge = page.locator("[data-testid=network-graph] .edge-hit").first
    edge.click()
    editor = page.get_by_test_id("weight-input")
    expect(editor).to_be_focused()
    watched.screenshot("weight-editor")
    editor.fill("1.5")
    editor.press("Enter")
    expect(editor).to_have_count(0)
    wait_for_message(page, sent, '{"type":"set_weight","layer":0,"row":0,"col":0,"value":1.5}')
    edge.hover()
    expect(page.locator("#tooltip")).to_contain_text("= 1.5")

    bias = page.locator('[data-testid=network-graph] .node[data-column="1"][data-index="0"] .bias')
    bias.click()
    editor.fill("-2")
    editor.press("Enter")
    wait_for_message(page, sent, '{"type":"set_weight","layer":0,"row":0,"col":null,"value":-2}')
    page.mouse.move(0, 0)
    bias.hover()
    expect(page.locator("#tooltip")).to_contain_text("= -2")
    expect(page.get_by_test_id("error-weight")).to_be_hidden()


def test_a_lost_connection_shows_a_banner_and_reconnects(watched, own_server):
    page = watched.open("dataset=xor", base_url=own_server.url)
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_be_hidden()
    own_server.stop()
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Reconnecting")
    watched.screenshot("connection-lost")
    rendered = page.evaluate("window.playground.stats.framesRendered")
    own_server.start()
    expect(banner).to_be_hidden(timeout=20_000)
    page.wait_for_function(f"() => window.playground.stats.framesRendered > {rendered}")
    expect(page.get_by_test_id("dataset-xor")).to_have_attribute("aria-checked", "true")
    assert epoch(page) == 0
    # Chromium logs each refused reconnection attempt as a console error; those are expected.
    watched.console_errors[:] = [e for e in watched.console_errors if "WebSocket" not in e]

"""Bringing data in (issue 6): drawn points, uploaded CSV files and scikit-learn's real data.

Each test drives the page as a user does (clicks on the plane, a file chosen in the upload
control, a dataset button) and checks what the server then trains on, through the last
`ready` message the page keeps on window.playground.run, and what the page shows. Screenshots
of draw mode, an uploaded set and iris on principal components go to tests/browser/artifacts/.
"""

import json
import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_playground import (
    epoch,
    nodes_in_column,
    sent_messages,
    settled_epoch,
    wait_for_nodes,
)

# Points drawn in two corners of the plane: class 0 bottom left, class 1 top right.
CLASS_0 = [(-4.0, -4.0), (-3.0, -4.5), (-4.5, -3.0), (-3.5, -2.5), (-2.0, -4.0)]
CLASS_1 = [(4.0, 4.0), (3.0, 4.5), (4.5, 3.0), (3.5, 2.5), (2.0, 4.0)]
# A click lands on a pixel: its plane coordinates are within a pixel's width of the target.
PIXEL = 12 / 250

IRIS_COLORS = [(245, 147, 34), (8, 119, 189), (44, 160, 44)]  # classes 0, 1, 2
PLOT = "document.querySelector('[data-testid=decision-boundary] .boundary-plot')"
SAMPLES = "run.train.x.length + run.test.x.length"  # of the `run` in wait_for_run


def last_run(page: Page) -> dict:
    return page.evaluate("window.playground.run")


def wait_for_run(page: Page, condition: str, timeout: float = 15_000) -> dict:
    """The last `ready` once `condition` (JavaScript about `run`) holds for it."""
    page.wait_for_function(
        f"() => {{ const run = window.playground.run; return Boolean(run) && ({condition}); }}",
        timeout=timeout,
    )
    return last_run(page)


def plane_pixel(page: Page, x: float, y: float) -> tuple[float, float]:
    """The page pixel of plane point (x, y), from the Plotly figure's own axes."""
    return tuple(
        page.evaluate(
            f"""([x, y]) => {{
                const plot = {PLOT};
                const {{_size: size, xaxis, yaxis}} = plot._fullLayout;
                const box = plot.getBoundingClientRect();
                return [box.left + size.l + xaxis.l2p(x), box.top + size.t + yaxis.l2p(y)];
            }}""",
            [x, y],
        )
    )


def click_plane(page: Page, x: float, y: float, shift: bool = False) -> None:
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(*plane_pixel(page, x, y))
    if shift:
        page.keyboard.up("Shift")


def drawn(run: dict) -> list[tuple[float, float, float]]:
    """Every sample of a run as (x1, x2, label), training and test samples together, sorted."""
    samples = [
        (*point, label)
        for split in ("train", "test")
        for point, label in zip(run[split]["x"], run[split]["y"], strict=True)
    ]
    return sorted(samples)


def assert_same_points(run: dict, expected: list[tuple[float, float, int]]) -> None:
    got = drawn(run)
    assert len(got) == len(expected)
    for (x1, x2, label), (e1, e2, e_label) in zip(got, sorted(expected), strict=True):
        assert abs(x1 - e1) <= PIXEL and abs(x2 - e2) <= PIXEL and label == e_label


def draw_points(page: Page) -> dict:
    """Clear the drawing and draw CLASS_0 and CLASS_1; the run on the ten points."""
    page.get_by_test_id("clear-data").click()
    expect(page.get_by_test_id("draw-count")).to_have_text("0 points")
    page.get_by_test_id("draw-class-0").click()
    for x, y in CLASS_0:
        click_plane(page, x, y)
    page.get_by_test_id("draw-class-1").click()
    for x, y in CLASS_1:
        click_plane(page, x, y)
    expect(page.get_by_test_id("draw-count")).to_have_text("10 points")
    return wait_for_run(page, f"run.source === 'custom' && {SAMPLES} === 10")


def test_drawn_points_become_the_data_the_network_trains_on(watched):
    sent = sent_messages(watched.page)
    page = watched.open("speed=100")
    page.get_by_test_id("draw-mode").click()
    expect(page.get_by_test_id("draw-mode")).to_have_attribute("aria-pressed", "true")
    # Draw mode starts from the generated data on show: circle's 500 points.
    expect(page.get_by_test_id("draw-count")).to_have_text("500 points")
    expected = [(x, y, 0) for x, y in CLASS_0] + [(x, y, 1) for x, y in CLASS_1]

    run = draw_points(page)
    assert_same_points(run, expected)
    assert (run["kind"], run["view"], run["data_name"]) == ("binary", "plane", "drawn")
    assert run["layer_sizes"][0] == len(run["config"]["features"])  # the features apply
    draws = [json.loads(m) for m in sent if '"type":"draw"' in m]
    assert draws[-1]["kind"] == "binary" and len(draws[-1]["x"]) == 10
    # A drawing too small to split is kept in the page: the server refuses fewer than 2.
    assert min(len(draw["x"]) for draw in draws) == 2
    expect(page.get_by_test_id("error-draw")).to_be_hidden()
    expect(page.get_by_test_id("dataset-custom")).to_have_attribute("aria-checked", "true")
    watched.screenshot("draw-mode")

    # A shift-click removes the point nearest to it, and the network retrains without it.
    click_plane(page, 2.3, 3.8, shift=True)
    run = wait_for_run(page, f"{SAMPLES} === 9")
    assert_same_points(run, [p for p in expected if p != (2.0, 4.0, 1)])
    # So does a click with the remove tool.
    page.get_by_test_id("draw-remove").click()
    click_plane(page, -4.4, -3.1)
    run = wait_for_run(page, f"{SAMPLES} === 8")
    assert_same_points(run, [p for p in expected if p not in [(2.0, 4.0, 1), (-4.5, -3.0, 0)]])
    page.get_by_test_id("draw-remove").click()

    page.get_by_test_id("play-pause").click()
    page.wait_for_function("() => window.playground.stats.epoch > 20")
    page.get_by_test_id("play-pause").click()
    assert last_run(page)["source"] == "custom"

    page.get_by_test_id("clear-data").click()
    expect(page.get_by_test_id("draw-count")).to_have_text("0 points")
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-points", "0")
    expect(page.get_by_test_id("boundary-title")).to_contain_text("Add 2 more points")
    click_plane(page, 1.0, 1.0)
    expect(page.get_by_test_id("boundary-title")).to_contain_text("Add 1 more point")
    assert all(len(json.loads(m)["x"]) >= 2 for m in sent if '"type":"draw"' in m)
    expect(page.get_by_test_id("error-draw")).to_be_hidden()
    expect(page.get_by_test_id("status-message")).not_to_have_attribute("data-kind", "error")


def test_drawn_points_are_sent_again_after_a_reconnection(watched, own_server):
    page = watched.open(base_url=own_server.url)
    page.get_by_test_id("draw-mode").click()
    run = draw_points(page)
    own_server.stop()
    expect(page.get_by_test_id("connection-banner")).to_be_visible()
    page.evaluate("window.playground.run = null")
    own_server.start()
    expect(page.get_by_test_id("connection-banner")).to_be_hidden(timeout=20_000)
    # The new server has no custom data until the page sends the drawing again.
    again = wait_for_run(page, "run.source === 'custom'")
    assert drawn(again) == drawn(run)
    # Chromium logs each refused reconnection attempt as a console error; those are expected.
    watched.console_errors[:] = [e for e in watched.console_errors if "WebSocket" not in e]


def test_a_click_held_while_the_next_run_arrives_still_draws_its_point(watched):
    """Every point drawn makes a new run. A click pressed before one arrives and released
    after its frame is drawn is still a click on the plane: the plot under the pointer is not
    built again for each run (it was, and such a click was lost)."""
    page = watched.open("speed=100")
    page.get_by_test_id("draw-mode").click()
    draw_points(page)
    page.mouse.move(*plane_pixel(page, 0.0, 3.0))
    page.mouse.down()
    page.evaluate("window.playground.stats.drawnEpoch = -1")
    # Meanwhile another point is drawn (a click dispatched on the plot), which makes a new run.
    page.evaluate(
        f"""([x, y]) => {PLOT}.parentElement.dispatchEvent(
            new MouseEvent("click", {{clientX: x, clientY: y, bubbles: true}}))""",
        list(plane_pixel(page, 0.0, -3.0)),
    )
    # ... and its first frame is drawn.
    wait_for_run(page, f"{SAMPLES} === 11 && window.playground.stats.drawnEpoch === 0")
    page.mouse.up()
    expect(page.get_by_test_id("draw-count")).to_have_text("12 points")
    run = wait_for_run(page, f"{SAMPLES} === 12")
    assert (0.0, 3.0) in [(round(x1, 1), round(x2, 1)) for x1, x2, _ in drawn(run)]


def test_drawing_regression_targets_and_more_classes(watched):
    page = watched.open()
    page.get_by_test_id("draw-mode").click()
    page.get_by_test_id("clear-data").click()
    page.get_by_test_id("draw-kind").select_option("3")
    for k, (x, y) in enumerate([(-4, 0), (0, 4), (4, 0), (-4, 1), (1, 4), (4, 1)]):
        page.get_by_test_id(f"draw-class-{k % 3}").click()
        click_plane(page, x, y)
    run = wait_for_run(page, f"run.kind === 'multiclass' && {SAMPLES} === 6")
    assert sorted(label for *_, label in drawn(run)) == [0, 0, 1, 1, 2, 2]
    # With points of class 2 drawn, 2 classes is no choice; regression needs a clear first.
    assert page.get_by_test_id("draw-kind").evaluate("s => s.options[0].disabled")
    page.get_by_test_id("clear-data").click()
    page.get_by_test_id("draw-kind").select_option("regression")
    page.get_by_test_id("draw-target").fill("-0.5")
    page.get_by_test_id("draw-target").press("Enter")
    for x in (-4, -2, 0, 2):
        click_plane(page, x, 0)
    run = wait_for_run(page, f"run.kind === 'regression' && {SAMPLES} === 4")
    assert {label for *_, label in drawn(run)} == {-0.5}
    # Choosing another data set leaves draw mode.
    page.get_by_test_id("dataset-xor").click()
    expect(page.get_by_test_id("draw-mode")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-view", "plane")


def species_csv() -> str:
    """60 flowers: the species column first, then four numeric measurements."""
    rng = np.random.default_rng(0)
    lines = ["species,a,b,c,d"]
    for i in range(60):
        k = i % 3
        values = rng.normal(k * 2.0, 0.5, size=4)
        lines.append(f"{['rosa', 'lilium', 'tulipa'][k]}," + ",".join(f"{v:.3f}" for v in values))
    return "\n".join(lines) + "\n"


def upload(page: Page, name: str, text: str) -> None:
    page.get_by_test_id("upload-csv").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )


def test_an_uploaded_csv_trains_on_the_chosen_label_column(watched):
    page = watched.open()
    expect(page.get_by_test_id("upload-limits")).to_contain_text("10,000 rows × 65 columns")
    upload(page, "flowers.csv", species_csv())
    label = page.get_by_test_id("upload-label")
    expect(label).to_be_visible()
    assert label.evaluate("s => [...s.options].map(o => o.text)") == ["species", "a", "b", "c", "d"]
    assert label.evaluate("s => s.options[s.selectedIndex].text") == "d"
    # With the last column as the label, the species' names would be inputs: the server says so.
    expect(page.get_by_test_id("error-upload")).to_contain_text("column 'species'")
    label.select_option(label="species")
    expect(page.get_by_test_id("error-upload")).to_be_hidden()
    run = wait_for_run(page, "run.source === 'custom' && run.columns.length === 4")
    assert run["columns"] == ["a", "b", "c", "d"]
    assert run["classes"] == ["lilium", "rosa", "tulipa"]
    assert (run["kind"], run["view"], run["data_name"]) == ("multiclass", "pca", "flowers.csv")
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-view", "pca")
    expect(page.get_by_test_id("boundary-legend")).to_contain_text("tulipa")
    expect(page.locator("#dataset-description")).to_contain_text("flowers.csv: 60 rows")
    expect(page.get_by_test_id("dataset-custom")).to_have_attribute("aria-checked", "true")
    # The file's columns go in as they are: the features do not apply.
    expect(page.get_by_test_id("feature-x1x2")).to_be_disabled()
    assert nodes_in_column(page, 0) == 4
    watched.screenshot("uploaded-csv")


def test_the_kind_of_an_uploaded_csv_is_inferred_and_can_be_overridden(watched):
    page = watched.open()
    rows = [f"{x:.2f},{x * x:.2f},{int(x > 0)}" for x in np.linspace(-2, 2, 40)]
    upload(page, "signs.csv", "x,square,positive\n" + "\n".join(rows) + "\n")
    run = wait_for_run(page, "run.data_name === 'signs.csv'")
    assert (run["kind"], run["view"], run["classes"]) == ("binary", "plane", ["0", "1"])
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-view", "plane")
    page.get_by_test_id("upload-kind").select_option("regression")
    run = wait_for_run(page, "run.data_name === 'signs.csv' && run.kind === 'regression'")
    expect(page.locator("#metric-name")).to_have_text("R²")
    # One input column: the line view, over the range the server gives.
    rows = [f"{x:.2f},{x * x:.3f}" for x in np.linspace(-2, 2, 40)]
    upload(page, "curve.csv", "x,y\n" + "\n".join(rows) + "\n")
    run = wait_for_run(page, "run.data_name === 'curve.csv'")
    assert (run["kind"], run["view"]) == ("regression", "line")
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-view", "line")
    x_range = page.evaluate(f"{PLOT}._fullLayout.xaxis.range")
    assert x_range == pytest.approx(run["grid"]["x_range"])


def test_a_bad_csv_is_named_by_row_and_column_beside_the_upload_and_changes_nothing(watched):
    page = watched.open("speed=100")
    page.get_by_test_id("play-pause").click()
    page.wait_for_function("() => window.playground.stats.epoch > 3")
    before = last_run(page)
    upload(page, "broken.csv", "a,b,label\n1,2,0\n3,x,1\n4,5,0\n6,7,1\n")
    error = page.get_by_test_id("error-upload")
    expect(error).to_be_visible()
    expect(error).to_contain_text("row 3")
    expect(error).to_contain_text("'b'")
    expect(page.get_by_test_id("status-message")).not_to_contain_text("row 3")
    # The run goes on: same run, same data, still training.
    at = epoch(page)
    page.wait_for_function(f"() => window.playground.stats.epoch > {at}")
    assert last_run(page)["run"] == before["run"]
    expect(page.get_by_test_id("dataset-circle")).to_have_attribute("aria-checked", "true")
    watched.screenshot("upload-error")

    # A good file clears the error.
    upload(page, "fixed.csv", "a,b,label\n1,2,0\n3,4,1\n4,5,0\n6,7,1\n")
    expect(error).to_be_hidden()
    wait_for_run(page, "run.data_name === 'fixed.csv'")


def test_a_file_over_the_size_limit_is_refused_in_the_page(watched):
    page = watched.page
    sent = sent_messages(page)
    watched.open()
    limit = page.evaluate("fetch('/api/options').then(r => r.json()).then(o => o.upload_limits)")
    text = "a,b,label\n" + "1,2,0\n" * (limit["max_bytes"] // 6 + 1)
    upload(page, "huge.csv", text)
    error = page.get_by_test_id("error-upload")
    expect(error).to_contain_text("huge.csv is")
    expect(error).to_contain_text("over the limit of 5.0 MB")
    assert not any('"upload_csv"' in message for message in sent)


def test_the_label_choices_are_the_servers_reading_of_the_file(watched):
    """The page asks the server (POST /api/csv/preview) for the columns: "0x1" is a number to
    JavaScript but not to the server's reader, so this first row is a header."""
    page = watched.page
    asked = []
    page.on("request", lambda request: asked.append((request.method, request.url)))
    watched.open()
    rows = [f"{i % 5},{i % 7},{i % 2}" for i in range(30)]
    upload(page, "hex.csv", "0x1,0b1,1\n" + "\n".join(rows) + "\n")
    label = page.get_by_test_id("upload-label")
    expect(label).to_be_visible()
    assert label.evaluate("s => [...s.options].map(o => o.text)") == ["0x1", "0b1", "1"]
    assert ("POST", f"{watched.base_url}/api/csv/preview") in asked
    run = wait_for_run(page, "run.data_name === 'hex.csv'")
    assert (run["columns"], run["classes"]) == (["0x1", "0b1"], ["0", "1"])


def test_a_file_no_label_choice_can_use_is_named_and_not_sent(watched):
    page = watched.page
    sent = sent_messages(page)
    watched.open()
    upload(page, "ragged.csv", "a,b,label\n1,2,0\n3,4\n5,6,1\n")
    error = page.get_by_test_id("error-upload")
    expect(error).to_have_text("row 3: 2 values, expected 3")
    label = page.get_by_test_id("upload-label")
    assert label.evaluate("s => [...s.options].map(o => o.text)") == ["a", "b", "label"]
    label.select_option(label="a")
    expect(error).to_have_text("row 3: 2 values, expected 3")
    assert not any('"upload_csv"' in message for message in sent)
    # A file whose columns cannot be read offers none.
    upload(page, "one.csv", "a\n1\n2\n")
    expect(error).to_have_text("row 1: need at least 2 columns: one or more features and a label")
    expect(label).to_be_hidden()
    expect(page.get_by_test_id("dataset-circle")).to_have_attribute("aria-checked", "true")


def test_iris_shows_its_samples_on_principal_components(watched):
    page = watched.open("dataset=iris&speed=100&showTest=true")
    run = wait_for_run(page, "run.data_name === 'iris'")
    assert (run["view"], run["grid"]) == ("pca", None)
    boundary = page.get_by_test_id("decision-boundary")
    expect(boundary).to_have_attribute("data-view", "pca")
    titles = page.evaluate(
        f"[{PLOT}._fullLayout.xaxis.title.text, {PLOT}._fullLayout.yaxis.title.text]"
    )
    share = [f"{100 * v:.1f}% of variance" for v in run["explained_variance"]]
    assert titles == [f"PC1 ({share[0]})", f"PC2 ({share[1]})"]
    legend = page.get_by_test_id("boundary-legend")
    for name in ("setosa", "versicolor", "virginica", "wrong"):
        expect(legend).to_contain_text(name)
    labels = page.locator("[data-testid=network-graph] .input-label").all_text_contents()
    assert labels == run["columns"] == [
        "sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"
    ]  # fmt: skip

    page.get_by_test_id("play-pause").click()
    page.wait_for_function("() => window.playground.stats.epoch > 300", timeout=30_000)
    page.get_by_test_id("play-pause").click()
    settled_epoch(page)
    # The samples are painted in their predicted class's colour: all three classes show.
    counts = page.evaluate(
        """colors => {
            const canvas = document.querySelector('[data-testid=decision-boundary] canvas');
            const {width, height} = canvas;
            const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
            return colors.map(([r, g, b]) => {
                let n = 0;
                for (let i = 0; i < pixels.length; i += 4) {
                    if (pixels[i] === r && pixels[i + 1] === g && pixels[i + 2] === b) n += 1;
                }
                return n;
            });
        }""",
        IRIS_COLORS,
    )
    assert all(n > 20 for n in counts), counts
    assert float(page.get_by_test_id("train-metric").get_attribute("data-value")) > 0.8

    # Hovering a sample names its true and its predicted class.
    x, y = run["train"]["x"][0]
    page.mouse.move(*plane_pixel(page, x, y))
    truth = run["classes"][int(run["train"]["y"][0])]
    expect(page.get_by_test_id("boundary-readout")).to_contain_text(f"train #0: true {truth}")
    expect(page.get_by_test_id("boundary-readout")).to_contain_text("predicted")
    watched.screenshot("iris-pca")


def test_the_layer_space_tab_is_disabled_for_data_on_principal_components(watched):
    page = watched.open()
    tab = page.get_by_test_id("tab-layer-space")
    tab.click()
    expect(page.get_by_test_id("layer-space")).to_be_visible()
    expect(page.get_by_test_id("layer-space")).not_to_have_attribute("data-points", "0")

    page.get_by_test_id("dataset-iris").click()  # with the tab open: back to the boundary
    wait_for_run(page, "run.data_name === 'iris'")
    expect(tab).to_be_disabled()
    expect(tab).to_have_attribute("title", "Layer space: needs data with one or two inputs")
    expect(page.get_by_test_id("tab-boundary")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-view", "pca")
    expect(page.get_by_test_id("layer-space")).to_be_hidden()
    page.get_by_test_id("step").click()
    page.wait_for_function("() => window.playground.stats.epoch === 1")
    expect(page.get_by_test_id("error-layer_space")).to_be_hidden()
    expect(page.get_by_test_id("status-message")).not_to_have_attribute("data-kind", "error")

    page.get_by_test_id("dataset-moons").click()
    wait_for_run(page, "run.data_name === 'moons'")
    expect(tab).to_be_enabled()
    expect(tab).to_have_attribute("title", re.compile(r"^How a hidden layer sees the input plane"))


@pytest.mark.parametrize("dataset", ["digits", "breast_cancer", "wine", "diabetes"])
def test_the_other_real_datasets_render(watched, dataset):
    page = watched.open()
    page.get_by_test_id(f"dataset-{dataset}").click()
    run = wait_for_run(page, f"run.data_name === '{dataset}'")
    wait_for_nodes(page, 0, run["n_inputs"])  # the graph is drawn with the run's first frame
    assert nodes_in_column(page, 0) == run["n_inputs"] == len(run["columns"])
    page.get_by_test_id("step").click()
    page.wait_for_function("() => window.playground.stats.epoch === 1")
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-view", "pca")
    main_views_fit = page.evaluate(
        """() => ['network-graph', 'decision-boundary', 'boundary-legend'].every(id => {
            const box = document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();
            return box.bottom <= window.innerHeight && box.right <= window.innerWidth;
        })"""
    )
    assert main_views_fit, "the main views need no scrolling at 1280 x 800"
    if dataset == "digits":
        watched.screenshot("digits-pca")


def test_controls_that_do_not_apply_to_real_data_are_disabled_and_say_why(watched):
    page = watched.open()
    expect(page.get_by_test_id("noise")).to_be_enabled()
    expect(page.get_by_test_id("n-samples")).to_be_enabled()
    expect(page.get_by_test_id("n-classes")).to_have_attribute("title", "multi-class datasets only")
    page.get_by_test_id("dataset-wine").click()
    wait_for_run(page, "run.data_name === 'wine'")
    for test_id in ("noise", "n-samples", "n-classes"):
        control = page.get_by_test_id(test_id)
        expect(control).to_be_disabled()
        expect(control).to_have_attribute("title", "wine has its own 178 samples")
    feature = page.get_by_test_id("feature-x1")
    expect(feature).to_be_disabled()
    expect(feature).to_have_attribute(
        "title", "features map points of the plane; wine goes in as its 13 columns"
    )
    page.get_by_test_id("dataset-xor").click()
    wait_for_run(page, "run.data_name === 'xor'")
    expect(page.get_by_test_id("noise")).to_be_enabled()
    expect(page.get_by_test_id("feature-x1x2")).to_be_enabled()

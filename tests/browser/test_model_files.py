"""The model out and back in, the confusion matrix and the comparison of runs, in a browser.

The files the page saves are read as a student would read them: the model with
`mlp_engine.MLP.load`, the script with Python's compiler, the CSVs as text. What the page was
shown is read from its websocket, decoded as connection.js decodes it.
"""

import json
import struct
import time

import numpy as np
from playwright.sync_api import Page, expect
from readouts import number, settled_epoch

from mlp_engine import MLP
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_your_data import species_csv, upload
from tests.server.wire import read_message

TRAINING_TIMEOUT_MS = 45_000
MULTI_BLOBS = "dataset=multi_blobs&classes=4"


class Received:
    """Every `ready` and every frame the page receives, frames decoded as docs/protocol.md
    says: `arrays[(name, layer)]` is a float32 array of its shape."""

    def __init__(self, page: Page):
        self.ready: list[dict] = []
        self.frames: list[dict] = []
        page.on("websocket", lambda socket: socket.on("framereceived", self._receive))

    def _receive(self, payload: str | bytes) -> None:
        message = read_message(payload)
        if message["type"] == "frame":
            message["arrays"] = message.pop("decoded")
            self.frames.append(message)
        elif message["type"] == "ready":
            self.ready.append(message)

    def last_frame(self, page: Page, run: int | None = None) -> dict:
        """The newest frame (of `run`), waiting a little for one to arrive."""
        deadline = time.monotonic() + 5
        while True:
            frames = [f for f in self.frames if run is None or f["run"] == run]
            if frames or time.monotonic() > deadline:
                return frames[-1]
            page.wait_for_timeout(50)


def train(page: Page, until: str, timeout: float = TRAINING_TIMEOUT_MS) -> int:
    """Play until the JavaScript condition `until` holds, pause, and return the settled epoch."""
    play = page.get_by_test_id("play-pause")
    play.click()
    page.wait_for_function(until, timeout=timeout)
    play.click()
    expect(play).to_have_attribute("aria-label", "Play")
    return settled_epoch(page)


def step(page: Page, epochs: int) -> None:
    """Step one epoch at a time, each once its frame has arrived (stats.epoch is set on
    arrival; the readouts only when the frame is drawn)."""
    for _ in range(epochs):
        before = page.evaluate("window.playground.stats.epoch")
        page.get_by_test_id("step").click()
        page.wait_for_function(f"() => window.playground.stats.epoch === {before + 1}")


def wait_for_readout(page: Page, test_id: str, value: float) -> None:
    page.wait_for_function(
        "([id, value]) => Number(document.querySelector(`[data-testid=${id}]`).dataset.value)"
        " === value",
        arg=[test_id, value],
    )


def wait_for_columns(page: Page, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=network-graph]').dataset.columns === '{count}'"
    )


def download(page: Page, test_id: str, folder) -> tuple[str, str]:
    """Click `test_id`, save what it downloads into `folder`: (file name, path)."""
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    saved = info.value
    path = folder / saved.suggested_filename
    saved.save_as(path)
    return saved.suggested_filename, path


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its IHDR chunk (the first, after the signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def weights(frame: dict) -> list[np.ndarray]:
    count = sum(1 for name, _ in frame["arrays"] if name == "W")
    return [frame["arrays"][("W", layer)] for layer in range(count)]


def drawn_output(page: Page, frame: dict) -> list[float]:
    """The network's output over the grid as the page draws it, for `frame`'s weights."""
    layers = [
        {"W": W.ravel().tolist(), "b": frame["arrays"][("b", l)].tolist(), "shape": list(W.shape)}
        for l, W in enumerate(weights(frame))
    ]
    return page.evaluate(
        """async (layers) => {
            const { planePictures } = await import("/forward.js");
            const values = new Map();
            layers.forEach(({ W, b, shape }, l) => {
                values.set(`W:${l}`, { shape, data: Float32Array.from(W) });
                values.set(`b:${l}`, { shape: [b.length], data: Float32Array.from(b) });
            });
            const { output } = planePictures({ values }, window.playground.run);
            return Array.from(output.data);
        }""",
        layers,
    )


def test_an_exported_model_loads_in_python_and_imports_back(watched, tmp_path):
    page = watched.page
    received = Received(page)
    watched.open(f"{MULTI_BLOBS}&hidden=5,3&speed=100")
    exported_epoch = train(page, "() => window.playground.stats.epoch >= 15")

    name, path = download(page, "export-model", tmp_path)
    assert name.endswith(".json")
    model = MLP.load(path)
    shown = received.last_frame(page)
    assert shown["epoch"] == exported_epoch
    assert json.loads(path.read_text())["playground"]["epoch"] == exported_epoch
    assert [model.n_x, *model.n_h, model.n_y] == [2, 5, 3, 4]
    for W_shown, layer in zip(weights(shown), model.sequential, strict=True):
        np.testing.assert_array_equal(W_shown, layer.W.astype(np.float32))

    # The model predicts what the page draws: its output over the input plane's grid, which
    # the page computes from the frame's weights (static/forward.js).
    grid = received.ready[-1]["grid"]
    x1 = np.linspace(*grid["x_range"], grid["resolution"])
    x2 = np.linspace(*grid["y_range"], grid["resolution"])
    output = np.array(drawn_output(page, shown)).reshape(grid["resolution"], grid["resolution"], 4)
    rows, cols = np.array([0, 17, 50, 99]), np.array([3, 80, 50, 0])
    predicted = model.predict(np.column_stack([x1[cols], x2[rows]]))
    np.testing.assert_allclose(output[rows, cols], predicted, atol=1e-5)

    page.get_by_test_id("dataset-circle").click()
    page.get_by_test_id("remove-layer").click()
    wait_for_columns(page, 3)
    assert "dataset=circle" in page.url

    page.get_by_test_id("import-model").set_input_files(path)
    expect(page.get_by_test_id("dataset-multi_blobs")).to_have_attribute("aria-checked", "true")
    wait_for_columns(page, 4)
    expect(page.get_by_test_id("layer-0-size")).to_have_text("5 neurons")
    expect(page.get_by_test_id("layer-1-size")).to_have_text("3 neurons")
    expect(page.get_by_test_id("error-model")).to_be_hidden()
    for setting in ("dataset=multi_blobs", "hidden=5,3", "classes=4"):
        assert setting in page.url
    imported = received.ready[-1]
    assert imported["config"]["dataset"] == "multi_blobs"
    page.wait_for_function(f"() => window.playground.stats.epoch === {exported_epoch}")
    first = received.last_frame(page, imported["run"])
    assert first["epoch"] == exported_epoch
    for W_shown, layer in zip(weights(first), model.sequential, strict=True):
        np.testing.assert_array_equal(W_shown, layer.W.astype(np.float32))
    wait_for_readout(page, "test-loss", first["test_loss"])

    step(page, 1)  # and it trains on from there
    assert received.last_frame(page, imported["run"])["epoch"] == exported_epoch + 1


def test_a_model_trained_on_an_uploaded_csv_imports_with_its_data(watched, tmp_path):
    page = watched.page
    received = Received(page)
    watched.open("hidden=5,3")
    upload(page, "flowers.csv", species_csv())
    page.get_by_test_id("upload-label").select_option(label="species")
    page.wait_for_function("() => window.playground.run?.data_name === 'flowers.csv'")
    step(page, 3)
    _, path = download(page, "export-model", tmp_path)
    model = MLP.load(path)
    trained = received.ready[-1]
    assert trained["columns"] == ["a", "b", "c", "d"]

    page.get_by_test_id("dataset-circle").click()
    page.wait_for_function("() => window.playground.run.data_name === 'circle'")
    # A new page, a new session: neither it nor the server holds the flowers any more.
    page.goto("about:blank")
    watched.open("dataset=circle")
    custom = page.get_by_test_id("dataset-custom")
    expect(custom).to_be_disabled()

    page.get_by_test_id("import-model").set_input_files(path)
    page.wait_for_function("() => window.playground.run.data_name === 'flowers.csv'")
    expect(custom).to_be_enabled()
    expect(custom).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("error-model")).to_be_hidden()
    expect(page.locator("#dataset-description")).to_contain_text("flowers.csv: 60 rows")
    expect(page.get_by_test_id("layer-0-size")).to_have_text("5 neurons")
    expect(page.get_by_test_id("layer-1-size")).to_have_text("3 neurons")
    assert page.evaluate("window.playground.state.dataset") == "custom"
    assert "dataset=custom" in page.url and "hidden=5,3" in page.url
    imported = received.ready[-1]
    assert imported["columns"] == page.evaluate("window.playground.run.columns") == [
        "a", "b", "c", "d"
    ]  # fmt: skip
    assert imported["classes"] == trained["classes"] == ["lilium", "rosa", "tulipa"]
    page.wait_for_function("() => window.playground.stats.epoch === 3")
    first = received.last_frame(page, imported["run"])
    assert first["epoch"] == 3
    for W_shown, layer in zip(weights(first), model.sequential, strict=True):
        np.testing.assert_array_equal(W_shown, layer.W.astype(np.float32))


def test_the_decision_boundary_downloads_as_the_png_it_shows(watched, tmp_path):
    page = watched.open("dataset=xor")
    step(page, 3)
    boundary = page.get_by_test_id("decision-boundary")
    expect(boundary).to_have_attribute("data-epoch", "3")
    name, path = download(page, "boundary-png", tmp_path)
    assert name == f"boundary-run{page.evaluate('window.playground.run.run')}-epoch3.png"
    data = path.read_bytes()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "boundary-download.png").write_bytes(data)
    box = boundary.bounding_box()
    width, height = png_size(data)
    assert abs(width - box["width"]) <= 1 and abs(height - box["height"]) <= 1
    assert len(data) > 10_000  # the heatmap under the points, not a blank picture


def test_the_script_data_and_loss_history_download(watched, tmp_path):
    page = watched.open("dataset=xor&speed=100")
    trained = train(page, "() => window.playground.stats.epoch >= 5")

    name, path = download(page, "export-script", tmp_path)
    assert name.endswith(".py")
    script = path.read_text()
    compile(script, name, "exec")
    assert "'xor'" in script

    name, path = download(page, "export-data", tmp_path)
    assert name.endswith(".csv")
    lines = path.read_text().strip().splitlines()
    assert len(lines) == 1 + 500  # a header and every sample

    name, path = download(page, "export-loss-history", tmp_path)
    assert name.endswith(".csv")
    lines = path.read_text().strip().splitlines()
    assert lines[0] == "epoch,train_loss,test_loss"
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(trained + 1))
    assert float(lines[-1].split(",")[2]) == number(page, "test-loss")

    with page.expect_download() as info:
        page.get_by_test_id("download-loss-png").click()
    assert info.value.suggested_filename.endswith(".png")


def test_a_file_that_is_not_a_model_is_refused_beside_the_import_and_the_run_goes_on(
    watched, tmp_path
):
    page = watched.open("dataset=gaussian")
    step(page, 2)
    url = page.url
    error = page.get_by_test_id("error-model")
    chooser = page.get_by_test_id("import-model")

    not_json = tmp_path / "notes.json"
    not_json.write_text("this is {not JSON")
    chooser.set_input_files(not_json)
    expect(error).to_be_visible()
    expect(error).to_contain_text("not JSON")

    not_a_model = tmp_path / "settings.json"
    not_a_model.write_text(json.dumps({"learning_rate": 0.1, "layers": "many"}))
    chooser.set_input_files(not_a_model)
    expect(error).to_contain_text("model")
    expect(error).not_to_contain_text("not JSON")
    expect(error).to_be_visible()
    watched.screenshot("import-refused")

    step(page, 1)  # the run it had goes on
    wait_for_readout(page, "epoch-count", 3)
    assert page.url == url
    expect(page.get_by_test_id("dataset-gaussian")).to_have_attribute("aria-checked", "true")


def confusion_counts(page: Page) -> np.ndarray:
    cells = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=confusion-matrix] td.count')]
            .map(td => [td.dataset.row, td.dataset.col, td.dataset.value].map(Number))"""
    )
    k = max(row for row, _, _ in cells) + 1
    counts = np.zeros((k, k), dtype=int)
    for row, col, value in cells:
        counts[row, col] = value
    return counts


def test_the_confusion_matrix_counts_every_test_sample_and_its_diagonal_grows(watched):
    page = watched.open(f"{MULTI_BLOBS}&noise=0.2")
    matrix = page.get_by_test_id("confusion-matrix")
    page.get_by_test_id("tab-confusion").click()
    expect(matrix).to_be_visible()
    expect(page.get_by_test_id("decision-boundary")).to_be_hidden()
    counts = confusion_counts(page)
    assert counts.shape == (4, 4)
    assert counts.sum() == 250  # the test half of 500 samples

    train(
        page,
        "() => Number(document.querySelector('[data-testid=test-metric]').dataset.value) > 0.9",
    )
    page.wait_for_function(
        "() => document.querySelector('[data-testid=confusion-matrix]').dataset.epoch"
        " === String(window.playground.stats.epoch)"
    )
    counts = confusion_counts(page)
    assert counts.sum() == 250
    assert all(counts[i, i] > counts[i].sum() - counts[i, i] for i in range(4))
    accuracy = np.trace(counts) / counts.sum()
    assert accuracy == number(page, "confusion-accuracy")
    assert abs(accuracy - number(page, "test-metric")) < 1e-9
    recalls = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=confusion-matrix] td.recall')]
            .map(td => Number(td.dataset.value))"""
    )
    np.testing.assert_allclose(recalls, np.diag(counts) / counts.sum(axis=1))
    watched.screenshot("confusion-matrix")

    page.get_by_test_id("confusion-train").check()
    expect(matrix).to_have_attribute("data-split", "train")
    assert confusion_counts(page).sum() == 250

    page.get_by_test_id("dataset-plane").click()  # regression: no classes
    expect(page.get_by_test_id("tab-confusion")).to_be_disabled()
    expect(page.get_by_test_id("decision-boundary")).to_be_visible()


def test_compare_runs_overlays_two_runs_and_a_row_restores_its_config(watched):
    page = watched.open("dataset=circle&hidden=4,2&lr=0.03")
    step(page, 3)
    page.get_by_test_id("add-layer").click()  # run B: another architecture...
    wait_for_columns(page, 5)
    step(page, 4)
    page.get_by_test_id("learning-rate").select_option(label="0.1")  # ...its rate changed live
    step(page, 1)

    page.get_by_test_id("tab-compare").click()
    panel = page.get_by_test_id("compare-runs")
    expect(panel).to_have_attribute("data-runs", "2")
    run_a, run_b = page.get_by_test_id("compare-run-1"), page.get_by_test_id("compare-run-2")

    def cell(row, column: str) -> str:
        return row.locator(f"td.col-{column}").get_attribute("data-value")

    assert cell(run_a, "dataset") == "circle" and cell(run_b, "dataset") == "circle"
    assert cell(run_a, "layers") == "2,4,2,1" and cell(run_b, "layers") == "2,4,2,2,1"
    assert cell(run_a, "epochs") == "3" and cell(run_b, "epochs") == "5"
    assert cell(run_a, "lr") == "0.03" and cell(run_b, "lr") == "0.1"
    expect(run_b.locator("td.col-lr")).to_have_attribute("title", "learning rate 0.03 → 0.1")
    assert float(cell(run_b, "test-loss")) == number(page, "test-loss")
    assert float(cell(run_b, "test-metric")) == number(page, "test-metric")
    assert float(cell(run_a, "test-loss")) > 0 and 0 <= float(cell(run_a, "test-metric")) <= 1
    chart = panel.locator(".compare-chart")
    expect(chart).to_have_attribute("data-curves", "4")  # test and training loss of each run
    assert chart.evaluate("plot => plot.data.map(trace => trace.name)") == [
        "run 1 test", "run 1 training", "run 2 test", "run 2 training",
    ]  # fmt: skip
    watched.screenshot("compare-runs")

    run_a.get_by_role("button", name="Restore the settings of run 1").press("Enter")
    wait_for_columns(page, 4)
    page.wait_for_function("() => window.playground.stats.epoch === 0")
    assert "hidden=4,2&" in page.url and "lr=0.03&" in page.url
    expect(page.get_by_test_id("layer-count")).to_have_text("2")
    learning_rate = page.get_by_test_id("learning-rate")
    assert learning_rate.evaluate("s => s.options[s.selectedIndex].text") == "0.03"

"""Issue 6 on the wire: the user's own data (CSV upload, drawing), the real data sets, and the
run as files (model JSON, script, data CSV) and back (import).

References: scikit-learn (StandardScaler, PCA, confusion_matrix) and `mlp_engine` itself run
in the test, and the exported script run in a subprocess.
"""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import confusion_matrix
from sklearn.preprocessing import StandardScaler
from wire import receive_message

from mlp_engine import MLP, LeakyReLU, Momentum
from mlp_engine.datasets import train_test_split
from mlp_engine.tabular import load_real, read_csv, to_csv
from server.history import HISTORY_POINTS

ROOT = Path(__file__).resolve().parents[2]

GOOD_CSV = "a,b,label\n" + "".join(
    f"{x:.3f},{y:.3f},{'yes' if x * y > 0 else 'no'}\n"
    for x, y in np.random.default_rng(3).uniform(-2, 2, size=(60, 2))
)


class Conversation:
    """One websocket session: send messages, read replies by type, keep every frame's history."""

    def __init__(self, ws):
        self.ws = ws
        self.history = {"epoch": [], "train_loss": [], "test_loss": []}

    def send(self, message: dict) -> None:
        self.ws.send_json(message)

    def until(self, *types: str) -> dict:
        """The next message of one of `types`; frames on the way are decoded and their
        history kept."""
        while True:
            message = receive_message(self.ws)
            if message["type"] == "frame":
                for key in self.history:
                    self.history[key] += message["history"][key]
            if message["type"] in types:
                return message
            assert message["type"] != "error", message

    def configure(self, **config) -> dict:
        self.send({"type": "configure", "config": config})
        ready = self.until("ready", "error")
        assert ready["type"] == "ready", ready
        self.history = {"epoch": [], "train_loss": [], "test_loss": []}
        self.frame_epoch = 0
        return ready

    def step(self, epochs: int) -> dict:
        """Train `epochs` epochs; the frame at the last one. Steps of at most HISTORY_POINTS
        epochs, whose frames carry every epoch's losses (longer stretches are summed up)."""
        while epochs > 0:
            target = self.frame_epoch + min(epochs, HISTORY_POINTS)
            self.send({"type": "step", "epochs": target - self.frame_epoch})
            while True:
                frame = self.until("frame")
                if frame["epoch"] == target and frame["state"] == "paused":
                    break
            epochs -= target - self.frame_epoch
            self.frame_epoch = target
        return frame

    frame_epoch = 0

    def export(self, what: str) -> dict:
        self.send({"type": "export", "what": what})
        return self.until("export")


@pytest.fixture
def talk(client):
    with client.websocket_connect("/ws/train") as ws:
        yield Conversation(ws)


# -- CSV upload ---------------------------------------------------------------------------------
def test_an_uploaded_csv_becomes_the_custom_data_set(talk):
    talk.send({"type": "upload_csv", "name": "mine.csv", "csv": GOOD_CSV, "label": "label"})
    info = talk.until("data")
    assert info == {
        "type": "data",
        "source": "csv",
        "name": "mine.csv",
        "n_rows": 60,
        "n_inputs": 2,
        "columns": ["a", "b"],
        "target": "label",
        "kind": "binary",
        "classes": ["no", "yes"],
    }
    ready = talk.configure(dataset="custom", batch_size=5)
    assert (ready["source"], ready["data_name"], ready["kind"]) == ("custom", "mine.csv", "binary")
    assert (ready["view"], ready["columns"], ready["classes"]) == (
        "plane",
        ["a", "b"],
        ["no", "yes"],
    )
    # standardised with the training samples' mean and standard deviation
    table = read_csv(GOOD_CSV, label="label")
    raw_train, _, raw_test, _ = train_test_split(table.X, table.y, 0.5, 0)
    scaler = StandardScaler().fit(raw_train)
    np.testing.assert_allclose(ready["train"]["x"], scaler.transform(raw_train), atol=1e-4)
    np.testing.assert_allclose(ready["test"]["x"], scaler.transform(raw_test), atol=1e-4)
    low, high = ready["grid"]["x_range"]
    shown = np.concatenate([ready["train"]["x"], ready["test"]["x"]])
    assert low < shown[:, 0].min() and shown[:, 0].max() < high


BAD_CSVS = [
    ("a,b,label\n1,2,x\n3,oops,y\n", "row 3, column 'b': 'oops' is not a number"),
    ("a,b,label\n1,2,x\n3,,y\n", "row 3, column 'b': missing value"),
    ("a,b,label\n1,2,x\n3,4\n", "row 3"),
    ("", "empty"),
    ("a,b,label\n1,2,x\n", "class"),  # one class only
]


@pytest.mark.parametrize(("text", "expected"), BAD_CSVS)
def test_a_bad_csv_is_refused_with_its_row_and_column_and_changes_nothing(talk, text, expected):
    talk.send({"type": "upload_csv", "csv": GOOD_CSV})
    talk.until("data")
    before = talk.configure(dataset="custom", batch_size=5)
    talk.step(3)
    talk.send({"type": "upload_csv", "csv": text})
    error = talk.until("error", "data")
    assert error["type"] == "error" and error["code"] == "bad_data", error
    assert expected in error["message"]
    # the run goes on where it was, and the session's custom data are still the good ones
    frame = talk.step(1)
    assert (frame["run"], frame["epoch"]) == (before["run"], 4)
    again = talk.configure(dataset="custom", batch_size=5)
    assert again["train"] == before["train"] and again["columns"] == ["a", "b"]


def test_limits_of_an_upload_are_served_and_enforced(client, talk):
    limits = client.get("/api/options").json()
    assert limits["upload_limits"] == {
        "max_rows": 10_000,
        "max_columns": 65,
        "max_bytes": 5_000_000,
    }
    assert limits["server_limits"]["max_upload_bytes"] == 7_000_000
    assert limits["input_range"] == [-6.0, 6.0]  # where points may be drawn
    rows = "".join(f"{i},{i % 2}\n" for i in range(10_001))
    talk.send({"type": "upload_csv", "csv": "x,label\n" + rows})
    error = talk.until("error")
    assert error["code"] == "bad_data" and "limit is 10000" in error["message"].replace(",", "")
    wide = ",".join(f"c{i}" for i in range(66)) + "\n" + ",".join(["1"] * 66) + "\n"
    talk.send({"type": "upload_csv", "csv": wide})
    error = talk.until("error")
    assert error["code"] == "bad_data" and "66 columns" in error["message"]
    talk.send({"type": "upload_csv", "csv": "x" * 7_000_001})
    assert talk.until("error")["code"] == "message_too_large"
    # a message that carries no file keeps the ordinary limit
    talk.send({"type": "configure", "config": {"dataset": "circle" + " " * 70_000}})
    assert talk.until("error")["code"] == "message_too_large"


def test_custom_before_any_data_is_an_error(talk):
    talk.send({"type": "configure", "config": {"dataset": "custom"}})
    error = talk.until("error")
    assert error["code"] == "no_data" and "draw points or upload" in error["message"]


# -- drawing ------------------------------------------------------------------------------------
def test_drawn_points_train_as_plane_data(talk):
    x = [[-4.0, -4.0], [-3.5, -4.5], [-4.5, -3.0], [4.0, 4.0], [3.5, 4.5], [4.5, 3.0]]
    y = [0, 0, 0, 1, 1, 1]
    talk.send({"type": "draw", "x": x, "y": y, "kind": "binary"})
    info = talk.until("data")
    assert (info["source"], info["n_rows"], info["kind"]) == ("drawn", 6, "binary")
    ready = talk.configure(dataset="custom", batch_size=2, features=["x1", "x2", "x1*x2"])
    assert ready["view"] == "plane" and ready["grid"]["x_range"] == [-6.0, 6.0] and ready["plane"]
    assert ready["layer_sizes"][0] == 3  # the features apply to drawn points
    drawn = sorted(map(tuple, ready["train"]["x"] + ready["test"]["x"]))
    assert drawn == sorted(map(tuple, x))
    assert talk.step(5)["epoch"] == 5


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"x": [[0, 0], [7, 0]], "y": [0, 1], "kind": "binary"}, "point 1 [7.0, 0.0] is outside"),
        ({"x": [[0, 0], [1, 1]], "y": [0, 2], "kind": "binary"}, "point 1: its class 2.0"),
        ({"x": [[0, 0], [1, 1]], "y": [0], "kind": "binary"}, "x has 2 points but y has 1"),
        ({"x": [], "y": [], "kind": "binary"}, "0 points drawn: draw at least 2"),
        ({"x": [[0, 0], [1, 1]], "y": [0, 5], "kind": "multiclass", "n_classes": 3}, "0..2"),
    ],
)
def test_bad_drawings_are_refused(talk, message, expected):
    talk.send({"type": "draw", **message})
    error = talk.until("error")
    assert error["code"] == "bad_data" and expected in error["message"], error


# -- real data sets -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kind", "view"),
    [
        ("iris", "multiclass", "pca"),
        ("wine", "multiclass", "pca"),
        ("breast_cancer", "binary", "pca"),
        ("digits", "multiclass", "pca"),
        ("diabetes", "regression", "pca"),
    ],
)
def test_real_data_sets_are_standardised_and_shown_on_principal_components(talk, name, kind, view):
    ready = talk.configure(dataset=name, batch_size=10, hidden_layers=[8])
    table = load_real(name)
    assert (ready["kind"], ready["view"], ready["grid"], ready["plane"]) == (
        kind,
        view,
        None,
        False,
    )
    assert ready["columns"] == list(table.columns) and ready["classes"] == list(table.classes)
    assert ready["layer_sizes"] == [
        table.X.shape[1],
        8,
        table.n_classes if kind == "multiclass" else 1,
    ]
    raw_train, y_train, raw_test, _ = train_test_split(table.X, table.y, 0.5, 0)
    X_train = StandardScaler().fit(raw_train).transform(raw_train)
    pca = PCA(n_components=2).fit(X_train)
    expected = pca.transform(X_train)
    shown = np.array(ready["train"]["x"])
    signs = np.sign((shown * expected).sum(axis=0))  # a component's sign is arbitrary
    np.testing.assert_allclose(shown, expected * signs, atol=1e-3)
    np.testing.assert_allclose(
        ready["explained_variance"], pca.explained_variance_ratio_, rtol=1e-6
    )
    if kind == "regression":  # targets standardised too
        y = np.array(ready["train"]["y"])
        np.testing.assert_allclose(y, (y_train - y_train.mean()) / y_train.std(), atol=1e-5)
    frame = talk.step(2)
    assert ready["grid"] is None  # no plane to draw on
    assert frame["train_loss"] is not None


def test_the_confusion_matrices_are_those_of_the_models_predictions(talk):
    talk.configure(dataset="wine", batch_size=8, hidden_layers=[6])
    frame = talk.step(15)
    arrays = frame["decoded"]
    model = MLP(n_x=13, n_h=[6], n_y=3, hidden_activation="tanh", output_activation="softmax")
    for l, layer in enumerate(model.sequential):
        layer.W, layer.b = arrays["W", l], arrays["b", l]
    table = load_real("wine")  # ready's points are pca coordinates: rebuild the model's inputs
    raw_train, y_train, raw_test, y_test = train_test_split(table.X, table.y, 0.5, 0)
    scaler = StandardScaler().fit(raw_train)
    for split, raw, y in (("train", raw_train, y_train), ("test", raw_test, y_test)):
        predicted = model.predict_classes(scaler.transform(raw))
        np.testing.assert_array_equal(arrays[f"{split}_predicted", None], predicted)
        expected = confusion_matrix(y.astype(int), predicted, labels=[0, 1, 2])
        np.testing.assert_array_equal(arrays[f"confusion_{split}", None], expected)
    assert arrays["confusion_test", None].sum() == len(y_test)


# -- export and import --------------------------------------------------------------------------
def test_an_exported_model_loads_in_mlp_engine_and_predicts_identically(talk, tmp_path):
    ready = talk.configure(dataset="spiral", hidden_layers=[6, 4], batch_size=10, noise=0.1)
    frame = talk.step(30)
    exported = talk.export("model")
    assert exported["filename"] == f"mlp-run{ready['run']}-spiral-epoch30.json"
    path = tmp_path / exported["filename"]
    path.write_text(exported["content"])
    model = MLP.load(path)
    arrays = frame["decoded"]
    for l, layer in enumerate(model.sequential):
        np.testing.assert_allclose(layer.W, arrays["W", l], rtol=1e-6)
    test_x, test_y = np.array(ready["test"]["x"]), np.array(ready["test"]["y"], dtype=int)
    predicted = model.predict_classes(test_x)
    confusion = confusion_matrix(test_y, predicted, labels=range(len(ready["classes"])))
    np.testing.assert_array_equal(confusion, arrays["confusion_test", None])


def run_script(text: str, tmp_path: Path) -> dict:
    path = tmp_path / "run.py"
    path.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line and line[0].isdigit()]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    return {
        "epoch": [int(r[0]) for r in rows],
        "train_loss": [float(r[1]) for r in rows],
        "test_loss": [float(r[2]) for r in rows],
    }


SCRIPT_CASES = {
    "generated": ({"dataset": "xor", "hidden_layers": [5], "noise": 0.2, "seed": 4}, None),
    "real": ({"dataset": "iris", "hidden_layers": [5], "optimizer": "adam"}, None),
    "constants": (
        {
            "dataset": "circle",
            "hidden_layers": [4],
            "optimizer": "momentum",
            "activation": "leaky_relu",
        },
        None,
    ),
    "csv regression": (
        {"dataset": "custom", "hidden_layers": [4]},
        {
            "type": "upload_csv",
            "csv": "u,v,w\n"
            + "".join(
                f"{a:.4f},{b:.4f},{3 * a - b * b:.4f}\n"
                for a, b in np.random.default_rng(1).normal(size=(80, 2))
            ),
        },
    ),
    "drawn": (
        {"dataset": "custom", "hidden_layers": [3], "batch_size": 2, "features": ["x1", "x2"]},
        {
            "type": "draw",
            "x": [[-3, -3], [-2, -4], [3, 3], [4, 2], [0, 5], [1, -5]],
            "y": [0, 0, 1, 1, 2, 2],
            "kind": "multiclass",
            "n_classes": 3,
        },
    ),
}


@pytest.mark.parametrize("case", SCRIPT_CASES)
def test_the_exported_script_reproduces_the_loss_curve(talk, tmp_path, case):
    config, data = SCRIPT_CASES[case]
    if data is not None:
        talk.send(data)
        talk.until("data")
    talk.configure(**{"batch_size": 10, **config})
    talk.step(12)
    script = talk.export("script")
    assert script["filename"].endswith("-epoch12.py")
    if case == "constants":  # the rules' constants are written out, not left to defaults
        assert "optimizer=Momentum(mu=0.9)" in script["content"]
        assert "hidden_activation=LeakyReLU(alpha=0.01)" in script["content"]
    printed = run_script(script["content"], tmp_path)
    assert printed["epoch"] == talk.history["epoch"] == list(range(1, 13))
    np.testing.assert_allclose(printed["train_loss"], talk.history["train_loss"], rtol=1e-12)
    np.testing.assert_allclose(printed["test_loss"], talk.history["test_loss"], rtol=1e-12)


def test_the_script_replays_changes_made_while_training(talk, tmp_path):
    talk.configure(dataset="circle", regularization="l2", regularization_rate=0.001)
    talk.step(3)
    talk.send({"type": "set", "learning_rate": 0.3})
    talk.send({"type": "set_weight", "layer": 1, "row": 0, "col": 2, "value": -1.5})
    talk.step(2)
    talk.send({"type": "set", "regularization_rate": 0.01})
    talk.send({"type": "set_weight", "layer": 0, "row": 3, "col": None, "value": 0.25})
    talk.step(3)
    text = talk.export("script")["content"]
    assert "learning_rate=0.03," in text  # the run's first rate; the change is replayed
    assert "(3, 'learning_rate', None, 0.3)" in text and "(5, 'b', (0, 3), 0.25)" in text
    printed = run_script(text, tmp_path)
    assert printed["epoch"] == talk.history["epoch"] == list(range(1, 9))
    np.testing.assert_allclose(printed["train_loss"], talk.history["train_loss"], rtol=1e-12)
    np.testing.assert_allclose(printed["test_loss"], talk.history["test_loss"], rtol=1e-12)


def test_the_exported_data_csv_uploads_back_to_the_same_data(talk):
    talk.configure(dataset="breast_cancer", batch_size=10)
    exported = talk.export("data")
    assert exported["filename"] == "breast_cancer.csv" and exported["media_type"] == "text/csv"
    table = load_real("breast_cancer")
    assert read_csv(exported["content"], label="target") == table
    written = to_csv(
        table.X, table.y, table.columns, "target", table.classes, spreadsheet_safe=True
    )
    assert exported["content"] == written


def test_an_imported_model_keeps_training_exactly_as_the_original(talk):
    talk.configure(dataset="moons", hidden_layers=[5, 3], optimizer="adam", batch_size=8)
    talk.step(10)
    model_file = json.loads(talk.export("model")["content"])
    talk.step(10)
    original = dict(talk.history)
    talk.configure(dataset="xor", hidden_layers=[2])  # something else in between
    talk.send({"type": "import_model", "model": model_file})
    ready = talk.until("ready", "error")
    assert ready["type"] == "ready", ready
    assert ready["config"]["dataset"] == "moons" and ready["layer_sizes"] == [2, 5, 3, 1]
    frame = talk.until("frame")
    assert frame["epoch"] == 10
    for l, layer in enumerate(model_file["layers"]):
        np.testing.assert_allclose(frame["decoded"]["W", l], layer["W"], rtol=1e-6)
    talk.history = {"epoch": [], "train_loss": [], "test_loss": []}
    talk.frame_epoch = 10
    talk.step(10)
    assert talk.history["epoch"] == original["epoch"][10:]
    assert talk.history["train_loss"] == original["train_loss"][10:]
    assert talk.history["test_loss"] == original["test_loss"][10:]


def test_a_model_of_custom_data_brings_its_data_back(talk):
    talk.send({"type": "upload_csv", "name": "mine.csv", "csv": GOOD_CSV})
    info = talk.until("data")
    original = talk.configure(dataset="custom", batch_size=5)
    talk.step(4)
    model_file = json.loads(talk.export("model")["content"])
    talk.send({"type": "draw", "x": [[0, 0], [1, 1], [2, 2]], "y": [0, 1, 0], "kind": "binary"})
    talk.until("data")  # the session's custom data are now a drawing
    talk.send({"type": "import_model", "model": model_file})
    assert talk.until("data") == info  # announced before the run, as after an upload
    ready = talk.until("ready")
    assert ready["train"] == original["train"] and ready["data_name"] == "mine.csv"


def test_a_bare_model_is_imported_onto_the_current_data(talk):
    talk.configure(dataset="circle", hidden_layers=[4, 2])
    bare = MLP(n_x=2, n_h=[3], n_y=1, hidden_activation="relu", learning_rate=0.1, seed=9)
    talk.send({"type": "import_model", "model": bare.to_dict()})
    ready = talk.until("ready", "error")
    assert ready["type"] == "ready", ready
    config = ready["config"]
    assert (config["dataset"], config["hidden_layers"], config["activation"]) == (
        "circle",
        [3],
        "relu",
    )
    assert config["learning_rate"] == 0.1
    frame = talk.until("frame")
    np.testing.assert_allclose(frame["decoded"]["W", 0], bare.sequential[0].W, rtol=1e-6)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"hello": 1}, "not an mlp_engine.MLP model"),
        (MLP(n_x=5, n_h=[3], n_y=1).to_dict(), "layer sizes [5, 3, 1] do not fit"),
        (
            {**MLP(n_x=2, n_h=[3], n_y=1).to_dict(), "layers": [{"W": [[1, 2]], "b": [0]}] * 2},
            "layer 0: W should be 3 rows of 2 numbers",
        ),
        # The playground trains with the rules' default constants: a model that ran with
        # others would not go on as it did, so it is refused rather than changed.
        (
            MLP(n_x=2, n_h=[4, 2], n_y=1, optimizer=Momentum(mu=0.5)).to_dict(),
            "optimizer is Momentum(mu=0.5); the playground trains with Momentum(mu=0.9)",
        ),
        (
            MLP(n_x=2, n_h=[4, 2], n_y=1, hidden_activation=LeakyReLU(alpha=0.3)).to_dict(),
            "hidden_activation is LeakyReLU(alpha=0.3)",
        ),
    ],
)
def test_a_bad_model_file_is_refused_and_changes_nothing(talk, model, expected):
    before = talk.configure(dataset="circle", hidden_layers=[4, 2])
    talk.step(2)
    talk.send({"type": "import_model", "model": model})
    error = talk.until("error", "ready")
    assert error["type"] == "error" and error["code"] == "bad_model"
    assert expected in error["message"], error
    frame = talk.step(1)
    assert (frame["run"], frame["epoch"]) == (before["run"], 3)


# -- Reset, the link and the script agree ------------------------------------------------------
def test_a_reset_run_is_the_run_a_configure_with_its_resets_begins(client):
    """Reset draws new weights from the seed [seed, resets]; `ready` says how many resets, the
    page writes it in its link, and a `configure` with that count begins the same weights, as
    the exported script does."""
    config = {"dataset": "xor", "seed": 5, "hidden_layers": [3]}
    with client.websocket_connect("/ws/train") as ws:
        talk = Conversation(ws)
        assert talk.configure(**config)["resets"] == 0
        first = json.loads(talk.export("model")["content"])
        talk.send({"type": "reset"})
        assert talk.until("ready")["resets"] == 1
        reset = json.loads(talk.export("model")["content"])
        script = talk.export("script")["content"]
    with client.websocket_connect("/ws/train") as ws:
        talk = Conversation(ws)
        talk.send({"type": "configure", "config": config, "resets": 1})
        assert talk.until("ready")["resets"] == 1
        linked = json.loads(talk.export("model")["content"])
    assert reset["layers"] != first["layers"], "a reset draws new weights"
    assert linked["layers"] == reset["layers"]
    assert "seed=[5, 1]" in script

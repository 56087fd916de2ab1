"""Issue 11 on the files that cross the boundary: a student's names and model files must not
run code on the teacher's machine, nor cost the server more than its limits allow.

- The exported script holds a user's strings only as Python literals: for any string (quotes,
  triple quotes, backslashes, line breaks, NULs, any Unicode) in the data set's name, column
  names, class names and label column, the script parses, the string comes back equal from its
  literal, and the script calls nothing but `mlp_engine`'s training (read from its syntax tree,
  and one run for real in a subprocess).
- A model file is checked against the server's limits before anything is built: one that asks
  for two hidden layers of 12,000 neurons is refused without the server's peak memory growing;
  every malformed field is `bad_model` naming the field, and the session goes on.
- "Export data" writes no cell that a spreadsheet would run as a formula.

Everything on the wire goes to a real server process over a real websocket (`live_server`).
"""

import ast
import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect
from wire import read_message

from mlp_engine import MLP
from mlp_engine.tabular import FORMULA_STARTS, MISSING, Table, read_csv, to_csv
from server.data import CustomData
from server.export import imported_run, model_dict, script
from server.model_file import MAX_EPOCH
from server.protocol import TrainConfig
from server.run import build_run

ROOT = Path(__file__).resolve().parents[2]


# -- a client ------------------------------------------------------------------------------------
class Client:
    """One websocket session with the live server: send messages, read replies by type."""

    def __init__(self, ws):
        self.ws = ws
        self.epoch = 0

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def until(self, *types: str, timeout: float = 60) -> dict:
        """The next message of one of `types`."""
        deadline = time.monotonic() + timeout
        while True:
            message = read_message(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message["type"] in types:
                return message
            assert message["type"] != "error", message

    def configure(self, **config) -> dict:
        self.send({"type": "configure", "config": config})
        ready = self.until("ready", "error")
        assert ready["type"] == "ready", ready
        self.epoch = 0
        return ready

    def step(self, epochs: int) -> dict:
        self.epoch += epochs
        self.send({"type": "step", "epochs": epochs})
        while True:
            frame = self.until("frame")
            if frame["epoch"] == self.epoch and frame["state"] == "paused":
                return frame

    def export(self, what: str) -> dict:
        self.send({"type": "export", "what": what})
        return self.until("export")

    def import_model(self, model: dict) -> dict:
        """The answer to `import_model`: `ready`, or the `error`."""
        self.send({"type": "import_model", "model": model})
        return self.until("ready", "error")


@pytest.fixture
def client(live_server):
    with connect(live_server.ws_url, max_size=None) as ws:
        yield Client(ws)


def upload(client: Client, text: str, name: str, label) -> dict:
    client.send({"type": "upload_csv", "name": name, "csv": text, "label": label})
    return client.until("data")


# -- the script: what it may do ------------------------------------------------------------------
IMPORTS = {
    "numpy", "mlp_engine", "mlp_engine.datasets", "mlp_engine.preparation", "mlp_engine.tabular"
}  # fmt: skip
CALLS = {
    "MLP", "np.array", "make_dataset", "train_test_split", "feature_map", "load_real",
    "read_csv", "standardize", "prepare", "model.check_targets", "y.astype", "range", "len",
    "model.train_epoch", "model.loss", "model.evaluate", "print", "replay", "setattr", "getattr",
}  # fmt: skip


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return f"<{type(node).__name__}>"


def audited(source: str) -> dict:
    """Check that `source` imports only numpy and mlp_engine and calls only what training needs;
    return its top-level constants {name: value}."""
    tree = ast.parse(source)
    constants = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {alias.name for alias in node.names} <= IMPORTS, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom):
            assert node.module in IMPORTS and node.level == 0, ast.unparse(node)
        elif isinstance(node, ast.Call):
            assert dotted(node.func) in CALLS, ast.unparse(node)
        elif isinstance(node, ast.Attribute):
            assert not node.attr.startswith("_"), ast.unparse(node)
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                constants[target.id] = ast.literal_eval(statement.value)
    docstring = ast.get_docstring(tree)
    assert docstring.startswith("Playground run ")
    return constants


def read_call(source: str) -> ast.Call:
    """The script's call of read_csv."""
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    return next(call for call in calls if dotted(call.func) == "read_csv")


def run_script(source: str, tmp_path: Path) -> list[str]:
    """Run the script in a subprocess (in tmp_path) and return the lines it printed, which must
    be the loss curve and nothing else."""
    path = tmp_path / "run.py"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "epoch,train_loss,test_loss"
    assert lines[-1].startswith("test: {")
    rows = list(csv.reader(lines[1:-1]))
    assert [int(row[0]) for row in rows] == list(range(1, len(rows) + 1))
    assert all(len(row) == 3 and all(np.isfinite(float(v)) for v in row[1:]) for row in rows)
    return lines


def payloads(marker: Path) -> dict[str, str]:
    """Names that, written raw into a script, would create `marker` when it runs."""
    touch = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return {
        "docstring": f'x"""; {touch}; """',
        "docstring, line breaks": f'x"""\n{touch}\n"""',
        "single quote": f"a'); {touch}; ('",
        "double quote": f'a"); {touch}; ("',
        "backslash": f"a\\'); {touch}; #",
        "comment": f"a\n{touch}\n#",
    }


# -- the script: any string, through the export functions ---------------------------------------
NAMES = st.text(min_size=1, max_size=40) | st.sampled_from(
    ['x"""', "'''", '"""\n', "\\", "\\'", "\x00", "a\nb", "\r", "\u2028", "é\u0301", "😀"]
)


def custom_run(name: str, columns, target: str, classes) -> object:
    """A run on an uploaded data set with these names, built as the session builds runs."""
    rng = np.random.default_rng(0)
    y = np.arange(8) % 2
    table = Table(rng.normal(size=(8, 2)), y, tuple(columns), target, "binary", tuple(classes))
    config = TrainConfig(dataset="custom", hidden_layers=[2], batch_size=2, grid_resolution=10)
    return build_run(config, 1, 0, CustomData("csv", name, table))


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    name=NAMES,
    columns=st.lists(NAMES, min_size=2, max_size=2, unique=True),
    target=NAMES,
    classes=st.lists(NAMES, min_size=2, max_size=2, unique=True),
    epoch=st.integers(0, MAX_EPOCH),
)
def test_any_string_reaches_the_script_only_as_a_literal_that_reads_back_equal(
    name, columns, target, classes, epoch
):
    run = custom_run(name, columns, target, classes)
    run.epoch = epoch
    source = script(run)
    constants = audited(source)
    assert constants["DATA_NAME"] == name
    assert constants["EPOCHS"] == epoch
    assert constants["DATA"] == to_csv(run.data.X, run.data.y, columns, target, classes)
    label = next(k.value for k in read_call(source).keywords if k.arg == "label")
    assert ast.literal_eval(label) == target
    plain = custom_run("plain.csv", ["p", "q"], "t", ["u", "v"])
    plain.epoch = epoch
    assert ast.get_docstring(ast.parse(script(plain))) == ast.get_docstring(ast.parse(source))


def is_number(cell: str) -> bool:
    """Whether read_csv (and a spreadsheet) reads `cell` as a number."""
    try:
        float(cell)
    except ValueError:
        return False
    return cell.isascii() and "_" not in cell


#: Names that read_csv keeps as they are: one line (no control character), no space around.
READABLE = (
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
LABELS = READABLE.filter(lambda label: not is_number(label) and label.lower() not in MISSING)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    name=NAMES,
    names=st.lists(READABLE, min_size=3, max_size=3, unique=True),
    classes=st.lists(LABELS, min_size=2, max_size=2, unique=True),
)
def test_readable_names_come_back_equal_from_the_script_and_the_model_file(name, names, classes):
    *columns, target = names
    run = custom_run(name, columns, target, sorted(classes))
    constants = audited(script(run))
    assert read_csv(constants["DATA"], label=target, header=True) == run.custom.table
    _, _, custom, _ = imported_run(json.loads(json.dumps(model_dict(run))), None, None)
    assert (custom.name, custom.table) == (name, run.custom.table)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(name=NAMES)
def test_any_name_in_a_model_file_reaches_the_script_only_as_a_literal(name):
    run = custom_run("data.csv", ["a", "b"], "y", ["no", "yes"])
    saved = json.loads(json.dumps(model_dict(run)))
    saved["playground"]["data"]["custom"]["name"] = name
    config, model, custom, epoch = imported_run(saved, None, None)
    assert custom.name == name
    imported = build_run(config, 2, 0, custom)
    imported.epoch = imported.imported_at = 7
    assert audited(script(imported))["DATA_NAME"] == name


# -- the script: hostile names through the session, run for real -------------------------------
def hostile_csv(columns: list[str], label: str, classes: list[str]) -> str:
    rng = np.random.default_rng(2)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([*columns, label])
    for i, (a, b) in enumerate(rng.normal(size=(40, 2))):
        writer.writerow([round(a, 4), round(b, 4), classes[i % 2]])
    return out.getvalue()


@pytest.mark.parametrize("hostile", ["file name", "column and class names"])
def test_an_upload_with_hostile_names_exports_a_script_that_only_trains(client, tmp_path, hostile):
    marker = tmp_path / "pwned"
    names = payloads(marker)
    name, columns, label, classes = "plain.csv", ["a", "b"], "y", ["no", "yes"]
    if hostile == "file name":
        name = names["docstring"]
    else:
        columns = [names["single quote"], names["double quote"]]
        label, classes = names["backslash"], ['x"""; pass; """', "'''"]
    text = hostile_csv(columns, label, classes)
    info = upload(client, text, name, label)
    assert (info["name"], info["columns"], info["target"]) == (name, columns, label)
    client.configure(dataset="custom", hidden_layers=[3], batch_size=5)
    client.step(4)
    source = client.export("script")["content"]
    lines = run_script(source, tmp_path)
    assert len(lines) == 1 + 4 + 1 and not marker.exists()
    constants = audited(source)
    assert constants["DATA_NAME"] == name
    assert read_csv(constants["DATA"], label=label, header=True) == read_csv(text, label=label)


@pytest.mark.parametrize("payload", ["docstring, line breaks", "comment"])
def test_a_model_file_with_a_hostile_data_name_exports_a_script_that_only_trains(
    client, tmp_path, payload
):
    marker = tmp_path / "pwned"
    name = payloads(marker)[payload]
    upload(client, hostile_csv(["a", "b"], "y", ["no", "yes"]), "plain.csv", "y")
    client.configure(dataset="custom", hidden_layers=[3], batch_size=5)
    client.step(3)
    model_file = json.loads(client.export("model")["content"])
    model_file["playground"]["data"]["custom"]["name"] = name
    client.configure(dataset="circle")
    ready = client.import_model(model_file)
    assert ready["type"] == "ready" and ready["data_name"] == name, ready
    source = client.export("script")["content"]
    run_script(source, tmp_path)
    assert not marker.exists()
    assert audited(source)["DATA_NAME"] == name


# -- model import: the server's limits come first ------------------------------------------------
def proc_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB (VmRSS: resident now; VmHWM: the peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


HUGE = {
    "format": "mlp_engine.MLP",
    "version": 1,
    "config": {"n_x": 2, "n_h": [12000, 12000], "n_y": 1},
    "layers": [],
}


def test_a_small_file_asking_for_a_huge_network_is_refused_before_it_is_built(client, live_server):
    client.configure(dataset="circle")
    client.step(2)
    pid = live_server.process.pid
    peak, resident = proc_kb(pid, "VmHWM"), proc_kb(pid, "VmRSS")
    assert len(json.dumps(HUGE)) < 600
    error = client.import_model(HUGE)
    assert error["type"] == "error" and error["code"] == "bad_model", error
    assert "config.n_h[0]" in error["message"] and "32" in error["message"], error
    # the network (12,000 x 12,000 doubles, three times over) would be 3.5 GB
    assert proc_kb(pid, "VmHWM") - peak < 40_000
    assert proc_kb(pid, "VmRSS") - resident < 40_000
    assert client.step(1)["epoch"] == 3  # the run goes on


def test_a_network_within_the_layer_limits_but_over_the_servers_cap_is_refused(client):
    client.configure(dataset="circle")
    big = MLP(n_x=64, n_h=[32] * 8, n_y=20, cost="categorical_crossentropy",
              output_activation="softmax").to_dict()  # fmt: skip
    error = client.import_model(big)
    assert error["code"] == "bad_model", error
    assert "10132 weights and biases" in error["message"]
    assert "at most 10000" in error["message"]


def base_file() -> dict:
    """A good playground file of an Adam run on circle (4-2 hidden), epoch 3."""
    model = MLP(n_x=2, n_h=[4, 2], n_y=1, hidden_activation="tanh", output_activation="sigmoid",
                cost="binary_crossentropy", optimizer="adam", seed=[0, 0])  # fmt: skip
    model.optimizer.update(model.theta, np.full_like(model.theta, 0.1))
    record = {
        "format": "mlp-playground.run",
        "config": {"dataset": "circle", "hidden_layers": [4, 2], "optimizer": "adam"},
        "epoch": 3,
        "data": {"source": "generated", "name": "circle"},
    }
    return {**model.to_dict(), "playground": record}


CSV_RECORD = {
    "source": "csv",
    "name": "d.csv",
    "csv": "a,b,label\n" + "".join(f"{i % 7},{i % 5},{'pq'[i % 2]}\n" for i in range(40)),
    "label": "label",
    "kind": "classification",
}
DROP = object()


def broken(path: str, value) -> dict:
    """base_file() with the field at `path` ("a.b.0.c") set to `value` (DROP: removed)."""
    file = base_file()
    *parents, last = [int(key) if key.isdigit() else key for key in path.split(".")]
    target = file
    for key in parents:
        target = target[key]
    if value is DROP:
        del target[last]
    else:
        target[last] = value
    return file


def with_custom(custom) -> dict:
    """base_file() of a run on custom data, `custom` as the file keeps them."""
    file = base_file()
    file["playground"]["config"]["dataset"] = "custom"
    file["playground"]["data"]["custom"] = custom
    return file


def custom_file(**changes) -> dict:
    return with_custom({**CSV_RECORD, **changes})


#: (file, words its bad_model message holds: the field, and what is wrong)
MALFORMED = {
    "version as text": (broken("version", "1"), "version"),
    "version 99": (broken("version", 99), "version"),
    "config as text": (broken("config", "x"), "config: Input should be a valid dictionary"),
    "config missing": (broken("config", DROP), "config: Field required"),
    "config unknown key": (broken("config.colour", "red"), "config.colour"),
    "n_x as text": (broken("config.n_x", "2"), "config.n_x"),
    "n_x negative": (broken("config.n_x", -1), "config.n_x"),
    "n_x huge": (broken("config.n_x", 10**30), "config.n_x"),
    "n_x fraction": (broken("config.n_x", 2.5), "config.n_x"),
    "n_h as text": (broken("config.n_h", "wide"), "config.n_h"),
    "n_h a number": (broken("config.n_h", 4), "config.n_h"),
    "n_h fraction": (broken("config.n_h", [4, 2.5]), "config.n_h[1]"),
    "n_h zero": (broken("config.n_h", [4, 0]), "config.n_h[1]"),
    "n_h too deep": (broken("config.n_h", [2] * 9), "config.n_h"),
    "n_y huge": (broken("config.n_y", 10**30), "config.n_y"),
    "n_y true": (broken("config.n_y", True), "config.n_y"),
    "learning rate text": (broken("config.learning_rate", "fast"), "config.learning_rate"),
    "learning rate negative": (broken("config.learning_rate", -1), "config.learning_rate"),
    "learning rate huge": (broken("config.learning_rate", 1e300), "config.learning_rate"),
    "l2 negative": (broken("config.l2", -0.5), "config.l2"),
    "seed text": (broken("config.seed", "abc"), "config.seed"),
    "seed negative": (broken("config.seed", [-1, 0]), "config.seed[0]"),
    "seed huge": (broken("config.seed", 10**4000), "config.seed"),
    "dtype": (broken("config.dtype", "int8"), "config.dtype"),
    "init": (broken("config.init", "zeros"), "config.init"),
    "cost a number": (broken("config.cost", 5), "config.cost"),
    "activation unknown": (broken("config.hidden_activation", "swish"), "hidden_activation"),
    "activation a list": (broken("config.hidden_activation", ["tanh"]), "hidden_activation"),
    "optimizer unknown": (broken("config.optimizer", {"name": "lbfgs"}), "config.optimizer"),
    "layers a number": (broken("layers", 5), "layers: Input should be a valid list"),
    "layers empty": (broken("layers", []), "layers"),
    "layers too many": (broken("layers", [{"W": [[0.0]], "b": [0.0]}] * 12), "layers"),
    "layer as text": (broken("layers.0", "x"), "layers[0]"),
    "W as text": (broken("layers.0.W", "x"), "layers[0].W"),
    "W ragged": (broken("layers.0.W", [[1.0, 2.0], [1.0]] * 2), "layer 0: W"),
    "W too short": (broken("layers.0.W", [[1.0, 2.0]]), "layer 0: W"),
    "W nested deeper": (broken("layers.0.W", [[[1.0, 2.0]]] * 4), "layers[0].W[0][0]"),
    "W strings": (broken("layers.0.W.0", ["1", "2"]), "layers[0].W[0][0]"),
    "W huge": (broken("layers.0.W.0.0", 1e300), "layers[0].W[0][0]"),
    "b strings": (broken("layers.0.b", ["1", "2", "3", "4"]), "layers[0].b[0]"),
    "b missing": (broken("layers.1.b", DROP), "layers[1].b"),
    "optimizer_state text": (broken("optimizer_state", "x"), "optimizer_state"),
    "optimizer_state a number": (broken("optimizer_state", 5), "optimizer_state"),
    "optimizer_state null": (broken("optimizer_state", None), "optimizer_state"),
    "t negative": (broken("optimizer_state.t", -1), "optimizer_state.t"),
    "t huge": (broken("optimizer_state.t", 10**4000), "optimizer_state.t"),
    "t fraction": (broken("optimizer_state.t", 1.5), "optimizer_state.t"),
    "m as text": (broken("optimizer_state.m", "x"), "optimizer_state.m"),
    "m too short": (broken("optimizer_state.m", [0.0]), "optimizer_state"),
    "v negative": (broken("optimizer_state.v.0", -1.0), "optimizer_state.v[0]"),
    "unknown buffer": (broken("optimizer_state.velocity2", [0.0]), "optimizer_state.velocity2"),
    "another rule's buffer": (broken("optimizer_state.velocity", [0.0] * 25), "velocity"),
    "m without v": (broken("optimizer_state.v", DROP), "optimizer_state.v: missing"),
    "rule not the record's": (broken("playground.config.optimizer", "sgd"), "optimizer 'adam'"),
    "rng_state text": (broken("rng_state", "garbage"), "rng_state"),
    "rng_state empty": (broken("rng_state", {}), "rng_state.bit_generator"),
    "rng another generator": (broken("rng_state.bit_generator", "MT19937"), "bit_generator"),
    "rng state negative": (broken("rng_state.state.state", -5), "rng_state.state.state"),
    "rng state huge": (broken("rng_state.state.state", 2**200), "rng_state.state.state"),
    "rng inc text": (broken("rng_state.state.inc", "1"), "rng_state.state.inc"),
    "rng state fraction": (broken("rng_state.state.state", 5.5), "rng_state.state.state"),
    "rng uinteger negative": (broken("rng_state.uinteger", -1), "rng_state.uinteger"),
    "rng has_uint32 7": (broken("rng_state.has_uint32", 7), "rng_state.has_uint32"),
    "playground a number": (broken("playground", 5), "playground"),
    "playground format": (broken("playground.format", "x"), "playground.format"),
    "epoch huge": (broken("playground.epoch", 10**4000), "playground.epoch"),
    "epoch over a billion": (broken("playground.epoch", MAX_EPOCH + 1), "playground.epoch"),
    "epoch negative": (broken("playground.epoch", -3), "playground.epoch"),
    "epoch text": (broken("playground.epoch", "3"), "playground.epoch"),
    "record config text": (broken("playground.config", "x"), "playground.config"),
    "record config too wide": (
        broken("playground.config.hidden_layers", [12000]),
        "playground.config.hidden_layers[0]",
    ),
    "record data text": (broken("playground.data", "x"), "playground.data"),
    "custom missing": (broken("playground.config.dataset", "custom"), "playground.data.custom"),
    "custom text": (with_custom("x"), "playground.data.custom"),
    "custom source": (custom_file(source="parquet"), "playground.data.custom"),
    "custom csv a number": (custom_file(csv=5), "playground.data.custom.csv"),
    "custom csv broken": (custom_file(csv="a,b\n1,x\n"), "playground.data.custom"),
    "custom csv NUL name": (
        custom_file(csv=CSV_RECORD["csv"].replace("a,", "a\x00,", 1)),
        "U+0000",
    ),
    "custom name a number": (custom_file(name=5), "playground.data.custom.name"),
    "custom name too long": (custom_file(name="n" * 201), "playground.data.custom.name"),
    "custom label a list": (custom_file(label=[1]), "playground.data.custom.label"),
    "custom kind": (custom_file(kind="binary"), "playground.data.custom.kind"),
    "drawn points text": (
        with_custom({"source": "drawn", "x": "x", "y": [], "kind": "binary"}),
        "playground.data.custom.x",
    ),
    "drawn point outside": (
        with_custom({"source": "drawn", "x": [[0, 0], [9, 9]], "y": [0, 1], "kind": "binary"}),
        "playground.data.custom: point 1",
    ),
}


def test_a_good_file_imports(client):
    client.configure(dataset="circle")
    ready = client.import_model(base_file())
    assert ready["type"] == "ready", ready
    assert client.until("frame")["epoch"] == 3
    ready = client.import_model(custom_file())
    assert ready["type"] == "ready" and ready["data_name"] == "d.csv", ready


def test_a_file_read_by_a_page_imports_though_its_128_bit_integers_became_doubles(client):
    file = base_file()
    words = file["rng_state"]["state"]
    words.update({key: float(value) for key, value in words.items()})  # as JSON.parse reads them
    client.configure(dataset="circle")
    ready = client.import_model(file)
    assert ready["type"] == "ready", ready


def test_every_malformed_file_is_bad_model_naming_its_field_and_the_session_goes_on(client):
    client.configure(dataset="circle")
    client.step(2)
    wrong = {}
    for case, (file, words) in MALFORMED.items():
        answer = client.import_model(file)
        if answer.get("code") != "bad_model" or words not in answer.get("message", ""):
            wrong[case] = answer
    assert wrong == {}
    assert client.step(1)["epoch"] == 3
    assert client.configure(dataset="xor", hidden_layers=[3])["layer_sizes"] == [2, 3, 1]
    assert client.step(2)["epoch"] == 2


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("layers.0.W.0.0", float("nan"), "layers[0].W[0][0]: Input should be a finite number"),
        ("layers.1.b.0", float("inf"), "layers[1].b[0]"),
        ("optimizer_state.m.3", float("-inf"), "optimizer_state.m[3]"),
        ("config.learning_rate", float("nan"), "config.learning_rate"),
    ],
)
def test_values_json_cannot_carry_are_refused_naming_the_field(path, value, words):
    # On the wire NaN and infinities are not JSON (the server answers bad_json); a file read
    # by Python's json module may hold them.
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        imported_run(broken(path, value), None, None)


# -- "Export data": no formula for a spreadsheet -------------------------------------------------
HOSTILE_CELLS = ['=HYPERLINK("https://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]


def formula_cells(text: str) -> list[str]:
    """Cells that a spreadsheet would run: text beginning with =, +, -, @, tab or CR (a number
    such as -1.5 is a number)."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert len(cells) > 40
    return [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not is_number(cell)]


def test_exported_data_hold_no_cell_a_spreadsheet_would_run(client):
    columns, label = ["=1+1", "-2+3"], "@target"
    classes = [HOSTILE_CELLS[0], HOSTILE_CELLS[1]]
    text = hostile_csv(columns, label, classes)
    upload(client, text, "=evil.csv", label)
    client.configure(dataset="custom", hidden_layers=[3], batch_size=5)
    exported = client.export("data")
    assert formula_cells(exported["content"]) == []
    assert "\n-0." in exported["content"]  # numbers are written as numbers
    rows = list(csv.reader(io.StringIO(exported["content"])))
    assert rows[0] == ["'=1+1", "'-2+3", "'@target"]
    assert {row[-1] for row in rows[1:]} == {"'" + c for c in classes}
    # the model file keeps the names as they are: it reads back to the same data
    model_file = json.loads(client.export("model")["content"])
    saved = model_file["playground"]["data"]["custom"]
    assert read_csv(saved["csv"], label=label, header=True) == read_csv(text, label=label)
    ready = client.import_model(model_file)
    assert ready["columns"] == columns and ready["classes"] == sorted(classes), ready


def test_the_exported_data_of_a_generated_set_are_plain_numbers(client):
    client.configure(dataset="xor")
    text = client.export("data")["content"]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["x1", "x2", "label"] and len(rows) == 501
    assert formula_cells(text) == []
    assert any(row[0].startswith("-") for row in rows[1:])


def test_hostile_names_go_unchanged_into_the_lossless_csv_of_files():
    run = custom_run("n", ["=1+1", "@a"], "+y", HOSTILE_CELLS[:2])
    saved = model_dict(run)["playground"]["data"]["custom"]["csv"]
    assert saved.splitlines()[0] == '"=1+1","@a","+y"'

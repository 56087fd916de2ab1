"""The playground's wire protocol: every message of `/ws/train` as a pydantic model.

These models are the single source of truth: the server validates what it receives with them,
builds what it sends from them, and docs/protocol.md is generated from them
(`python -m server.protocol_docs`).
"""

from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from mlp_engine.costs import COSTS
from mlp_engine.datasets import (
    DATASETS,
    FEATURES,
    INPUT_RANGE,
    N_CLASSES_RANGE,
    USES_X2,
    train_size,
)
from mlp_engine.operations import ACTIVATIONS
from mlp_engine.optimizers import OPTIMIZERS
from mlp_engine.problems import KINDS, PROBLEM_KINDS
from mlp_engine.tabular import CSV_LIMITS, REAL_DATASETS, TABULAR_KINDS

# TensorFlow Playground's menus, kept so that its users find their way around.
LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REGULARIZATION_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]

LIMITS = {
    "n_samples": (10, 5000),
    "noise": (0.0, 0.5),
    "train_fraction": (0.1, 0.9),
    "seed": (0, 2**31 - 1),
    "resets": (0, 1_000_000),
    "hidden_layers": (0, 8),
    "neurons": (1, 32),
    "learning_rate": (1e-6, 10.0),
    "batch_size": (1, 5000),
    "regularization_rate": (0.0, 10.0),
    "n_classes": N_CLASSES_RANGE,
    "speed": (0.1, 100_000.0),
    "step_epochs": (1, 10_000),
    "grid_resolution": (10, 200),
    "weight": (-100.0, 100.0),
}

#: The data set a user drew or uploaded in this session (`draw`, `upload_csv`).
CUSTOM = "custom"
DatasetName = Literal[(*DATASETS, *REAL_DATASETS, CUSTOM)]
FeatureName = Literal[tuple(FEATURES)]
ActivationName = Literal[tuple(ACTIVATIONS)]
CostName = Literal[tuple(COSTS)]
OptimizerName = Literal[tuple(OPTIMIZERS)]
Regularization = Literal["none", "l1", "l2"]
State = Literal["idle", "running", "paused", "diverged"]
Kind = Literal[KINDS]


def dataset_source(name: str) -> str:
    """Where a data set comes from: "generated" (the 2-D problems of TF Playground and a few
    more), "real" (bundled with scikit-learn) or "custom" (drawn or uploaded by the user)."""
    if name in DATASETS:
        return "generated"
    return "real" if name in REAL_DATASETS else "custom"


def _bounds(name: str, **extra):
    low, high = LIMITS[name]
    return Field(ge=low, le=high, **extra)


class _Strict(BaseModel):
    """Unknown fields and loose types (true for 1, "7" for 7) are refused, not guessed at."""

    model_config = ConfigDict(extra="forbid", strict=True)


class TrainConfig(_Strict):
    """What to train: the data, the network and the optimiser. Changing it starts a new run."""

    dataset: DatasetName = "circle"
    n_samples: int = _bounds("n_samples", default=500)
    noise: float = _bounds("noise", default=0.0)
    train_fraction: float = _bounds("train_fraction", default=0.5)
    seed: int = _bounds("seed", default=0)
    n_classes: int = _bounds("n_classes", default=3, description="multi-class datasets only")
    features: list[FeatureName] = Field(default=["x1", "x2"], min_length=1, max_length=7)
    hidden_layers: list[Annotated[int, _bounds("neurons")]] = Field(
        default=[4, 2], max_length=LIMITS["hidden_layers"][1]
    )
    activation: ActivationName = "tanh"
    output_activation: ActivationName | None = Field(None, description="null: by problem kind")
    cost: CostName | None = Field(None, description="null: by problem kind")
    learning_rate: float = _bounds("learning_rate", default=0.03)
    batch_size: int = _bounds("batch_size", default=10)
    optimizer: OptimizerName = "sgd"
    regularization: Regularization = "none"
    regularization_rate: float = _bounds("regularization_rate", default=0.0)
    grid_resolution: int = _bounds("grid_resolution", default=100)

    @property
    def source(self) -> str:
        return dataset_source(self.dataset)

    @property
    def spec(self):
        """The data set's `DatasetSpec` (generated) or `RealDatasetSpec` (real); None for custom
        data, known only once drawn or uploaded."""
        return DATASETS.get(self.dataset) or REAL_DATASETS.get(self.dataset)

    @property
    def kind(self) -> str | None:
        """The kind of problem, known from the name for generated and real data sets; a custom
        data set's is its own (`Ready.kind`)."""
        return self.spec.kind if self.spec else None

    def outputs(self, kind: str) -> tuple[str, str]:
        """(output activation, cost) of a run on a `kind` problem: the config's own, or those
        the kind gets by default (`mlp_engine.problems`)."""
        default = PROBLEM_KINDS[kind]
        return (self.output_activation or default.output_activation, self.cost or default.cost)

    def completed(self, kind: str) -> "TrainConfig":
        """A copy of this config with the output activation and cost a run on a `kind` problem
        uses filled in: what the run's record, its `ready` and its files show."""
        output, cost = self.outputs(kind)
        return self.model_copy(update={"output_activation": output, "cost": cost}, deep=True)

    @model_validator(mode="after")
    def _consistent(self) -> "TrainConfig":
        if len(set(self.features)) != len(self.features):
            raise ValueError("features: each feature may appear only once")
        spec, plane = self.spec, self.source == "generated"
        if spec is not None:  # custom data are checked when the run is built (`data.run_data`)
            n_samples = self.n_samples if plane else spec.n_samples
            self.check_data(spec.kind, spec.n_inputs, n_samples, plane=plane)
        return self

    def check_data(self, kind: str, n_inputs: int, n_samples: int, plane: bool) -> None:
        """Check the config against its data; a ValueError names the field that does not fit.

        `plane`: the data are points of the input plane, which the features map; other data
        (real and uploaded) go in as their own columns and `features` does not apply.
        """
        if plane and n_inputs == 1:
            two_d = [f for f in self.features if f in USES_X2]
            if two_d:
                raise ValueError(
                    f"features: {', '.join(two_d)} use x2, but {self.dataset!r} has only x1"
                )
        output, cost = self.outputs(kind)
        PROBLEM_KINDS[kind].check(cost, output)
        n_train = train_size(self.train_fraction, n_samples)
        if n_train < 1 or n_train >= n_samples:
            raise ValueError(
                f"train_fraction: {self.train_fraction:g} of {n_samples} samples leaves no "
                "training or no test samples"
            )
        if self.batch_size > n_train:
            raise ValueError(
                f"batch_size: {self.batch_size} is more than the {n_train} training samples"
            )


# -- client to server ------------------------------------------------------------------------
class Configure(_Strict):
    """Start a new run with this config (new data and new weights). Answered by `ready`."""

    type: Literal["configure"]
    config: TrainConfig = Field(default_factory=TrainConfig)
    resets: int = Field(
        0,
        ge=LIMITS["resets"][0],
        le=LIMITS["resets"][1],
        description="start as after this many Resets: the initial weights come from the seed "
        "[config.seed, resets] (a link carries it, so that it opens the run a Reset began)",
    )


class Play(_Strict):
    """Train continuously (paced by `speed`) until `pause`."""

    type: Literal["play"]


class Pause(_Strict):
    """Stop training after the current epoch (also cancels what is left of a `step`)."""

    type: Literal["pause"]


class Step(_Strict):
    """Train exactly `epochs` more epochs, then pause."""

    type: Literal["step"]
    epochs: int = _bounds("step_epochs", default=1)


class Reset(_Strict):
    """New initial weights on the same data; history cleared. Answered by `ready`."""

    type: Literal["reset"]


class Set(_Strict):
    """Change what needs no reset; only the fields present are changed.

    speed: epochs per second, null for as fast as the engine allows.
    """

    type: Literal["set"]
    learning_rate: float | None = _bounds("learning_rate", default=None)
    regularization_rate: float | None = _bounds("regularization_rate", default=None)
    speed: float | None = _bounds("speed", default=None)


class Probe(_Strict):
    """Follow this training sample: its z, a and delta are in every frame."""

    type: Literal["probe"]
    index: int = Field(0, ge=0)


class SetWeight(_Strict):
    """Edit one weight, W^l[row, col] (layer 0 is the first weight layer), as TF Playground does.

    Also a bias when `col` is null: b^l[row].
    """

    type: Literal["set_weight"]
    layer: int = Field(ge=0)
    row: int = Field(ge=0)
    col: int | None = Field(None, ge=0)
    value: float = _bounds("weight")


class Inspect(_Strict):
    """Pause training (a `status` says so if it was running) and answer with an `inspection`.

    The inspection mini-batch is the probe sample followed by the next batch_size - 1 training
    samples in index order, wrapping around at the end: probe, probe + 1, ... (mod n_train), so
    the probe is sample 0 of the batch.
    """

    type: Literal["inspect"]


class Gradcheck(_Strict):
    """Check the gradient on the inspection mini-batch (see `inspect`) by central finite
    differences; answered by a `gradcheck` message. Changes nothing, not even the state."""

    type: Literal["gradcheck"]


class LayerSpace(_Strict):
    """Show how hidden layer `layer` (0 is the first hidden layer) maps the input plane:
    from now on every frame carries `layer_space_points` for its neurons `neurons[0]` and
    `neurons[1]`. `layer` null turns the view off.

    A new configure or reset keeps the choice while it still fits the network and drops it
    silently when not.
    """

    type: Literal["layer_space"]
    layer: int | None = Field(ge=0)
    neurons: list[Annotated[int, Field(ge=0)]] = Field(default=[0, 1], min_length=2, max_length=2)


class UploadCsv(_Strict):
    """Make a CSV file the session's `custom` data set; answered by `data`, after which a
    `configure` with dataset "custom" trains on it. A file that cannot be used is answered by
    an error `bad_data` that names the row and column, and changes nothing.

    Numeric feature columns and one label (classification) or target (regression) column:
    `label` is its 0-based index (-1: the last) or its header name. `header` null detects a
    header row (a first row with a field that is not a number); `kind` null infers it
    (integer or text labels: classification). Inputs are standardised with the training
    samples' mean and standard deviation; so are regression targets.
    """

    type: Literal["upload_csv"]
    name: str = Field("data.csv", max_length=200)
    csv: str
    label: int | str = -1
    header: bool | None = None
    kind: Literal[TABULAR_KINDS] | None = None


class Draw(_Strict):
    """Make points drawn on the input plane the session's `custom` data set; answered by
    `data` (then `configure` with dataset "custom"). `x`: the points' (x1, x2), inside the
    plane's range; `y`: class indices 0 .. n_classes - 1 (binary: 0 or 1), or regression
    targets. Drawn data are plane data: the input features apply, as to generated data.
    """

    type: Literal["draw"]
    x: list[Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        max_length=CSV_LIMITS.max_rows
    )
    y: list[float] = Field(max_length=CSV_LIMITS.max_rows)
    kind: Kind
    n_classes: int = Field(2, ge=2, le=N_CLASSES_RANGE[1], description="classification only")


class Export(_Strict):
    """Ask for a file, answered by `export`: "model", the model as JSON that
    `mlp_engine.MLP.load` reads (with the playground's config and data under "playground", so
    that `import_model` restores the run); "script", a Python script that rebuilds the data
    and trains the run again with `mlp_engine` (every user-named value in it is a Python
    literal, never source); "data", the data set as CSV written for spreadsheets: a text cell
    that would start a formula (`=`, `+`, `-`, `@`, tab, CR) begins with `'`."""

    type: Literal["export"]
    what: Literal["model", "script", "data"]


class ImportModel(_Strict):
    """Start a run from a model JSON (`MLP.to_dict`'s format, as `export` "model" or
    `MLP.save` write it); answered by `ready`. A file exported by the playground brings its
    config (and its custom data); a bare model keeps the current data set and takes its
    architecture, activations, cost and optimiser from the model. Every size is checked
    against the server's limits (hidden layers and neurons as in `configure`,
    `--max-parameters`, epoch at most 10^9) before anything is built. An error `bad_model`
    names the field that does not fit, and changes nothing."""

    type: Literal["import_model"]
    model: dict


class KeepState(_Strict):
    """Ask for the run's state (`run_state`) from now on, to keep for a `resume`: what a page
    sends first on every connection. A `resume` asks for it too."""

    type: Literal["keep_state"]


class Resume(_Strict):
    """Carry on with a run the page kept: `state` is the latest `run_state` the page received
    (without its `type` and `history_rows`), its `custom` data filled in when a later state left
    them out, and `history`: the loss history the page shows, at most `history_rows` rows, every
    epoch at most `epoch`. Answered like `import_model`: `data` (custom data), then `ready` with
    the run's own number, a `status` "resumed ...", and frames from the kept epoch on; training
    goes on if `state` was "running". The run is checked as strictly as an imported model file
    (`state.model` is one) and against its own config, data and history; an error `bad_resume`
    names what does not fit, and changes nothing."""

    type: Literal["resume"]
    state: dict


#: Every message a client may send; the union that parses them, the list of their types and
#: docs/protocol.md are made from this tuple.
CLIENT_MESSAGES = (
    Configure,
    Play,
    Pause,
    Step,
    Reset,
    Set,
    Probe,
    SetWeight,
    Inspect,
    Gradcheck,
    LayerSpace,
    UploadCsv,
    Draw,
    Export,
    ImportModel,
    KeepState,
    Resume,
)
# Union[...] takes the tuple as it stands; `|` would need the models spelt out again.
ClientMessage = Annotated[Union[CLIENT_MESSAGES], Field(discriminator="type")]  # noqa: UP007
client_message = TypeAdapter(ClientMessage)


def message_type(model: type[BaseModel]) -> str:
    """The `type` a message model carries on the wire."""
    (name,) = get_args(model.model_fields["type"].annotation)
    return name


CLIENT_TYPES = tuple(message_type(model) for model in CLIENT_MESSAGES)
#: Messages that carry a file: they may be as large as an upload (see `app._screen`).
UPLOAD_TYPES = ("upload_csv", "draw", "import_model", "resume")


# -- server to client ------------------------------------------------------------------------
class Points(BaseModel):
    """Where to draw the samples, and their labels (class indices) or targets.

    `x` by the run's `view`: "plane" and "line", the inputs before features (plane data) or
    the standardised inputs (tabular data); "pca", the standardised inputs' coordinates on
    their first two principal components. Regression targets of tabular data are standardised.
    """

    x: list[list[float]]
    y: list[float]


class Grid(BaseModel):
    """The input plane the page draws the network's output and its neurons' maps on: it runs
    the frame's W and b over these points itself (as TF Playground does), so frames carry no
    grid.

    2-D data: `resolution` x `resolution` points, x1 along columns from `x_range[0]` to
    `x_range[1]`, x2 along rows from `y_range[0]` to `y_range[1]`. 1-D data: `resolution` points
    along x1 (`y_range` is null). Neuron thumbnails use `thumbnail` of those points per side,
    evenly spread. Plane data go in through the config's features; tabular data as they are.
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float] | None
    resolution: int
    thumbnail: int


class Ready(BaseModel):
    """A new run is ready: its data and network. The run's first frame (epoch 0) follows.

    `view`: how the data are shown: "plane" (2 inputs: the decision boundary over `grid`),
    "line" (1 input: the fitted curve over `grid`) or "pca" (more inputs: the samples on
    their first two principal components, which explain `explained_variance` of the
    variance; `grid` is null). `columns` name the inputs (before features), `classes` the
    classes (empty for regression).
    """

    type: Literal["ready"] = "ready"
    run: int
    config: TrainConfig
    resets: int = Field(
        description="Resets before this run: its weights began from the seed [config.seed, resets]"
    )
    kind: Kind
    source: Literal["generated", "real", "custom"]
    data_name: str = Field(description="the dataset's name, or the uploaded file's")
    n_inputs: int
    columns: list[str]
    classes: list[str]
    plane: bool = Field(
        description="the data are points of the input plane (generated or drawn), which the "
        "input features map; else tabular data (real or uploaded), which go in as their columns"
    )
    layer_sizes: list[int] = Field(description="[n_x, hidden widths..., n_y]")
    activations: list[dict] = Field(
        description="each weight layer's activation in the engine's JSON form, e.g. "
        '{"name": "leaky_relu", "alpha": 0.01}: what the page applies when it draws'
    )
    metric: Literal["accuracy", "r2"]
    view: Literal["plane", "line", "pca"]
    explained_variance: list[float] | None = None
    x_range: tuple[float, float] = Field(
        description="the plot's horizontal range: the input plane's for plane data, else the "
        "shown samples' range widened by a tenth of it on each side"
    )
    y_range: tuple[float, float] | None = Field(
        description="its vertical range, likewise; null for 1-D data (the line view's is the "
        "page's to choose)"
    )
    train: Points
    test: Points
    grid: Grid | None


class DataInfo(BaseModel):
    """The answer to `upload_csv` and `draw`: the session's custom data set, now usable as
    dataset "custom"."""

    type: Literal["data"] = "data"
    source: Literal["csv", "drawn"]
    name: str
    n_rows: int
    n_inputs: int
    columns: list[str]
    target: str
    kind: Kind
    classes: list[str]


class ExportFile(BaseModel):
    """The answer to `export`: a file for the browser to save."""

    type: Literal["export"] = "export"
    what: Literal["model", "script", "data"]
    filename: str
    media_type: str
    content: str


class History(BaseModel):
    """The epochs since the previous frame that a loss curve needs, in order: all of them when
    they are few (8 or fewer), else the last one and those of the lowest and
    highest training and test loss (and the first whose loss overflowed), so that the curve
    has no gaps and no spike is hidden. The server keeps every epoch's losses.

    A loss that overflowed to infinity is null (JSON has no infinity).
    """

    epoch: list[int]
    train_loss: list[float | None]
    test_loss: list[float | None]


class ArraySpec(BaseModel):
    """Where one array lies in the binary message that follows a frame.

    The binary message is little-endian float32; this array is `count` values from value index
    `offset`, in C order with `shape`. `layer` is 0 for the first weight layer (the paper's
    l = 1), null for arrays of the whole network.
    """

    name: str
    layer: int | None
    shape: list[int]
    offset: int


class LayerSpaceView(BaseModel):
    """The hidden layer and the two of its neurons that a frame's layer-space arrays show."""

    layer: int
    neurons: tuple[int, int]


class Frame(BaseModel):
    """The state of the run after `epoch` epochs; always followed by exactly one binary message.

    Arrays per layer: W, b; dW, db (gradient of the whole training set's cost); z, a, delta
    (the probe sample's); mean_abs_delta (each neuron's mean |delta| over the training set).
    Arrays of the network: input (the probe's a^0). The output over the plane and the
    neurons' maps are the page's to compute from W and b over `ready.grid` (see `Grid`).
    train_predicted and test_predicted: each
    sample's predicted class index, or its prediction (regression). Classification only:
    confusion_train and confusion_test, (k, k) counts of samples of true class i (row)
    predicted as class j (column).

    While a `layer_space` view is on (`layer_space` says which), one array of its hidden
    layer: layer_space_points, (n_train, 2), every training point's activations of the two
    neurons (the page maps the plane's grid lines itself, as it draws the boundary).
    """

    type: Literal["frame"] = "frame"
    run: int
    epoch: int
    state: State
    train_loss: float | None
    test_loss: float | None
    metric: Literal["accuracy", "r2"]
    train_metric: float | None
    test_metric: float | None
    epochs_per_second: float
    probe: int
    layer_space: LayerSpaceView | None = None
    history: History
    arrays: list[ArraySpec]
    n_bytes: int


Values = list[float | None]
Matrix = list[list[float | None]]


class LayerTrace(BaseModel):
    """One weight layer of an `inspection` for the probe sample (layer 0 is the paper's l = 1).

    Vectors are the sample's, matrices have W's shape (n_h, n_x); a value that is not finite
    is null. delta = backprop o phi_prime (eq. 13) on a hidden layer, delta = grad_a o
    phi_prime (eq. 12) on the output layer unless `fused`; a softmax layer's phi_prime is its
    Jacobian (n_h, n_h), `phi_prime_kind` "jacobian", and delta = phi_prime^T times the vector.
    """

    layer: int
    activation: ActivationName
    a_prev: Values = Field(description="a^(l-1), the layer's input (a^0 = the features)")
    W: Matrix
    b: Values
    z: Values = Field(description="eq. 32: W a_prev + b")
    a: Values = Field(description="eq. 33: phi(z)")
    delta: Values = Field(description="eqs. 12-13, as backpropagation computed it")
    dW_sample: Matrix = Field(description="eq. 15 for the sample: outer(delta, a_prev)")
    db_sample: Values = Field(description="eq. 14 for the sample: delta")
    dW_batch: Matrix = Field(
        description="the mean of dW_sample over the batch, plus the L1/L2 term if any"
    )
    db_batch: Values = Field(description="the mean of db_sample over the batch")
    W_after: Matrix = Field(description="eq. 30: W - learning_rate * dW_batch")
    b_after: Values = Field(description="eq. 31: b - learning_rate * db_batch")
    phi_prime: Values | Matrix = Field(description="phi'(z): a vector, or softmax's Jacobian")
    phi_prime_kind: Literal["diagonal", "jacobian"]
    backprop: Values | None = Field(
        description="hidden layers: (W^(l+1))^T delta^(l+1); null on the output layer"
    )
    grad_a: Values | None = Field(
        description="output layer: nabla_a C_x (eq. 25), huge near saturation; else null"
    )
    y: Values | None = Field(description="output layer: the sample's target; else null")
    fused: bool | None = Field(
        description="output layer: whether delta^L is the cost's closed form; else null"
    )
    fused_note: str | None = Field(description="why the closed form holds, when fused")


class Inspection(BaseModel):
    """The backprop inspector's answer to `inspect`: eqs. 32-33, 12-15 and 30-31 for the probe.

    `batch` lists the inspection mini-batch's training-sample indices (see `inspect`), the
    probe first; `sample` is the probe's row in it (0). Every number is the engine's own
    (`mlp_engine.inspection.trace`), at the weights after `epoch` epochs. `note` says what the
    shown update leaves out (another optimiser's step, the regularisation term), or is null.
    """

    type: Literal["inspection"] = "inspection"
    run: int
    epoch: int
    probe: int
    batch: list[int]
    sample: int
    batch_size: int
    learning_rate: float
    cost: CostName
    hidden_activation: ActivationName
    output_activation: ActivationName
    optimizer: OptimizerName
    loss: float | None = Field(description="the mini-batch's cost C, regularisation included")
    note: str | None
    layers: list[LayerTrace]


class GradcheckLayer(BaseModel):
    """One weight layer's gradient check: ||analytic - numeric|| / (||analytic|| + ||numeric||)
    for dC/dW and dC/db, and the largest absolute difference of the two. Null: not finite."""

    layer: int
    rel_error_W: float | None
    rel_error_b: float | None
    max_abs_error: float | None


class GradcheckReport(BaseModel):
    """The answer to `gradcheck`: backpropagation's dC/dW, dC/db (eqs. 12-15) on the
    inspection mini-batch `batch` against central finite differences of the cost with step
    `eps`; `passed` when the `worst` relative error is below `threshold`."""

    type: Literal["gradcheck"] = "gradcheck"
    run: int
    epoch: int
    batch: list[int]
    eps: float
    threshold: float
    worst: float | None
    passed: bool
    layers: list[GradcheckLayer]


class Status(BaseModel):
    """The session's state changed (`idle`, `running`, `paused`, `diverged`), with a message."""

    type: Literal["status"] = "status"
    state: State
    epoch: int
    message: str


class RunState(BaseModel):
    """The run as the page keeps it, to send back in a `resume` after a lost connection or a
    reload; sent once asked for (`keep_state`, `resume`): at least every 2 seconds while
    training, and whenever the run begins, pauses, ends or changes (a new rate or weight, a new
    probe).

    `model` is the run's model file (as `export` "model" writes it, without the custom data),
    except that the random generator's 128-bit words (`rng_state.state`) are decimal strings,
    which a page's JSON keeps exactly. `custom`: the run's own data set (as the model file keeps
    it), sent in the first state of a run only, null in the others (and for other data).
    `changes`: what the user changed while the run trained, [after epoch, what, where, value]
    (what: "learning_rate", "l1", "l2", "W" [layer, row, col] or "b" [layer, row]).
    `history_rows`: the most loss-history rows a `resume` may bring back.
    """

    type: Literal["run_state"] = "run_state"
    run: int
    epoch: int
    state: State
    speed: float | None = Field(description="the session's pace in epochs a second; null: flat out")
    probe: int
    resets: int = Field(description="resets of the run's config before this run")
    initial_config: TrainConfig = Field(description="the config as the run began")
    imported_at: int | None = Field(description="the epoch of the model file it began from")
    changes: list[tuple[int, str, list[int] | None, float]]
    model: dict
    custom: dict | None
    history_rows: int


class Restarting(BaseModel):
    """The server is stopping (SIGTERM: a deploy or a restart): a final `run_state` follows,
    then the connection closes (code 1012); the page resumes the run on reconnecting."""

    type: Literal["restarting"] = "restarting"
    message: str


class Error(BaseModel):
    """Something the client sent could not be done; nothing else changed."""

    type: Literal["error"] = "error"
    code: Literal[
        "bad_json",
        "unknown_type",
        "invalid_message",
        "invalid_config",
        "not_configured",
        "bad_probe",
        "bad_weight",
        "bad_layer_space",
        "gradcheck_too_large",
        "bad_data",
        "no_data",
        "bad_model",
        "bad_resume",
        "internal",
        "message_too_large",
        "rate_limited",
    ]
    message: str
    details: list[dict] = Field(default_factory=list)


def options() -> dict:
    """What the front end builds its menus from (`GET /api/options`)."""
    return {
        "datasets": [
            {
                "name": s.name,
                "kind": s.kind,
                "n_inputs": s.n_inputs,
                "description": s.description,
                "source": dataset_source(s.name),
                "n_samples": getattr(s, "n_samples", None),
            }
            for s in (*DATASETS.values(), *REAL_DATASETS.values())
        ],
        "upload_limits": {
            "max_rows": CSV_LIMITS.max_rows,
            "max_columns": CSV_LIMITS.max_columns,
            "max_bytes": CSV_LIMITS.max_bytes,
        },
        "tabular_kinds": list(TABULAR_KINDS),
        "input_range": list(INPUT_RANGE),
        "features": list(FEATURES),
        "activations": list(ACTIVATIONS),
        "costs": {
            kind.name: {cost: list(outputs) for cost, outputs in kind.outputs.items()}
            for kind in PROBLEM_KINDS.values()
        },
        "output_defaults": {
            kind.name: [kind.output_activation, kind.cost] for kind in PROBLEM_KINDS.values()
        },
        "optimizers": list(OPTIMIZERS),
        "regularizations": ["none", "l1", "l2"],
        "learning_rates": LEARNING_RATES,
        "regularization_rates": REGULARIZATION_RATES,
        "limits": {name: list(bounds) for name, bounds in LIMITS.items()},
        "defaults": TrainConfig().model_dump(),
        # The page's forms follow the wire models: which fields a run's `configure` carries,
        # which ones `set` changes live, and which features a one-input data set cannot build.
        "config_fields": list(TrainConfig.model_fields),
        "live_fields": [name for name in Set.model_fields if name != "type"],
        "uses_x2": [name for name in FEATURES if name in USES_X2],
    }

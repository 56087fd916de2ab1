"""What the server sends on `/ws/train`: one model per message (`SERVER_MESSAGES`), and
`wire_text`, the one place a message becomes the JSON text that goes out (`session.Outbox`)."""

from typing import Literal, Union

import pydantic_core
from pydantic import BaseModel, Field

from .config import TrainConfig
from .fields import Kind, State
from .inspector import GradcheckLayer, GradcheckReport, Inspection, LayerTrace


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
    """Where one array lies in a frame's binary part (after its JSON part, in the same message).

    The binary part is little-endian float32; this array is `count` values from value index
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
    """The state of the run after `epoch` epochs: the JSON part of a frame, followed in the
    same binary message by its arrays (`n_bytes` bytes).

    Arrays per layer: W, b; dW, db (gradient of the whole training set's cost); z, a, delta
    (the probe sample's); mean_abs_delta (each neuron's mean |delta| over the training set).
    Arrays of the network: input (the probe's a^0). The output over the plane and the
    neurons' maps are the page's to compute from W and b over `ready.grid` (see `Grid`).
    For data shown on principal components (no `ready.grid`), train_predicted and
    test_predicted: each sample's predicted class index, or its prediction (regression); on
    the input plane the page computes them with the boundary. Classification only:
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


#: Every message the server sends, in the order docs/protocol.md lists them.
SERVER_MESSAGES = (
    Ready,
    DataInfo,
    ExportFile,
    Frame,
    Inspection,
    GradcheckReport,
    RunState,
    Restarting,
    Status,
    Error,
)
#: The models that server messages (and `configure`) are made of.
PARTS = (TrainConfig, Points, Grid, History, ArraySpec, LayerSpaceView, LayerTrace, GradcheckLayer)
# Union[...] takes the tuple as it stands; `|` would need the models spelt out again.
ServerMessage = Union[SERVER_MESSAGES]  # noqa: UP007


def wire_text(message: BaseModel | dict) -> str:
    """A server message as the JSON text that goes out: ASCII (its length is its size in
    bytes), a number that is not finite written as null (JSON has neither NaN nor infinity).

    Every message is a model here, but for a frame's JSON part: the plain dict that
    `frames.frame_message` builds by hand for speed (held to `Frame` by
    tests/server/test_frame_message.py), which `frames.frame_text` writes with `json`, its
    array manifest's text encoded once (benchmarks/ read a frame's head in that form).
    """
    return pydantic_core.to_json(message, ensure_ascii=True, inf_nan_mode="null").decode("ascii")

"""What a client sends on `/ws/train`: one model per message, `CLIENT_MESSAGES` the one list of
them, from which the union that parses them (`client_message`), the list of their types and
docs/protocol.md are made."""

from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, Field, TypeAdapter

from mlp_engine.datasets import N_CLASSES_RANGE
from mlp_engine.tabular import CSV_LIMITS, TABULAR_KINDS

from .config import TrainConfig
from .fields import LIMITS, Kind, Strict, bounds


class Configure(Strict):
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


class Play(Strict):
    """Train continuously (paced by `speed`) until `pause`."""

    type: Literal["play"]


class Pause(Strict):
    """Stop training after the current epoch (also cancels what is left of a `step`)."""

    type: Literal["pause"]


class Step(Strict):
    """Train exactly `epochs` more epochs, then pause."""

    type: Literal["step"]
    epochs: int = bounds("step_epochs", default=1)


class Reset(Strict):
    """New initial weights on the same data; history cleared. Answered by `ready`."""

    type: Literal["reset"]


class Set(Strict):
    """Change what needs no reset; only the fields present are changed.

    speed: epochs per second, null for as fast as the engine allows.
    """

    type: Literal["set"]
    learning_rate: float | None = bounds("learning_rate", default=None)
    regularization_rate: float | None = bounds("regularization_rate", default=None)
    speed: float | None = bounds("speed", default=None)


class Probe(Strict):
    """Follow this training sample: its z, a and delta are in every frame."""

    type: Literal["probe"]
    index: int = Field(0, ge=0)


class SetWeight(Strict):
    """Edit one weight, W^l[row, col] (layer 0 is the first weight layer), as TF Playground does.

    Also a bias when `col` is null: b^l[row].
    """

    type: Literal["set_weight"]
    layer: int = Field(ge=0)
    row: int = Field(ge=0)
    col: int | None = Field(None, ge=0)
    value: float = bounds("weight")


class Inspect(Strict):
    """Pause training (a `status` says so if it was running) and answer with an `inspection`.

    The inspection mini-batch is the probe sample followed by the next batch_size - 1 training
    samples in index order, wrapping around at the end: probe, probe + 1, ... (mod n_train), so
    the probe is sample 0 of the batch.
    """

    type: Literal["inspect"]


class Gradcheck(Strict):
    """Check the gradient on the inspection mini-batch (see `inspect`) by central finite
    differences; answered by a `gradcheck` message. Changes nothing, not even the state."""

    type: Literal["gradcheck"]


class LayerSpace(Strict):
    """Show how hidden layer `layer` (0 is the first hidden layer) maps the input plane:
    from now on every frame carries `layer_space_points` for its neurons `neurons[0]` and
    `neurons[1]`. `layer` null turns the view off.

    A new configure or reset keeps the choice while it still fits the network and drops it
    silently when not.
    """

    type: Literal["layer_space"]
    layer: int | None = Field(ge=0)
    neurons: list[Annotated[int, Field(ge=0)]] = Field(default=[0, 1], min_length=2, max_length=2)


class UploadCsv(Strict):
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


class Draw(Strict):
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


class Export(Strict):
    """Ask for a file, answered by `export`: "model", the model as JSON that
    `mlp_engine.MLP.load` reads (with the playground's config and data under "playground", so
    that `import_model` restores the run); "script", a Python script that rebuilds the data
    and trains the run again with `mlp_engine` (every user-named value in it is a Python
    literal, never source); "data", the data set as CSV written for spreadsheets: a text cell
    that would start a formula (`=`, `+`, `-`, `@`, tab, CR) begins with `'`."""

    type: Literal["export"]
    what: Literal["model", "script", "data"]


class ImportModel(Strict):
    """Start a run from a model JSON (`MLP.to_dict`'s format, as `export` "model" or
    `MLP.save` write it); answered by `ready`. A file exported by the playground brings its
    config (and its custom data); a bare model keeps the current data set and takes its
    architecture, activations, cost and optimiser from the model. Every size is checked
    against the server's limits (hidden layers and neurons as in `configure`,
    `--max-parameters`, epoch at most 10^9) before anything is built. An error `bad_model`
    names the field that does not fit, and changes nothing."""

    type: Literal["import_model"]
    model: dict


class KeepState(Strict):
    """Ask for the run's state (`run_state`) from now on, to keep for a `resume`: what a page
    sends first on every connection. A `resume` asks for it too."""

    type: Literal["keep_state"]


class Resume(Strict):
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
UPLOAD_MESSAGES = (UploadCsv, Draw, ImportModel, Resume)
UPLOAD_TYPES = tuple(message_type(model) for model in UPLOAD_MESSAGES)

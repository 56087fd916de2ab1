"""The model file as the server reads it: `MLP.to_dict`'s JSON, with the playground's record of
the run under "playground", checked against this server's limits before anything is built.

A file asking for two hidden layers of 12,000 neurons, or a step count of 10^4000, is a valid
`mlp_engine` model (the engine checks that a file is consistent: its arrays have the sizes its
config declares, before it allocates them). The server checks, first, that the file is within
its own limits: every size against the protocol's (`protocol.LIMITS`, the CSV limits) and the
server's `max_parameters`, and every field's type and range, so that a file that passes builds
without surprise and one that does not is a ValueError naming its field (the session's
`bad_model`).
"""

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from mlp_engine.layers import INITIALIZERS
from mlp_engine.optimizers import OPTIMIZERS
from mlp_engine.persistence import FORMAT, READABLE_VERSIONS
from mlp_engine.tabular import CSV_LIMITS, MAX_CLASSES

from . import protocol
from .protocol import LIMITS, ActivationName, CostName, OptimizerName, Strict, TrainConfig

PLAYGROUND_FORMAT = "mlp-playground.run"

#: The most inputs a network here takes: a CSV's columns but the label (the real data sets and
#: the plane's features have fewer).
MAX_INPUTS = CSV_LIMITS.max_columns - 1
#: The epoch a file may say its run reached: a billion, beyond any run in the playground (the
#: smallest networks train about 10^4 epochs a second), and a number the script can count to.
MAX_EPOCH = 10**9
#: Optimiser steps in MAX_EPOCH epochs of the largest data set in batches of one.
MAX_STEPS = MAX_EPOCH * CSV_LIMITS.max_rows
#: The largest weight or optimiser value: about the largest float32 (3.4028e38), which the
#: float32 twin that draws the page's decision boundary can hold.
MAX_VALUE = 3.4e38
#: The longest seed list (the playground writes [seed, resets]) and the largest seed.
MAX_SEED_LENGTH = 16
MAX_SEED = 2**128

Value = Annotated[float, Field(ge=-MAX_VALUE, le=MAX_VALUE, allow_inf_nan=False)]
Seed = Annotated[int, Field(ge=0, lt=MAX_SEED)]


class _Named(BaseModel):
    """An activation or update rule with its hyperparameters, {"name": "momentum", "mu": 0.9}
    (version 2 files); `mlp_engine` says which hyperparameters each takes and their ranges."""

    model_config = ConfigDict(extra="allow", strict=True)
    __pydantic_extra__: dict[str, Value]


class _Activation(_Named):
    name: ActivationName


class _UpdateRule(_Named):
    name: OptimizerName


def _named(value):
    """A name alone (version 1 files) as the version 2 form, {"name": name}."""
    return {"name": value} if isinstance(value, str) else value


def _listed(value):
    """A seed alone as a list of one."""
    return [value] if isinstance(value, int) and not isinstance(value, bool) else value


# One form each (not a union of two), so that a bad value is one error that names its field.
Activation = Annotated[_Activation, BeforeValidator(_named)]
UpdateRule = Annotated[_UpdateRule, BeforeValidator(_named)]
SeedList = Annotated[
    list[Seed], Field(min_length=1, max_length=MAX_SEED_LENGTH), BeforeValidator(_listed)
]


class ModelConfig(Strict):
    """`MLP.config()`: the constructor's arguments, within the protocol's limits."""

    n_x: int = Field(ge=1, le=MAX_INPUTS)
    n_h: list[Annotated[int, Field(ge=LIMITS["neurons"][0], le=LIMITS["neurons"][1])]] = Field(
        max_length=LIMITS["hidden_layers"][1]
    )
    n_y: int = Field(ge=1, le=MAX_CLASSES)
    learning_rate: float = Field(0.01, ge=LIMITS["learning_rate"][0], le=LIMITS["learning_rate"][1])
    cost: CostName = "mse"
    hidden_activation: Activation = "relu"
    output_activation: Activation = "linear"
    optimizer: UpdateRule = "sgd"
    l1: float = Field(0.0, ge=0.0, le=LIMITS["regularization_rate"][1])
    l2: float = Field(0.0, ge=0.0, le=LIMITS["regularization_rate"][1])
    seed: SeedList | None = None
    dtype: Literal["float32", "float64"] = "float64"
    init: Literal[tuple(INITIALIZERS)] = "glorot_uniform"

    @property
    def n_parameters(self) -> int:
        widths = [self.n_x, *self.n_h, self.n_y]
        pairs = zip(widths[:-1], widths[1:], strict=True)
        return sum(n_in * n_out + n_out for n_in, n_out in pairs)

    @model_validator(mode="after")
    def _within_the_servers_cap(self, info: ValidationInfo) -> "ModelConfig":
        max_parameters = (info.context or {}).get("max_parameters")
        if max_parameters is not None and self.n_parameters > max_parameters:
            widths = "-".join(map(str, [self.n_x, *self.n_h, self.n_y]))
            raise ValueError(
                f"the network {widths} has {self.n_parameters} weights and biases; this "
                f"server allows at most {max_parameters}"
            )
        return self


class LayerFile(Strict):
    W: list[list[Value]]
    b: list[Value]


class OptimizerState(Strict):
    """`Optimizer.state_dict()`: the step count and the rule's buffers, one value per weight and
    bias (the engine checks the count)."""

    t: int = Field(0, ge=0, le=MAX_STEPS)
    velocity: list[Value] | None = None  # momentum
    m: list[Value] | None = None  # adam
    v: list[Annotated[float, Field(ge=0.0, le=MAX_VALUE, allow_inf_nan=False)]] | None = None


def _integral(value):
    """An integral float as the int it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: A 128-bit word of the generator's state. A page's JSON.parse reads such integers as doubles,
#: so a file the page sends holds them rounded, as floats: accepted when integral (the generator
#: goes on from the rounded state, as numpy would set it from the float).
Word128 = Annotated[int, Field(ge=0, lt=2**128), BeforeValidator(_integral)]


class PcgState(Strict):
    state: Word128
    inc: Word128


class RngState(Strict):
    """`np.random.default_rng().bit_generator.state`: a PCG64 generator's."""

    bit_generator: Literal["PCG64"]
    state: PcgState
    has_uint32: int = Field(ge=0, le=1)
    uinteger: int = Field(ge=0, lt=2**32)


class CsvRecord(protocol.UploadCsv):
    """An uploaded data set as the file keeps it (`export.custom_record`): read as an upload."""

    type: Literal["upload_csv"] = "upload_csv"
    source: Literal["csv"]
    header: bool | None = True  # `to_csv` always writes one


class DrawnRecord(protocol.Draw):
    """Drawn points as the file keeps them (`export.custom_record`): read as a drawing."""

    type: Literal["draw"] = "draw"
    source: Literal["drawn"]


class RunData(BaseModel):
    """What the run trained on. Of it only `custom` is read back; the rest describes the data
    for a reader of the file."""

    model_config = ConfigDict(extra="allow", strict=True)

    custom: Annotated[CsvRecord | DrawnRecord, Field(discriminator="source")] | None = None


class PlaygroundRecord(Strict):
    """The playground's record of the run (`export.model_dict`)."""

    format: Literal[PLAYGROUND_FORMAT]
    config: TrainConfig
    epoch: int = Field(0, ge=0, le=MAX_EPOCH)
    data: RunData = Field(default_factory=RunData)


class ModelFile(Strict):
    """`MLP.to_dict()`, with the playground's record of the run (absent from a bare model)."""

    format: Literal[FORMAT]
    version: Literal[READABLE_VERSIONS]
    config: ModelConfig
    layers: list[LayerFile] = Field(max_length=LIMITS["hidden_layers"][1] + 1)
    # Each may be absent (a fresh optimiser, generator; a bare model), but not null.
    optimizer_state: OptimizerState = Field(None, validate_default=False)
    rng_state: RngState = Field(None, validate_default=False)
    playground: PlaygroundRecord = Field(None, validate_default=False)

    @model_validator(mode="after")
    def _buffers_of_the_rule(self) -> "ModelFile":
        """The optimiser's buffers are its rule's, all of them or none (a fresh start): the
        engine would keep a lone Adam `m` and fail at the first step for want of `v`."""
        if self.optimizer_state is None:
            return self
        rule = self.config.optimizer.name
        buffers = OPTIMIZERS[rule].buffers
        given = [name for name in OptimizerState.model_fields if name != "t"]
        given = [name for name in given if getattr(self.optimizer_state, name) is not None]
        for name in given:
            if name not in buffers:
                raise ValueError(f"optimizer_state.{name}: the {rule} rule keeps no {name!r}")
        for name in buffers:
            if given and name not in given:
                raise ValueError(
                    f"optimizer_state.{name}: missing; the {rule} rule keeps "
                    f"{' and '.join(buffers)} together"
                )
        return self


#: The unions of the file, and what pydantic puts in an error's location after them to say
#: which member it tried: `RunData.custom`'s tags, `UploadCsv.label`'s types.
_UNION_MEMBERS = {"custom": ("csv", "drawn"), "label": ("int", "str")}


def _place(location: tuple) -> str:
    """A pydantic error location as a path: ('layers', 0, 'W') -> 'layers[0].W'."""
    path, previous = "", None
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in _UNION_MEMBERS.get(previous, ()):
            path += f".{part}" if path else part
        previous = part
    return path


def describe_problems(error: ValidationError, shown: int = 3) -> str:
    """The first problems of a file, each with its field and (if short) the value found; the
    members of a union that a value fits none of are one problem."""
    problems: dict[str, list] = {}
    for detail in error.errors():
        message = detail["msg"].removeprefix("Value error, ")
        for alternative in (" or instance of ", " or object to extract fields from"):
            message = message.split(alternative)[0]
        problems.setdefault(_place(detail["loc"]), [detail, []])[1].append(message)
    lines = []
    for place, (detail, messages) in list(problems.items())[:shown]:
        text = " or ".join(
            [messages[0], *(m.removeprefix("Input should be ") for m in messages[1:])]
        )
        value = detail.get("input")
        if detail["type"] not in ("missing", "value_error") and not isinstance(value, dict | list):
            shown_value = repr(value)
            cut = shown_value if len(shown_value) <= 40 else shown_value[:37] + "..."
            text += f", got {cut}"
        lines.append(f"{place}: {text}" if place else text)  # a check of the whole file
    more = len(problems) - len(lines)
    return "; ".join(lines) + (f" (and {more} more)" if more > 0 else "")


def check_model_file(data, max_parameters: int | None = None) -> ModelFile:
    """The model file `data` checked (see the module's docstring); a ValueError names its first
    problems, each with its field."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} model: missing or wrong 'format' field")
    try:
        return ModelFile.model_validate(data, context={"max_parameters": max_parameters})
    except ValidationError as error:
        raise ValueError(f"the model file's {describe_problems(error)}") from None

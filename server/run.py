"""A run: what one configuration trains (its data, its model and their history), the `ready`
message that shows it to the page, and the one mapping from a config to the engine's model.

`TrainConfig` speaks the page's words (`activation`, `regularization` "l2" at
`regularization_rate`); `mlp_engine.MLP` the paper's (`hidden_activation`, `l2`).
`model_arguments` turns the one into the other, for a new run (`build_run`), a rate changed
while it trains (`Run.set_rates`) and the exported script (`export.script`);
`regularization_of` reads a bare model file's penalties back (`export.imported_run`).
"""

import math
from dataclasses import dataclass, field

import numpy as np

from mlp_engine import MLP
from mlp_engine.operations import spec

from . import protocol
from .data import CustomData, RunData, run_data
from .frames import input_grid
from .history import LossHistory
from .protocol import TrainConfig

#: The engine's penalties (`MLP.l1`, `MLP.l2`) that a config's `regularization` names.
PENALTIES = ("l1", "l2")
#: What `Run.changes` records: a rate (the model's attribute of that name) or one parameter.
RATE_CHANGES = ("learning_rate", *PENALTIES)
PARAMETER_CHANGES = ("W", "b")


@dataclass
class Run:
    """Everything one configuration trains: data, model and its history."""

    number: int
    config: TrainConfig  # as it is now: the learning and regularisation rates change live
    initial_config: TrainConfig  # as the run began
    model: MLP
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    data: RunData
    custom: CustomData | None  # the session's own data set, when the run trains on it
    grid: protocol.Grid | None  # the plane the page draws on; None for principal components
    resets: int = 0
    epoch: int = 0
    #: What the user changed while the run trained, as (after epoch, what, where, value):
    #: what is "learning_rate", "l1", "l2" (where None), or "W" / "b" (where: layer and entry).
    changes: list[tuple] = field(default_factory=list)
    imported_at: int | None = None  # the epoch of the model file the run began from
    history: LossHistory = field(default_factory=LossHistory)
    #: The weights at which the last pass over the two sets was made (`passes`), the sets'
    #: losses then, and what that pass left in the model (its caches' list, which a later
    #: forward pass, an inspector's say, replaces, and the test set's a^L).
    passes_theta: np.ndarray | None = None
    pass_losses: tuple[float, float] = (math.nan, math.nan)
    pass_outputs: tuple[list, np.ndarray | None] = ([], None)
    pass_penalties: tuple[float, float] = (math.nan, math.nan)
    #: Both sets' rows, the training set's first: one forward pass gives both sets' losses
    #: (`MLP.train_epoch_and_test`); X_train and X_test are views into them.
    X_both: np.ndarray = field(init=False, repr=False)
    Y_both: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n_train = len(self.X_train)
        self.X_both = np.concatenate([self.X_train, self.X_test])
        self.Y_both = np.concatenate([self.Y_train, self.Y_test])
        self.X_train, self.X_test = self.X_both[:n_train], self.X_both[n_train:]
        self.Y_train, self.Y_test = self.Y_both[:n_train], self.Y_both[n_train:]

    def train_epoch(self) -> tuple[float, float]:
        """One epoch (`MLP.train_epoch_and_test`: a TrainingDiverged leaves the run as it was)
        and the training and test sets' losses after it, which the history records. Their pass
        stays in the model, for the frame that may follow (`passes`): the training set's in
        its caches, the test set's a^L in `held_out_output`."""
        losses = self.model.train_epoch_and_test(
            self.X_both, self.Y_both, len(self.X_train), self.config.batch_size, self.epoch + 1
        )
        self.epoch += 1
        self._passes_made(losses)
        return self.pass_losses

    def passes(self) -> tuple[float, float]:
        """The training and test sets' losses at the model's weights now, their pass in the
        model (the training set's in its caches, the test set's a^L in `held_out_output`): the
        last epoch's when the weights have not changed since (an edit, a resume), else made
        now."""
        model, (cache, test_outputs) = self.model, self.pass_outputs
        if not (
            cache is model.activations_cache
            and test_outputs is model.held_out_output
            and self.pass_penalties == (model.l1, model.l2)
            and np.array_equal(self.passes_theta, model.theta)
        ):
            self._passes_made(model.split_losses(self.X_both, self.Y_both, len(self.X_train)))
        return self.pass_losses

    def _passes_made(self, losses: tuple[float, float]) -> None:
        if self.passes_theta is None or self.passes_theta.shape != self.model.theta.shape:
            self.passes_theta = self.model.theta.copy()
        else:
            np.copyto(self.passes_theta, self.model.theta)
        self.pass_losses = losses
        self.pass_outputs = (self.model.activations_cache, self.model.held_out_output)
        self.pass_penalties = (self.model.l1, self.model.l2)

    def set_rates(self, learning_rate: float | None, regularization_rate: float | None) -> None:
        """Change the rates the run trains with from the next step on (None: unchanged)."""
        if learning_rate is not None:
            self.model.learning_rate = learning_rate
            self.config.learning_rate = learning_rate
            self._changed("learning_rate", None, learning_rate)
        if regularization_rate is not None:
            self.config.regularization_rate = regularization_rate
            regularization = self.config.regularization
            for name, value in penalties(regularization, regularization_rate).items():
                setattr(self.model, name, value)
            if regularization != "none":
                self._changed(regularization, None, regularization_rate)

    def set_weight(self, layer: int, row: int, col: int | None, value: float) -> None:
        """W^l[row, col] = value, or b^l[row] when `col` is None (`MLP.set_parameter`); an
        IndexError names an entry the network does not have, and nothing changes."""
        self.model.set_parameter(layer, row, col, value)
        if col is None:
            self._changed("b", (layer, row), value)
        else:
            self._changed("W", (layer, row, col), value)

    def layer_space_problem(self, layer: int, neurons) -> str | None:
        """Why hidden layer `layer`'s neurons `neurons` cannot be shown, or None if they can."""
        if self.grid is None:
            return (
                "the layer-space view needs data with one or two inputs; this run's "
                f"{self.data.n_inputs} inputs are shown on their principal components"
            )
        widths = self.model.n_h
        if not widths:
            return "the network has no hidden layer"
        if layer >= len(widths):
            return (
                f"layer {layer} is not a hidden layer: the network has {len(widths)} "
                f"(0 to {len(widths) - 1})"
            )
        i, j = neurons
        if i == j:
            return f"pick two different neurons, not neuron {i} twice"
        outside = [n for n in (i, j) if n >= widths[layer]]
        if outside:
            return (
                f"hidden layer {layer} has {widths[layer]} neurons (0 to {widths[layer] - 1}): "
                f"there is no neuron {outside[0]}"
            )
        return None

    def _changed(self, what: str, where: tuple | None, value: float) -> None:
        """Note a change made while the run trains, for the exported script to replay."""
        self.changes.append((self.epoch, what, where, value))


def penalties(regularization: str, rate: float) -> dict[str, float]:
    """The engine's L1 and L2 rates for a config's `regularization` at `rate`: the one it names
    gets the rate, the other 0 ("none": both 0)."""
    return {name: rate if regularization == name else 0.0 for name in PENALTIES}


def regularization_of(model: MLP) -> tuple[str, float]:
    """(`regularization`, `regularization_rate`) of a config whose model has `model`'s L1 and
    L2 rates: `penalties` read backwards (a model with both is read as L1: no config has both).
    """
    if model.l1:
        return "l1", model.l1
    return ("l2", model.l2) if model.l2 else ("none", 0.0)


def model_arguments(config: TrainConfig, data: RunData, resets: int) -> dict:
    """`MLP`'s arguments for a run of `config` on `data` after `resets` resets: the inputs are
    the data's columns (after the features), one output per class of a multi-class problem
    (else one), the output activation and cost by problem kind unless the config names them,
    and the weights drawn from the seed [config.seed, resets]."""
    output_activation, cost = config.outputs(data.kind)
    return {
        "n_x": data.X_train.shape[1],
        "n_h": list(config.hidden_layers),
        "n_y": len(data.classes) if data.kind == "multiclass" else 1,
        "learning_rate": config.learning_rate,
        "cost": cost,
        "hidden_activation": config.activation,
        "output_activation": output_activation,
        "optimizer": config.optimizer,
        **penalties(config.regularization, config.regularization_rate),
        "seed": [config.seed, resets],
        "metric": data.metric,
    }


def build_run(
    config: TrainConfig,
    number: int,
    resets: int,
    custom: CustomData | None = None,
    max_parameters: int | None = None,
) -> Run:
    """Run `number`: the data set `config` asks for (`custom`: the session's own) and a freshly
    initialised model. A ValueError names what in the config does not fit the data, or a
    network over `max_parameters` weights and biases (the server's cap)."""
    data = run_data(config, custom)
    config = config.completed(data.kind)
    model = MLP(**model_arguments(config, data, resets))
    n_parameters = model.theta.size
    if max_parameters is not None and n_parameters > max_parameters:
        raise ValueError(
            f"hidden_layers: this network has {n_parameters} weights and biases; this "
            f"server allows at most {max_parameters}"
        )
    return Run(
        number=number,
        resets=resets,
        config=config,
        initial_config=config.model_copy(deep=True),
        model=model,
        X_train=model.check_inputs(data.X_train),
        Y_train=model.check_targets(data.y_train, len(data.y_train)),
        X_test=model.check_inputs(data.X_test),
        Y_test=model.check_targets(data.y_test, len(data.y_test)),
        data=data,
        custom=custom if config.source == "custom" else None,
        grid=input_grid(config, data),
    )


def _points(X: np.ndarray, y: np.ndarray) -> protocol.Points:
    return protocol.Points(x=np.round(X, 4).tolist(), y=np.round(y, 6).tolist())


def ready_message(run: Run) -> protocol.Ready:
    """The run as the page first sees it: its data, its network and how to show them."""
    model, data = run.model, run.data
    return protocol.Ready(
        run=run.number,
        config=run.config,
        resets=run.resets,
        kind=data.kind,
        source=data.source,
        data_name=data.name,
        n_inputs=data.n_inputs,
        columns=list(data.columns),
        classes=list(data.classes),
        plane=data.plane,
        layer_sizes=[model.n_x, *model.n_h, model.n_y],
        activations=[spec(layer.activation) for layer in model.sequential],
        metric=model.metric,
        view=data.view,
        explained_variance=data.explained_variance,
        x_range=data.x_range,
        y_range=data.y_range,
        train=_points(data.shown_train, data.y_train),
        test=_points(data.shown_test, data.y_test),
        grid=run.grid,
    )

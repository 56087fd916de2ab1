"""The paper's `MLP` (section 4.3): forward pass, backpropagation and mini-batch training.

Unlike the paper's Algorithm 1, nothing loops over the samples of a batch: the m samples are the
rows of every matrix, so eq. 13 for all of them is one matrix product, and eqs. 14-15 summed
over the batch (as eqs. 30-31 need) are one more each.
"""

from dataclasses import dataclass

import numpy as np

from . import checks, kernels, metrics, persistence
from .costs import Cost, check_pairing, get_cost
from .layers import DenseLayer
from .operations import Activation, get_activation, lookup, spec
from .optimizers import Optimizer, get_optimizer


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the model's weights are left at their last finite state."""

    def __init__(self, epoch: int, loss: float):
        super().__init__(
            f"training diverged at epoch {epoch}: the loss became {loss}; the weights were "
            "restored to their values before that epoch (try a smaller learning rate)"
        )
        self.epoch, self.loss = epoch, loss


@dataclass
class Scratch:
    """Arrays the training loop reuses for batches of m samples (see `MLP._scratch`)."""

    m: int
    X: np.ndarray  # the batch's samples, (m, n_x), and
    Y: np.ndarray  # their targets, (m, n_y)
    Z: list[np.ndarray]  # z^l, (m, n_h^l), for every layer
    A: list[np.ndarray]  # a^l = phi(z^l), (m, n_h^l), for every layer
    G: list[np.ndarray]  # (W^(l+1))^T delta^(l+1), (m, n_h^l), for every hidden layer


@dataclass
class LayerBackprop:
    """One layer's share of backpropagation for a batch of m samples.

    delta: (m, n_h), delta^{x,l} for every sample x (eqs. 12-13);
    dW: (n_h, n_x) and db: (n_h,), dC/dW^l and dC/db^l of the batch cost, the means over the
    batch of eqs. 15 and 14 plus the regularisation terms.
    """

    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray


class MLP:
    """A multilayer perceptron trained by mini-batch gradient descent and backpropagation.

    `n_h` is the width of each of `n_hidden_layers` hidden layers, as in the paper, or a list of
    widths, which then alone sets the hidden layers (an empty list: no hidden layer).
    """

    #: Train epochs with the compiled loop of `kernels`, when every part of the model
    #: (activations, cost, update rule) has a compiled form: a small network always, a large
    #: one when its rule's steps fold into eq. 15's products (SGD, momentum, no L1).
    accelerate = True
    #: "Small": at most this many multiply-adds in a batch's forward pass (m * sum n_x n_h);
    #: measured on the benchmark machine, above it the loop's own step pass (Adam's, L1's)
    #: loses to NumPy's whole-vector operations.
    KERNEL_MAX_BATCH_WORK = 200_000
    #: Whether a small network's compiled epoch lets the process's other threads run Python
    #: meanwhile (`kernels.train_epoch`): a server whose worker trains many sessions sets it
    #: False while they wait for its turns. A large network's epoch always lets them.
    release_lock = True

    def __init__(
        self,
        n_x: int,
        n_h: "int | list[int]",
        n_y: int,
        learning_rate: float = 0.01,
        n_hidden_layers: int = 1,
        cost: "str | Cost" = "mse",
        hidden_activation: "str | dict | Activation" = "relu",
        output_activation: "str | dict | Activation" = "linear",
        optimizer: "str | dict | Optimizer" = "sgd",
        l1: float = 0.0,
        l2: float = 0.0,
        seed: int | None = None,
        dtype=np.float64,
        init: str = "glorot_uniform",
        metric: str | None = None,
    ):
        """An activation or the update rule is given by name ("leaky_relu", "momentum"), as an
        object with its hyperparameters (LeakyReLU(alpha=0.3), Momentum(mu=0.5)), or in the
        JSON form `config` writes ({"name": "momentum", "mu": 0.5}).

        `metric` is the score `evaluate` reports beside the cost, "accuracy" or "r2": the one
        of the problem's kind (`problem_kind(kind).metric`). None guesses it from the cost,
        accuracy for a cross-entropy and R^2 for mse, which is wrong for a classifier trained
        with mse. It is not saved: a loaded model guesses again unless told."""
        self.n_x, self.n_y = checks.positive_int("n_x", n_x), checks.positive_int("n_y", n_y)
        self.n_h = checks.hidden_widths(n_h, n_hidden_layers)
        self.dtype = checks.float_dtype(dtype)
        self.cost = get_cost(cost)
        self.hidden_activation = get_activation(hidden_activation)
        self.output_activation = get_activation(output_activation)
        check_pairing(self.cost, self.output_activation.name)
        self.fused = self.cost.fused_activation == self.output_activation.name
        guess = "r2" if self.cost.name == "mse" else "accuracy"
        self.metric = guess if metric is None else metric
        lookup(metrics.METRICS, self.metric, "metric")  # a ValueError naming the metrics
        self.l1, self.l2 = checks.non_negative("l1", l1), checks.non_negative("l2", l2)
        self.seed = checks.json_seed(seed)
        self.init = init
        self.rng = np.random.default_rng(seed)
        self.optimizer = get_optimizer(optimizer, 1.0)
        self.learning_rate = learning_rate

        widths = [self.n_x, *self.n_h, self.n_y]
        self.sequential = [
            DenseLayer(
                n_in,
                n_out,
                self.output_activation if i == len(widths) - 2 else self.hidden_activation,
                self.rng,
                init,
                self.dtype,
            )
            for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        ]
        self._bind_parameters()
        self._scratch_arrays: Scratch | None = None
        self._compiled_scratch: np.ndarray | None = None
        # theta before an epoch, to restore if it diverges; kept, as a fresh copy of a large
        # network's would page-fault every epoch
        self._theta_before = np.empty_like(self.theta)
        self.activations_cache: list[np.ndarray] = []
        self.weighted_inputs_cache: list[np.ndarray] = []
        #: a^L of the second set's rows in the last pass over two sets (`split_losses`)
        self.held_out_output: np.ndarray | None = None

    def _bind_parameters(self) -> None:
        """Keep every parameter in one flat vector `theta`, weights first: [W^1..W^L, b^1..b^L].

        Each layer's W and b become views into `theta`, and `grad` has the same layout, so an
        optimiser step and the L1/L2 terms are whole-vector operations.
        """
        shapes = [layer.W.shape for layer in self.sequential]
        self.n_weights = sum(n_h * n_x for n_h, n_x in shapes)
        n_parameters = self.n_weights + sum(n_h for n_h, _ in shapes)
        self.theta = np.empty(n_parameters, self.dtype)
        self.grad = np.zeros(n_parameters, self.dtype)
        self._grad_views = []
        self._weight_parts = []  # W^l's place in theta: theta[part]
        w_offset, b_offset = 0, self.n_weights
        for layer, (n_h, n_x) in zip(self.sequential, shapes, strict=True):
            self._weight_parts.append(slice(w_offset, w_offset + n_h * n_x))
            views = []
            for vector in (self.theta, self.grad):
                W = vector[w_offset : w_offset + n_h * n_x].reshape(n_h, n_x)
                views.append((W, vector[b_offset : b_offset + n_h]))
            layer.bind(*views[0])
            self._grad_views.append(views[1])
            w_offset, b_offset = w_offset + n_h * n_x, b_offset + n_h

    # -- hyperparameters ---------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """eta of eqs. 30-31; may be changed between steps."""
        return self.optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.optimizer.learning_rate = checks.positive("learning_rate", value)

    @property
    def is_classifier(self) -> bool:
        """Whether the model is scored as a classifier (its `metric` is accuracy), whatever its
        cost: a binary problem trained with mse is one."""
        return self.metric == "accuracy"

    @property
    def cache(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(activations_cache, weighted_inputs_cache) of the last forward pass, as in the paper.

        activations_cache is [a^0 = X, a^1, ..., a^L]; weighted_inputs_cache is [z^1, ..., z^L].
        """
        return self.activations_cache, self.weighted_inputs_cache

    def parameters(self) -> list[np.ndarray]:
        """[W^1, b^1, W^2, b^2, ...], the arrays themselves."""
        return [theta for layer in self.sequential for theta in (layer.W, layer.b)]

    def set_parameter(self, layer: int, row: int, col: int | None, value: float) -> None:
        """Set one weight, W^l[row, col], or one bias, b^l[row] when `col` is None, as TF
        Playground's weight editor does; `layer` 0 is the first weight layer (the paper's
        l = 1). An IndexError names an entry the network does not have: no index counts from
        the end, as NumPy's negative ones would."""
        if not 0 <= layer < len(self.sequential):
            raise IndexError(f"layer {layer} does not exist: {len(self.sequential)} layers")
        dense = self.sequential[layer]
        if col is None:
            if not 0 <= row < dense.n_h:
                raise IndexError(f"layer {layer} has b of shape {dense.b.shape}: no bias {row}")
            dense.b[row] = value
            return
        if not (0 <= row < dense.n_h and 0 <= col < dense.n_x):
            raise IndexError(
                f"layer {layer} has W of shape {dense.W.shape}: no weight at ({row}, {col})"
            )
        dense.W[row, col] = value

    def set_parameters(self, theta) -> None:
        """Every weight and bias at once, from a vector in `theta`'s layout ([W^1..W^L row-major,
        b^1..b^L], e.g. a copy of another moment's `theta`); a ValueError names a wrong size or
        a value that is not finite, and nothing changes."""
        theta = np.asarray(theta)
        if theta.shape != self.theta.shape:
            raise ValueError(f"theta must have shape {self.theta.shape}, got {theta.shape}")
        if not checks.all_finite(theta):
            raise ValueError("theta contains NaN or infinite values")
        self.theta[...] = theta

    def continue_from(self, other: "MLP") -> None:
        """Go on from where `other` is: take its weights, its update rule's state (step count
        and buffers) and its random generator's state, so that this model's next epoch is the
        one `other` would train, step for step and batch for batch. The hyperparameters
        (learning rate, L1, L2) stay this model's. `other` must have this model's layer sizes
        and update rule; a ValueError says which differs, and nothing changes."""
        sizes, theirs = [self.n_x, *self.n_h, self.n_y], [other.n_x, *other.n_h, other.n_y]
        if theirs != sizes:
            raise ValueError(f"layer sizes {theirs} differ from this model's {sizes}")
        if type(other.optimizer) is not type(self.optimizer):
            raise ValueError(
                f"update rule {other.optimizer!r} differs from this model's {self.optimizer!r}"
            )
        self.set_parameters(other.theta)
        self.optimizer.restore_arrays(other.optimizer.state_arrays())
        self.rng.bit_generator.state = other.rng.bit_generator.state

    # -- input checks --------------------------------------------------------------------------
    def check_inputs(self, X) -> np.ndarray:
        """X as an (m, n_x) array of the model's dtype, or a ValueError naming the problem."""
        return checks.inputs(X, self.n_x, self.dtype)

    def check_targets(self, Y, m: int) -> np.ndarray:
        """Y as (m, n_y) targets; integer class labels of shape (m,) are one-hot encoded."""
        probabilities = self.cost.name if self.cost.valid_outputs else None  # cross-entropies
        return checks.targets(Y, m, self.n_y, self.dtype, probabilities)

    # -- forward pass ---------------------------------------------------------------------------
    def _forward(self, X: np.ndarray, scratch: "Scratch | None" = None) -> np.ndarray:
        a = X
        self.activations_cache = [a]
        self.weighted_inputs_cache = []
        for l, layer in enumerate(self.sequential):
            out = (None, None) if scratch is None else (scratch.Z[l], scratch.A[l])
            z, a = layer(a, *out)  # eqs. 32-33
            self.weighted_inputs_cache.append(z)
            self.activations_cache.append(a)
        return a

    def forward(self, X) -> np.ndarray:
        """The forward pass (section 4.3): returns a^L and fills the caches."""
        return self._forward(self.check_inputs(X))

    def predict(self, X) -> np.ndarray:
        """a^L for each row of X, the network's prediction, shape (m, n_y)."""
        return self.forward(X)

    def predict_classes(self, X) -> np.ndarray:
        """Integer class labels: a > 0.5 for one output, the arg-max of a^L for several."""
        return self.classes_of(self.forward(X))

    def classes_of(self, a: np.ndarray) -> np.ndarray:
        """The class labels that outputs a^L (m, n_y) stand for (see `predict_classes`)."""
        return (a[:, 0] > 0.5).astype(np.int64) if self.n_y == 1 else a.argmax(axis=1)

    # -- cost --------------------------------------------------------------------------------------
    def _regularization(self) -> float:
        """l1 sum|W| + (l2 / 2) sum W^2 over every weight matrix (biases are not penalised)."""
        weights = self.theta[: self.n_weights]
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.abs(weights).sum())
        if self.l2:
            penalty += 0.5 * self.l2 * float(weights @ weights)
        return penalty

    def _cost(self, Y: np.ndarray) -> float:
        """C of the last forward pass: eq. 7 plus l1 sum|W| + (l2/2) sum W^2."""
        if self.fused:
            z = self.weighted_inputs_cache[-1]
            data_cost = float(self.cost.fused_sample_costs(z, Y).mean())
        else:
            data_cost = self.cost(self.activations_cache[-1], Y)
        return data_cost + self._regularization()

    def loss(self, X, Y) -> float:
        """The cost C on (X, Y), regularisation included: what `gradients` differentiates."""
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        self._forward(X)
        return self._cost(Y)

    def split_losses(self, X, Y, n_first: int) -> tuple[float, float]:
        """The cost C of the first `n_first` rows of (X, Y) and of the other rows: what `loss`
        gives for each of two sets stacked (a training set, then a test set), from one forward
        pass over both. A small network's pass is mostly NumPy's cost per call, so the two
        sets' losses cost little more than one's. Afterwards the caches hold the first set's
        pass (views into the whole's), and `held_out_output` the second set's a^L."""
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        n_first = checks.split_point("n_first", n_first, X.shape[0])
        self._forward(X)
        return self._split_costs(Y, n_first)

    def _split_costs(self, Y: np.ndarray, n_first: int) -> tuple[float, float]:
        """After a forward pass over two sets stacked: each set's cost (eq. 7, the mean over
        its own samples, plus the regularisation), the caches cut to the first set's rows."""
        a = self.activations_cache[-1]
        if self.fused:
            costs = self.cost.fused_sample_costs(self.weighted_inputs_cache[-1], Y)
            first, second = float(costs[:n_first].mean()), float(costs[n_first:].mean())
        else:
            first = self.cost(a[:n_first], Y[:n_first])
            second = self.cost(a[n_first:], Y[n_first:])
        self.held_out_output = a[n_first:]
        self.activations_cache = [layer[:n_first] for layer in self.activations_cache]
        self.weighted_inputs_cache = [layer[:n_first] for layer in self.weighted_inputs_cache]
        penalty = self._regularization()
        return first + penalty, second + penalty

    def evaluate(self, X, Y) -> dict[str, float]:
        """{"loss": C, "accuracy": ...} or {"loss": C, "r2": ...}, as the model's `metric` says."""
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        return self._evaluate(X, Y)

    def _evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
        self._forward(X)
        return {"loss": self._cost(Y), self.metric: self.score(Y)}

    def score(self, Y: np.ndarray, outputs: np.ndarray | None = None) -> float:
        """The model's `metric` of the last forward pass's outputs (or of `outputs`, a^L of
        another pass, e.g. `held_out_output`) against targets Y, an (m, n_y) array of the
        model's dtype (as `check_targets` makes it)."""
        if outputs is None:
            if not self.activations_cache:
                raise ValueError("score needs a forward pass first")
            outputs = self.activations_cache[-1]
        return metrics.METRICS[self.metric](outputs, Y)

    # -- backward pass --------------------------------------------------------------------------
    def output_delta(self, Y: np.ndarray) -> np.ndarray:
        """Eq. 12, delta^L = nabla_a C o phi'(z^L), for every sample of the last forward pass.

        For sigmoid + binary cross-entropy and softmax + categorical cross-entropy the product
        simplifies to (a^L - y) (scaled as the cost is); softmax with any other cost uses its
        exact Jacobian-vector product, since its Jacobian is not diagonal.
        """
        a, z = self.activations_cache[-1], self.weighted_inputs_cache[-1]
        if self.fused:
            return self.cost.fused_delta(a, Y)
        return self.output_activation.vjp(z, a, self.cost.gradient(a, Y))

    def _backward(
        self, Y: np.ndarray, scratch: "Scratch | None" = None, fold: bool = False
    ) -> list[np.ndarray]:
        """Fill `grad` with nabla_theta C of the last forward pass; return every layer's delta
        divided by m.

        The 1/m of eqs. 30-31 (the mean over the batch) is applied once, to delta^L: eqs. 13-15
        are linear in it, so every delta^l, dW^l and db^l comes out divided by m too, without a
        pass over the whole gradient.

        With `fold`, each layer's weights take the optimiser's step inside eq. 15's product
        (`Optimizer.fold`), once eq. 13 has used them: `grad` then holds the biases' gradient
        alone, for the caller's step.
        """
        A, Z = self.activations_cache, self.weighted_inputs_cache
        delta_L = self.output_delta(Y)
        delta_L *= 1.0 / A[0].shape[0]
        deltas = [delta_L]
        np.add.reduce(delta_L, axis=0, out=self._grad_views[-1][1])  # eq. 14, summed over x
        for l in range(len(self.sequential) - 1, -1, -1):
            delta, W = deltas[0], self.sequential[l].W
            if l > 0:  # eq. 13: delta^l = ((W^(l+1))^T delta^(l+1)) o phi'(z^l), and its eq. 14
                previous, db_below = self.sequential[l - 1].activation, self._grad_views[l - 1][1]
                W_delta = kernels.product(delta, W, scratch and scratch.G[l - 1])
                deltas.insert(0, previous.vjp_in_place(Z[l - 1], A[l], W_delta, db_below))
            if fold:
                self.optimizer.fold(self._weight_parts[l], W, delta, A[l], self.l2)
            else:  # eq. 15, summed over the samples x
                kernels.product(delta, A[l], self._grad_views[l][0], transpose_a=True)
        if fold:
            return deltas
        weights = self.grad[: self.n_weights]
        if self.l1:
            weights += self.l1 * np.sign(self.theta[: self.n_weights])
        if self.l2:
            weights += self.l2 * self.theta[: self.n_weights]
        return deltas

    def backward(self, Y) -> list[LayerBackprop]:
        """Backpropagation (eqs. 12-15) for the batch of the last `forward`, one entry per layer;
        `grad` holds the same gradient after it, in theta's layout."""
        if not self.activations_cache:
            raise ValueError("backward needs a forward pass first")
        m = self.activations_cache[0].shape[0]
        deltas = self._backward(self.check_targets(Y, m))
        return [
            LayerBackprop(delta * m, dW.copy(), db.copy())
            for delta, (dW, db) in zip(deltas, self._grad_views, strict=True)
        ]

    def gradients(self, X, Y) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(dC/dW^l, dC/db^l), ...] of `loss(X, Y)`: the mean over the batch, plus L1/L2 terms."""
        X = self.check_inputs(X)
        self._forward(X)
        return [(g.dW, g.db) for g in self.backward(Y)]

    # -- training ---------------------------------------------------------------------------------
    def _update(self, X: np.ndarray, Y: np.ndarray, fold: bool = False) -> None:
        """One step of eqs. 30-31 (or of the chosen optimiser) on a checked batch; with `fold`,
        the weights' step is taken inside eq. 15's products (see `_backward`)."""
        scratch = self._scratch(X.shape[0])
        self._forward(X, scratch)
        if not fold:
            self._backward(Y, scratch)
            self.optimizer.update(self.theta, self.grad)
            return
        self.optimizer.begin_step(self.theta)
        self._backward(Y, scratch, fold=True)
        biases = slice(self.n_weights, None)
        self.optimizer.apply(self.theta[biases], self.grad[biases], biases)

    def _epoch_scratch(self, size: int) -> np.ndarray:
        """The compiled epoch's working arrays, kept from epoch to epoch (as `_scratch`'s)."""
        if self._compiled_scratch is None or self._compiled_scratch.size != size:
            self._compiled_scratch = np.empty(size, self.dtype)
        return self._compiled_scratch

    def _scratch(self, m: int) -> "Scratch":
        """The arrays for the samples and targets, z^l, a^l and (W^(l+1))^T delta^(l+1) of
        batches of m samples, kept from step to step: fresh ones of a large network's size would
        cost the kernel a page fault for every 4 KiB of them, every step."""
        if self._scratch_arrays is None or self._scratch_arrays.m != m:
            widths = [layer.n_h for layer in self.sequential]
            self._scratch_arrays = Scratch(
                m,
                np.empty((m, self.n_x), self.dtype),
                np.empty((m, self.n_y), self.dtype),
                [np.empty((m, n), self.dtype) for n in widths],
                [np.empty((m, n), self.dtype) for n in widths],
                [np.empty((m, n), self.dtype) for n in widths[:-1]],
            )
        return self._scratch_arrays

    def train_step(self, X, Y) -> float:
        """One optimiser update on the batch (X, Y); returns the batch's loss before it."""
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        self._forward(X)
        loss = self._cost(Y)
        if not np.isfinite(loss):
            raise TrainingDiverged(0, loss)
        self._backward(Y)
        self.optimizer.update(self.theta, self.grad)
        return loss

    def batches(self, n_samples: int, batch_size: int) -> np.ndarray:
        """Index batches of one epoch, shape (floor(N / m), m): a fresh random partition.

        As in the paper (section 4.3, `numpy.random.choice` without replacement), the N mod m
        samples left over are dropped for this epoch; a different few are left out each epoch.
        """
        n_batches = n_samples // batch_size
        return self.rng.permutation(n_samples)[: n_batches * batch_size].reshape(
            n_batches, batch_size
        )

    def train_epoch(
        self, X, Y, batch_size: int = 32, epoch: int = 0, evaluate: bool = True
    ) -> float | None:
        """One epoch of mini-batch updates; returns the cost on all of (X, Y) after it.

        With `evaluate=False` that extra forward pass over the whole set is skipped (None is
        returned). Raises TrainingDiverged, with the weights and the optimiser's state restored,
        if the cost or a weight becomes NaN or infinite.
        """
        # NaN and inf in X are looked for as the epoch gathers its batches, not in a pass of
        # their own (the largest networks' epochs would spend ~2% of their time on it)
        X = checks.inputs(X, self.n_x, self.dtype, finite=False)
        Y = self.check_targets(Y, X.shape[0])
        batch_size = checks.batch_size(batch_size, X.shape[0])
        return self._train_epoch(X, Y, batch_size, epoch, evaluate, inputs_checked=False)[0]

    def train_epoch_and_test(
        self, X, Y, n_train: int, batch_size: int = 32, epoch: int = 0
    ) -> tuple[float, float]:
        """One epoch of `train_epoch` on the first `n_train` rows of (X, Y), a training set
        with a test set stacked after it, and the cost after it of each set (`split_losses`:
        one forward pass over both). The caches then hold the training set's pass, and
        `held_out_output` the test set's a^L. A TrainingDiverged (the training set's cost not
        finite) restores the model as `train_epoch`'s does."""
        X = checks.inputs(X, self.n_x, self.dtype, finite=False)
        Y = self.check_targets(Y, X.shape[0])
        n_train = checks.split_point("n_train", n_train, X.shape[0])
        batch_size = checks.batch_size(batch_size, n_train)
        return self._train_epoch(X, Y, batch_size, epoch, inputs_checked=False, n_train=n_train)

    def compiled_epoch(self) -> "kernels.Epoch | None":
        """The description of an epoch for `kernels`, read from this model's own objects, or
        None if one of them (a user's own Activation, say) has no compiled form."""
        parts = (
            self.hidden_activation.compiled(),
            self.output_activation.compiled(),
            self.cost.compiled(),
            self.optimizer.compiled(),
        )
        if any(part is None for part in parts):
            return None
        return kernels.Epoch(*parts[:3], self.fused, parts[3], self.learning_rate, self.l1, self.l2)

    def _train_epoch(
        self, X, Y, batch_size, epoch, evaluate=True, inputs_checked=True, n_train=None
    ) -> tuple[float | None, float | None]:
        """The epoch of `train_epoch` on checked arrays; with `inputs_checked=False`, X is tested
        for NaN and inf here (by the compiled epoch as it gathers its batches), and a bad X
        raises a ValueError with the model as it was, random generator included. Returns the
        cost after the epoch and None, or with `n_train` (`train_epoch_and_test`: the epoch
        trains on the first n_train rows) the two sets' costs."""
        n_samples = X.shape[0] if n_train is None else n_train
        small = batch_size * self.n_weights <= self.KERNEL_MAX_BATCH_WORK
        epoch_form = self.compiled_epoch() if self.accelerate else None
        # A large network trains compiled when its weights' steps fold into eq. 15's products
        # (SGD, momentum, no L1): then nothing but BLAS and single passes remain per batch.
        compiled = epoch_form is not None and (small or kernels.folds(epoch_form))
        if not (inputs_checked or compiled or checks.all_finite(X)):
            raise ValueError(checks.NOT_FINITE_INPUTS)
        np.copyto(self._theta_before, self.theta)
        before = self._theta_before, self.optimizer.state_arrays(), self.rng.bit_generator.state
        order = self.batches(n_samples, batch_size).ravel()
        if compiled:
            t, buffers = self.optimizer.lend_state(self.theta)
            widths = [self.n_x, *self.n_h, self.n_y]
            arrays = self.theta, self.grad, widths, X, Y, order, batch_size
            scratch = self._epoch_scratch(kernels.scratch_size(widths, batch_size))
            release_lock = self.release_lock or not small
            t = kernels.train_epoch(*arrays, epoch_form, buffers, t, scratch, release_lock)
            if t is None or not (inputs_checked or self._rows_finite(X, order, n_samples)):
                self._restore(before)
                raise ValueError(checks.NOT_FINITE_INPUTS)
            self.optimizer.steps_taken(t)
        else:
            # A network too large for the compiled loop takes SGD's or momentum's step inside
            # eq. 15's products (L1's sign(W) is not linear in the gradient: it keeps the pass).
            fold = not small and self.optimizer.folds() and self.l1 == 0
            # One gather per batch, not per epoch, so that the batch is still in cache for its
            # products, into kept arrays (mode="clip": no copy to guard against overlap).
            scratch = self._scratch(batch_size)
            for rows in order.reshape(-1, batch_size):
                batch_X = np.take(X, rows, axis=0, out=scratch.X, mode="clip")
                self._update(batch_X, np.take(Y, rows, axis=0, out=scratch.Y, mode="clip"), fold)
        held_out_loss = None
        if n_train is not None:  # one pass over both sets (`split_losses`)
            self._forward(X)
            loss, held_out_loss = self._split_costs(Y, n_train)
        elif evaluate:
            self._forward(X)
            loss = self._cost(Y)
        else:
            loss = None if checks.all_finite(self.theta) else float("nan")
        if loss is not None and not np.isfinite(loss):
            self._restore(before)
            raise TrainingDiverged(epoch, loss)
        return loss, held_out_loss

    def _restore(self, before: tuple) -> None:
        """Back to the model before an epoch: its theta, the rule's state, the generator's."""
        theta, optimizer_state, rng_state = before
        self.theta[...] = theta
        self.optimizer.restore_arrays(optimizer_state)
        self.rng.bit_generator.state = rng_state

    @staticmethod
    def _rows_finite(X: np.ndarray, order: np.ndarray, n_train: int) -> bool:
        """Whether the rows of X that no batch of `order` gathered hold only finite values:
        those of the first n_train rows left out of the epoch (N mod m), and the rows after
        them (a test set's, checked as one block); the compiled epoch tested the others."""
        if n_train < X.shape[0] and not checks.all_finite(X[n_train:]):
            return False
        if order.size == n_train:
            return True
        left_out = np.ones(n_train, bool)
        left_out[order] = False
        return checks.all_finite(X[:n_train][left_out])

    def fit(self, X, Y, batch_size=32, epochs=1, validation_data=None, callback=None) -> dict:
        """Train for `epochs` epochs of mini-batch updates on (X, Y).

        Returns the history {"epoch": [...], "train_loss": [...]} with, when validation_data
        = (X_val, Y_val) is given, "val_loss" and "val_accuracy" or "val_r2". The train loss is
        the cost on the whole training set at the end of each epoch. `callback(record)` is called
        after every epoch with that epoch's values; returning True stops training.
        """
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        batch_size = checks.batch_size(batch_size, X.shape[0])
        epochs = checks.positive_int("epochs", epochs)
        if validation_data is not None:
            X_val = self.check_inputs(validation_data[0])
            Y_val = self.check_targets(validation_data[1], X_val.shape[0])
        history: dict[str, list] = {}
        for epoch in range(1, epochs + 1):
            record = {"epoch": epoch, "train_loss": self._train_epoch(X, Y, batch_size, epoch)[0]}
            if validation_data is not None:
                record.update({f"val_{k}": v for k, v in self._evaluate(X_val, Y_val).items()})
            for key, value in record.items():
                history.setdefault(key, []).append(value)
            if callback is not None and callback(record) is True:
                break
        return history

    # -- persistence -----------------------------------------------------------------------------
    def config(self) -> dict:
        """The constructor's arguments, JSON-ready: an activation or the update rule is written
        as its name and hyperparameters, e.g. {"name": "momentum", "mu": 0.9}."""
        return {
            "n_x": self.n_x,
            "n_h": list(self.n_h),
            "n_y": self.n_y,
            "learning_rate": self.learning_rate,
            "cost": self.cost.name,
            "hidden_activation": spec(self.hidden_activation),
            "output_activation": spec(self.output_activation),
            "optimizer": spec(self.optimizer),
            "l1": self.l1,
            "l2": self.l2,
            "seed": self.seed,
            "dtype": self.dtype.name,
            "init": self.init,
        }

    def copy(self, dtype=None) -> "MLP":
        """A new model with this one's settings and weights, optionally in another dtype.

        The optimiser's state and the random generator start afresh: the copy is for
        evaluating, e.g. a float32 twin that draws a decision boundary faster.
        """
        twin = type(self)(
            **{
                **self.config(),
                "cost": self.cost,
                "hidden_activation": self.hidden_activation,
                "output_activation": self.output_activation,
                "optimizer": self.optimizer,
                "dtype": self.dtype if dtype is None else dtype,
                "metric": self.metric,
            }
        )
        twin.theta[...] = self.theta
        return twin

    def to_dict(self) -> dict:
        """Everything needed to predict and to keep training: config, weights, optimiser, RNG."""
        return persistence.to_dict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "MLP":
        """Rebuild a model from `to_dict`'s output; a ValueError names what does not fit."""
        return persistence.from_dict(cls, data)

    def save(self, path) -> None:
        """Write the model as JSON (never pickle)."""
        persistence.save(self, path)

    @classmethod
    def load(cls, path) -> "MLP":
        return persistence.load(cls, path)

    def __repr__(self) -> str:
        widths = "-".join(str(n) for n in [self.n_x, *self.n_h, self.n_y])
        return (
            f"MLP({widths}, hidden={self.hidden_activation.name}, "
            f"output={self.output_activation.name}, cost={self.cost.name})"
        )

"""Cost functions (section 3.2): C = (1/m) sum_x C_x over the m samples of a batch (eq. 7).

Each cost defines the per-sample cost C_x and its gradient with respect to the output
activations, nabla_{a^L} C_x (eq. 25), which eq. 12 turns into the output error delta^L.
The paper's eqs. 7, 22 and 24 disagree on how MSE is scaled; this module pins one definition per
cost, and `__call__` and `derivative` are always of exactly that function:

* `mse`: C_x = (1/n_y) sum_j (a_j - y_j)^2 (eq. 22), so C is the mean over samples and outputs
  (PyTorch's `MSELoss()`); nabla C_x = (2/n_y)(a - y) (eqs. 23-24).
* `binary_crossentropy`: C_x = -(1/n_y) sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)], eq. 35 with the
  minus sign it drops, averaged over outputs too.
* `categorical_crossentropy`: C_x = -sum_j y_j ln a_j.

With its natural output activation (sigmoid, softmax) a cross-entropy is evaluated from z^L, never
taking the log of a rounded 0 or 1, and its output error collapses to a^L - y (scaled as C_x is).
"""

from abc import abstractmethod

import numpy as np

from . import kernels
from .operations import Operation, Sigmoid, Softmax, log_softmax, lookup


def _clip_probabilities(a: np.ndarray) -> np.ndarray:
    eps = np.finfo(a.dtype).eps
    return np.clip(a, eps, 1.0 - eps)


class Cost(Operation):
    """A cost function: the scalar C (eq. 7), its derivative and its per-sample gradient."""

    #: Output activations this cost accepts (None: all of them).
    valid_outputs: tuple[str, ...] | None = None
    #: The output activation with which the cost has a fused, numerically stable form.
    fused_activation: str | None = None

    @abstractmethod
    def sample_costs(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """C_x for each sample: shape (m,)."""

    @abstractmethod
    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """nabla_{a^L} C_x (eq. 25), one row per sample: shape (m, n_y)."""

    def __call__(self, a: np.ndarray, y: np.ndarray) -> float:
        """C = (1/m) sum_x C_x (eq. 7)."""
        return float(self.sample_costs(a, y).mean())

    def derivative(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dC/da^L of the batch cost C returned by `__call__`: the gradient scaled by 1/m."""
        return self.gradient(a, y) / a.shape[0]

    def compiled(self) -> int | None:
        """This cost's code in the compiled epoch, or None: the model trains with NumPy."""
        return self.own_kernel_code()

    def fused_sample_costs(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """C_x computed from z^L, for the fused output activation."""
        raise NotImplementedError

    def fused_delta(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """delta^L of eq. 12 in closed form, for the fused output activation."""
        raise NotImplementedError


class MeanSquaredError(Cost):
    name = "mse"
    kernel_code = kernels.MSE

    def sample_costs(self, a, y):
        return ((a - y) ** 2).mean(axis=1)

    def gradient(self, a, y):
        """Eq. 24, 2 (a_j - y_j), with eq. 22's 1/n_y."""
        return (2.0 / a.shape[1]) * (a - y)


class BinaryCrossEntropy(Cost):
    name = "binary_crossentropy"
    kernel_code = kernels.BINARY_CROSSENTROPY
    valid_outputs = ("sigmoid", "softmax")
    fused_activation = Sigmoid.name

    def sample_costs(self, a, y):
        a = _clip_probabilities(a)
        return -(y * np.log(a) + (1.0 - y) * np.log1p(-a)).mean(axis=1)

    def gradient(self, a, y):
        a = _clip_probabilities(a)
        return (a - y) / (a * (1.0 - a) * a.shape[1])

    def fused_sample_costs(self, z, y):
        """-(y ln sigma(z) + (1 - y) ln(1 - sigma(z))) = max(z, 0) - y z + ln(1 + e^-|z|)."""
        return (np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))).mean(axis=1)

    def fused_delta(self, a, y):
        """Eq. 12 with phi = sigmoid: sigma'(z) = a (1 - a) cancels, leaving (a - y) / n_y."""
        return (a - y) / a.shape[1]


class CategoricalCrossEntropy(Cost):
    name = "categorical_crossentropy"
    kernel_code = kernels.CATEGORICAL_CROSSENTROPY
    valid_outputs = ("softmax", "sigmoid")
    fused_activation = Softmax.name

    def sample_costs(self, a, y):
        return -(y * np.log(_clip_probabilities(a))).sum(axis=1)

    def gradient(self, a, y):
        return -y / _clip_probabilities(a)

    def fused_sample_costs(self, z, y):
        """-sum_j y_j log_softmax(z)_j."""
        return -(y * log_softmax(z)).sum(axis=1)

    def fused_delta(self, a, y):
        """Softmax's Jacobian applied to -y/a: a sum_j y_j - y, which is a - y for one-hot y."""
        return a * y.sum(axis=1, keepdims=True) - y


COSTS: dict[str, type[Cost]] = {
    cls.name: cls for cls in (MeanSquaredError, BinaryCrossEntropy, CategoricalCrossEntropy)
}


def get_cost(name: "str | Cost") -> Cost:
    """The cost registered under `name` (a Cost instance passes through)."""
    if isinstance(name, Cost):
        return name
    return lookup(COSTS, name, "cost")()


def check_pairing(cost: Cost, output_activation: str) -> None:
    """Refuse an output activation whose range the cost is not defined on."""
    if cost.valid_outputs is not None and output_activation not in cost.valid_outputs:
        raise ValueError(
            f"cost {cost.name!r} needs outputs in (0, 1); output activation "
            f"{output_activation!r} is not one of {', '.join(cost.valid_outputs)}"
        )

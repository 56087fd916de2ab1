"""The paper's `Operation` (section 4.1) and its activation functions.

Every operation is vectorised: `z` is a batch of weighted inputs of shape (m, n_h), one row per
sample, as in eq. 34.
"""

from abc import ABC, abstractmethod

import numpy as np
from scipy.special import expit

from . import kernels


def _float_type(z: np.ndarray) -> np.dtype:
    """z's own dtype if it is a float type, else float64."""
    return np.result_type(z.dtype, np.float32)


class Operation(ABC):
    """Abstract base of activations and costs (section 4.1): a `__call__` and its `derivative`."""

    name: str
    #: This class's code in `kernels`, the compiled epoch (None: it has no compiled form).
    kernel_code: int | None = None

    @abstractmethod
    def __call__(self, *args): ...

    @abstractmethod
    def derivative(self, *args): ...

    def hyperparameters(self) -> dict:
        """The constructor's arguments, e.g. {"alpha": 0.01} for LeakyReLU; {} for most."""
        return {}

    def own_kernel_code(self) -> int | None:
        """`kernel_code`, if this object's own class declares it.

        A subclass, even of a built-in, may change the math, so it has no compiled form (and
        trains on the NumPy path) unless it declares a kernel_code of its own.
        """
        return type(self).__dict__.get("kernel_code")

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({arguments})"


class Activation(Operation):
    """phi(z) applied element-wise (eq. 33) and its derivative dphi/dz (eqs. 12-13)."""

    @abstractmethod
    def __call__(self, z: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def derivative(self, z: np.ndarray) -> np.ndarray: ...

    def vjp(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Backpropagate `grad` = dC/da through phi: the Hadamard product of eqs. 12-13.

        `a` = phi(z) is passed so that activations whose derivative is a function of their
        output (sigmoid, tanh, softmax) need not evaluate phi again.
        """
        return grad * self.derivative(z)

    def compiled(self) -> tuple[int, float] | None:
        """(kernel code, alpha) of this activation in the compiled epoch, or None."""
        code = self.own_kernel_code()
        return None if code is None else (code, 0.0)

    def exact_pass(self, size: int) -> tuple[int, float] | None:
        """(kernel code, alpha) for `kernels`' multi-core passes over an array of `size`
        elements, or None: they serve large arrays only, and only activations whose passes
        there equal this NumPy form bit for bit (`kernels.EXACT_PASSES`)."""
        form = self.compiled()
        if form is None or form[0] not in kernels.EXACT_PASSES or size < kernels.LARGE_PASS:
            return None
        return form

    def vjp_in_place(
        self, z: np.ndarray, a: np.ndarray, grad: np.ndarray, sums: np.ndarray
    ) -> np.ndarray:
        """`vjp`, written into `grad` (an array the caller gives up) where a pass of `kernels`
        computes it; the result either way. Its column sums (eq. 14's, summed over the batch)
        go into `sums`, in that same pass where there is one."""
        form = self.exact_pass(grad.size)
        if form is None:
            result = self.vjp(z, a, grad)
            np.add.reduce(result, axis=0, out=sums)
            return result
        kernels.vjp_in_place(*form, z, grad, sums)
        return grad


class Sigmoid(Activation):
    """Eq. 20, evaluated without overflow for any z; eq. 21 for its derivative."""

    name = "sigmoid"
    kernel_code = kernels.SIGMOID

    def __call__(self, z):
        """1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) below, which never overflow: SciPy's
        expit, the formula the compiled kernels use (kernels.py), in a third of the time
        exp(-logaddexp(0, -z)) took."""
        return expit(z)

    def derivative(self, z):
        a = self(z)
        return a * (1.0 - a)

    def vjp(self, z, a, grad):
        return grad * a * (1.0 - a)


class Tanh(Activation):
    name = "tanh"
    kernel_code = kernels.TANH

    def __call__(self, z):
        return np.tanh(z)

    def derivative(self, z):
        return 1.0 - np.tanh(z) ** 2

    def vjp(self, z, a, grad):
        return grad * (1.0 - a * a)


class ReLU(Activation):
    name = "relu"
    kernel_code = kernels.RELU

    def __call__(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, z):
        """1.0 where z > 0, else 0.0 (the subgradient 0 is taken at z = 0), as floats."""
        return (z > 0).astype(_float_type(z))

    def vjp(self, z, a, grad):
        # A mask multiply, several times faster than np.where; in grad's dtype, so that the
        # mask is not cast through a buffer.
        return np.multiply(grad, z > 0, dtype=grad.dtype)


class LeakyReLU(Activation):
    name = "leaky_relu"
    kernel_code = kernels.LEAKY_RELU

    def __init__(self, alpha: float = 0.01):
        """phi(z) = z for z > 0, alpha z otherwise (PyTorch's negative_slope)."""
        self.alpha = finite("alpha", alpha)

    def hyperparameters(self):
        return {"alpha": self.alpha}

    def compiled(self):
        form = super().compiled()
        return None if form is None else (form[0], self.alpha)

    def __call__(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def derivative(self, z):
        return np.where(z > 0, 1.0, self.alpha).astype(_float_type(z))

    def vjp(self, z, a, grad):
        return np.where(z > 0, grad, self.alpha * grad)


class Linear(Activation):
    """phi(z) = z, the identity (the input layer's activation in the paper, a^0 = x)."""

    name = "linear"
    kernel_code = kernels.LINEAR

    def __call__(self, z):
        return z

    def derivative(self, z):
        return np.ones_like(z)

    def vjp(self, z, a, grad):
        return grad


class Softmax(Activation):
    """a_j = exp(z_j) / sum_k exp(z_k), row by row.

    Its Jacobian da_j/dz_k = a_j (1[j = k] - a_k) is not diagonal, so the Hadamard form of
    eqs. 12-13 does not hold: `vjp` computes the exact Jacobian-vector product instead.
    """

    name = "softmax"
    kernel_code = kernels.SOFTMAX

    def __call__(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def derivative(self, z):
        """The full Jacobian, shape (m, n, n): diag(a) - a a^T for every sample."""
        a = self(z)
        return a[:, :, None] * np.eye(z.shape[1], dtype=z.dtype) - a[:, :, None] * a[:, None, :]

    def vjp(self, z, a, grad):
        """(da/dz)^T grad = a o (grad - <grad, a>), per sample."""
        return a * (grad - (grad * a).sum(axis=1, keepdims=True))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """ln softmax(z), row by row, computed without overflow or log(0)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Linear, Softmax)
}


def finite(name: str, value, low: float = -np.inf, high: float = np.inf) -> float:
    """value as a float in [low, high), or a ValueError naming the hyperparameter."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not (np.isfinite(value) and low <= value < high):
        raise ValueError(f"{name} must be a finite number in [{low}, {high}), got {value!r}")
    return value


def lookup(registry: dict, name, what: str):
    """registry[name], or a ValueError that lists the valid names."""
    if not isinstance(name, str) or name not in registry:
        raise ValueError(f"unknown {what} {name!r}; valid names: {', '.join(sorted(registry))}")
    return registry[name]


def build(registry: dict, spec, what: str):
    """A new object from a name ("leaky_relu") or its JSON form ({"name": "leaky_relu",
    "alpha": 0.3}, as `spec` writes it); a ValueError names what does not fit."""
    if isinstance(spec, dict):
        options = {key: value for key, value in spec.items() if key != "name"}
        cls = lookup(registry, spec.get("name"), what)
        known = set(cls().hyperparameters())
        if not set(options) <= known:
            unknown = ", ".join(sorted(set(options) - known))
            raise ValueError(f"{what} {cls.name!r} has no hyperparameter {unknown}")
        return cls(**options)
    return lookup(registry, spec, what)()


def spec(thing) -> dict:
    """The JSON form of an activation or update rule: its name and its hyperparameters."""
    return {"name": thing.name, **thing.hyperparameters()}


def get_activation(name: "str | dict | Activation") -> Activation:
    """The activation registered under `name`, or built from its JSON form (see `build`); an
    Activation instance passes through (activations keep no state: a model may share one)."""
    if isinstance(name, Activation):
        return name
    return build(ACTIVATIONS, name, "activation")

"""The paper's `DenseLayer` (section 4.2) and its weight initialisers."""

import numpy as np

from . import kernels
from .operations import Activation, get_activation, lookup


def glorot_uniform(n_x: int, n_h: int, rng: np.random.Generator) -> np.ndarray:
    """W ~ U(-r, r) with r = sqrt(6 / (n_x + n_h)) (Glorot and Bengio, 2010, the paper's [10])."""
    r = np.sqrt(6.0 / (n_x + n_h))
    return rng.uniform(-r, r, size=(n_h, n_x))


def he_uniform(n_x: int, n_h: int, rng: np.random.Generator) -> np.ndarray:
    """W ~ U(-r, r) with r = sqrt(6 / n_x) (He et al., 2015), suited to ReLU layers."""
    r = np.sqrt(6.0 / n_x)
    return rng.uniform(-r, r, size=(n_h, n_x))


def _same_shape(name: str, value, shape: tuple) -> np.ndarray:
    value = np.asarray(value)
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    return value


INITIALIZERS = {"glorot_uniform": glorot_uniform, "he_uniform": he_uniform}


class DenseLayer:
    """A fully connected layer: W of shape (n_h, n_x), b of shape (n_h,), activation phi.

    `W` and `b` are writable ndarrays: edit them in place, or assign an array of the same shape
    (its values are copied in, so a model holding this layer sees the change).
    """

    def __init__(
        self,
        n_x: int,
        n_h: int,
        activation: "str | Activation",
        rng: np.random.Generator | None = None,
        init: str = "glorot_uniform",
        dtype=np.float64,
    ):
        for label, n in (("n_x", n_x), ("n_h", n_h)):
            if not isinstance(n, int | np.integer) or n < 1:
                raise ValueError(f"{label} must be a positive integer, got {n!r}")
        self.n_x, self.n_h = int(n_x), int(n_h)
        self.activation = get_activation(activation)
        initializer = lookup(INITIALIZERS, init, "initializer")
        rng = rng if rng is not None else np.random.default_rng()
        self._W = initializer(self.n_x, self.n_h, rng).astype(dtype)
        self._b = np.zeros(self.n_h, dtype=dtype)

    @property
    def W(self) -> np.ndarray:
        return self._W

    @W.setter
    def W(self, value) -> None:
        self._W[...] = _same_shape("W", value, self._W.shape)

    @property
    def b(self) -> np.ndarray:
        return self._b

    @b.setter
    def b(self, value) -> None:
        self._b[...] = _same_shape("b", value, self._b.shape)

    def bind(self, W: np.ndarray, b: np.ndarray) -> None:
        """Move W and b into the given arrays (a model keeps all its parameters in one buffer)."""
        W[...], b[...] = self._W, self._b
        self._W, self._b = W, b

    def weighted_input(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Eq. 32 (eq. 34 for a batch): Z = X W^T + b, shape (m, n_h), written into `out` if
        given (an (m, n_h) array of the layer's dtype that the caller reuses)."""
        z = kernels.product(X, self._W, out, transpose_b=True)
        z += self._b  # b broadcast over the m rows
        return z

    def __call__(
        self, X: np.ndarray, out: np.ndarray | None = None, a_out: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Eqs. 32-33 for a batch X of shape (m, n_x): returns (z, a = phi(z)), z written into
        `out` and, for a large batch through ReLU or leaky ReLU, a into `a_out` if given."""
        form = self.activation.exact_pass(X.shape[0] * self.n_h)
        if form is None:
            z = self.weighted_input(X, out)
            return z, self.activation(z)
        z = kernels.product(X, self._W, out, transpose_b=True)  # eq. 32; + b with eq. 33
        a = np.empty_like(z) if a_out is None else a_out
        kernels.bias_phi(*form, z, self._b, a)
        return z, a

    def __repr__(self) -> str:
        return f"DenseLayer(n_x={self.n_x}, n_h={self.n_h}, activation={self.activation.name!r})"

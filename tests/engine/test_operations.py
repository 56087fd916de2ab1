"""Activations and costs against their closed forms, PyTorch and central finite differences."""

import contextlib
import warnings

import numpy as np
import pytest

from mlp_engine import ACTIVATIONS, COSTS, MLP, get_activation, get_cost
from mlp_engine.optimizers import OPTIMIZERS, get_optimizer

ACTIVATION_NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
ELEMENTWISE = [name for name in ACTIVATION_NAMES if name != "softmax"]
COST_NAMES = ["mse", "binary_crossentropy", "categorical_crossentropy"]
CROSS_ENTROPIES = ["binary_crossentropy", "categorical_crossentropy"]
EXTREMES = [-800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0]
EPS = 1e-6


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def random_z(seed=0, m=6, n=7):
    """Random weighted inputs with one row of extremes (|z| up to 800)."""
    z = np.random.default_rng(seed).normal(0.0, 3.0, (m, n))
    return np.vstack([z, EXTREMES])


def smooth_z(seed=0, m=5, n=4):
    """Moderate z, kept 1e-3 away from the kink of relu and leaky_relu at 0."""
    z = np.random.default_rng(seed).normal(0.0, 2.0, (m, n))
    return np.where(np.abs(z) < 1e-3, 0.5, z)


def closed_form(name, z):
    with np.errstate(over="ignore"):
        return {
            "sigmoid": lambda: 1.0 / (1.0 + np.exp(-z)),
            "tanh": lambda: (1.0 - np.exp(-2.0 * z)) / (1.0 + np.exp(-2.0 * z)),
            "relu": lambda: z * (z > 0),
            "leaky_relu": lambda: np.where(z > 0, z, 0.01 * z),
            "linear": lambda: z,
            "softmax": lambda: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
        }[name]()


def torch_activation(torch, name, z):
    functional = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda t: functional.leaky_relu(t, 0.01),
        "linear": lambda t: t,
        "softmax": lambda t: torch.softmax(t, dim=1),
    }[name](z)


@contextlib.contextmanager
def strict_numpy():
    """Fail on any warning, and on overflow, 0/0 or an invalid value in NumPy.

    Underflow to 0 (e.g. e^-800) is the correct rounding and stays allowed.
    """
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        yield


def central_difference(f, x, eps=EPS):
    """d f(x) / d x for every element of x: an array of shape f(x).shape + x.shape."""
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        jac[(...,) + idx] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
    return jac


# --- activations: values --------------------------------------------------------------------------


def test_registry_holds_the_six_activations():
    assert sorted(ACTIVATIONS) == sorted(ACTIVATION_NAMES)
    for name in ACTIVATION_NAMES:
        assert get_activation(name).name == name
    tanh = get_activation("tanh")
    assert get_activation(tanh) is tanh


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_matches_closed_form_on_moderate_z(name):
    z = np.random.default_rng(1).normal(0.0, 3.0, (8, 5))
    np.testing.assert_allclose(get_activation(name)(z), closed_form(name, z), rtol=1e-12)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_matches_torch_including_extremes(torch, name):
    z = random_z(seed=2)
    with strict_numpy():
        a = get_activation(name)(z)
    expected = torch_activation(torch, name, torch.tensor(z, dtype=torch.float64)).numpy()
    assert a.shape == z.shape
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_to_finite_probabilities_without_warnings(dtype):
    z = np.array([EXTREMES], dtype=dtype)
    with strict_numpy():
        a = get_activation("sigmoid")(z)
    assert a.dtype == dtype
    assert np.isfinite(a).all()
    assert ((a >= 0.0) & (a <= 1.0)).all()
    np.testing.assert_allclose(a[0], [0.0, 0.0, 0.2689414, 0.5, 0.7310586, 1.0, 1.0], atol=1e-7)


def test_softmax_rows_are_probability_distributions_even_at_extremes():
    z = np.array([[-800.0, 0.0, 800.0], [800.0, 800.0, -800.0], [1e3, 1e3, 1e3]])
    with strict_numpy():
        a = get_activation("softmax")(z)
    np.testing.assert_allclose(a, [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(a.sum(axis=1), 1.0)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_keeps_float32(name):
    z = random_z(seed=3).astype(np.float32)
    act = get_activation(name)
    assert act(z).dtype == np.float32
    assert act.vjp(z, act(z), np.ones_like(z)).dtype == np.float32


# --- activations: derivatives ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_derivative_matches_central_differences(name):
    act = get_activation(name)
    z = smooth_z(seed=4)
    numeric = (act(z + EPS) - act(z - EPS)) / (2 * EPS)
    np.testing.assert_allclose(act.derivative(z), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_derivative_matches_torch_autograd_including_zero_and_extremes(torch, name):
    z = random_z(seed=5)
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(torch_activation(torch, name, zt).sum(), zt)
    with strict_numpy():
        derivative = get_activation(name).derivative(z)
    assert derivative.shape == z.shape
    np.testing.assert_allclose(derivative, expected.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_family_derivative_is_float_of_the_input_dtype(name, dtype):
    z = np.array([[-2.0, -1e-8, 0.0, 1e-8, 3.0]], dtype=dtype)
    derivative = get_activation(name).derivative(z)
    assert derivative.dtype == dtype
    slope = 0.01 if name == "leaky_relu" else 0.0
    np.testing.assert_allclose(derivative, [[slope, slope, slope, 1.0, 1.0]], rtol=1e-6)


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_relu_family_derivative_of_integer_z_is_float(name):
    """The docstring promises floats; an integer z must not truncate the slope 0.01 to 0."""
    derivative = get_activation(name).derivative(np.array([[-2, 0, 3]]))
    assert np.issubdtype(derivative.dtype, np.floating)
    slope = 0.01 if name == "leaky_relu" else 0.0
    np.testing.assert_allclose(derivative, [[slope, slope, 1.0]])


def test_softmax_derivative_is_the_full_jacobian():
    softmax = get_activation("softmax")
    z = smooth_z(seed=6, m=3, n=4)
    jacobian = softmax.derivative(z)
    assert jacobian.shape == (3, 4, 4)
    # d a[i, j] / d z[i, k] by central differences, one sample at a time.
    for i in range(z.shape[0]):
        numeric = central_difference(lambda row: softmax(row[None, :])[0], z[i])
        np.testing.assert_allclose(jacobian[i], numeric, rtol=1e-7, atol=1e-10)
    a = softmax(z)
    closed = a[:, :, None] * np.eye(4) - a[:, :, None] * a[:, None, :]
    np.testing.assert_allclose(jacobian, closed, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_vjp_is_jacobian_transpose_times_grad(name):
    act = get_activation(name)
    z = smooth_z(seed=7)
    g = np.random.default_rng(8).normal(size=z.shape)
    jacobian = act.derivative(z)
    diagonal = name != "softmax"
    expected = jacobian * g if diagonal else np.einsum("mjk,mj->mk", jacobian, g)
    np.testing.assert_allclose(act.vjp(z, act(z), g), expected, rtol=1e-12, atol=1e-15)


def test_softmax_vjp_matches_torch(torch):
    softmax = get_activation("softmax")
    z = random_z(seed=9)
    g = np.random.default_rng(10).normal(size=z.shape)
    zt = torch.tensor(z, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.softmax(zt, dim=1), zt, torch.tensor(g))
    np.testing.assert_allclose(softmax.vjp(z, softmax(z), g), expected.numpy(), atol=1e-14)


# --- costs ----------------------------------------------------------------------------------------


def probabilities(seed, shape, low=0.05, high=0.95):
    return np.random.default_rng(seed).uniform(low, high, shape)


def one_hot(seed, m, n):
    return np.eye(n)[np.random.default_rng(seed).integers(0, n, m)]


def targets(cost_name, seed, shape):
    if cost_name == "mse":
        return np.random.default_rng(seed).normal(size=shape)
    return np.random.default_rng(seed).uniform(0.0, 1.0, shape)


def torch_cost(torch, cost_name, a, y):
    """PyTorch's value of our cost C, from output activations a."""
    functional = torch.nn.functional
    a, y = torch.tensor(a), torch.tensor(y)
    if cost_name == "mse":
        return functional.mse_loss(a, y).item()
    if cost_name == "binary_crossentropy":
        return functional.binary_cross_entropy(a, y).item()
    return functional.nll_loss(torch.log(a), y.argmax(dim=1)).item()


def test_registry_holds_the_three_costs():
    assert sorted(COSTS) == sorted(COST_NAMES)
    for name in COST_NAMES:
        assert get_cost(name).name == name
    mse = get_cost("mse")
    assert get_cost(mse) is mse


@pytest.mark.parametrize("n_y", [1, 4])
def test_mse_is_the_mean_over_samples_and_outputs(torch, n_y):
    a, y = np.random.default_rng(11).normal(size=(2, 6, n_y))
    mse = get_cost("mse")
    assert mse(a, y) == pytest.approx(((a - y) ** 2).mean(), rel=1e-12)
    assert mse(a, y) == pytest.approx(torch_cost(torch, "mse", a, y), rel=1e-12)
    np.testing.assert_allclose(mse.sample_costs(a, y), ((a - y) ** 2).mean(axis=1), rtol=1e-12)


@pytest.mark.parametrize("n_y", [1, 4])
def test_binary_crossentropy_matches_torch_from_probabilities(torch, n_y):
    a, y = probabilities(12, (6, n_y)), targets("binary_crossentropy", 13, (6, n_y))
    assert get_cost("binary_crossentropy")(a, y) == pytest.approx(
        torch_cost(torch, "binary_crossentropy", a, y), rel=1e-12
    )


@pytest.mark.parametrize("n_y", [1, 4])
def test_binary_crossentropy_from_logits_matches_torch_even_at_extremes(torch, n_y):
    rng = np.random.default_rng(14)
    z = np.vstack([rng.normal(0.0, 3.0, (6, n_y)), np.full((2, n_y), 800.0), [[-800.0] * n_y]])
    y = np.vstack([rng.uniform(0.0, 1.0, (6, n_y)), np.zeros((1, n_y)), np.ones((2, n_y))])
    bce = get_cost("binary_crossentropy")
    with strict_numpy():
        sample_costs = bce.fused_sample_costs(z, y)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(z), torch.tensor(y), reduction="none"
    ).mean(dim=1)
    np.testing.assert_allclose(sample_costs, expected.numpy(), rtol=1e-12, atol=1e-300)
    assert sample_costs[6] == pytest.approx(800.0)  # sure and wrong: z = 800 for y = 0
    moderate = slice(0, 6)
    assert bce(get_activation("sigmoid")(z[moderate]), y[moderate]) == pytest.approx(
        sample_costs[moderate].mean(), rel=1e-12
    )


@pytest.mark.parametrize("target_kind", ["one_hot", "soft"])
def test_categorical_crossentropy_matches_torch(torch, target_kind):
    rng = np.random.default_rng(15)
    z = np.vstack([rng.normal(0.0, 3.0, (6, 4)), [[800.0, -800.0, 0.0, 1.0]]])
    y = one_hot(16, 7, 4) if target_kind == "one_hot" else rng.dirichlet(np.ones(4), 7)
    cce = get_cost("categorical_crossentropy")
    with strict_numpy():
        fused = cce.fused_sample_costs(z, y).mean()
    log_softmax = torch.log_softmax(torch.tensor(z), dim=1)
    expected = -(torch.tensor(y) * log_softmax).sum(dim=1).mean().item()
    assert fused == pytest.approx(expected, rel=1e-12)
    assert fused == pytest.approx(
        torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(y)).item(), rel=1e-12
    )
    moderate = slice(0, 6)
    a = get_activation("softmax")(z[moderate])
    from_probabilities = cce(a, y[moderate])
    assert from_probabilities == pytest.approx(
        cce.fused_sample_costs(z[moderate], y[moderate]).mean(), rel=1e-12
    )
    if target_kind == "one_hot":
        assert from_probabilities == pytest.approx(
            torch_cost(torch, "categorical_crossentropy", a, y[moderate]), rel=1e-12
        )


@pytest.mark.parametrize("name", COST_NAMES)
@pytest.mark.parametrize("n_y", [1, 3])
def test_cost_derivative_matches_central_differences(name, n_y):
    cost = get_cost(name)
    a = probabilities(17, (5, n_y), 0.1, 0.9)
    y = targets(name, 18, (5, n_y))
    numeric = central_difference(lambda a_: cost(a_, y), a)
    derivative = cost.derivative(a, y)
    assert derivative.shape == a.shape
    np.testing.assert_allclose(derivative, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", COST_NAMES)
def test_cost_derivative_matches_torch_autograd(torch, name):
    a = probabilities(19, (5, 3), 0.1, 0.9)
    y = one_hot(20, 5, 3) if name == "categorical_crossentropy" else targets(name, 20, (5, 3))
    at = torch.tensor(a, requires_grad=True)
    functional = torch.nn.functional
    loss = {
        "mse": lambda: functional.mse_loss(at, torch.tensor(y)),
        "binary_crossentropy": lambda: functional.binary_cross_entropy(at, torch.tensor(y)),
        "categorical_crossentropy": lambda: -(torch.tensor(y) * at.log()).sum(dim=1).mean(),
    }[name]()
    (expected,) = torch.autograd.grad(loss, at)
    np.testing.assert_allclose(get_cost(name).derivative(a, y), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", CROSS_ENTROPIES)
def test_cross_entropy_of_rounded_probabilities_is_finite(name):
    a = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]])
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    cost = get_cost(name)
    with strict_numpy():
        assert np.isfinite(cost(a, y))
        assert np.isfinite(cost.derivative(a, y)).all()


# --- unknown names --------------------------------------------------------------------------------


def assert_lists_names(error, names):
    message = str(error.value)
    for name in names:
        assert name in message, f"{name!r} missing from {message!r}"


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="swish") as error:
        get_activation("swish")
    assert_lists_names(error, ACTIVATION_NAMES)


def test_unknown_cost_lists_valid_names():
    with pytest.raises(ValueError, match="hinge") as error:
        get_cost("hinge")
    assert_lists_names(error, COST_NAMES)


def test_unknown_optimizer_lists_valid_names():
    assert sorted(OPTIMIZERS) == ["adam", "momentum", "sgd"]
    with pytest.raises(ValueError, match="rmsprop") as error:
        get_optimizer("rmsprop", 0.1)
    assert_lists_names(error, OPTIMIZERS)
    with pytest.raises(ValueError, match="rmsprop") as error:
        MLP(2, 3, 1, optimizer="rmsprop")
    assert_lists_names(error, OPTIMIZERS)

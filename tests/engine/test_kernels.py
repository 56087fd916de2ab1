"""The compiled epoch loop is an accelerator: an epoch through it equals a NumPy epoch, for every
hyperparameter of every activation, cost and update rule; whatever has no compiled form trains
on the NumPy path; and `kernels` is a leaf that imports nothing from the engine."""

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mlp_engine import MLP, Activation, TrainingDiverged, kernels
from mlp_engine.costs import COSTS
from mlp_engine.datasets import make_dataset
from mlp_engine.operations import ACTIVATIONS, LeakyReLU, ReLU, Sigmoid
from mlp_engine.optimizers import SGD, Adam, Momentum

PACKAGE = Path(__file__).resolve().parents[2] / "mlp_engine"


def twin_epochs(X, Y, batch_size, epochs, widths, **config):
    """Two identical models trained for `epochs`, one by the compiled loop, one by NumPy."""
    twins = []
    for accelerate in (True, False):
        model = MLP(X.shape[1], widths, Y.shape[1], **config)
        model.accelerate = accelerate
        model.KERNEL_MAX_BATCH_WORK = 10**9
        assert model.compiled_epoch() is not None
        losses = [model.train_epoch(X, Y, batch_size=batch_size) for _ in range(epochs)]
        twins.append((model, losses))
    return twins


def trained_arrays(model, losses):
    """{name: array} of what an epoch changes: theta, the losses, the rule's buffers."""
    t, buffers = model.optimizer.state_arrays()
    arrays = {"theta": model.theta, "loss": np.array(losses), "t": np.array([t])}
    return arrays | dict(zip(model.optimizer.buffers, buffers, strict=True))


def assert_same(twins, rtol, atol, slack=None):
    """The compiled twin's arrays equal the NumPy twin's: within rtol of each element, or atol
    of the array's largest element (roundings are relative to the terms that were summed), and
    `slack` adds, per array, an absolute allowance."""
    (fast, fast_losses), (slow, slow_losses) = twins
    ours, theirs = trained_arrays(fast, fast_losses), trained_arrays(slow, slow_losses)
    assert ours.keys() == theirs.keys()
    for name in ours:
        scale = np.nanmax(np.abs(theirs[name]), initial=1.0)
        allowance = atol * scale + (slack or {}).get(name, 0.0)
        np.testing.assert_allclose(ours[name], theirs[name], rtol, allowance, err_msg=name)


# --- parity, as a property --------------------------------------------------------------------


def valid_pairs():
    for cost, cls in COSTS.items():
        for output in ACTIVATIONS:
            if cls.valid_outputs is None or output in cls.valid_outputs:
                yield cost, output


def activations(draw):
    name = draw(st.sampled_from(sorted(ACTIVATIONS)))
    return LeakyReLU(draw(st.floats(0.0, 1.0))) if name == "leaky_relu" else name


@st.composite
def epochs_of_training(draw):
    """A random network, its settings and a data set it can train on.

    Adam's beta2 is drawn in [0.9, 0.9999]: below that its step is nearly eta sign(g) (m and
    sqrt(v) track the same few gradients), and a rounding of a small g flips it by 2 eta, so no
    two codes that sum in different orders agree there, whatever the precision.
    """
    n_x, n_y = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 5), max_size=3))
    cost, output = draw(st.sampled_from(list(valid_pairs())))
    rule = draw(st.sampled_from(["sgd", "momentum", "adam"]))
    if rule == "momentum":
        rule = Momentum(mu=draw(st.floats(0.0, 0.99)))
    elif rule == "adam":
        rule = Adam(
            beta1=draw(st.floats(0.0, 0.99)),
            beta2=draw(st.floats(0.9, 0.9999)),
            eps=draw(st.floats(1e-8, 1e-2)),
        )
    regularisation = draw(st.sampled_from([(0.0, 0.0), ("l1", 0.0), (0.0, "l2"), ("l1", "l2")]))
    l1, l2 = (draw(st.floats(1e-4, 0.05)) if term else 0.0 for term in regularisation)
    n_samples = draw(st.integers(1, 30))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_x))
    if cost == "mse":
        Y = rng.normal(size=(n_samples, n_y))
    elif cost == "categorical_crossentropy":
        Y = np.eye(n_y)[rng.integers(0, n_y, n_samples)]
    else:
        Y = rng.random((n_samples, n_y))
    config = {
        "widths": widths,
        "learning_rate": draw(st.floats(1e-3, 0.2)),
        "cost": cost,
        "hidden_activation": activations(draw),
        "output_activation": LeakyReLU(draw(st.floats(0.0, 1.0)))
        if output == "leaky_relu"
        else output,
        "optimizer": rule,
        "l1": l1,
        "l2": l2,
        "seed": seed,
    }
    return X, Y, draw(st.integers(1, n_samples)), config


#: Weights past this size mean a run on its way to diverging: there, as with Adam's small
#: beta2, the dynamics amplify a last-bit difference of summation order by many decades (a
#: Momentum(mu=0.99) run at learning rate 0.125 whose weights reached 24 differed by 4e-8
#: relative), so no two codes agree to 1e-10 whatever their math.
DIVERGING_WEIGHTS = 10.0


def converging_twins(*args, **config):
    """`twin_epochs`, or the draw rejected if its learning rate is too large for the problem
    (divergence is tested in test_training.py; here there would be no weights to compare)."""
    try:
        twins = twin_epochs(*args, **config)
    except TrainingDiverged:
        assume(False)
    assume(all(np.abs(model.theta).max() < DIVERGING_WEIGHTS for model, _ in twins))
    return twins


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=epochs_of_training())
def test_compiled_epochs_equal_numpy_epochs_in_float64(case):
    X, Y, batch_size, config = case
    assert_same(converging_twins(X, Y, batch_size, 2, **config), rtol=1e-10, atol=1e-12)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=epochs_of_training())
def test_compiled_epochs_equal_numpy_epochs_in_float32(case):
    """As exact as NumPy's own float32 epoch: within 1e-4 (float32 rounds at 6e-8; the
    loop sums its products in another order than BLAS and may fuse a multiply-add, so after a
    few dozen steps the two differ by some hundreds of roundings), plus, for each array, twice
    what the NumPy float32 epoch is off the float64 one, an allowance for ill-conditioned draws
    (a sigmoid saturating, Adam's first steps, which are nearly eta sign(g))."""
    X, Y, batch_size, config = case
    exact = trained_arrays(*converging_twins(X, Y, batch_size, 2, **config)[1])
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    twins = converging_twins(X, Y, batch_size, 2, dtype=np.float32, **config)
    assert twins[0][0].theta.dtype == twins[1][0].theta.dtype == np.float32
    numpy32 = trained_arrays(*twins[1])
    slack = {name: 2 * np.abs(numpy32[name] - exact[name]).max() for name in exact}
    assert_same(twins, rtol=1e-4, atol=1e-4, slack=slack)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=epochs_of_training())
@pytest.mark.parametrize("fold_min", [10**12, 1], ids=["blas-products", "folded-steps"])
def test_compiled_epochs_with_blas_products_equal_numpy_epochs(fold_min, case):
    """Every layer's products through BLAS from inside the loop, as a 64-64-10 network's are;
    and then every layer's weights taking their SGD or momentum step inside eq. 15's GEMM too,
    as a large network's do (with Adam or L1 the loop's step pass stays)."""
    X, Y, batch_size, config = case
    saved = kernels.BLAS_MIN_WEIGHTS, kernels.FOLD_MIN_WORK
    kernels.BLAS_MIN_WEIGHTS, kernels.FOLD_MIN_WORK = 1, fold_min
    try:
        assert_same(converging_twins(X, Y, batch_size, 2, **config), rtol=1e-10, atol=1e-12)
    finally:
        kernels.BLAS_MIN_WEIGHTS, kernels.FOLD_MIN_WORK = saved


@pytest.mark.parametrize("optimizer", ["sgd", Momentum(mu=0.5), Adam(beta1=0.8)], ids=str)
def test_a_digits_sized_network_through_blas_equals_numpy(optimizer):
    """64-64-10, ReLU + softmax, batch 32 (the benchmark's case c): both layers go to BLAS."""
    assert kernels.BLAS_MIN_WEIGHTS <= 64 * 10
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(200, 64)), np.eye(10)[rng.integers(0, 10, 200)]
    config = {"learning_rate": 0.05, "cost": "categorical_crossentropy", "seed": 1}
    twins = twin_epochs(
        X, Y, 32, 3, [64], output_activation="softmax", optimizer=optimizer, **config
    )
    assert_same(twins, rtol=1e-10, atol=1e-12)


# The cases the issue measured: the loop had hard-coded mu = 0.9, Adam's constants and a leaky
# slope of 0.01, and drifted from NumPy by 2.45 (mu = 0.5) and 0.087 (alpha = 0.3).
ISSUE_CASES = {
    "momentum mu=0.5": ("optimizer", "momentum", "mu", 0.5),
    "adam beta1=0.8 beta2=0.99 eps=1e-6": ("optimizer", "adam", "beta1", 0.8),
    "leaky_relu alpha=0.3": ("hidden_activation", "leaky_relu", "alpha", 0.3),
}


@pytest.mark.parametrize("case", ISSUE_CASES, ids=str)
def test_non_default_constants_set_on_the_objects_reach_the_compiled_loop(case):
    """Set after construction, as a user may: every path reads the object's own attribute."""
    part, name, attribute, value = ISSUE_CASES[case]
    X, labels = make_dataset("circle", 200, seed=0)
    twins = []
    for accelerate in (True, False):
        model = MLP(
            2,
            [8, 8],
            1,
            learning_rate=0.05,
            cost="binary_crossentropy",
            output_activation="sigmoid",
            seed=0,
            **{part: name},
        )
        setattr(getattr(model, part), attribute, value)
        if name == "adam":
            model.optimizer.beta2, model.optimizer.eps = 0.99, 1e-6
        model.accelerate = accelerate
        losses = [model.train_epoch(X, labels, batch_size=10) for _ in range(5)]
        twins.append((model, losses))
    assert_same(twins, rtol=1e-10, atol=1e-12)


# --- what has no compiled form trains on the NumPy path ---------------------------------------


class Swish(Activation):
    """A user's own activation: phi(z) = z sigma(z), phi'(z) = sigma(z) (1 + z (1 - sigma(z)))."""

    name = "swish"

    def __call__(self, z):
        return z * Sigmoid()(z)

    def derivative(self, z):
        s = Sigmoid()(z)
        return s * (1.0 + z * (1.0 - s))


class ReLU6(ReLU):
    """A user's subclass of a built-in that changes its math: min(max(z, 0), 6)."""

    def __call__(self, z):
        return np.clip(z, 0.0, 6.0)

    def derivative(self, z):
        return ((z > 0) & (z < 6)).astype(z.dtype)

    def vjp(self, z, a, grad):
        return grad * self.derivative(z)


class HalfSGD(SGD):
    """A user's update rule: half the step of SGD."""

    def apply(self, theta, grad):
        theta -= 0.5 * self.learning_rate * grad


def numerical_gradient(model, X, Y, eps=1e-6):
    grad = np.empty_like(model.theta)
    for p in range(model.theta.size):
        saved = model.theta[p]
        model.theta[p] = saved + eps
        above = model.loss(X, Y)
        model.theta[p] = saved - eps
        below = model.loss(X, Y)
        model.theta[p] = saved
        grad[p] = (above - below) / (2 * eps)
    return grad


@pytest.mark.parametrize("activation", [Swish(), ReLU6()], ids=["swish", "relu6"])
def test_a_users_activation_trains_by_its_own_math(activation):
    rng = np.random.default_rng(4)
    X = rng.normal(0.0, 4.0, (40, 3))  # |z| beyond 6, where ReLU6 differs from ReLU
    y = np.sin(X).sum(axis=1)
    model = MLP(3, [6, 5], 1, learning_rate=0.01, hidden_activation=activation, seed=1)
    reference = model.copy()
    assert model.hidden_activation is activation
    assert model.compiled_epoch() is None
    partitions = []
    draw = model.batches
    model.batches = lambda n, m: partitions.append(draw(n, m)) or partitions[-1]
    history = model.fit(X, y, batch_size=8, epochs=3)
    for partition in partitions:
        for batch in partition:
            gradient = numerical_gradient(reference, X[batch], y[batch])
            reference.theta -= 0.01 * gradient  # eqs. 30-31 on finite differences
    np.testing.assert_allclose(model.theta, reference.theta, rtol=1e-6, atol=1e-8)
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_a_users_update_rule_trains_by_its_own_math():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    halved, plain = (MLP(2, [4], 1, learning_rate=lr, seed=2) for lr in (0.1, 0.05))
    halved.optimizer = HalfSGD()
    halved.learning_rate = 0.1
    assert halved.compiled_epoch() is None and plain.compiled_epoch() is not None
    for _ in range(3):
        halved.train_epoch(X, y, batch_size=5)
        plain.train_epoch(X, y, batch_size=5)
    np.testing.assert_allclose(halved.theta, plain.theta, rtol=1e-10, atol=1e-14)


def test_every_built_in_has_a_compiled_form():
    model = MLP(2, [3], 1)
    for cls in ACTIVATIONS.values():
        assert cls().compiled() is not None, cls.name
    for cls in COSTS.values():
        assert cls().compiled() is not None, cls.name
    assert Momentum(0.3).compiled() == (kernels.MOMENTUM, (0.3,))
    assert Adam(0.8, 0.99, 1e-6).compiled() == (kernels.ADAM, (0.8, 0.99, 1e-6))
    assert LeakyReLU(0.3).compiled() == (kernels.LEAKY_RELU, 0.3)
    assert model.compiled_epoch() is not None


def test_large_batches_of_large_networks_use_numpy_unless_their_steps_fold(monkeypatch):
    """A large network trains compiled when its rule's steps fold into eq. 15's GEMMs (SGD,
    momentum, no L1), on NumPy otherwise, where the loop's step pass would cost the most."""
    calls = []
    monkeypatch.setattr(kernels, "train_epoch", lambda *args: calls.append(args) or args[9])
    X, Y = np.zeros((64, 2)), np.zeros((64, 1))
    MLP(2, [4], 1).train_epoch(X, Y, batch_size=8)
    assert len(calls) == 1
    for optimizer, l1 in (("adam", 0.0), ("sgd", 0.01), ("momentum", 0.01)):
        big = MLP(2, [32] * 8, 1, optimizer=optimizer, l1=l1)
        assert 64 * big.n_weights > big.KERNEL_MAX_BATCH_WORK
        big.train_epoch(X, Y, batch_size=64)
        assert len(calls) == 1, f"64 x 7264 multiply-adds per batch with {optimizer} is NumPy's job"
    for optimizer in ("sgd", "momentum"):
        MLP(2, [32] * 8, 1, optimizer=optimizer).train_epoch(X, Y, batch_size=64)
    assert len(calls) == 3


@pytest.mark.parametrize("optimizer", ["sgd", Momentum(mu=0.5), Adam(beta1=0.8)], ids=str)
def test_an_epoch_that_keeps_the_interpreter_lock_is_the_same_epoch(optimizer):
    """`release_lock=False` (a crowded server worker's choice) runs the same compiled code
    without Numba's nogil: the same weights and rule state, bit for bit."""
    assert kernels.compiled_epoch(True).targetoptions["nogil"] is True
    assert kernels.compiled_epoch(False).targetoptions["nogil"] is False
    X, y = make_dataset("spiral", 120, noise=0.1, seed=3)
    models = []
    for release_lock in (True, False):
        model = MLP(2, [6, 5], 1, cost="binary_crossentropy", output_activation="sigmoid",
                    hidden_activation="tanh", optimizer=optimizer, l2=0.01, seed=5)  # fmt: skip
        model.release_lock = release_lock
        losses = [model.train_epoch(X, y, batch_size=8) for _ in range(4)]
        models.append((model.theta.copy(), losses, model.optimizer.state_arrays()))
    (theta, losses, (t, buffers)), (theta2, losses2, (t2, buffers2)) = models
    assert theta.tobytes() == theta2.tobytes() and losses == losses2 and t == t2
    assert all(a.tobytes() == b.tobytes() for a, b in zip(buffers, buffers2, strict=True))


def test_the_compiled_loop_advances_the_rule_through_its_own_state():
    """The rule lends its buffers and takes the step count back; the loop sets no attribute."""
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.zeros(20)
    model = MLP(2, [3], 1, optimizer=Adam(), seed=0)
    model.train_epoch(X, y, batch_size=5)
    m, v = model.optimizer.m, model.optimizer.v
    model.train_epoch(X, y, batch_size=5)
    assert model.optimizer.t == 8
    assert model.optimizer.m is m and model.optimizer.v is v  # advanced in place
    assert np.abs(m).max() > 0


# --- kernels is a leaf, and mlp_engine has no import cycle --------------------------------------


def engine_imports():
    """{module: set of mlp_engine modules it imports}, read from the source."""
    graph = {}
    for path in PACKAGE.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    imported.add(node.module.split(".")[0])
                else:
                    imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlp_engine"):
                parts = node.module.split(".")
                imported.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        graph[path.stem] = imported
    return graph


def test_kernels_imports_nothing_from_the_engine():
    assert engine_imports()["kernels"] == set()


def test_no_module_of_the_engine_imports_one_that_imports_it_back():
    graph = engine_imports()

    def reachable(start):
        seen, todo = set(), [start]
        while todo:
            for child in graph.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    cycles = [module for module in graph if module in reachable(module)]
    assert cycles == []


# --- the element-wise passes of large networks --------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [ReLU(), LeakyReLU(0.3)], ids=["relu", "leaky_relu"])
def test_the_passes_of_large_networks_compute_numpys_values_bit_for_bit(activation, dtype):
    rng = np.random.default_rng(5)
    z = rng.normal(size=(256, 130)).astype(dtype)
    z[0, :3] = np.nan, -0.0, np.inf
    b, g = rng.normal(size=130).astype(dtype), rng.normal(size=z.shape).astype(dtype)
    form = activation.exact_pass(z.size)
    assert form is not None and z.size >= kernels.LARGE_PASS
    summed, a = z.copy(), np.empty_like(z)
    kernels.bias_phi(*form, summed, b, a)
    np.testing.assert_array_equal(summed, z + b)
    np.testing.assert_array_equal(a, activation(z + b))
    backpropagated, sums = g.copy(), np.empty(130, dtype)
    kernels.vjp_in_place(*form, z, backpropagated, sums)
    expected = activation.vjp(z, None, g)
    np.testing.assert_array_equal(backpropagated, expected)
    np.testing.assert_array_equal(np.signbit(backpropagated), np.signbit(expected))
    np.testing.assert_array_equal(sums, np.add.reduce(expected, axis=0))  # eq. 14, same pass
    theta, grad = rng.normal(size=z.size).astype(dtype), g.ravel()
    stepped = theta.copy()
    kernels.sgd_step(stepped, grad, 0.0137)
    np.testing.assert_array_equal(stepped, theta - 0.0137 * grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", ["relu", LeakyReLU(0.2), "tanh"], ids=str)
def test_a_large_network_trains_as_with_numpys_passes_alone(monkeypatch, hidden, dtype):
    """The passes serve arrays of LARGE_PASS elements and more: an epoch of a network that
    uses them ends with the same weights, bit for bit, as with NumPy's passes everywhere."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(512, 96)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, 512)]
    runs = []
    for large_pass in (kernels.LARGE_PASS, 10**12):
        monkeypatch.setattr(kernels, "LARGE_PASS", large_pass)
        calls = {name: 0 for name in ("bias_phi", "vjp_in_place", "sgd_step")}
        for name in calls:
            monkeypatch.setattr(kernels, name, counted(getattr(kernels, name), calls, name))
        model = MLP(
            96,
            [256, 256],
            10,
            0.05,
            cost="categorical_crossentropy",
            hidden_activation=hidden,
            output_activation="softmax",
            seed=2,
            dtype=dtype,
        )
        model.accelerate = False  # the NumPy path's passes, not the compiled epoch
        model.train_epoch(X, Y, batch_size=256, evaluate=False)
        loss = model.train_epoch(X, Y, batch_size=256)
        runs.append((model.theta.copy(), loss, calls))
        monkeypatch.undo()
    (theta, loss, calls), (numpy_theta, numpy_loss, no_calls) = runs
    np.testing.assert_array_equal(theta, numpy_theta)
    assert loss == numpy_loss
    # 2 hidden layers a step for 4 steps, and the evaluation's forward pass; none with NumPy
    # alone; no step pass: the weights' steps are folded into eq. 15's products
    assert calls["sgd_step"] == 0 and set(no_calls.values()) == {0}
    passes = 0 if hidden == "tanh" else 1
    assert (calls["bias_phi"], calls["vjp_in_place"]) == (10 * passes, 8 * passes)


def counted(function, calls: dict, name: str):
    def wrapper(*args):
        calls[name] += 1
        return function(*args)

    return wrapper


# --- matrix products ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [8, 256], ids=["numpy", "scipy"])
def test_products_equal_numpys_whichever_blas_computes_them(m, dtype):
    """Below THREADED_PRODUCT np.matmul computes them, above it SciPy's GEMM: the same values
    (to the rounding of a sum's order), into `out` when given."""
    rng = np.random.default_rng(7)
    a, W = rng.normal(size=(m, 96)).astype(dtype), rng.normal(size=(120, 96)).astype(dtype)
    delta = rng.normal(size=(m, 120)).astype(dtype)
    assert (m * 96 * 120 >= kernels.THREADED_PRODUCT) == (m == 256)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    z = np.empty((m, 120), dtype)
    assert kernels.product(a, W, z, transpose_b=True) is z
    np.testing.assert_allclose(z, a @ W.T, rtol, rtol * 10)
    np.testing.assert_allclose(kernels.product(delta, a, transpose_a=True), delta.T @ a, rtol, 1)
    backprop = kernels.product(delta, W)
    assert backprop.dtype == dtype and backprop.flags.c_contiguous
    np.testing.assert_allclose(backprop, delta @ W, rtol, rtol * 10)
    strided = np.empty((m, 240), dtype)[:, ::2]  # not contiguous: NumPy writes it
    np.testing.assert_allclose(kernels.product(a, W, strided, transpose_b=True), a @ W.T, rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_updates_its_array_in_place(dtype):
    """C <- alpha op(A) op(B) + beta C, written into C itself (a W view of theta, say)."""
    rng = np.random.default_rng(8)
    delta, a = rng.normal(size=(64, 30)).astype(dtype), rng.normal(size=(64, 40)).astype(dtype)
    theta = rng.normal(size=1300).astype(dtype)
    W, before = theta[100:1300].reshape(30, 40), theta.copy()
    assert kernels.gemm(-0.1, delta, a, 0.98, W, transpose_a=True) is W
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    expected = 0.98 * before[100:].reshape(30, 40) - 0.1 * (delta.T @ a)
    np.testing.assert_allclose(theta[100:].reshape(30, 40), expected, rtol, rtol)
    np.testing.assert_array_equal(theta[:100], before[:100])
    with pytest.raises(ValueError, match="C-contiguous"):
        kernels.gemm(1.0, delta, a, 0.0, np.empty((40, 30), dtype).T, transpose_a=True)

"""The engine against PyTorch in float64: forward pass, loss, gradients and optimiser steps.

Each random network is copied into a handful of torch tensors; torch's autograd and torch.optim
are the reference for backpropagation (eqs. 12-15) and for the update rules.
"""

import numpy as np
import pytest

from mlp_engine import MLP
from mlp_engine.operations import LeakyReLU
from mlp_engine.optimizers import Adam, Momentum

torch = pytest.importorskip("torch")
functional = torch.nn.functional


def torch_activation(activation):
    """torch's function for one of the engine's activation objects, with its hyperparameters."""
    return {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda z: functional.leaky_relu(z, getattr(activation, "alpha", None)),
        "linear": lambda z: z,
        "softmax": lambda z: torch.softmax(z, dim=1),
    }[activation.name]


# (seed, hidden widths, hidden activation, output activation, cost, n_y)
NETWORKS = [
    (0, [], "tanh", "linear", "mse", 1),
    (1, [6], "relu", "linear", "mse", 2),
    (2, [5, 4], "tanh", "sigmoid", "binary_crossentropy", 1),
    (3, [7], "sigmoid", "sigmoid", "binary_crossentropy", 3),
    (4, [6, 5, 4], "leaky_relu", "softmax", "categorical_crossentropy", 4),
    (5, [4], "softmax", "softmax", "binary_crossentropy", 3),
    (6, [5, 5], "linear", "sigmoid", "categorical_crossentropy", 3),
    (7, [6], "tanh", "softmax", "mse", 3),
    (8, [8, 3], "relu", "tanh", "mse", 2),
]
OPTIMIZERS = ["sgd", "momentum", "adam"]
M = 10


def make_case(seed, widths, hidden, output, cost, n_y, l1=0.0, l2=0.0, **options):
    """A model with random (nonzero) biases and a batch (X, Y) suited to its cost."""
    model = MLP(
        4,
        widths,
        n_y,
        cost=cost,
        hidden_activation=hidden,
        output_activation=output,
        l1=l1,
        l2=l2,
        seed=seed,
        **options,
    )
    rng = np.random.default_rng(seed + 100)
    for layer in model.sequential:
        layer.b[...] = rng.normal(0.0, 0.5, layer.b.shape)
    X = rng.normal(size=(M, 4))
    if cost == "mse":
        Y = rng.normal(size=(M, n_y))
    elif cost == "categorical_crossentropy":
        Y = np.eye(n_y)[rng.integers(0, n_y, M)]
    else:
        Y = rng.uniform(0.0, 1.0, (M, n_y))
    return model, X, Y


class TorchMirror:
    """The same network as `model`, as float64 leaf tensors [W^1, b^1, W^2, b^2, ...]."""

    def __init__(self, model):
        self.params = [
            torch.tensor(theta, dtype=torch.float64, requires_grad=True)
            for theta in model.parameters()
        ]
        self.activations = [torch_activation(layer.activation) for layer in model.sequential]
        self.cost, self.output = model.cost.name, model.output_activation.name
        self.l1, self.l2 = model.l1, model.l2

    def forward(self, X):
        """(z^L, a^L); every z^l is kept, with its gradient, in `weighted_inputs`."""
        a = torch.tensor(X, dtype=torch.float64)
        self.weighted_inputs = []
        layers = zip(self.params[::2], self.params[1::2], self.activations, strict=True)
        for W, b, phi in layers:
            z = a @ W.T + b
            z.retain_grad()
            self.weighted_inputs.append(z)
            a = phi(z)
        return z, a

    def loss(self, X, Y):
        z, a = self.forward(X)
        y = torch.tensor(Y, dtype=torch.float64)
        if self.cost == "mse":
            data = functional.mse_loss(a, y)
        elif self.cost == "binary_crossentropy" and self.output == "sigmoid":
            data = functional.binary_cross_entropy_with_logits(z, y)
        elif self.cost == "binary_crossentropy":
            data = functional.binary_cross_entropy(a, y)
        elif self.output == "softmax":
            data = -(y * torch.log_softmax(z, dim=1)).sum(dim=1).mean()
        else:
            data = -(y * torch.log(a)).sum(dim=1).mean()
        weights = self.params[::2]
        penalty = self.l1 * sum(W.abs().sum() for W in weights)
        return data + penalty + self.l2 / 2 * sum((W * W).sum() for W in weights)

    def gradients(self, X, Y):
        return [g.numpy() for g in torch.autograd.grad(self.loss(X, Y), self.params)]


def assert_same_parameters(model, mirror, rtol=1e-8, atol=1e-15):
    for i, (ours, theirs) in enumerate(zip(model.parameters(), mirror.params, strict=True)):
        expected = theirs.detach().numpy()
        np.testing.assert_allclose(ours, expected, rtol, atol, err_msg=f"parameter {i}")


def torch_optimizer(rule, params, learning_rate):
    """torch.optim's rule for the engine's rule `rule` (a name or an object), same constants."""
    name = getattr(rule, "name", rule)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate)
    if name == "momentum":
        mu = getattr(rule, "mu", 0.9)
        return torch.optim.SGD(params, lr=learning_rate, momentum=mu, dampening=0.0)
    if isinstance(rule, Adam):
        betas, eps = (rule.beta1, rule.beta2), rule.eps
        return torch.optim.Adam(params, lr=learning_rate, betas=betas, eps=eps)
    return torch.optim.Adam(params, lr=learning_rate)


# --- forward pass, loss and gradients -------------------------------------------------------------


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: "-".join(map(str, n)))
@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.01, 0.1)])
def test_forward_loss_and_gradients_match_torch(network, l1, l2):
    model, X, Y = make_case(*network, l1=l1, l2=l2)
    mirror = TorchMirror(model)
    _, a = mirror.forward(X)
    np.testing.assert_allclose(model.predict(X), a.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert model.loss(X, Y) == pytest.approx(mirror.loss(X, Y).item(), rel=1e-12)
    ours = [theta for pair in model.gradients(X, Y) for theta in pair]
    for i, (g, expected) in enumerate(zip(ours, mirror.gradients(X, Y), strict=True)):
        np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-14, err_msg=f"parameter {i}")


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: "-".join(map(str, n)))
def test_deltas_are_the_per_sample_errors_dCx_dz(network):
    """delta^l[x] = dC_x/dz^l for each sample x: m times the derivative of the batch mean C."""
    model, X, Y = make_case(*network)
    mirror = TorchMirror(model)
    mirror.loss(X, Y).backward()
    model.forward(X)
    for l, entry in enumerate(model.backward(Y)):  # noqa: E741 (the paper's l)
        expected = M * mirror.weighted_inputs[l].grad.numpy()
        np.testing.assert_allclose(entry.delta, expected, 1e-9, 1e-14, err_msg=f"layer {l}")


# --- optimiser steps ------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("network", NETWORKS[:5], ids=lambda n: "-".join(map(str, n)))
def test_five_steps_match_torch_optim(optimizer, network):
    learning_rate = 0.05
    model, X, Y = make_case(*network, optimizer=optimizer, learning_rate=learning_rate)
    mirror = TorchMirror(model)
    reference = torch_optimizer(optimizer, mirror.params, learning_rate)
    for step in range(5):
        reference.zero_grad()
        loss = mirror.loss(X, Y)
        loss.backward()
        reference.step()
        assert model.train_step(X, Y) == pytest.approx(loss.item(), rel=1e-10), f"step {step}"
        assert_same_parameters(model, mirror)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_train_step_returns_the_loss_before_its_update(optimizer):
    model, X, Y = make_case(*NETWORKS[3], optimizer=optimizer, learning_rate=0.1)
    before = model.loss(X, Y)
    returned = model.train_step(X, Y)
    after = model.loss(X, Y)
    assert returned == before
    assert after < before
    assert model.train_step(X, Y) == after


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_learning_rate_changes_between_steps_are_honoured(optimizer):
    schedule = [0.1, 0.02, 0.3, 0.05, 0.2]
    model, X, Y = make_case(*NETWORKS[4], optimizer=optimizer, learning_rate=schedule[0])
    mirror = TorchMirror(model)
    reference = torch_optimizer(optimizer, mirror.params, schedule[0])
    for learning_rate in schedule:
        model.learning_rate = learning_rate
        for group in reference.param_groups:
            group["lr"] = learning_rate
        reference.zero_grad()
        loss = mirror.loss(X, Y)
        loss.backward()
        reference.step()
        assert model.train_step(X, Y) == pytest.approx(loss.item(), rel=1e-10)
        assert_same_parameters(model, mirror)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.2), (0.01, 0.05)])
def test_regularised_steps_match_torch_with_the_penalty_in_its_loss(optimizer, l1, l2):
    model, X, Y = make_case(*NETWORKS[2], l1=l1, l2=l2, optimizer=optimizer, learning_rate=0.05)
    mirror = TorchMirror(model)
    reference = torch_optimizer(optimizer, mirror.params, 0.05)
    for _ in range(5):
        reference.zero_grad()
        loss = mirror.loss(X, Y)
        loss.backward()
        reference.step()
        assert model.train_step(X, Y) == pytest.approx(loss.item(), rel=1e-10)
        assert_same_parameters(model, mirror)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_float32_steps_track_the_float64_reference(optimizer):
    options = {"optimizer": optimizer, "learning_rate": 0.05, "dtype": np.float32}
    model, X, Y = make_case(*NETWORKS[4], **options)
    mirror = TorchMirror(model)
    reference = torch_optimizer(optimizer, mirror.params, 0.05)
    for _ in range(5):
        reference.zero_grad()
        mirror.loss(X, Y).backward()
        reference.step()
        model.train_step(X, Y)
    assert all(theta.dtype == np.float32 for theta in model.parameters())
    assert_same_parameters(model, mirror, rtol=1e-4, atol=1e-6)


# --- non-default constants, through both epochs ---------------------------------------------------

NON_DEFAULT_RULES = [Momentum(mu=0.5), Adam(beta1=0.8, beta2=0.99, eps=1e-6)]


@pytest.mark.parametrize("rule", NON_DEFAULT_RULES, ids=repr)
@pytest.mark.parametrize("accelerate", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize(
    "network",
    [
        (10, [6, 5], LeakyReLU(alpha=0.3), "softmax", "categorical_crossentropy", 3),
        (11, [5], "tanh", LeakyReLU(alpha=0.3), "mse", 2),
    ],
    ids=["leaky-hidden", "leaky-output"],
)
def test_epochs_with_non_default_constants_match_torch(rule, accelerate, network):
    """Full-batch epochs (one step each) through the compiled loop and through NumPy."""
    model, X, Y = make_case(*network, optimizer=rule, learning_rate=0.05, l2=0.01)
    model.accelerate = accelerate
    assert model.compiled_epoch() is not None
    assert model.optimizer.hyperparameters() == rule.hyperparameters()
    mirror = TorchMirror(model)
    reference = torch_optimizer(rule, mirror.params, 0.05)
    for epoch in range(5):
        reference.zero_grad()
        mirror.loss(X, Y).backward()
        reference.step()
        loss = model.train_epoch(X, Y, batch_size=M)
        assert loss == pytest.approx(mirror.loss(X, Y).item(), rel=1e-10), f"epoch {epoch}"
        assert_same_parameters(model, mirror)


# --- a large network's steps, folded into eq. 15's products ---------------------------------------

#: 10 samples x 67,000 weights: above MLP.KERNEL_MAX_BATCH_WORK, so SGD's and momentum's steps go
#: into eq. 15's products (in the compiled epoch, or `Optimizer.fold` on the NumPy path).
LARGE = (12, [256, 256], "relu", "softmax", "categorical_crossentropy", 3)


@pytest.mark.parametrize("accelerate", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("rule", ["sgd", Momentum(mu=0.5)], ids=repr)
def test_folded_steps_of_a_large_network_match_torch(rule, l2, accelerate, monkeypatch):
    """Full-batch epochs (one step each): W <- (1 - eta l2) W - eta delta^T a in one GEMM for
    SGD; v <- mu v + delta^T a, v += l2 W, W -= eta v for momentum, as torch.optim steps; in
    the compiled epoch, and on the NumPy path (`Optimizer.fold`)."""
    model, X, Y = make_case(*LARGE, optimizer=rule, learning_rate=0.05, l2=l2)
    model.accelerate = accelerate
    assert M * model.n_weights > model.KERNEL_MAX_BATCH_WORK
    folds = []
    fold = type(model.optimizer).fold
    monkeypatch.setattr(type(model.optimizer), "fold", lambda *a: folds.append(1) or fold(*a))
    mirror = TorchMirror(model)
    reference = torch_optimizer(rule, mirror.params, 0.05)
    for epoch in range(5):
        reference.zero_grad()
        mirror.loss(X, Y).backward()
        reference.step()
        loss = model.train_epoch(X, Y, batch_size=M)
        assert loss == pytest.approx(mirror.loss(X, Y).item(), rel=1e-10), f"epoch {epoch}"
        assert_same_parameters(model, mirror)
    assert len(folds) == (0 if accelerate else 5 * len(model.sequential))
    assert model.optimizer.t == 5


def test_gradients_of_a_large_network_match_torch():
    """Its products go to SciPy's BLAS (`kernels.product`); backward() still fills dW."""
    model, X, Y = make_case(*LARGE, l2=0.1)
    ours = [theta for pair in model.gradients(X, Y) for theta in pair]
    for i, (g, expected) in enumerate(zip(ours, TorchMirror(model).gradients(X, Y), strict=True)):
        np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-14, err_msg=f"parameter {i}")

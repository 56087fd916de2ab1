"""Seconds per training epoch of mlp_engine, scikit-learn's MLPClassifier and PyTorch (CPU, eager),
and, as the limit for the engine, the same epoch's matrix products alone.

Run from the repository root (needs numpy, scikit-learn, torch and threadpoolctl):

    python benchmarks/bench_engine.py            # full run: 7 repeats of >= 0.5 s per contender
    python benchmarks/bench_engine.py --quick    # smoke run: 3 repeats of >= 0.1 s

OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE when numpy loads it; if they are set they
can select slower kernels. This script never changes them, it only prints them. To measure
without them:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_engine.py

Every contender runs plain mini-batch SGD (no momentum, no weight decay) with the same
architecture, activations, loss, batch size and learning rate; each is warmed up with one epoch,
which also sets how many epochs a repeat runs. The repeats are interleaved (engine, products,
scikit-learn, torch, engine, ...), so that a change of the machine's load touches all of them
alike, and the median over the repeats of (time of the repeat) / (epochs run) is reported. The
engine's epoch is `train_epoch(..., evaluate=False)`: the updates alone, without the extra pass
over the whole set that computes its loss (neither the torch loop nor scikit-learn makes one);
it drops the N mod batch leftover samples, torch's loop keeps a short last batch.

"Products alone" is the engine's epoch with everything but its matrix products taken out: for
each batch, z = a W^T for every layer, dW = delta^T a for every layer and (W^T delta) for every
layer but the first, on the engine's own W (views into its parameter vector), the shapes of its
batches and its BLAS (`kernels.product`: SciPy's OpenBLAS for the products OpenBLAS threads,
np.matmul for the others): what BLAS alone would take. The engine cannot be faster than that.
The row reads contiguous slices of X where the engine gathers shuffled rows, and makes no
update: the limit of an epoch with no gather and no step at all.
"""

import argparse
import datetime
import math
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mlp_engine import MLP, kernels  # noqa: E402
from mlp_engine.datasets import make_dataset  # noqa: E402

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class Case:
    name: str
    X: np.ndarray  # inputs, float64 or float32: the dtype every contender trains in
    y: np.ndarray  # int class labels; two classes use one sigmoid output
    hidden: list[int]
    activation: str
    batch: int
    lr: float

    @property
    def n_y(self) -> int:
        n_classes = int(self.y.max()) + 1
        return 1 if n_classes == 2 else n_classes

    @property
    def widths(self) -> list[int]:
        return [self.X.shape[1], *self.hidden, self.n_y]


def make_cases() -> list[Case]:
    X_xor, y_xor = make_dataset("xor", 250, seed=0)
    digits = load_digits()
    X_digits = (digits.data - digits.data.mean(0)) / np.maximum(digits.data.std(0), 1e-12)
    rng = np.random.default_rng(0)
    X_512 = rng.standard_normal((8192, 512), dtype=np.float32)
    X_784 = rng.standard_normal((8192, 784), dtype=np.float32)
    y_rand = rng.integers(0, 10, 8192)
    return [
        Case("a 2-4-2-1 tanh/sigmoid", X_xor, y_xor, [4, 2], "tanh", 10, 0.1),
        Case("b 2-8x6-1 tanh/sigmoid", X_xor, y_xor, [8] * 6, "tanh", 10, 0.1),
        Case("c 64-64-10 relu/softmax", X_digits, digits.target, [64], "relu", 32, 0.1),
        Case("d 512-384-384-10 f32", X_512, y_rand, [384, 384], "relu", 256, 0.01),
        Case("e 784-512-512-10 f32", X_784, y_rand, [512, 512], "relu", 256, 0.01),
    ]


def seconds_per_epoch(runs: dict, repeats: int, min_time: float) -> dict[str, float]:
    """{name: median over `repeats` of the time of `run(epochs)` / the epochs it reports}.

    A timed warm-up epoch sets each contender's `epochs` so that a repeat lasts about
    `min_time` or more; the repeats of the contenders are interleaved.
    """
    epochs = {}
    for name, run in runs.items():
        start = time.perf_counter()
        run(1)
        epochs[name] = math.ceil(min_time / (time.perf_counter() - start))
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            done = run(epochs[name])
            times[name].append((time.perf_counter() - start) / done)
    return {name: statistics.median(values) for name, values in times.items()}


def engine_model(case: Case) -> MLP:
    binary = case.n_y == 1
    return MLP(
        case.X.shape[1],
        case.hidden,
        case.n_y,
        case.lr,
        cost="binary_crossentropy" if binary else "categorical_crossentropy",
        hidden_activation=case.activation,
        output_activation="sigmoid" if binary else "softmax",
        optimizer="sgd",
        seed=0,
        dtype=case.X.dtype,
    )


def engine_runner(case: Case):
    model = engine_model(case)
    binary = case.n_y == 1
    Y = (case.y[:, None] if binary else np.eye(case.n_y)[case.y]).astype(case.X.dtype)

    def run(epochs):
        for _ in range(epochs):
            model.train_epoch(case.X, Y, case.batch, evaluate=False)
        return epochs

    return run


def products_runner(case: Case):
    """The matrix products of the engine's epoch, alone (see the module's docstring)."""
    W = [layer.W for layer in engine_model(case).sequential]
    dW = [np.empty_like(w) for w in W]
    X, m = case.X, case.batch

    def run(epochs):
        for _ in range(epochs):
            for start in range(0, len(X) - m + 1, m):
                a = [X[start : start + m]]
                for w in W:  # eq. 32 without b and phi
                    a.append(kernels.product(a[-1], w, transpose_b=True))
                delta = a[-1]  # delta^L has the shape of a^L; its values do not matter here
                for l in range(len(W) - 1, -1, -1):
                    kernels.product(delta, a[l], dW[l], transpose_a=True)  # eq. 15
                    if l > 0:
                        delta = kernels.product(delta, W[l])  # eq. 13 without phi'
        return epochs

    return run


def sklearn_runner(case: Case):
    def run(epochs):
        clf = MLPClassifier(
            hidden_layer_sizes=case.hidden,
            activation=case.activation,
            solver="sgd",
            alpha=0.0,
            batch_size=case.batch,
            learning_rate_init=case.lr,
            momentum=0.0,
            nesterovs_momentum=False,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=epochs + 1,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(case.X, case.y)
        return clf.n_iter_

    return run


def torch_runner(case: Case):
    torch.manual_seed(0)
    dtype = getattr(torch, case.X.dtype.name)
    activation = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[case.activation]
    layers = []
    for n_in, n_out in zip(case.widths[:-1], case.widths[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out, dtype=dtype), activation()]
    model = torch.nn.Sequential(*layers[:-1])
    X = torch.from_numpy(case.X)
    if case.n_y == 1:
        y = torch.from_numpy(case.y[:, None].astype(case.X.dtype))
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        y = torch.from_numpy(case.y)
        loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=case.lr)

    def run(epochs):
        for _ in range(epochs):
            for idx in torch.randperm(len(X)).split(case.batch):
                optimizer.zero_grad()
                loss_fn(model(X[idx]), y[idx]).backward()
                optimizer.step()
        return epochs

    return run


def print_machine() -> None:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"- platform: {platform.platform()}, Python {platform.python_version()}")
    print(f"- CPU: {cpu}, {os.cpu_count()} logical cores, {len(os.sched_getaffinity(0))} usable")
    print(f"- load average (1, 5, 15 min): {os.getloadavg()}")
    print(
        f"- numpy {np.__version__}, scikit-learn {sklearn.__version__}, torch {torch.__version__}"
    )
    for pool in threadpool_info():
        keys = ("internal_api", "version", "architecture", "threading_layer", "num_threads")
        fields = ", ".join(f"{key}={pool[key]}" for key in keys if pool.get(key) is not None)
        print(f"- threadpool {pool['user_api']} ({Path(pool['filepath']).name}): {fields}")
    print(f"- torch.get_num_threads(): {torch.get_num_threads()}")
    for var in OPENBLAS_VARS + THREAD_VARS:
        print(f"- {var}={os.environ.get(var, '<unset>')}")
    if any(var in os.environ for var in OPENBLAS_VARS):
        print(
            "\nNOTE: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set and may slow numpy; to measure "
            "without them run\n  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
            "python benchmarks/bench_engine.py"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a smoke run")
    args = parser.parse_args()
    repeats, min_time = (3, 0.1) if args.quick else (7, 0.5)
    start = time.perf_counter()
    print_machine()
    print(
        f"\nmedian of {repeats} interleaved repeats of >= {min_time} s; "
        "speed-up = other s/epoch / engine s/epoch\n"
    )
    print(
        "| case | engine s/epoch | products alone s/epoch | engine / products "
        "| sklearn s/epoch | torch s/epoch | speed-up vs sklearn | speed-up vs torch |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for case in make_cases():
        runners = {"engine": engine_runner, "products": products_runner}
        runners |= {"sklearn": sklearn_runner, "torch": torch_runner}
        runs = {name: runner(case) for name, runner in runners.items()}
        seconds = seconds_per_epoch(runs, repeats, min_time)
        engine, products = seconds["engine"], seconds["products"]
        sk, th = seconds["sklearn"], seconds["torch"]
        print(
            f"| {case.name} | {engine:.4g} | {products:.4g} | {engine / products:.2f}x "
            f"| {sk:.4g} | {th:.4g} | {sk / engine:.2f}x | {th / engine:.2f}x |",
            flush=True,
        )
    print(f"\ntotal runtime: {time.perf_counter() - start:.1f} s, load average {os.getloadavg()}")


if __name__ == "__main__":
    main()

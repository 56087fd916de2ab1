"""A short demonstration: `python -m mlp_engine [--dataset spiral] [--epochs 300]`.

Trains the paper's MLP on one of the playground's datasets and prints its progress.
"""

import argparse
import time

from .datasets import DATASETS, feature_map, make_dataset, train_test_split
from .mlp import MLP

OUTPUTS = {
    "binary": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "categorical_crossentropy"),
    "regression": ("linear", "mse"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlp_engine", description=__doc__)
    parser.add_argument("--dataset", default="spiral", choices=sorted(DATASETS))
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--hidden", type=int, nargs="*", default=[8, 8])
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    spec = DATASETS[args.dataset]
    X, y = make_dataset(spec.name, n_samples=500, noise=0.1, seed=args.seed)
    features = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2"]
    if spec.n_inputs == 1:
        features = ["x1", "x1^2", "sin x1"]
    X = feature_map(X, features)
    X_train, y_train, X_test, y_test = train_test_split(X, y, train_fraction=0.5, seed=args.seed)
    output_activation, cost = OUTPUTS[spec.kind]
    n_y = int(y.max()) + 1 if spec.kind == "multiclass" else 1
    model = MLP(
        n_x=X.shape[1],
        n_h=args.hidden,
        n_y=n_y,
        learning_rate=args.learning_rate,
        cost=cost,
        hidden_activation="tanh",
        output_activation=output_activation,
        optimizer="adam",
        seed=args.seed,
    )
    print(f"{model} on {spec.name!r} ({spec.description}); features {', '.join(features)}")
    report_every = max(1, args.epochs // 10)

    def report(record: dict) -> None:
        if record["epoch"] % report_every == 0 or record["epoch"] == 1:
            score = {k: v for k, v in record.items() if k.startswith("val_") and k != "val_loss"}
            name, value = next(iter(score.items()))
            print(
                f"epoch {record['epoch']:5d}  train loss {record['train_loss']:.4f}  "
                f"test loss {record['val_loss']:.4f}  test {name[4:]} {value:.3f}"
            )

    start = time.perf_counter()
    model.fit(
        X_train,
        y_train,
        batch_size=10,
        epochs=args.epochs,
        validation_data=(X_test, y_test),
        callback=report,
    )
    seconds = time.perf_counter() - start
    print(f"{args.epochs} epochs in {seconds:.2f} s ({args.epochs / seconds:,.0f} epochs/s)")


if __name__ == "__main__":
    main()

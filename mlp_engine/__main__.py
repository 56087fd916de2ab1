"""A short demonstration: `python -m mlp_engine [--dataset spiral] [--epochs 300]`.

Trains the paper's MLP on one of the playground's datasets and prints its progress.
"""

import argparse
import time

from .datasets import DATASETS, FEATURES, USES_X2, feature_map, make_dataset, train_test_split
from .mlp import MLP
from .problems import problem_kind


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlp_engine", description=__doc__)
    parser.add_argument("--dataset", default="spiral", choices=sorted(DATASETS))
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--hidden", type=int, nargs="*", default=[8, 8])
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    spec = DATASETS[args.dataset]
    n_classes = 3  # of a multi-class dataset
    X, y = make_dataset(spec.name, n_samples=500, noise=0.1, seed=args.seed, n_classes=n_classes)
    features = [f for f in FEATURES if spec.n_inputs == 2 or f not in USES_X2]
    X = feature_map(X, features)
    X_train, y_train, X_test, y_test = train_test_split(X, y, train_fraction=0.5, seed=args.seed)
    kind = problem_kind(spec.kind)
    model = MLP(
        n_x=X.shape[1],
        n_h=args.hidden,
        n_y=kind.n_outputs(n_classes),
        learning_rate=args.learning_rate,
        cost=kind.cost,
        hidden_activation="tanh",
        output_activation=kind.output_activation,
        optimizer="adam",
        seed=args.seed,
        metric=kind.metric,
    )
    print(f"{model} on {spec.name!r} ({spec.description}); features {', '.join(features)}")
    report_every = max(1, args.epochs // 10)

    def report(record: dict) -> None:
        if record["epoch"] % report_every == 0 or record["epoch"] == 1:
            print(
                f"epoch {record['epoch']:5d}  train loss {record['train_loss']:.4f}  "
                f"test loss {record['val_loss']:.4f}  "
                f"test {kind.metric} {record['val_' + kind.metric]:.3f}"
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

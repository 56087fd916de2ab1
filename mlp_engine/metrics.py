"""Scores reported beside the cost: accuracy for classification, R^2 for regression."""

import numpy as np


def accuracy(a: np.ndarray, Y: np.ndarray) -> float:
    """Share of samples whose predicted class is the target class.

    One output: class 1 when a > 0.5 (a sigmoid's probability). Several: the arg-max of a^L
    against the arg-max of the one-hot targets.
    """
    if a.shape[1] == 1:
        return float(((a[:, 0] > 0.5) == (Y[:, 0] > 0.5)).mean())
    return float((a.argmax(axis=1) == Y.argmax(axis=1)).mean())


def r2_score(a: np.ndarray, Y: np.ndarray) -> float:
    """Coefficient of determination, averaged over outputs (scikit-learn's `r2_score`).

    An output whose targets are constant scores 1.0 if predicted exactly, else 0.0, as there.
    """
    ss_res = ((Y - a) ** 2).sum(axis=0)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    safe = ss_tot > 0
    scores = np.where(safe, 1.0 - ss_res / np.where(safe, ss_tot, 1.0), (ss_res == 0) * 1.0)
    return float(scores.mean())


#: The scores by name, as `problems.ProblemKind.metric` names them.
METRICS = {"accuracy": accuracy, "r2": r2_score}

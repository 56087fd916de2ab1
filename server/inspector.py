"""The backprop inspector's answers about a run, on its inspection mini-batch: `inspect`, the
engine's own trace of eqs. 32-33, 12-15 and 30-31 for the probe sample
(`mlp_engine.inspection.trace`), and `gradcheck`, backpropagation's gradient against central
finite differences (`mlp_engine.inspection.gradient_check`), as the wire carries them: every
number strict JSON (`json_ready`), arrays as nested lists of Python floats and None for a value
that is not finite (a diverged run's overflow), which JSON cannot spell."""

import time

import numpy as np

from mlp_engine import MLP, inspection

from . import protocol
from .run import Run

#: A gradient check holds the session (and a thread of the scheduler's blocking lane), so a
#: check that would take longer (big networks on big batches: it evaluates the cost twice per
#: parameter) is refused.
GRADCHECK_MAX_SECONDS = 5.0


class GradcheckTooLarge(ValueError):
    """A gradient check would take longer than `GRADCHECK_MAX_SECONDS`."""


def inspection_batch(run: Run, probe: int) -> np.ndarray:
    """The inspection mini-batch: the probe, then the next batch_size - 1 training samples in
    index order, wrapping around at the end (see `protocol.Inspect`)."""
    return (probe + np.arange(run.config.batch_size)) % run.X_train.shape[0]


def inspection_message(run: Run, probe: int) -> protocol.Inspection:
    """The backprop inspector's numbers for the probe, sample 0 of its inspection mini-batch."""
    batch = inspection_batch(run, probe)
    shown = trace(run.model, run.X_train[batch], run.Y_train[batch], sample=0)
    return protocol.Inspection(
        run=run.number, epoch=run.epoch, probe=probe, batch=batch.tolist(), **shown
    )


def gradient_check_seconds(model: MLP, X: np.ndarray, Y: np.ndarray) -> float:
    """About how long `gradient_check` would take: two evaluations of the cost per parameter,
    timed here on the batch itself (the fastest of three)."""
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        model.loss(X, Y)
        timings.append(time.perf_counter() - start)
    return 2 * model.theta.size * min(timings)


def gradcheck_report(run: Run, probe: int, should_stop) -> protocol.GradcheckReport:
    """The gradient check on the probe's inspection mini-batch; `GradcheckTooLarge` when it
    would take too long, `GradientCheckStopped` once `should_stop()` says so."""
    batch = inspection_batch(run, probe)
    X, Y = run.X_train[batch], run.Y_train[batch]
    seconds = gradient_check_seconds(run.model, X, Y)
    if seconds > GRADCHECK_MAX_SECONDS:
        raise GradcheckTooLarge(
            f"the gradient check would take about {seconds:.0f} s (two evaluations of the "
            f"cost on {batch.size} samples for each of {run.model.theta.size} parameters); "
            "try a smaller batch size or network"
        )
    report = gradient_check(run.model, X, Y, should_stop=should_stop)
    return protocol.GradcheckReport(run=run.number, epoch=run.epoch, batch=batch.tolist(), **report)


# -- strict JSON -------------------------------------------------------------------------------


def json_ready(array) -> "list | float | None":
    """`array` as nested lists of Python floats, every NaN or infinity replaced by None."""
    array = np.asarray(array, dtype=np.float64)
    if np.isfinite(array).all():
        return array.tolist()
    values = array.astype(object)
    values[~np.isfinite(array)] = None
    return values.tolist()


def _numbers_ready(entry: dict) -> dict:
    """An entry with its arrays and floats `json_ready`; names, flags and counts as they are."""
    return {
        name: json_ready(value) if isinstance(value, np.ndarray | float) else value
        for name, value in entry.items()
    }


def trace(model, X, Y, sample: int = 0) -> dict:
    """`mlp_engine.inspection.trace`, strict JSON."""
    shown = inspection.trace(model, X, Y, sample)
    return {**_numbers_ready(shown), "layers": [_numbers_ready(e) for e in shown["layers"]]}


def gradient_check(model, X, Y, **options) -> dict:
    """`mlp_engine.inspection.gradient_check`, strict JSON."""
    report = inspection.gradient_check(model, X, Y, **options)
    return {**_numbers_ready(report), "layers": [_numbers_ready(e) for e in report["layers"]]}

"""A run's loss history: every epoch kept on the server, a summary of each stretch on the wire.

At 6,000 epochs a second every epoch's losses would be about 350 kB/s of JSON, yet the loss
chart draws a few hundred pixel columns. A frame therefore carries, of the epochs since the
previous frame, the last one and those of the lowest and highest training and test loss (and
the first that overflowed): the curve stays unbroken and a spike is never lost between two
frames (the chart draws each pixel column's minimum and maximum). The history stays here, every
epoch of it up to `MAX_ROWS` rows; past that its older, already sent stretches are summarised
the same way, so that a run training flat out for an hour (millions of epochs) keeps a few MB,
not half a gigabyte.
"""

import math

import numpy as np

from .protocol import History

#: A stretch of at most this many epochs goes out whole: paced and stepped runs lose nothing.
HISTORY_POINTS = 8
_FIRST_CAPACITY = 1024
#: Rows kept (24 bytes each) before the older stretches are summarised, `COMPACTED_BLOCK` rows
#: at a time, to at most 5 rows each (`summary_rows`).
MAX_ROWS = 1 << 16
COMPACTED_BLOCK = 32


class LossHistory:
    """Every epoch's training and test loss of a run (NaN: not finite), in epoch order."""

    def __init__(self):
        self.epochs = np.zeros(_FIRST_CAPACITY, dtype=np.int64)
        self.losses = np.zeros((_FIRST_CAPACITY, 2))  # columns: training, test
        self.length = 0
        self.sent = 0  # epochs already summed up in a frame

    def append(self, epoch: int, train_loss: float, test_loss: float) -> None:
        if self.length >= MAX_ROWS and self.sent >= COMPACTED_BLOCK:
            self._compact()
        if self.length == len(self.epochs):
            self.epochs = np.resize(self.epochs, 2 * self.length)
            self.losses = np.resize(self.losses, (2 * self.length, 2))
        self.epochs[self.length] = epoch
        self.losses[self.length] = (train_loss, test_loss)
        self.length += 1

    def _compact(self) -> None:
        """Summarise the rows already sent, block by block (see `summary_rows`)."""
        blocks = self.sent // COMPACTED_BLOCK
        kept = [
            block * COMPACTED_BLOCK
            + summary_rows(self.losses[block * COMPACTED_BLOCK : (block + 1) * COMPACTED_BLOCK])
            for block in range(blocks)
        ]
        rows = np.concatenate([*kept, np.arange(blocks * COMPACTED_BLOCK, self.length)])
        self.epochs[: len(rows)] = self.epochs[rows]
        self.losses[: len(rows)] = self.losses[rows]
        self.sent -= blocks * COMPACTED_BLOCK - sum(len(block) for block in kept)
        self.length = len(rows)

    def as_lists(self) -> dict[str, list]:
        """The whole history, as `History`'s lists (a loss that is not finite: None)."""
        return _lists(self.epochs[: self.length], self.losses[: self.length])

    def take_summary(self) -> History:
        """The epochs since the last summary that a loss chart needs (see `summary_rows`)."""
        start, self.sent = self.sent, self.length
        rows = start + summary_rows(self.losses[start : self.length])
        return History(**_lists(self.epochs[rows], self.losses[rows]))


def summary_rows(losses: np.ndarray) -> np.ndarray:
    """Rows of `losses` (n, 2) to show, ascending: all when n <= HISTORY_POINTS, else the last,
    each column's lowest and highest finite value and the first value that is not finite."""
    n = len(losses)
    if n <= HISTORY_POINTS:
        return np.arange(n)
    rows = {n - 1}
    finite = np.isfinite(losses)
    for column in range(losses.shape[1]):
        usable = finite[:, column]
        if usable.any():
            values = np.where(usable, losses[:, column], np.nan)
            rows.update((int(np.nanargmin(values)), int(np.nanargmax(values))))
        if not usable.all():
            rows.add(int(np.argmin(usable)))
    return np.array(sorted(rows))


def _lists(epochs: np.ndarray, losses: np.ndarray) -> dict[str, list]:
    def finite(values):
        return [value if math.isfinite(value) else None for value in values.tolist()]

    return {
        "epoch": epochs.tolist(),
        "train_loss": finite(losses[:, 0]),
        "test_loss": finite(losses[:, 1]),
    }

"""A run as the page keeps it (`run_state`), and that copy made a run again (`resume`).

A session lives in one server process; its page outlives it. So the server sends the page,
often, everything that defines the run: its model file (weights, optimiser state, random
generator state, config and epoch, as `export` "model" writes it), its custom data, the changes
made while it trained and where it stood. When the connection comes back (the same server
restarted, or any other backend behind a load balancer), the page sends the copy back with its
loss history and the run carries on where it was: same number, same epoch, the same batches
drawn next.

A resume is a client's word, so it is checked as an imported model file is (`imported_run`,
`model_file`: sizes, shapes, finiteness, the server's caps) and against itself (the model fits
its config's data, the history and the changes fit the run): a resume can do nothing an import
or a configure could not.
"""

import math
import time
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from mlp_engine.tabular import CSV_LIMITS

from . import protocol
from .export import check_fits, imported_run, model_dict
from .history import MAX_ROWS
from .model_file import MAX_EPOCH, Value, describe_problems
from .protocol import LIMITS, Strict, TrainConfig
from .run import PARAMETER_CHANGES, RATE_CHANGES, Run, build_run

#: While a run trains, its state goes to the page this often: a crash loses at most this much
#: training (the issue asks for 2 s at most; the margin covers a slow send).
STATE_INTERVAL_SECONDS = 1.5
#: The loss-history rows a resume may bring back: as many as the server keeps (`MAX_ROWS`).
HISTORY_ROWS = MAX_ROWS
#: The changes a kept run may list (a `set_weight` each: far more than a lesson makes).
MAX_CHANGES = 100_000
#: The run numbers a resume may claim.
MAX_RUN_NUMBER = 10**9
#: Fields of `TrainConfig` that change while a run trains (`set`): a run's config and its
#: initial config agree on every other.
LIVE_FIELDS = ("learning_rate", "regularization_rate")
#: The command a session gets when the server stops (`app`): tell the page, send the final state.
RESTARTING = object()


def state_message(session, with_custom: bool) -> protocol.RunState:
    """The session's run as a `run_state` message (`with_custom`: its custom data included)."""
    run = session.run
    model = model_dict(run)
    custom = model["playground"]["data"].pop("custom", None)
    words = model["rng_state"]["state"]
    model["rng_state"]["state"] = {name: str(value) for name, value in words.items()}
    return protocol.RunState(
        run=run.number,
        epoch=run.epoch,
        state=session.state,
        speed=session.speed,
        probe=session.probe,
        resets=run.resets,
        initial_config=run.initial_config,
        imported_at=run.imported_at,
        changes=[
            (epoch, what, None if where is None else list(where), value)
            for epoch, what, where, value in run.changes
        ],
        model=model,
        custom=custom if with_custom else None,
        history_rows=HISTORY_ROWS,
    )


class StateSchedule:
    """When the page's copy is due: at once when the run begins, pauses, ends or changes; every
    `STATE_INTERVAL_SECONDS` while it trains. The custom data go with a run's first state only
    (they do not change, and an upload can be megabytes)."""

    def __init__(self):
        self.wanted = False  # the client asked for states (`keep_state`, `resume`)
        self.sent_at = -math.inf
        self.run = None  # the run of the last state (held: a new run is a new object)
        self.shown: tuple | None = None  # where the last state showed it
        self.custom_sent_for = None  # the run whose custom data the page has

    def message(self, session) -> protocol.RunState | None:
        """The `run_state` to send now, or None."""
        run = session.run
        if run is None or not self.wanted:
            return None
        shown = (
            run.epoch,
            session.state,
            session.training,
            session.probe,
            session.speed,
            len(run.changes),
        )
        now = time.monotonic()
        new_run = run is not self.run
        if not new_run and shown == self.shown:
            return None
        if session.training and not new_run and now - self.sent_at < STATE_INTERVAL_SECONDS:
            return None
        self.run, self.shown, self.sent_at = run, shown, now
        with_custom = run.custom is not None and self.custom_sent_for is not run
        self.custom_sent_for = run if with_custom else self.custom_sent_for
        return state_message(session, with_custom)


Loss = Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None
#: [after epoch, what, where, value]: JSON's list read as the tuple it is.
Change = Annotated[
    tuple[
        Annotated[int, Field(ge=0, le=MAX_EPOCH)],
        Literal[(*RATE_CHANGES, *PARAMETER_CHANGES)],
        Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=3)] | None,
        Value,
    ],
    BeforeValidator(lambda value: tuple(value) if isinstance(value, list) else value),
]


class KeptHistory(Strict):
    """The page's loss history of the run (`protocol.History`), within the server's bounds."""

    epoch: list[Annotated[int, Field(ge=0, le=MAX_EPOCH)]] = Field(max_length=HISTORY_ROWS)
    train_loss: list[Loss] = Field(max_length=HISTORY_ROWS)
    test_loss: list[Loss] = Field(max_length=HISTORY_ROWS)

    @model_validator(mode="after")
    def _in_order(self) -> "KeptHistory":
        if not len(self.epoch) == len(self.train_loss) == len(self.test_loss):
            raise ValueError("epoch, train_loss and test_loss must be as long as each other")
        if any(b <= a for a, b in zip(self.epoch, self.epoch[1:], strict=False)):
            raise ValueError("epoch: the epochs must go up, each once")
        return self


class KeptRun(Strict):
    """A `resume`'s `state`: a `run_state` as the page kept it, with its history."""

    run: int = Field(ge=1, le=MAX_RUN_NUMBER)
    epoch: int = Field(ge=0, le=MAX_EPOCH)
    state: protocol.State
    speed: float | None = Field(ge=LIMITS["speed"][0], le=LIMITS["speed"][1])
    probe: int = Field(ge=0, lt=CSV_LIMITS.max_rows)
    resets: int = Field(ge=0, le=MAX_EPOCH)
    initial_config: TrainConfig
    imported_at: int | None = Field(ge=0, le=MAX_EPOCH)
    changes: list[Change] = Field(max_length=MAX_CHANGES)
    model: dict
    custom: dict | None
    history: KeptHistory

    @model_validator(mode="after")
    def _within_the_run(self) -> "KeptRun":
        if self.imported_at is not None and self.imported_at > self.epoch:
            raise ValueError(f"imported_at: {self.imported_at} is after the epoch {self.epoch}")
        if self.history.epoch and self.history.epoch[-1] > self.epoch:
            raise ValueError(
                f"history: it reaches epoch {self.history.epoch[-1]}, after the run's {self.epoch}"
            )
        late = [change for change in self.changes if change[0] > self.epoch]
        if late:
            raise ValueError(
                f"changes: a change after epoch {late[0][0]}, but the run is at {self.epoch}"
            )
        return self


def _words_as_numbers(model: dict) -> dict:
    """The model file with the generator's words as numbers again (the state sends text)."""
    rng = model.get("rng_state")
    words = rng.get("state") if isinstance(rng, dict) else None
    if not isinstance(words, dict):
        return model
    numbers = {
        name: int(word) if isinstance(word, str) and word.isdigit() and len(word) <= 40 else word
        for name, word in words.items()
    }
    return {**model, "rng_state": {**rng, "state": numbers}}


def check_kept_run(state, max_parameters: int | None):
    """The kept run `state` checked, with what the run is made of: (kept, config, model,
    custom data); a ValueError names the first problems."""
    try:
        kept = KeptRun.model_validate(state)
    except ValidationError as error:
        raise ValueError(f"the kept run's {describe_problems(error)}") from None
    model_file = _words_as_numbers(kept.model)
    record = model_file.get("playground")
    if not isinstance(record, dict) or not isinstance(record.get("data", {}), dict):
        raise ValueError("the kept run's model: the playground's record of the run is missing")
    if kept.custom is not None:
        record = {**record, "data": {**record.get("data", {}), "custom": kept.custom}}
        model_file = {**model_file, "playground": record}
    try:
        config, model, custom, epoch = imported_run(model_file, None, None, max_parameters)
    except ValueError as error:
        raise ValueError(f"the kept run: {error}") from None
    if epoch != kept.epoch:
        raise ValueError(
            f"the kept run is at epoch {kept.epoch}, but its model file at epoch {epoch}"
        )
    fixed = {name: value for name, value in config if name not in LIVE_FIELDS}
    initial = {name: value for name, value in kept.initial_config if name not in LIVE_FIELDS}
    different = [name for name in fixed if fixed[name] != initial[name]]
    if different:
        raise ValueError(
            f"the kept run's initial_config is another run's: its {', '.join(different)} "
            "differ from the run's config (only the learning and regularisation rates change "
            "while a run trains)"
        )
    return kept, config, model, custom


def resumed_run(state, max_parameters: int | None) -> tuple[Run, KeptRun]:
    """The run a `resume` brings back, built from its config with its own number and going on
    where it was, and the kept run it came from; a ValueError names what does not fit."""
    kept, config, model, custom = check_kept_run(state, max_parameters)
    run = build_run(config, kept.run, kept.resets, custom, max_parameters)
    restore(run, kept, model)
    return run, kept


def restore(run: Run, kept: KeptRun, model) -> None:
    """Put the kept run's model (its weights, optimiser and random generator:
    `MLP.continue_from`), epoch, history and changes into `run`, freshly built from its config;
    a ValueError (and `run` to be dropped) when they do not fit its data."""
    try:
        check_fits(model, run)
    except ValueError as error:
        raise ValueError(f"the kept run: {error}") from None
    n_train = run.X_train.shape[0]
    if kept.probe >= n_train:
        raise ValueError(f"the kept run's probe {kept.probe}: there are {n_train} training samples")
    for epoch, what, where, _ in kept.changes:
        problem = _change_problem(run, what, where)
        if problem:
            raise ValueError(f"the kept run's change after epoch {epoch}: {problem}")
    run.model.continue_from(model)
    run.epoch, run.imported_at = kept.epoch, kept.imported_at
    run.initial_config = kept.initial_config
    run.changes = [
        (epoch, what, None if where is None else tuple(where), value)
        for epoch, what, where, value in kept.changes
    ]
    history = kept.history
    for row in zip(history.epoch, history.train_loss, history.test_loss, strict=True):
        epoch, train, test = (math.nan if value is None else value for value in row)
        run.history.append(epoch, train, test)
    run.history.sent = run.history.length  # the page has them


def _change_problem(run, what: str, where: list[int] | None) -> str | None:
    """Why a kept change does not fit the run's network, or None."""
    if what in RATE_CHANGES:
        return None if where is None else f"a {what} change has no place, got {where}"
    size = 3 if what == "W" else 2
    if where is None or len(where) != size:
        return f"a change of {what} needs {size} indices"
    layers = run.model.sequential
    if where[0] >= len(layers):
        return f"layer {where[0]} does not exist: the network has {len(layers)}"
    shape = layers[where[0]].W.shape if what == "W" else layers[where[0]].b.shape
    if any(index >= bound for index, bound in zip(where[1:], shape, strict=False)):
        return f"{what} of layer {where[0]} has shape {shape}: no entry {tuple(where[1:])}"
    return None


def restarting_messages(session) -> list[protocol.Restarting | protocol.RunState]:
    """What a page hears when the server stops: a `restarting` notice, then its run's final
    state (if it has a run and keeps its state)."""
    notice = protocol.Restarting(
        message="server restarting, your run is kept: it resumes once the server is back"
    )
    if session.run is None or not session.run_states.wanted:
        return [notice]
    return [notice, state_message(session, with_custom=session.run.custom is not None)]

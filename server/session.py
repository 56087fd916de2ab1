"""One browser tab's training run: its model, data, commands and pacing.

The session's work runs in turns on the worker process's `Scheduler` (server/scheduler.py):
a turn handles the commands waiting, trains for a few milliseconds, then builds the frame if
one is due. Only one turn of a session runs at a time, so the model belongs to whichever pool
thread runs it. The websocket handler hands the session commands through a bounded queue;
the session answers through an `Outbox`, whose frame slot holds at most one frame: a new frame
is built only once the last one has been taken, and its `history` sums up the epochs trained
meanwhile (the run keeps them all: `server.history`). A slow client therefore slows the frame
rate, never training, and never makes the server buffer without bound: the control messages
waiting for it are capped in count and in bytes, and the commands waiting for the session in
count.

When the client goes, `close` stops the work at once: between epochs, between the parameters
of a gradient check, and before any command still queued (those are dropped, not run). The
session keeps its place in the app's registry until its turn under way has actually ended.
"""

import asyncio
import contextlib
import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from mlp_engine import MLP, TrainingDiverged
from mlp_engine.inspection import GradientCheckStopped, gradient_check, trace
from mlp_engine.operations import spec

from . import protocol, run_state
from .data import CustomData, NoCustomData, RunData, csv_data, drawn_data, run_data
from .export import check_fits, export_file, imported_run
from .frames import FrameJob, frame_message, frame_text, input_grid
from .history import LossHistory
from .protocol import TrainConfig
from .scheduler import Scheduler

#: Control messages waiting for a client that does not read; past this the connection closes.
MAX_PENDING_MESSAGES = 1000
#: Their bytes, by default (`Settings.max_outbox_bytes`): one data export can be megabytes.
MAX_PENDING_BYTES = 8 * 1024 * 1024
#: Commands waiting for the session (a configure on a big data set takes a tenth of a second);
#: a client that sends faster has its further commands dropped until the session catches up.
MAX_PENDING_COMMANDS = 32
DEFAULT_FRAME_RATE = 30.0
#: Frames are built in the session's turns, between bursts of training; building them may take
#: at most this share of the CPU time the session gets, so that a deep network's frames
#: (milliseconds each), or the frames of many sessions sharing a core, do not take it from
#: training.
FRAME_BUDGET = 0.5
#: Weight of the newest frame in the moving average of frame build times.
FRAME_TIME_SMOOTHING = 0.2
#: A gradient check holds the session (and a thread of the scheduler's blocking lane), so a
#: check that would take longer (big networks on big batches: it evaluates the cost twice per
#: parameter) is refused.
GRADCHECK_MAX_SECONDS = 5.0


class Outbox:
    """Messages from the session's turns to the websocket's sender coroutine, as JSON text
    (serialised by the thread that puts them, so that a big export is not encoded on the
    event loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_bytes: int = MAX_PENDING_BYTES):
        self._loop = loop
        self._lock = threading.Lock()
        self._control: deque = deque()
        self._frame: tuple[str, bytes] | None = None
        self.max_bytes = max_bytes
        #: The bytes of control messages put and not yet written to the socket (taken ones
        #: included: the sender holds them until they are written).
        self.pending_bytes = 0
        self.overflowed = False
        self.overflow = asyncio.Event()  # set with `overflowed`, for the handler to wait on
        self._ready = asyncio.Event()

    def _call_on_loop(self, callback) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to wake
            self._loop.call_soon_threadsafe(callback)

    def put(self, message: dict) -> None:
        """A control message (ready, status, error, export...): delivered in order.

        A client that sends but never reads would make these pile up: past
        `MAX_PENDING_MESSAGES` messages, or `max_bytes` bytes (one message of any size is
        let through when nothing else waits), the outbox drops them, says so in `overflowed`
        and `overflow`, and the connection is closed.
        """
        text = json.dumps(message)  # ASCII: its length is its size in bytes
        with self._lock:
            if self.overflowed:
                return
            over_count = len(self._control) >= MAX_PENDING_MESSAGES
            over_bytes = self.pending_bytes > 0 and self.pending_bytes + len(text) > self.max_bytes
            if over_count or over_bytes:
                self.overflowed = True
                self._control.clear()  # the connection closes: nobody will read them
                self._call_on_loop(self.overflow.set)
                return
            if self._frame is not None:
                # A frame put before this message goes out before it: a run's last frame
                # must not follow the next run's `ready`.
                self._control.append(self._frame)
                self._frame = None
            self._control.append((text, None))
            self.pending_bytes += len(text)
        self._call_on_loop(self._ready.set)

    def sent(self, text: str) -> None:
        """A control message taken from the outbox has been written to the socket."""
        with self._lock:
            self.pending_bytes -= len(text)

    def frame_slot_free(self) -> bool:
        with self._lock:
            return self._frame is None

    def put_frame(self, message: dict, payload: bytes) -> None:
        text = frame_text(message)
        with self._lock:
            self._frame = (text, payload)
        self._call_on_loop(self._ready.set)

    async def take(self) -> list[tuple[str, bytes | None]]:
        """Wait for messages; return them in the order they were put (a control message has
        payload None; a frame that a control message followed keeps its place), then the
        newest frame if any. The sender reports each control message written with `sent`."""
        await self._ready.wait()
        with self._lock:
            self._ready.clear()
            items = list(self._control)
            self._control.clear()
            if self._frame is not None:
                items.append(self._frame)
                self._frame = None
        return items


@dataclass
class Run:
    """Everything one configuration trains: data, model and its history."""

    number: int
    config: TrainConfig  # as it is now: the learning and regularisation rates change live
    initial_config: TrainConfig  # as the run began
    model: MLP
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    data: RunData
    custom: CustomData | None  # the session's own data set, when the run trains on it
    grid: protocol.Grid | None  # the plane the page draws on; None for principal components
    frame_model: MLP  # a float64 twin that frames are computed on, from a copy of the weights
    resets: int = 0
    epoch: int = 0
    #: What the user changed while the run trained, as (after epoch, what, where, value):
    #: what is "learning_rate", "l1", "l2" (where None), or "W" / "b" (where: layer and entry).
    changes: list[tuple] = field(default_factory=list)
    imported_at: int | None = None  # the epoch of the model file the run began from
    history: LossHistory = field(default_factory=LossHistory)


#: Commands refused once the run's compute budget is spent. The others are cheap, or begin a
#: new run with a new budget (configure, reset, import_model).
COSTLY_COMMANDS = (
    protocol.Gradcheck,
    protocol.Inspect,
    protocol.Export,
    protocol.UploadCsv,
    protocol.Draw,
)
#: Commands whose work may take long (up to `GRADCHECK_MAX_SECONDS`, or reading megabytes):
#: their turns run on the scheduler's blocking lane, never delaying the turns of training.
BLOCKING_COMMANDS = (
    protocol.Configure,
    protocol.Reset,
    protocol.ImportModel,
    protocol.UploadCsv,
    protocol.Draw,
    protocol.Gradcheck,
    protocol.Export,
    protocol.Resume,
)


class TrainingSession:
    """Trains one run in turns on the `scheduler`'s threads, driven by the client's messages."""

    def __init__(
        self,
        outbox: Outbox,
        scheduler: Scheduler,
        frame_rate: float = DEFAULT_FRAME_RATE,
        compute_seconds: float = math.inf,
        max_parameters: int | None = None,
    ):
        self.outbox = outbox
        self.scheduler = scheduler
        self.frame_interval = 1.0 / frame_rate
        #: The session's time a run may use (training, and every command's work, building the
        #: run included); then training pauses and costly commands are refused until a new run.
        self.compute_seconds = compute_seconds
        self.max_parameters = max_parameters  # weights and biases a run's network may have
        self.compute_used = 0.0
        self._commands: deque = deque()
        self._commands_lock = threading.Lock()
        self.stopping = threading.Event()  # set by `close`: the session's work ends at once
        self.ended = threading.Event()  # set by the scheduler once stopping and out of its turn
        self.run: Run | None = None
        self.custom: CustomData | None = None  # the user's own data set: drawn or uploaded
        self.state = "idle"
        self.steps_left = 0
        self.speed: float | None = None
        self.probe = 0
        self.layer_space: protocol.LayerSpaceView | None = None
        self.runs = 0
        self._dirty = False
        self._next_frame_at = 0.0  # frames keep to a schedule, so that they average the rate
        self._next_epoch_at = 0.0
        self._rate_window: deque = deque(maxlen=64)
        self.frame_seconds = 0.0  # how long a frame takes to build: a moving average
        self._trained_since_frame = 0.0  # CPU seconds of training since the last frame
        self.run_states = run_state.StateSchedule()  # the page's copy of the run (`resume`)
        self.restart_told = threading.Event()  # the page knows the server stops (`tell_restart`)
        scheduler.add(self)

    # -- the handler's side --------------------------------------------------------------------
    def submit(self, message) -> bool:
        """Queue a validated client message for the session: False (and the message dropped)
        when `MAX_PENDING_COMMANDS` already wait."""
        with self._commands_lock:
            if len(self._commands) >= MAX_PENDING_COMMANDS:
                return False
            self._commands.append(message)
        self.scheduler.wake(self)
        return True

    def close(self) -> None:
        """Stop the session's work: the commands still queued are dropped, and training and
        any gradient check under way stop (within one epoch or one command's build);
        `finished` says when. Does not block."""
        self.stopping.set()
        with self._commands_lock:
            self._commands.clear()
        self.scheduler.wake(self)

    def tell_restart(self) -> bool:
        """Have the worker tell the page that the server stops and send it the run's final
        state; `restart_told` is set once they are in the outbox. False when the commands are
        full (try again)."""
        return self.submit(run_state.RESTARTING)

    @property
    def finished(self) -> bool:
        """Whether the session has stopped and its last turn has ended."""
        return self.ended.is_set()

    # -- the scheduler's side ------------------------------------------------------------------
    def next_command_blocks(self) -> bool:
        with self._commands_lock:
            return bool(self._commands) and isinstance(self._commands[0], BLOCKING_COMMANDS)

    def take_turn(self, blocking_lane: bool, seconds: float) -> float | None:
        """The waiting commands (on the blocking lane the first, which may take long, and those
        quick ones after it), then on the fast lane training for about `seconds`, then the
        frame if due. Returns when the next turn is wanted (`Job.take_turn`)."""
        # A run that diverges overflows on purpose of the learning rate the user chose: the
        # engine detects it and the session reports it (`diverged`); NumPy's warnings would
        # only fill the server's log (in this thread: errstate is per thread).
        with np.errstate(all="ignore"):
            try:
                self._handle_commands(blocking_lane)
                if not blocking_lane:
                    self._train_for(seconds)
                self._maybe_emit_frame()
                self._maybe_send_state()
            except GradientCheckStopped:
                return None
            except Exception as error:  # keep the session usable whatever went wrong
                self.state, self.steps_left = "paused", 0
                self._error("internal", f"{type(error).__name__}: {error}")
        return self._next_turn_at()

    def _next_command(self, blocking_allowed: bool):
        """The first waiting command, taken; None when none waits, or it may take long and
        `blocking_allowed` is false (it waits for a turn on the blocking lane)."""
        with self._commands_lock:
            if not self._commands or self.stopping.is_set():
                return None
            if not blocking_allowed and isinstance(self._commands[0], BLOCKING_COMMANDS):
                return None
            return self._commands.popleft()

    def _handle_commands(self, blocking_lane: bool) -> None:
        blocking_allowed = blocking_lane  # one command that may take long per blocking turn
        while (command := self._next_command(blocking_allowed)) is not None:
            blocking_allowed = False
            self._charged(self._handle, command)

    def _next_turn_at(self) -> float | None:
        """When this session wants its next turn: now when it has commands or epochs due,
        at its next paced epoch or frame, or None when only a command can give it work."""
        if self.stopping.is_set():
            return None
        with self._commands_lock:
            if self._commands:
                return 0.0
        if self._should_train():
            return 0.0
        now = time.perf_counter()
        wanted = []
        if self.training and self.speed is not None:
            wanted.append(self._next_epoch_at)
        if self._dirty:
            due = self._next_frame_at if self.training else now
            if due <= now:  # due and not built: the client has not taken the last one yet
                due = now + self.frame_interval / 2
            wanted.append(due)
        return min(wanted, default=None)

    def _charged(self, work, *args) -> None:
        """Do `work`, charging its time to the run's compute budget (a command that begins a
        new run charges its building to that run)."""
        start = time.perf_counter()
        try:
            work(*args)
        finally:
            self.compute_used += time.perf_counter() - start

    @property
    def budget_spent(self) -> bool:
        return self.compute_used >= self.compute_seconds

    def _budget_spent_error(self) -> None:
        self._error(
            "rate_limited",
            f"this run has used its {self.compute_seconds:g} s of compute; send 'reset' or "
            "'configure' to start a run with a new budget",
        )

    def _train_for(self, seconds: float) -> None:
        """Train the epochs that are due, for at most about `seconds` before giving the
        scheduler's thread to the next session."""
        start, cpu_start = time.perf_counter(), time.thread_time()
        deadline = start + seconds
        while self._should_train():
            self._train_epoch()
            if time.perf_counter() >= deadline:
                break
        self.compute_used += time.perf_counter() - start
        self._trained_since_frame += time.thread_time() - cpu_start
        if self.training and self.budget_spent:
            self.state, self.steps_left, self._dirty = "paused", 0, True
            self._status(
                f"paused: this run has used its {self.compute_seconds:g} s of training time; "
                "send 'reset' or 'configure' to start a run with a new budget"
            )

    @property
    def training(self) -> bool:
        """Whether the run is training (playing or stepping), as far as the client asked."""
        return self.state == "running" or self.steps_left > 0

    def _should_train(self) -> bool:
        if self.run is None or self.state == "diverged" or self.stopping.is_set():
            return False
        if self.state != "running" and self.steps_left == 0:
            return False
        return self.speed is None or time.perf_counter() >= self._next_epoch_at

    def _handle(self, message) -> None:
        if isinstance(message, COSTLY_COMMANDS) and self.budget_spent:
            self._budget_spent_error()
            return
        if isinstance(message, protocol.Configure):
            self._start_run(message.config, message.resets, self.custom)
            return
        if isinstance(message, protocol.UploadCsv | protocol.Draw):
            self._take_data(message)
            return
        if isinstance(message, protocol.ImportModel):
            self._import_model(message)
            return
        if isinstance(message, protocol.KeepState):
            self.run_states.wanted = True
            return
        if isinstance(message, protocol.Resume):
            self.run_states.wanted = True
            self._resume(message)
            return
        if message is run_state.RESTARTING:
            self._say_restarting()
            return
        if isinstance(message, protocol.Set) and message.model_fields_set == {"type", "speed"}:
            self._set(message)  # the session's pace, for every run: it may come before one
            return
        if self.run is None:
            self._error("not_configured", f"send 'configure' before {message.type!r}")
            return
        n_train = self.run.X_train.shape[0]
        if isinstance(message, protocol.Probe) and message.index >= n_train:
            self._error(
                "bad_probe",
                f"probe index {message.index} is out of range: there are {n_train} training "
                "samples",
            )
            return
        if isinstance(message, protocol.LayerSpace) and message.layer is not None:
            problem = layer_space_problem(self.run, message.layer, message.neurons)
            if problem:
                self._error("bad_layer_space", problem)
                return
        if isinstance(message, protocol.Gradcheck):  # changes nothing, so no new frame
            self._gradcheck()
            return
        if isinstance(message, protocol.Export):  # nor does this
            self.outbox.put(export_file(self.run, message.what))
            return
        self._dirty = True  # every command changes what the next frame shows
        match message:
            case protocol.Play():
                if self.state == "diverged":
                    self._status("training diverged; send 'reset' to start again")
                else:
                    self.state = "running"
                    self._next_epoch_at = time.perf_counter()
                    self._status("training")
            case protocol.Pause():
                self._pause()
            case protocol.Step():
                if self.state == "diverged":
                    self._status("training diverged; send 'reset' to start again")
                else:
                    self.state = "paused"
                    self.steps_left = message.epochs
            case protocol.Reset():
                self._start_run(
                    self.run.config, self.run.resets + 1, self.run.custom, keep_probe=True
                )
            case protocol.Set():
                self._set(message)
            case protocol.Probe():
                self.probe = message.index
            case protocol.SetWeight():
                self._set_weight(message)
            case protocol.Inspect():
                if self.state == "running" or self.steps_left:
                    self._pause()
                self.outbox.put(inspection_message(self.run, self.probe))
            case protocol.LayerSpace():
                self.layer_space = (
                    None
                    if message.layer is None
                    else protocol.LayerSpaceView(layer=message.layer, neurons=message.neurons)
                )

    def _pause(self) -> None:
        self.state, self.steps_left = "paused", 0
        self._status("paused")

    def _gradcheck(self) -> None:
        run = self.run
        batch = inspection_batch(run, self.probe)
        X, Y = run.X_train[batch], run.Y_train[batch]
        seconds = gradient_check_seconds(run.model, X, Y)
        if seconds > GRADCHECK_MAX_SECONDS:
            self._error(
                "gradcheck_too_large",
                f"the gradient check would take about {seconds:.0f} s (two evaluations of the "
                f"cost on {batch.size} samples for each of {run.model.theta.size} parameters); "
                "try a smaller batch size or network",
            )
            return
        report = gradient_check(run.model, X, Y, should_stop=self.stopping.is_set)
        self.outbox.put(
            protocol.GradcheckReport(
                run=run.number, epoch=run.epoch, batch=batch.tolist(), **report
            ).model_dump(mode="json")
        )

    def _set_weight(self, message: protocol.SetWeight) -> None:
        layers = self.run.model.sequential
        if message.layer >= len(layers):
            self._error("bad_weight", f"layer {message.layer} does not exist: {len(layers)} layers")
            return
        layer = layers[message.layer]
        if message.row >= layer.n_h or (message.col is not None and message.col >= layer.n_x):
            self._error(
                "bad_weight",
                f"layer {message.layer} has W of shape {layer.W.shape}: no weight at "
                f"({message.row}, {message.col})",
            )
            return
        if message.col is None:
            layer.b[message.row] = message.value
            self._changed("b", (message.layer, message.row), message.value)
        else:
            layer.W[message.row, message.col] = message.value
            self._changed("W", (message.layer, message.row, message.col), message.value)

    def _changed(self, what: str, where: tuple | None, value: float) -> None:
        """Note a change made while the run trains, for the exported script to replay."""
        self.run.changes.append((self.run.epoch, what, where, value))

    def _set(self, message: protocol.Set) -> None:
        run = self.run
        given = message.model_fields_set - {"type"}
        if "learning_rate" in given and message.learning_rate is not None:
            run.model.learning_rate = message.learning_rate
            run.config.learning_rate = message.learning_rate
            self._changed("learning_rate", None, message.learning_rate)
        if "regularization_rate" in given and message.regularization_rate is not None:
            rate = message.regularization_rate
            run.config.regularization_rate = rate
            run.model.l1 = rate if run.config.regularization == "l1" else 0.0
            run.model.l2 = rate if run.config.regularization == "l2" else 0.0
            if run.config.regularization != "none":
                self._changed(run.config.regularization, None, rate)
        if "speed" in given:
            self.speed = message.speed
            self._next_epoch_at = time.perf_counter()

    def _take_data(self, message: protocol.UploadCsv | protocol.Draw) -> None:
        """A drawing or an upload becomes the session's custom data set; the current run goes
        on until a `configure` asks for it."""
        try:
            custom = csv_data(message) if message.type == "upload_csv" else drawn_data(message)
        except ValueError as error:
            self._error("bad_data", str(error))
            return
        self.custom = custom
        self.outbox.put(custom.info())

    def _import_model(self, message: protocol.ImportModel) -> None:
        """A new run with the file's weights (and optimiser state) on its config's data."""
        try:
            config, model, custom, epoch = imported_run(
                message.model, self.run, self.custom, self.max_parameters
            )
            run = self._build(config, 0, custom)
            check_fits(model, run)
        except ValueError as error:
            self._error("bad_model", str(error))
            return
        run.model.theta[...] = model.theta
        run.model.optimizer.restore_arrays(model.optimizer.state_arrays())
        run.model.rng.bit_generator.state = model.rng.bit_generator.state
        run.epoch = run.imported_at = epoch
        if custom is not None:  # the page learns of the run's data as after an upload
            self.custom = custom
            self.outbox.put(custom.info())
        self._begin(run, keep_probe=False)
        self._status(f"imported the model at epoch {run.epoch}")

    def _resume(self, message: protocol.Resume) -> None:
        """The run a page kept (`run_state`), carrying on where it was, with its own number."""
        runs = self.runs
        try:
            kept, config, model, custom = run_state.check_kept_run(
                message.state, self.max_parameters
            )
            self.runs = kept.run - 1
            run = self._build(config, kept.resets, custom)
            run_state.restore(run, kept, model)
        except ValueError as error:
            self.runs = runs
            self._error("bad_resume", str(error))
            return
        if custom is not None:  # the page learns of the run's data as after an upload
            self.custom = custom
            self.outbox.put(custom.info())
        self._begin(run, keep_probe=True)
        self.probe, self.speed, self._dirty = kept.probe, kept.speed, True
        if kept.state == "running":
            self.state = "running"
            self._next_epoch_at = time.perf_counter()
        self._status(f"resumed run {run.number} at epoch {run.epoch}")

    def _say_restarting(self) -> None:
        """The server stops: the run's last frame (the page's loss curve reaches the final
        state's epoch), `restarting`, the final state; then no more training here."""
        if self.run is not None:
            self._emit_frame()
        for notice in run_state.restarting_messages(self):
            self.outbox.put(notice)
        self.state, self.steps_left = "paused", 0  # the page's copy says where it was
        self.restart_told.set()

    def _build(self, config: TrainConfig, resets: int, custom: CustomData | None) -> Run:
        """A new run, or a ValueError naming what does not fit (also the server's size cap)."""
        run = build_run(config, self.runs + 1, resets, custom)
        n_parameters = run.model.theta.size
        if self.max_parameters is not None and n_parameters > self.max_parameters:
            raise ValueError(
                f"hidden_layers: this network has {n_parameters} weights and biases; this "
                f"server allows at most {self.max_parameters}"
            )
        return run

    def _start_run(
        self,
        config: TrainConfig,
        resets: int = 0,
        custom: CustomData | None = None,
        keep_probe: bool = False,
    ) -> None:
        """Build data and model for `config`, the weights drawn from the seed [config.seed,
        resets]; on failure the current run stays as it was.

        A reset (same config, `keep_probe`) keeps the probe: the data has not changed. The
        layer-space view is kept while it still fits the new network.
        """
        try:
            run = self._build(config, resets, custom)
        except NoCustomData as error:
            self._error("no_data", str(error))
            return
        except ValueError as error:
            self._error("invalid_config", str(error))
            return
        self._begin(run, keep_probe)

    def _begin(self, run: Run, keep_probe: bool) -> None:
        if self.stopping.is_set():  # the client has gone: nobody waits for this run's frame
            return
        self.runs += 1
        probe = self.probe if keep_probe else 0
        self.run, self.state, self.steps_left, self.probe = run, "paused", 0, probe
        view = self.layer_space
        if view is not None and layer_space_problem(run, view.layer, view.neurons):
            self.layer_space = None
        self._rate_window.clear()
        self.compute_used = 0.0
        self.outbox.put(ready_message(run))
        self._dirty = True
        self._emit_frame()

    def _train_epoch(self) -> None:
        run = self.run
        config = run.config
        try:
            train_loss = run.model.train_epoch(
                run.X_train, run.Y_train, config.batch_size, run.epoch + 1
            )
        except TrainingDiverged as error:
            self.state, self.steps_left = "diverged", 0
            self._status(str(error))
            self._dirty = True
            return
        run.epoch += 1
        test_loss = run.model.loss(run.X_test, run.Y_test)
        run.history.append(run.epoch, _loss(train_loss), _loss(test_loss))
        now = time.perf_counter()
        self._rate_window.append(now)
        if self.speed is not None:
            self._next_epoch_at = max(self._next_epoch_at + 1.0 / self.speed, now - 0.5)
        if self.steps_left:
            self.steps_left -= 1
            if self.steps_left == 0:
                self._status(f"stepped to epoch {run.epoch}")
        self._dirty = True

    def _maybe_emit_frame(self) -> None:
        if self.stopping.is_set():
            return
        now = time.perf_counter()
        idle = self.state != "running" and self.steps_left == 0
        # While training flat out, a frame waits until the session has trained at least as
        # long as the frame takes (with FRAME_BUDGET 0.5) since the last one: the fewer turns
        # a session gets, the fewer frames, never the fewer epochs. A paced run's frames show
        # each epoch as it comes.
        earned = self.speed is not None or self._trained_since_frame >= self.frame_seconds * (
            1 / FRAME_BUDGET - 1
        )
        due = idle or (now >= self._next_frame_at and earned)
        if self._dirty and due and self.outbox.frame_slot_free():
            self._emit_frame()
            self._trained_since_frame = 0.0
            self._next_frame_at = max(self._next_frame_at + self.frame_interval, now)

    def _emit_frame(self) -> None:
        """Build the frame of the run as it is now and put it in the outbox (after the messages
        already there: a frame answering a command follows that command's other messages)."""
        job = FrameJob(
            run=self.run,
            theta=self.run.model.theta.copy(),
            epoch=self.run.epoch,
            history=self.run.history.take_summary(),
            state=self.state,
            probe=self.probe,
            epochs_per_second=self._epochs_per_s(),
            layer_space=self.layer_space,
        )
        self._dirty = False
        # The thread's CPU time, not the clock's: waiting for the interpreter lock while other
        # sessions' turns hold it costs this session nothing, and must not lower its rate.
        start = time.thread_time()
        try:
            message, payload = frame_message(job)
        except Exception as error:  # a frame that cannot be built must not end the session
            self._error("internal", f"frame: {error}")
            return
        self.outbox.put_frame(message, payload)
        took = time.thread_time() - start
        # Averaged, so that one frame slowed by the machine's other work (the browser drawing
        # on the same cores) does not halve the frame rate on its own.
        self.frame_seconds += FRAME_TIME_SMOOTHING * (took - self.frame_seconds)

    def _maybe_send_state(self) -> None:
        """The page's copy of the run, when it is due (`run_state.StateSchedule`); none after
        the final one (`tell_restart`), which says where the run was."""
        if self.restart_told.is_set():
            return
        message = self.run_states.message(self)
        if message is not None:
            self.outbox.put(message)

    def _epochs_per_s(self) -> float:
        window = self._rate_window
        if len(window) < 2 or time.perf_counter() - window[-1] > 1.0:
            return 0.0
        return (len(window) - 1) / (window[-1] - window[0])

    def _status(self, message: str) -> None:
        epoch = self.run.epoch if self.run else 0
        self.outbox.put(
            protocol.Status(state=self.state, epoch=epoch, message=message).model_dump()
        )

    def _error(self, code: str, message: str) -> None:
        self.outbox.put(protocol.Error(code=code, message=message).model_dump())


def build_run(
    config: TrainConfig, number: int, resets: int, custom: CustomData | None = None
) -> Run:
    """The data set `config` asks for (`custom`: the session's own) and a freshly initialised
    model. A ValueError names what in the config does not fit the data."""
    data = run_data(config, custom)
    config = config.completed(data.kind)
    rate = config.regularization_rate
    model = MLP(
        n_x=data.X_train.shape[1],
        n_h=list(config.hidden_layers),
        n_y=len(data.classes) if data.kind == "multiclass" else 1,
        learning_rate=config.learning_rate,
        cost=config.cost,
        hidden_activation=config.activation,
        output_activation=config.output_activation,
        optimizer=config.optimizer,
        l1=rate if config.regularization == "l1" else 0.0,
        l2=rate if config.regularization == "l2" else 0.0,
        seed=[config.seed, resets],
    )
    return Run(
        number=number,
        resets=resets,
        config=config,
        initial_config=config.model_copy(deep=True),
        model=model,
        X_train=model.check_inputs(data.X_train),
        Y_train=model.check_targets(data.y_train, len(data.y_train)),
        X_test=model.check_inputs(data.X_test),
        Y_test=model.check_targets(data.y_test, len(data.y_test)),
        data=data,
        custom=custom if config.source == "custom" else None,
        grid=input_grid(config, data),
        frame_model=model.copy(),
    )


def _points(X: np.ndarray, y: np.ndarray) -> protocol.Points:
    return protocol.Points(x=np.round(X, 4).tolist(), y=np.round(y, 6).tolist())


def ready_message(run: Run) -> dict:
    model, data = run.model, run.data
    return protocol.Ready(
        run=run.number,
        config=run.config,
        resets=run.resets,
        kind=data.kind,
        source=data.source,
        data_name=data.name,
        n_inputs=data.n_inputs,
        columns=list(data.columns),
        classes=list(data.classes),
        plane=data.plane,
        layer_sizes=[model.n_x, *model.n_h, model.n_y],
        activations=[spec(layer.activation) for layer in model.sequential],
        metric="accuracy" if model.is_classifier else "r2",
        view=data.view,
        explained_variance=data.explained_variance,
        x_range=data.x_range,
        y_range=data.y_range,
        train=_points(data.shown_train, data.y_train),
        test=_points(data.shown_test, data.y_test),
        grid=run.grid,
    ).model_dump(mode="json")


def inspection_batch(run: Run, probe: int) -> np.ndarray:
    """The inspection mini-batch: the probe, then the next batch_size - 1 training samples in
    index order, wrapping around at the end (see `protocol.Inspect`)."""
    return (probe + np.arange(run.config.batch_size)) % run.X_train.shape[0]


def inspection_message(run: Run, probe: int) -> dict:
    """The backprop inspector's numbers for the probe, sample 0 of its inspection mini-batch."""
    batch = inspection_batch(run, probe)
    shown = trace(run.model, run.X_train[batch], run.Y_train[batch], sample=0)
    return protocol.Inspection(
        run=run.number, epoch=run.epoch, probe=probe, batch=batch.tolist(), **shown
    ).model_dump(mode="json")


def gradient_check_seconds(model: MLP, X: np.ndarray, Y: np.ndarray) -> float:
    """About how long `gradient_check` would take: two evaluations of the cost per parameter,
    timed here on the batch itself (the fastest of three)."""
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        model.loss(X, Y)
        timings.append(time.perf_counter() - start)
    return 2 * model.theta.size * min(timings)


def layer_space_problem(run: Run, layer: int, neurons) -> str | None:
    """Why hidden layer `layer`'s neurons `neurons` cannot be shown, or None if they can."""
    if run.grid is None:
        return (
            "the layer-space view needs data with one or two inputs; this run's "
            f"{run.data.n_inputs} inputs are shown on their principal components"
        )
    widths = run.model.n_h
    if not widths:
        return "the network has no hidden layer"
    if layer >= len(widths):
        return (
            f"layer {layer} is not a hidden layer: the network has {len(widths)} "
            f"(0 to {len(widths) - 1})"
        )
    i, j = neurons
    if i == j:
        return f"pick two different neurons, not neuron {i} twice"
    outside = [n for n in (i, j) if n >= widths[layer]]
    if outside:
        return (
            f"hidden layer {layer} has {widths[layer]} neurons (0 to {widths[layer] - 1}): "
            f"there is no neuron {outside[0]}"
        )
    return None


def _loss(value: float | None) -> float:
    """A loss for the history: NaN where the engine gave none."""
    return math.nan if value is None else value

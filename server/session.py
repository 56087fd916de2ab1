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
import math
import threading
import time
import weakref
from collections import deque

import numpy as np

from mlp_engine import TrainingDiverged
from mlp_engine.inspection import GradientCheckStopped

from . import protocol, run_state
from .data import CustomData, NoCustomData, csv_data, drawn_data
from .export import export_file, run_from_model_file
from .frames import FrameJob, frame_bytes, frame_message
from .inspector import GradcheckTooLarge, gradcheck_report, inspection_message
from .protocol import TrainConfig
from .run import Run, build_run, ready_message
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
#: One frame in this many has its build timed (the first of a session's among them).
FRAME_TIMED_EVERY = 8
#: While messages keep coming, the event loop looks for them this often on its own instead of
#: being woken for them (`Doorbell`).
DOORBELL_POLL_SECONDS = 0.004


class Doorbell:
    """Wakes an event loop for the outboxes that have something to send: once for all those
    put to since it last woke, not once a message.

    A worker's scheduler threads put 30 frames a second for each of its sessions; a wake-up
    each (`call_soon_threadsafe`, a write to the loop's self-pipe) made the kernel switch to
    the loop's thread while the putting thread held the interpreter lock, which the loop then
    waited for. Rung while a wake-up is on its way, the bell only adds the outbox's event to
    those that wake-up sets: under load many frames share one wake-up, alone nothing waits
    longer than before. And once woken, the loop looks again every `DOORBELL_POLL_SECONDS`
    for as long as each look finds something: on a crowded worker (a frame every few
    milliseconds) no thread wakes the loop at all, and the first look that finds nothing ends
    the polling, so that the next message wakes it again.
    """

    _bells: "weakref.WeakKeyDictionary[object, Doorbell]" = weakref.WeakKeyDictionary()
    _bells_lock = threading.Lock()

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._lock = threading.Lock()
        self._rung: dict[asyncio.Event, None] = {}  # in the order rung
        self._polling = False  # the loop looks again soon: a ring need not wake it

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> "Doorbell":
        """The one doorbell of `loop`."""
        with cls._bells_lock:
            bell = cls._bells.get(loop)
            if bell is None:
                bell = cls._bells[loop] = cls(loop)
            return bell

    def ring(self, event: asyncio.Event) -> None:
        """Have the loop set `event` soon."""
        with self._lock:
            wake = not self._rung and not self._polling
            self._rung[event] = None
        if wake:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to wake
                self._loop.call_soon_threadsafe(self._answer)

    def _answer(self) -> None:
        """On the loop: set the events rung since the last look, and look again soon if any
        were (more are likely to follow)."""
        with self._lock:
            rung, self._rung = self._rung, {}
            self._polling = bool(rung)
        for event in rung:
            event.set()
        if rung:
            self._loop.call_later(DOORBELL_POLL_SECONDS, self._answer)


class Outbox:
    """Messages from the session's turns to the websocket's sender coroutine: the typed
    messages of `protocol` go in, their JSON text (`protocol.wire_text`) comes out, and a
    frame's whole message as bytes (`frames.frame_bytes`); each serialised once, by the thread
    that puts it, so that a big export is not encoded on the event loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, max_bytes: int = MAX_PENDING_BYTES):
        self._lock = threading.Lock()
        self._control: deque = deque()
        self._frame: bytes | None = None
        self.max_bytes = max_bytes
        #: The bytes of control messages put and not yet written to the socket (taken ones
        #: included: the sender holds them until they are written).
        self.pending_bytes = 0
        self.overflowed = False
        self.overflow = asyncio.Event()  # set with `overflowed`, for the handler to wait on
        self._ready = asyncio.Event()
        self._doorbell = Doorbell.of(loop)

    def put(self, message: protocol.ServerMessage) -> None:
        """A control message (ready, status, error, export...): delivered in order.

        A client that sends but never reads would make these pile up: past
        `MAX_PENDING_MESSAGES` messages, or `max_bytes` bytes (one message of any size is
        let through when nothing else waits), the outbox drops them, says so in `overflowed`
        and `overflow`, and the connection is closed.
        """
        text = protocol.wire_text(message)  # ASCII: its length is its size in bytes
        with self._lock:
            if self.overflowed:
                return
            over_count = len(self._control) >= MAX_PENDING_MESSAGES
            over_bytes = self.pending_bytes > 0 and self.pending_bytes + len(text) > self.max_bytes
            if over_count or over_bytes:
                self.overflowed = True
                self._control.clear()  # the connection closes: nobody will read them
                self._doorbell.ring(self.overflow)
                return
            if self._frame is not None:
                # A frame put before this message goes out before it: a run's last frame
                # must not follow the next run's `ready`.
                self._control.append(self._frame)
                self._frame = None
            self._control.append(text)
            self.pending_bytes += len(text)
        self._doorbell.ring(self._ready)

    def sent(self, text: str) -> None:
        """A control message taken from the outbox has been written to the socket."""
        with self._lock:
            self.pending_bytes -= len(text)

    def frame_slot_free(self) -> bool:
        with self._lock:
            return self._frame is None

    def put_frame(self, message: dict, payload: bytes) -> None:
        """The run's newest frame (`frames.frame_bytes`), in place of one not yet taken."""
        data = frame_bytes(message, payload)
        with self._lock:
            self._frame = data
        self._doorbell.ring(self._ready)

    async def take(self) -> list[str | bytes]:
        """Wait for messages; return them in the order they were put (a control message as its
        JSON text, a frame as its bytes; a frame that a control message followed keeps its
        place), then the newest frame if any. The sender reports each control message written
        with `sent`."""
        await self._ready.wait()
        with self._lock:
            self._ready.clear()
            items = list(self._control)
            self._control.clear()
            if self._frame is not None:
                items.append(self._frame)
                self._frame = None
        return items


#: Commands refused once the run's compute budget is spent. The others are cheap, or begin a
#: new run with a new budget (configure, reset, import_model).
COSTLY_COMMANDS = (
    protocol.Gradcheck,
    protocol.Inspect,
    protocol.Export,
    protocol.UploadCsv,
    protocol.Draw,
)
#: Commands whose work may take long (`inspector.GRADCHECK_MAX_SECONDS`, or reading megabytes):
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
        self._frames_built = 0
        self._trained_since_frame = 0.0  # seconds of training since the last frame
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

    def take_turn(self, blocking_lane: bool, seconds: float, crowded: bool) -> float | None:
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
                    self._train_for(seconds, crowded)
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

    def _train_for(self, seconds: float, crowded: bool) -> None:
        """Train the epochs that are due, for at most about `seconds` before giving the
        scheduler's thread to the next session."""
        start = time.perf_counter()
        deadline = start + seconds
        # Crowded, other sessions wait for this thread: their epochs and the event loop's
        # sends all want the worker's one interpreter lock, and a small network's epoch that
        # hands it over and takes it back costs more than it lets them do (docs/deploy.md,
        # "Fourth session"); alone, the session lets the event loop run.
        if self.run is not None:
            self.run.model.release_lock = not crowded
        while self._should_train():
            self._train_epoch()
            if time.perf_counter() >= deadline:
                break
        took = time.perf_counter() - start
        self.compute_used += took
        self._trained_since_frame += took
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
        """Hand a client message to what does its work: the run (`server.run`), its files
        (`export`), the page's copy of it (`run_state`), the session's data (`data`); what is
        left here is the session's own state (playing, pace, probe, view)."""
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
            self._set_speed(message.speed)  # the session's pace, for every run: it may come first
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
            problem = self.run.layer_space_problem(message.layer, message.neurons)
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
                self.run.set_rates(message.learning_rate, message.regularization_rate)
                if "speed" in message.model_fields_set:
                    self._set_speed(message.speed)
            case protocol.Probe():
                self.probe = message.index
            case protocol.SetWeight():
                try:
                    self.run.set_weight(message.layer, message.row, message.col, message.value)
                except IndexError as error:
                    self._error("bad_weight", str(error))
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

    def _set_speed(self, speed: float | None) -> None:
        self.speed = speed
        self._next_epoch_at = time.perf_counter()

    def _gradcheck(self) -> None:
        try:
            report = gradcheck_report(self.run, self.probe, should_stop=self.stopping.is_set)
        except GradcheckTooLarge as error:
            self._error("gradcheck_too_large", str(error))
            return
        self.outbox.put(report)

    def _take_data(self, message: protocol.UploadCsv | protocol.Draw) -> None:
        """A drawing or an upload becomes the session's custom data set; the current run goes
        on until a `configure` asks for it."""
        try:
            custom = csv_data(message) if message.type == "upload_csv" else drawn_data(message)
        except ValueError as error:
            self._error("bad_data", str(error))
            return
        self._use_custom(custom)

    def _use_custom(self, custom: CustomData) -> None:
        """Make `custom` the session's data set, and tell the page (a `data` message)."""
        self.custom = custom
        self.outbox.put(custom.info())

    def _import_model(self, message: protocol.ImportModel) -> None:
        """A new run with the file's weights (and optimiser state) on its config's data."""
        try:
            run, custom = run_from_model_file(
                message.model, self.run, self.custom, self.runs + 1, self.max_parameters
            )
        except ValueError as error:
            self._error("bad_model", str(error))
            return
        if custom is not None:  # the page learns of the run's data as after an upload
            self._use_custom(custom)
        self._begin(run, keep_probe=False)
        self._status(f"imported the model at epoch {run.epoch}")

    def _resume(self, message: protocol.Resume) -> None:
        """The run a page kept (`run_state`), carrying on where it was, with its own number."""
        try:
            run, kept = run_state.resumed_run(message.state, self.max_parameters)
        except ValueError as error:
            self._error("bad_resume", str(error))
            return
        if run.custom is not None:  # the page learns of the run's data as after an upload
            self._use_custom(run.custom)
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
            run = build_run(config, self.runs + 1, resets, custom, self.max_parameters)
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
        self.runs = run.number
        probe = self.probe if keep_probe else 0
        self.run, self.state, self.steps_left, self.probe = run, "paused", 0, probe
        view = self.layer_space
        if view is not None and run.layer_space_problem(view.layer, view.neurons):
            self.layer_space = None
        self._rate_window.clear()
        self.compute_used = 0.0
        self.outbox.put(ready_message(run))
        self._dirty = True
        self._emit_frame()

    def _train_epoch(self) -> None:
        run = self.run
        try:
            train_loss, test_loss = run.train_epoch()
        except TrainingDiverged as error:
            self.state, self.steps_left = "diverged", 0
            self._status(str(error))
            self._dirty = True
            return
        run.history.append(run.epoch, train_loss, test_loss)
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
            epoch=self.run.epoch,
            history=self.run.history.take_summary(),
            state=self.state,
            probe=self.probe,
            epochs_per_second=self._epochs_per_s(),
            layer_space=self.layer_space,
        )
        self._dirty = False
        # The thread's CPU time, not the clock's: waiting for the interpreter lock while other
        # sessions' turns hold it costs this session nothing, and must not lower its rate. But
        # only every FRAME_TIMED_EVERY frames: on a crowded worker that system call was where
        # the kernel switched threads while this one held the lock (docs/deploy.md).
        timed = self._frames_built % FRAME_TIMED_EVERY == 0
        self._frames_built += 1
        start = time.thread_time() if timed else 0.0
        try:
            message, payload = frame_message(job)
        except Exception as error:  # a frame that cannot be built must not end the session
            self._error("internal", f"frame: {error}")
            return
        self.outbox.put_frame(message, payload)
        if timed:
            took = time.thread_time() - start
            # Averaged, so that one frame slowed by the machine's other work (the browser
            # drawing on the same cores) does not halve the frame rate on its own.
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
        self.outbox.put(protocol.Status(state=self.state, epoch=epoch, message=message))

    def _error(self, code: str, message: str) -> None:
        self.outbox.put(protocol.Error(code=code, message=message))

"""Fair sharing of a worker process's cores between its training sessions.

One `Scheduler` per worker process (the app's) runs the work of all its sessions on a small
fixed pool of threads, instead of threads per session that would all fight for the one
interpreter lock with the event loop. A session's work comes in turns (`Job.take_turn`): its
waiting commands, then a few milliseconds of training, then its frame if one is due (the event
loop only sends it). Sessions that have work take turns round robin, so one that trains flat
out gets its turn like any other, and the others' frames keep coming; a paused session is in
no queue and costs nothing until a command arrives.

Commands that may take long (a gradient check, an export, reading an upload, building a run)
go to a lane of their own, a second small pool, so that they hold up other such commands but
never the turns of sessions that train. The compiled kernels release the interpreter lock, so
a pool of about one thread per core keeps the cores busy.
"""

import heapq
import itertools
import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: Threads of the lane for commands that may take long; a third such command waits its turn.
BLOCKING_THREADS = 2
#: How long a whole round of turns should take, so that every training session's frame is
#: built in time for 30 frames/s: each turn's training is cut to fit (within the bounds below).
ROUND_SECONDS = 0.015
MIN_TURN_SECONDS = 0.0005
MAX_TURN_SECONDS = 0.005


def available_cores() -> int:
    """The cores this process may use: its CPU affinity, within a cgroup's CPU quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
    except (OSError, ValueError):
        return max(1, cores or 1)
    if quota != "max":
        cores = min(cores, math.ceil(int(quota) / int(period)))
    return max(1, cores or 1)


class Job(Protocol):
    """What the scheduler runs: a session (`server.session.TrainingSession`)."""

    stopping: threading.Event
    ended: threading.Event

    def take_turn(self, blocking_lane: bool, seconds: float, crowded: bool) -> float | None:
        """Do the work that is due for about `seconds` of training; return when the job wants
        its next turn (`time.perf_counter()` time; now or earlier: at once), None when only a
        command can give it work. `crowded`: the turn was cut short because other jobs wait
        for the pool (see `_next_turn`)."""

    def next_command_blocks(self) -> bool:
        """Whether the first waiting command is one that may take long."""


IDLE, QUEUED, WAITING, RUNNING = "idle", "queued", "waiting", "running"
FAST, BLOCKING = 0, 1


@dataclass(eq=False)
class _Entry:
    job: Job
    state: str = IDLE
    lane: int = FAST
    woken: bool = False  # a command came while the job was running: it goes again at once
    timer: int = 0  # the number of its valid timer; older timers of the job are ignored


class Scheduler:
    """A pool of `threads` threads taking turns over the jobs that have work, and a lane of
    `BLOCKING_THREADS` for the turns that begin with a command that may take long.

    The threads start with the first job and end when the last job has ended, so a process
    that serves nobody runs none of them.
    """

    def __init__(self, threads: int | None = None, blocking_threads: int = BLOCKING_THREADS):
        self.threads = threads or available_cores()
        self.blocking_threads = blocking_threads
        self._lock = threading.Lock()
        self._wakeup = (threading.Condition(self._lock), threading.Condition(self._lock))
        self._queues: tuple[deque, deque] = (deque(), deque())
        self._timers: list = []  # heap of (when, sequence, timer number, entry)
        self._sequence = itertools.count()
        self._entries: dict[Job, _Entry] = {}
        self._live = [0, 0]  # pool threads running, per lane

    # -- the sessions' side -----------------------------------------------------------------
    def add(self, job: Job) -> None:
        """Take `job` on, idle until `wake`."""
        with self._lock:
            self._entries[job] = _Entry(job)
            self._start_pool()

    def wake(self, job: Job) -> None:
        """`job` has work (a command), or is stopping: give it a turn soon; a stopping job that
        is not in a turn ends at once (its `ended` is set)."""
        with self._lock:
            entry = self._entries.get(job)
            if entry is None:
                return
            if entry.state == RUNNING:
                entry.woken = True
            elif job.stopping.is_set():
                if entry.state == QUEUED:
                    self._queues[entry.lane].remove(entry)
                self._end(entry)
            elif entry.state != QUEUED:
                entry.timer += 1
                self._enqueue(entry)

    @property
    def jobs(self) -> int:
        with self._lock:
            return len(self._entries)

    # -- the pool's side ----------------------------------------------------------------------
    def _start_pool(self) -> None:
        """Start the threads each lane lacks (all of them after the last job ended; none while
        jobs run: a thread decides to end under the lock, when there is no job)."""
        for lane, wanted in ((FAST, self.threads), (BLOCKING, self.blocking_threads)):
            for number in range(self._live[lane], wanted):
                name = f"scheduler-{'fast' if lane == FAST else 'blocking'}-{number}"
                threading.Thread(target=self._serve, args=(lane,), name=name, daemon=True).start()
            self._live[lane] = max(self._live[lane], wanted)

    def _serve(self, lane: int) -> None:
        while (turn := self._next_turn(lane)) is not None:
            entry, seconds, crowded = turn
            next_at = None
            try:
                next_at = entry.job.take_turn(lane == BLOCKING, seconds, crowded)
            finally:
                with self._lock:
                    self._after_turn(entry, next_at)

    def _next_turn(self, lane: int) -> tuple[_Entry, float, bool] | None:
        """The next job of `lane` to run, how long it may train, and whether that turn is
        cut short for the others waiting (crowded); None once there are no jobs (the thread
        ends)."""
        queue, wakeup = self._queues[lane], self._wakeup[lane]
        with self._lock:
            while True:
                self._release_timers()
                if queue:
                    entry = queue.popleft()
                    entry.state = RUNNING
                    # As if on one core: the interpreter lock runs a process's Python work
                    # (most of a small network's epoch) on one core at a time.
                    share = ROUND_SECONDS / (len(queue) + 1)
                    seconds = min(MAX_TURN_SECONDS, max(MIN_TURN_SECONDS, share))
                    return entry, seconds, seconds < MAX_TURN_SECONDS
                if not self._entries:
                    self._live[lane] -= 1
                    return None
                timeout = self._timers[0][0] - time.perf_counter() if self._timers else None
                wakeup.wait(timeout)

    def _release_timers(self) -> None:
        now = time.perf_counter()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer, entry = heapq.heappop(self._timers)
            if entry.state == WAITING and entry.timer == timer:
                self._enqueue(entry)

    def _after_turn(self, entry: _Entry, next_at: float | None) -> None:
        job, woken = entry.job, entry.woken
        entry.woken = False
        if job.stopping.is_set() or self._entries.get(job) is not entry:
            self._end(entry)
        elif woken or (next_at is not None and next_at <= time.perf_counter()):
            self._enqueue(entry)
        elif next_at is None:
            entry.state = IDLE
        else:
            entry.state, entry.timer = WAITING, entry.timer + 1
            first = not self._timers or next_at < self._timers[0][0]
            heapq.heappush(self._timers, (next_at, next(self._sequence), entry.timer, entry))
            if first:  # the threads waiting for the earliest timer wait less now
                for wakeup in self._wakeup:
                    wakeup.notify_all()

    def _enqueue(self, entry: _Entry) -> None:
        entry.lane = BLOCKING if entry.job.next_command_blocks() else FAST
        entry.state = QUEUED
        self._queues[entry.lane].append(entry)
        self._wakeup[entry.lane].notify()

    def _end(self, entry: _Entry) -> None:
        entry.state = IDLE
        self._entries.pop(entry.job, None)
        entry.job.ended.set()
        if not self._entries:  # the idle threads end
            for wakeup in self._wakeup:
                wakeup.notify_all()

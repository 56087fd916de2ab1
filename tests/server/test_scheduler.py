"""Issue 13's fair sharing: one scheduler per worker process runs every session's work in turns
on a fixed pool of threads, and `--max-sessions` holds across worker processes.

Counts, not speeds: frames and epochs each session got, threads of the real server process
(/proc), sessions accepted and refused. Timeouts are only a safety net."""

import asyncio
import fcntl
import json
import os
import threading
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from wire import read_message

from server import protocol
from server.cli import worker_count
from server.guard import SESSION_SLOTS_ENV, SessionSlots
from server.scheduler import Scheduler, available_cores
from server.session import Outbox, TrainingSession
from tests.support.launcher import ServerProcess

SAFETY_NET = 60.0


class CountingOutbox(Outbox):
    """An outbox whose frames are taken as soon as they are put, and counted."""

    def __init__(self):
        super().__init__(NoLoop())
        self.frames: list[dict] = []

    def put_frame(self, message: dict, payload: bytes) -> None:
        self.frames.append(message)


class NoLoop:
    def call_soon_threadsafe(self, callback):
        pass


def session_on(scheduler: Scheduler, *messages: dict) -> TrainingSession:
    session = TrainingSession(CountingOutbox(), scheduler)
    for message in messages:
        assert session.submit(protocol.client_message.validate_python(message))
    return session


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + SAFETY_NET
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.01)


def scheduler_threads() -> int:
    return sum(thread.name.startswith("scheduler-") for thread in threading.enumerate())


def test_two_sessions_flat_out_on_one_thread_take_turns():
    """One thread for two sessions that both train flat out: neither waits for the other to
    stop; both get frames and epochs in like measure (their turns are equally long)."""
    scheduler = Scheduler(threads=1)
    configure, play = {"type": "configure"}, {"type": "play"}
    first, second = session_on(scheduler, configure, play), session_on(scheduler, configure, play)
    try:
        wait_for(
            lambda: len(first.outbox.frames) >= 30 and len(second.outbox.frames) >= 30,
            "both sessions got 30 frames",
        )
        epochs = first.run.epoch, second.run.epoch
    finally:
        first.close()
        second.close()
    assert min(epochs) > 30
    assert max(epochs) < 3 * min(epochs), f"epochs {epochs}: one session took the thread"


def test_a_session_keeps_the_lock_through_its_epochs_only_while_others_wait():
    """The scheduler says when a turn is cut short for the sessions waiting (crowded): then an
    epoch keeps the interpreter lock (`MLP.release_lock`); alone, it lets the loop run."""
    play = ({"type": "configure"}, {"type": "play"})
    alone = session_on(Scheduler(threads=1), *play)
    shared = Scheduler(threads=1)
    crowd = [session_on(shared, *play) for _ in range(6)]  # 15 ms / 6 turns < 5 ms
    try:
        everyone = [alone, *crowd]
        wait_for(
            lambda: all(s.run is not None and s.run.epoch >= 20 for s in everyone),
            "20 epochs each",
        )
        assert alone.run.model.release_lock
        assert not any(session.run.model.release_lock for session in crowd)
    finally:
        for session in [alone, *crowd]:
            session.close()


def test_a_session_training_flat_out_does_not_hold_up_another_ones_frames():
    """One thread: a session stepping 200 epochs at speed 1,000 gets its frames while another
    trains flat out beside it; its frames reach the last epoch."""
    scheduler = Scheduler(threads=1)
    busy = session_on(scheduler, {"type": "configure"}, {"type": "play"})
    paced = session_on(
        scheduler, {"type": "configure"}, {"type": "set", "speed": 1000}, {"type": "play"}
    )
    try:
        wait_for(lambda: paced.run is not None and paced.run.epoch >= 200, "200 paced epochs")
        wait_for(lambda: paced.outbox.frames[-1]["epoch"] >= 200, "a frame of epoch 200")
        busy_epochs = busy.run.epoch
    finally:
        busy.close()
        paced.close()
    assert len(paced.outbox.frames) >= 5, "the paced session's frames kept coming"
    assert busy_epochs > 0


def test_close_stops_the_work_and_the_pool_ends_with_the_last_session():
    wait_for(lambda: scheduler_threads() == 0, "the other tests' pools ended")
    scheduler = Scheduler(threads=2)
    sessions = [session_on(scheduler, {"type": "configure"}, {"type": "play"}) for _ in range(3)]
    wait_for(lambda: all(len(s.outbox.frames) >= 3 for s in sessions), "frames of every session")
    assert scheduler_threads() == 2 + scheduler.blocking_threads
    sessions[0].close()
    assert sessions[0].ended.wait(SAFETY_NET)
    stopped_at = sessions[0].run.epoch
    others_at = [s.run.epoch for s in sessions[1:]]
    wait_for(
        lambda: all(s.run.epoch > e + 20 for s, e in zip(sessions[1:], others_at, strict=True)),
        "more",
    )
    assert sessions[0].run.epoch == stopped_at, "a closed session trained on"
    assert scheduler.jobs == 2
    for session in sessions[1:]:
        session.close()
    assert all(session.ended.wait(SAFETY_NET) for session in sessions)
    assert scheduler.jobs == 0
    wait_for(lambda: scheduler_threads() == 0, "the pool's threads ended")


def test_a_slow_command_does_not_hold_up_the_turns_of_training(monkeypatch):
    """A gradient check that does not end (until released) runs on the blocking lane; a
    session on the one fast thread meanwhile trains and gets frames."""
    entered, release = threading.Event(), threading.Event()

    def stuck_gradcheck(self):
        entered.set()
        release.wait(SAFETY_NET)

    monkeypatch.setattr(TrainingSession, "_gradcheck", stuck_gradcheck)
    scheduler = Scheduler(threads=1)
    checking = session_on(scheduler, {"type": "configure"}, {"type": "gradcheck"})
    try:
        assert entered.wait(SAFETY_NET)
        training = session_on(scheduler, {"type": "configure"}, {"type": "play"})
        wait_for(lambda: len(training.outbox.frames) >= 20, "20 frames beside the check")
        assert not release.is_set()
    finally:
        release.set()
        checking.close()
        training.close()


def test_the_server_process_threads_do_not_grow_with_its_sessions(live_server):
    """1 session, then 20, all training flat out: the server process runs as many threads."""
    from benchmarks.bench_load import warm_up

    warm_up(live_server.ws_url)

    async def open_training(count: int) -> list:
        sockets = []
        for _ in range(count):
            websocket = await connect(live_server.ws_url, max_size=None)
            await websocket.send(json.dumps({"type": "configure"}))
            await websocket.send(json.dumps({"type": "play"}))
            sockets.append(websocket)
        deadline = time.monotonic() + SAFETY_NET
        for websocket in sockets:  # every session has trained (its frame after play)
            while True:
                assert time.monotonic() < deadline, "a session sent no frame of its training"
                message = read_message(await asyncio.wait_for(websocket.recv(), SAFETY_NET))
                if message["type"] == "frame" and message["state"] == "running":
                    break
        return sockets

    async def scenario() -> tuple[int, int]:
        one = await open_training(1)
        with_one = live_server.thread_count()
        more = await open_training(19)
        with_twenty = live_server.thread_count()
        for websocket in one + more:
            websocket.transport.abort()  # not the close handshake, behind unread frames
        return with_one, with_twenty

    with_one, with_twenty = asyncio.run(scenario())
    assert with_twenty <= with_one, f"{with_one} threads with 1 session, {with_twenty} with 20"


def test_session_slots_are_shared_by_every_holder_of_the_folder(tmp_path):
    """Two processes' views of one folder (flock conflicts between open files, as between
    processes): 3 slots in all; a released slot is free again."""
    first, second = SessionSlots(tmp_path, 3), SessionSlots(tmp_path, 3)
    taken = [first.take(), second.take(), first.take()]
    assert None not in taken
    assert second.take() is None and first.take() is None
    first.release(taken[0])
    assert (again := second.take()) is not None
    for slot in [again, *taken[1:]]:
        first.release(slot)


def test_max_sessions_holds_across_worker_processes(tmp_path: Path):
    """--workers 2 --max-sessions 3: of 12 connections opened at once and held open, 3 open
    sessions and 9 are closed 1013 (each worker alone would have taken 3); a session that ends
    frees its slot."""
    with ServerProcess("--workers", "2", "--max-sessions", "3") as server:

        async def session_or_refusal(websocket):
            try:
                await websocket.send(json.dumps({"type": "configure"}))
                while (
                    read_message(await asyncio.wait_for(websocket.recv(), SAFETY_NET))["type"]
                    != "ready"
                ):
                    pass
            except ConnectionClosed:
                return websocket, (websocket.close_code, websocket.close_reason)
            return websocket, None

        async def scenario():
            # At once, so that both workers accept some (one at a time, one worker takes all).
            sockets = await asyncio.gather(
                *(connect(server.ws_url, max_size=None) for _ in range(12))
            )
            answers = await asyncio.gather(*map(session_or_refusal, sockets))
            opened = [websocket for websocket, refusal in answers if refusal is None]
            refused = [refusal for _, refusal in answers if refusal is not None]
            closing = opened.pop()
            closing.transport.abort()  # a tab that vanished
            await asyncio.sleep(0)  # the freed slot is taken by the next connection
            deadline = time.monotonic() + SAFETY_NET
            while True:
                websocket = await connect(server.ws_url, max_size=None)
                try:
                    await websocket.send(json.dumps({"type": "configure"}))
                    await asyncio.wait_for(websocket.recv(), SAFETY_NET)
                    break
                except ConnectionClosed:  # the closed session's work is still ending
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.05)
            for open_socket in [*opened, websocket]:
                open_socket.transport.abort()
            return len(opened) + 1, refused

        accepted, refused = asyncio.run(scenario())
    assert accepted == 3
    assert refused == [(1013, "the server is full: 3 sessions are running; try again later")] * 9


def test_sessions_held_by_another_process_count_against_max_sessions(tmp_path: Path):
    """The server's slot folder given (as every worker of one server shares it), 2 of its 3
    slots held by this process as another worker would: the server opens one session, and
    refuses the next saying it is full."""
    held = [os.open(tmp_path / f"slot-{i}", os.O_RDWR | os.O_CREAT) for i in range(2)]
    for fd in held:
        fcntl.flock(fd, fcntl.LOCK_EX)
    env = {SESSION_SLOTS_ENV: str(tmp_path)}
    try:
        with ServerProcess("--max-sessions", "3", env=env) as server:

            async def scenario():
                first = await connect(server.ws_url, close_timeout=1)
                second = await connect(server.ws_url, close_timeout=1)
                return [await answer(first), await answer(second)]

            async def answer(websocket):
                async with websocket:
                    try:
                        await websocket.send(json.dumps({"type": "configure"}))
                        return json.loads(await asyncio.wait_for(websocket.recv(), SAFETY_NET))
                    except ConnectionClosed:
                        return websocket.close_code, websocket.close_reason

            first, second = asyncio.run(scenario())
    finally:
        for fd in held:
            os.close(fd)
    assert first["type"] == "ready"
    assert second == (1013, "the server is full: 3 sessions are running; try again later")


def test_workers_auto_is_one_per_available_core():
    assert worker_count("auto") == available_cores() >= 1
    assert worker_count("3") == 3
    with pytest.raises(Exception, match="at least 1"):
        worker_count("0")


def test_worker_processes_share_sessions_opened_one_after_another():
    """--workers 2: students arrive one at a time; with one shared listening socket one worker
    took them all (the other idled), so each worker now accepts on a socket of its own
    (SO_REUSEPORT, server/workers.py) and the kernel spreads the connections. 16 sessions, each
    of the two workers holds some (all on one worker by chance: 2 in 65,536) and together all."""
    import urllib.request

    with ServerProcess("--workers", "2") as server:

        async def open_sessions():
            sockets = []
            for _ in range(16):
                websocket = await connect(server.ws_url, max_size=None)
                await websocket.send(json.dumps({"type": "configure"}))
                while (
                    read_message(await asyncio.wait_for(websocket.recv(), SAFETY_NET))["type"]
                    != "ready"
                ):
                    pass
                sockets.append(websocket)
            return sockets

        async def scenario():
            sockets = await open_sessions()
            sessions_by_pid = {}
            for _ in range(400):  # new connections, hashed to either worker's socket
                with urllib.request.urlopen(f"{server.url}/api/health", timeout=SAFETY_NET) as r:
                    health = json.loads(r.read())
                sessions_by_pid[health["pid"]] = health["sessions"]
                if len(sessions_by_pid) == 2:
                    break
            for websocket in sockets:
                await websocket.close()
            return sessions_by_pid

        sessions_by_pid = asyncio.run(scenario())
    assert len(sessions_by_pid) == 2, sessions_by_pid
    assert sum(sessions_by_pid.values()) == 16
    assert min(sessions_by_pid.values()) >= 1, sessions_by_pid

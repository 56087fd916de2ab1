"""The FastAPI application: REST for the menus, a websocket per training session, the page."""

import asyncio
import contextlib
import os
import re
import signal
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import plotly
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from mlp_engine import kernels

from . import csv_preview, protocol
from .guard import SESSION_SLOTS_ENV, SessionSlots, TokenBucket, origin_allowed, refusal_reason
from .scheduler import Scheduler
from .session import (
    DEFAULT_FRAME_RATE,
    MAX_PENDING_COMMANDS,
    MAX_PENDING_MESSAGES,
    Outbox,
    TrainingSession,
)
from .settings import Settings
from .web_security import secure

VERSION = "0.1.0"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def static_dir() -> Path:
    """The front end: `static/` beside the package in a checkout, `server/static` installed."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "static", here / "static"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("the front end's static/ folder is missing from this installation")


async def _send(websocket: WebSocket, outbox: Outbox) -> None:
    while True:
        for message in await outbox.take():
            if isinstance(message, bytes):  # a frame
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(message)
                outbox.sent(message)


def _size(text: str) -> int:
    """The UTF-8 size of `text` in bytes."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


async def _receive_unless_idle(
    websocket: WebSocket, session: TrainingSession, outbox: Outbox, idle: float
):
    """The next ASGI message; None once the session has had no message for `idle` seconds
    while not training (the clock restarts when training stops, to within a tenth of `idle`),
    or at once when the outbox overflows (a client that does not read, even if it sends no
    more)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + idle
    receiving = asyncio.ensure_future(websocket.receive())
    overflowing = asyncio.ensure_future(outbox.overflow.wait())
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            done, _ = await asyncio.wait(
                (receiving, overflowing),
                timeout=min(remaining, idle / 10),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if receiving in done:
                return receiving.result()
            if overflowing in done:
                return None
            if session.training:
                deadline = loop.time() + idle
    finally:
        receiving.cancel()
        overflowing.cancel()


#: Messages that carry a file may be larger (`max_upload_bytes`). Spotted before parsing, so
#: that only text that looks like an upload is parsed at that size; checked again after.
UPLOAD_TYPE = re.compile(r'"type"\s*:\s*"(?:' + "|".join(protocol.UPLOAD_TYPES) + ')"')


def too_large(size: int, limit: int) -> protocol.Error:
    return protocol.Error(
        code="message_too_large",
        message=f"a message of {size} bytes is over the limit of {limit} bytes",
    )


def rate_limited(message: str) -> protocol.Error:
    return protocol.Error(code="rate_limited", message=message)


def _screen(received: dict, bucket: TokenBucket, byte_bucket: TokenBucket, settings: Settings):
    """The text of a client message that may go on to parsing, or the `error` to answer."""
    if not bucket.take():
        return None, rate_limited(
            f"more than {settings.messages_per_second:g} messages a second: dropped"
        )
    text, data = received.get("text"), received.get("bytes")
    size = _size(text) if text is not None else len(data or b"")
    upload = text is not None and UPLOAD_TYPE.search(text) is not None
    limit = settings.max_upload_bytes if upload else settings.max_message_bytes
    if size > limit:
        return None, too_large(size, limit)
    if not byte_bucket.take(size):
        return None, rate_limited(
            f"more than {settings.message_bytes_per_second} bytes a second (bursts of "
            f"{settings.max_upload_bytes}): this message of {size} bytes was dropped"
        )
    if text is None:
        return None, protocol.Error(
            code="invalid_message", message="send JSON text messages, not binary ones"
        )
    return text, None


async def _stop(session: TrainingSession) -> None:
    """Stop the session's work and wait until its turn under way has ended, however long that
    takes (one epoch or one command's build: `TrainingSession.close`), without holding a thread
    of the loop's pool."""
    session.close()
    while not session.finished:
        await asyncio.sleep(0.01)


async def _parse(text: str, settings: Settings):
    """`protocol.parse_client_message`, on a thread for a text larger than an ordinary message (an
    upload's megabytes take the parser tens of milliseconds, which the loop spends sending
    other sessions' frames instead), checking that only uploads are that large."""
    size, limit = _size(text), settings.max_message_bytes
    if size <= limit:
        return protocol.parse_client_message(text)
    message, error = await asyncio.to_thread(protocol.parse_client_message, text)
    if error is None and message.type not in protocol.UPLOAD_TYPES:
        return None, too_large(size, limit)
    return message, error


@dataclass
class Sessions:
    """The app's registry of running sessions, the scheduler that runs their work, and the
    slots that cap them across the server's worker processes."""

    scheduler: Scheduler
    slots: SessionSlots
    running: set = field(default_factory=set)


async def training_socket(
    websocket: WebSocket, settings: Settings, sessions: Sessions, frame_rate: float
) -> None:
    """One session: refused at once if its origin is not allowed or the server is full."""
    await websocket.accept()
    origin = websocket.headers.get("origin")
    server_port = (websocket.scope.get("server") or (None, None))[1]
    host = websocket.headers.get("host")
    if not origin_allowed(
        origin, host, server_port, settings.allowed_origins, settings.allowed_hosts
    ):
        await websocket.close(1008, refusal_reason(origin))
        return
    slot = sessions.slots.take()
    if slot is None:
        await websocket.close(
            1013,
            f"the server is full: {settings.max_sessions} sessions are running; try again later",
        )
        return
    outbox = Outbox(asyncio.get_running_loop(), settings.max_outbox_bytes)
    session = TrainingSession(
        outbox, sessions.scheduler, frame_rate, settings.compute_seconds, settings.max_parameters
    )
    # The session counts against `max_sessions` (and in /api/health) until its last turn has
    # ended, not only while its client is connected.
    sessions.running.add(session)
    sender = asyncio.create_task(_send(websocket, outbox))
    bucket = TokenBucket(settings.messages_per_second, settings.message_burst)
    byte_bucket = TokenBucket(settings.message_bytes_per_second, settings.max_upload_bytes)
    dropping = False  # one rate_limited error per run of dropped messages, not one each
    idle = False
    try:
        while True:
            received = await _receive_unless_idle(websocket, session, outbox, settings.idle_seconds)
            if received is None:
                idle = not outbox.overflowed
                break
            if received["type"] == "websocket.disconnect":
                break
            text, error = _screen(received, bucket, byte_bucket, settings)
            if error is None:
                message, error = await _parse(text, settings)
            if error is None and not session.submit(message):
                error = rate_limited(
                    f"the session is busy: {MAX_PENDING_COMMANDS} commands are waiting; "
                    f"this {message.type!r} was dropped"
                )
            if error is not None and error.code == "rate_limited":
                if not dropping:
                    outbox.put(error)
                dropping = True
                continue
            dropping = False
            if error is not None:
                outbox.put(error)
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        try:
            await _stop(session)
        finally:
            sessions.running.discard(session)
            sessions.slots.release(slot)
    if idle:
        await websocket.close(1000, f"idle for {settings.idle_seconds:g} s")
    elif outbox.overflowed:
        await websocket.close(
            1008,
            f"the client does not read its replies: over {outbox.max_bytes} bytes or "
            f"{MAX_PENDING_MESSAGES} messages wait",
        )


#: How long a stopping server waits for its pages to receive their runs' final states.
RESTART_NOTICE_SECONDS = 3.0


async def tell_pages_of_restart(sessions: set, timeout: float = RESTART_NOTICE_SECONDS) -> None:
    """Have every session tell its page that the server stops and send its run's final state
    (`TrainingSession.tell_restart`); return once all are written to their sockets, or after
    `timeout` (a page that does not read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    told = list(sessions)
    for session in told:
        while not session.tell_restart() and loop.time() < deadline:
            await asyncio.sleep(0.01)  # its commands are full: the worker is taking them

    def waiting(session) -> bool:
        unsent = not session.restart_told.is_set() or session.outbox.pending_bytes > 0
        return unsent and not session.finished

    while loop.time() < deadline and any(waiting(session) for session in told):
        await asyncio.sleep(0.01)


def _tell_pages_before_stopping(app: FastAPI) -> None:
    """On SIGTERM, tell the pages first (`tell_pages_of_restart`), then let uvicorn's own
    handler begin its graceful shutdown, which closes the websockets (code 1012): by then each
    page holds its run's final state. Only where uvicorn handles the signal (its main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    uvicorn_handler = signal.getsignal(signal.SIGTERM)
    if not callable(uvicorn_handler):
        return
    loop = asyncio.get_running_loop()

    async def tell_then_stop(signum, frame) -> None:
        try:
            await tell_pages_of_restart(app.state.sessions.running)
        finally:
            uvicorn_handler(signum, frame)

    def on_sigterm(signum, frame) -> None:
        if app.state.stopping is not None:  # a second SIGTERM: stop at once
            uvicorn_handler(signum, frame)
            return
        app.state.stopping = True

        def start() -> None:
            app.state.stopping = loop.create_task(tell_then_stop(signum, frame))

        loop.call_soon_threadsafe(start)

    signal.signal(signal.SIGTERM, on_sigterm)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
    _tell_pages_before_stopping(app)
    # Every worker process compiles (or loads from Numba's disk cache) the training loop as it
    # starts, not when its first student presses play.
    threading.Thread(target=kernels.warm_up, name="compile-kernels", daemon=True).start()
    yield


def create_app(settings: Settings | None = None, frame_rate: float = DEFAULT_FRAME_RATE) -> FastAPI:
    """The playground's app: `settings` default to the environment's (server/settings.py);
    `frame_rate` caps the frames per second each session sends."""
    settings = Settings.from_env() if settings is None else settings
    # No /docs nor /redoc: FastAPI's pages load Swagger UI and ReDoc from a CDN, and the
    # playground works offline; docs/protocol.md documents the API, /openapi.json describes it.
    app = FastAPI(
        title="MLP Playground",
        version=VERSION,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    shared = os.environ.get(SESSION_SLOTS_ENV)
    if shared is None:  # this process alone: its own folder, removed with the app
        app.state.slots_folder = tempfile.TemporaryDirectory(prefix="mlp-playground-slots-")
    slots = SessionSlots(shared or app.state.slots_folder.name, settings.max_sessions)
    app.state.sessions = Sessions(Scheduler(), slots)
    app.state.stopping = None  # a SIGTERM's notice to the pages, once one came

    @app.get("/api/health")
    def health() -> dict:
        """Alive; which process answered and how many sessions it runs: one per open tab,
        and a closed tab's until its work has stopped (what `max_sessions` counts, over every
        worker process)."""
        return {
            "status": "ok",
            "version": VERSION,
            "pid": os.getpid(),
            "sessions": len(app.state.sessions.running),
        }

    @app.get("/api/options")
    def options() -> dict:
        return {**protocol.options(), "server_limits": settings.limits()}

    app.include_router(csv_preview.router)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.websocket("/ws/train")
    async def train(websocket: WebSocket) -> None:
        await training_socket(websocket, settings, app.state.sessions, frame_rate)

    app.mount("/", StaticFiles(directory=static_dir(), html=True), name="static")
    secure(app, settings)
    return app


app = create_app()

"""The FastAPI application: REST for the menus, a websocket per training session, the page."""

import asyncio
import json
from pathlib import Path

import plotly
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from . import protocol
from .session import DEFAULT_FRAME_RATE, Outbox, TrainingSession

VERSION = "0.1.0"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def static_dir() -> Path:
    """The front end: `static/` beside the package in a checkout, `server/static` installed."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "static", here / "static"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("the front end's static/ folder is missing from this installation")


def error_reply(error: ValidationError, text: str) -> dict:
    """An `error` message for a client message that failed validation, naming the field."""
    details = [
        {"loc": [str(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    ]
    kind = json.loads(text).get("type") if text.lstrip().startswith("{") else None
    if details and details[0]["type"] == "union_tag_invalid":
        return protocol.Error(
            code="unknown_type",
            message=f"unknown message type {json.dumps(kind)}; valid types: "
            + ", ".join(protocol.CLIENT_TYPES),
        ).model_dump()
    if details and details[0]["type"] == "union_tag_not_found":
        return protocol.Error(
            code="invalid_message", message="a message needs a 'type' field"
        ).model_dump()
    first = details[0]
    where = ".".join(part for part in first["loc"][1:] if not part.startswith("function-"))
    code = "invalid_config" if kind == "configure" else "invalid_message"
    return protocol.Error(
        code=code, message=f"{where or kind}: {first['msg']}", details=details
    ).model_dump()


def parse_client_message(text: str):
    """A validated client message, or the `error` message to answer with."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return None, protocol.Error(code="bad_json", message=f"not JSON: {error}").model_dump()
    if not isinstance(data, dict):
        return None, protocol.Error(
            code="invalid_message", message="a message must be a JSON object with a 'type'"
        ).model_dump()
    try:
        return protocol.client_message.validate_python(data), None
    except ValidationError as error:
        return None, error_reply(error, text)


async def _send(websocket: WebSocket, outbox: Outbox) -> None:
    while True:
        for message, payload in await outbox.take():
            await websocket.send_text(json.dumps(message))
            if payload is not None:
                await websocket.send_bytes(payload)


async def training_socket(websocket: WebSocket, frame_rate: float) -> None:
    await websocket.accept()
    outbox = Outbox(asyncio.get_running_loop())
    session = TrainingSession(outbox, frame_rate)
    sender = asyncio.create_task(_send(websocket, outbox))
    try:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                break
            if received.get("text") is None:
                outbox.put(
                    protocol.Error(
                        code="invalid_message", message="send JSON text messages, not binary ones"
                    ).model_dump()
                )
                continue
            message, error = parse_client_message(received["text"])
            if error is not None:
                outbox.put(error)
            else:
                session.submit(message)
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        await asyncio.get_running_loop().run_in_executor(None, session.close)


def create_app(frame_rate: float = DEFAULT_FRAME_RATE) -> FastAPI:
    """The playground's app; `frame_rate` caps the frames per second each session sends."""
    app = FastAPI(title="MLP Playground", version=VERSION)

    @app.get("/api/health")
    def health() -> dict:
        return {"status": "ok", "version": VERSION}

    @app.get("/api/options")
    def options() -> dict:
        return protocol.options()

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.websocket("/ws/train")
    async def train(websocket: WebSocket) -> None:
        await training_socket(websocket, frame_rate)

    app.mount("/", StaticFiles(directory=static_dir(), html=True), name="static")
    return app


app = create_app()

"""The server's limits and allowed origins: one `Settings`, read from the environment.

`mlp-playground`'s flags are written to the environment (`MLP_PLAYGROUND_<FIELD>`) before
uvicorn starts, and `create_app` reads them from there, so that every worker process uvicorn
starts (each imports `server.app:app` anew) gets the same settings.
"""

import os
from dataclasses import dataclass, field, fields

ENV_PREFIX = "MLP_PLAYGROUND_"


@dataclass(frozen=True)
class Settings:
    """Caps on what one client may cost the server. Each is configurable; see `describe`."""

    max_message_bytes: int = field(default=64 * 1024, metadata={"help": "largest client message"})
    max_upload_bytes: int = field(
        default=7_000_000,
        metadata={
            "help": "largest message carrying a file (upload_csv, draw, import_model); a CSV "
            "itself may have at most 5 MB"
        },
    )
    messages_per_second: float = field(
        default=200.0, metadata={"help": "sustained client messages per second per connection"}
    )
    message_burst: float = field(
        default=400.0, metadata={"help": "client messages a connection may send at once"}
    )
    message_bytes_per_second: int = field(
        default=1_000_000,
        metadata={
            "help": "sustained bytes of client messages per second per connection (bursts of "
            "max_upload_bytes: one largest upload at once)"
        },
    )
    max_outbox_bytes: int = field(
        default=8 * 1024 * 1024,
        metadata={
            "help": "bytes of replies waiting for a client that does not read them; past this "
            "(or 1000 replies) the connection is closed"
        },
    )
    max_sessions: int = field(
        default=64, metadata={"help": "concurrent sessions, over every worker process"}
    )
    idle_seconds: float = field(
        default=30 * 60.0,
        metadata={"help": "close a session without a client message while not training"},
    )
    compute_seconds: float = field(
        default=60 * 60.0,
        metadata={"help": "training time per run; 'reset' or 'configure' gives a new budget"},
    )
    max_parameters: int = field(
        default=10_000,
        metadata={"help": "weights and biases per network (the config allows at most 7,813)"},
    )
    allowed_origins: tuple[str, ...] = field(
        default=(),
        metadata={"help": "origins allowed besides the server's own ('*': any)"},
    )
    allowed_hosts: tuple[str, ...] = field(
        default=(),
        metadata={"help": "Host names served besides the loopback names ('*': any)"},
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """The settings given by `MLP_PLAYGROUND_*` variables; the defaults for the others."""
        environ = os.environ if environ is None else environ
        given = {}
        for spec in fields(cls):
            text = environ.get(env_name(spec.name))
            if text is None:
                continue
            try:
                given[spec.name] = _parse(spec.name, text)
            except ValueError as error:
                raise ValueError(f"{env_name(spec.name)}={text!r}: {error}") from None
        return cls(**given)

    def to_env(self) -> dict[str, str]:
        """The `MLP_PLAYGROUND_*` variables that `from_env` reads back as these settings."""
        return {env_name(spec.name): _format(getattr(self, spec.name)) for spec in fields(self)}

    def limits(self) -> dict:
        """The caps, as `GET /api/options` states them under `server_limits`."""
        return {
            spec.name: getattr(self, spec.name)
            for spec in fields(self)
            if spec.name not in ("allowed_origins", "allowed_hosts")
        }


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _parse(name: str, text: str):
    if name in ("allowed_origins", "allowed_hosts"):
        return tuple(entry.strip() for entry in text.split(",") if entry.strip())
    kind = {spec.name: spec.type for spec in fields(Settings)}[name]
    value = int(text) if kind is int else float(text)
    if not value > 0:
        raise ValueError("must be positive")
    return value


def _format(value) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)

"""`mlp-playground [--host 127.0.0.1] [--port 8000] [--workers 1|N|auto] [--no-browser] [caps...]`:
start the playground.

The caps, allowed origins and hosts, and the request heads' limits go to the worker processes
through the environment (server/settings.py, server/web_security.py), so that each of
`--workers` reads the same. `--max-sessions` holds for the server as a whole: its worker
processes share one folder of session slots (`guard.SessionSlots`).
"""

import argparse
import os
import shutil
import sys
import tempfile
import threading
import webbrowser
from dataclasses import fields

import uvicorn

from .guard import LOOPBACK_NAMES, SESSION_SLOTS_ENV, host_allowed
from .scheduler import available_cores
from .settings import Settings, env_name
from .web_security import HeadLimits
from .workers import run_workers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlp-playground", description=__doc__)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=worker_count,
        default=1,
        metavar="N|auto",
        help="worker processes (default 1: one user starts fastest; 'auto': one per core this "
        "process may use, for a class; see docs/deploy.md)",
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument(
        "--allowed-origin",
        action="append",
        default=None,
        metavar="URL",
        help="an origin allowed to open sessions besides the server's own (repeatable; '*': any)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="a host name served besides localhost and IP addresses, e.g. the public name "
        "nginx passes on (repeatable; '*': any; the hosts of --allowed-origin are served too)",
    )
    head = HeadLimits.from_env()
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=head.header_timeout,
        metavar="SECONDS",
        help="close a connection whose request head is not complete after this long "
        f"(default %(default)s; env {env_name('header_timeout')})",
    )
    parser.add_argument(
        "--max-header-bytes",
        type=int,
        default=head.max_header_bytes,
        metavar="BYTES",
        help="answer 431 and close a connection whose request head grows larger "
        f"(default %(default)s; env {env_name('max_header_bytes')})",
    )
    defaults = Settings.from_env()
    for spec in fields(Settings):
        if spec.name in ("allowed_origins", "allowed_hosts"):
            continue
        parser.add_argument(
            "--" + spec.name.replace("_", "-"),
            type=spec.type,
            default=getattr(defaults, spec.name),
            help=f"{spec.metadata['help']} (default %(default)s; env {env_name(spec.name)})",
        )
    return parser


def worker_count(text: str) -> int:
    """`--workers`: a positive number, or 'auto' for one per core available
    (`scheduler.available_cores`: each worker's scheduler trains on about one core, and the
    interpreter lock keeps a process's Python work on one core at a time)."""
    if text == "auto":
        return available_cores()
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return count


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The flags' settings; `--allowed-origin` adds to MLP_PLAYGROUND_ALLOWED_ORIGINS,
    `--allowed-host` to MLP_PLAYGROUND_ALLOWED_HOSTS, and so does a `--host` that is a name."""
    given = {spec.name: getattr(args, spec.name, None) for spec in fields(Settings)}
    environment = Settings.from_env()
    given["allowed_origins"] = environment.allowed_origins + tuple(args.allowed_origin or ())
    listening = () if host_allowed(args.host, (), ()) else (args.host,)
    given["allowed_hosts"] = environment.allowed_hosts + tuple(args.allowed_host or ()) + listening
    return Settings(**given)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = settings_from_args(args)
    os.environ.update(settings.to_env())
    os.environ.update(HeadLimits(args.header_timeout, args.max_header_bytes).to_env())
    if args.host not in LOOPBACK_NAMES:
        print(
            f"warning: listening on {args.host}: the playground is reachable from the network; "
            "anyone who can reach this port can start training sessions. It answers requests "
            "for IP addresses and localhost; give the names users type with --allowed-host",
            file=sys.stderr,
            flush=True,
        )
    url = f"http://{args.host}:{args.port}/"
    processes = "1 worker process" if args.workers == 1 else f"{args.workers} worker processes"
    print(f"MLP Playground: {url} ({processes})", flush=True)
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    given = os.environ.get(SESSION_SLOTS_ENV)  # a folder of the service's, e.g. under /run
    slots = given or tempfile.mkdtemp(prefix="mlp-playground-slots-")
    os.environ[SESSION_SLOTS_ENV] = slots
    serving = dict(
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        http="server.web_security:HeadLimitedProtocol",
    )
    try:
        if args.workers == 1:
            uvicorn.run("server.app:app", **serving)
        else:  # a listening socket each, so that the kernel spreads the sessions evenly
            run_workers(uvicorn.Config("server.app:app", **serving))
    finally:
        if not given:
            shutil.rmtree(slots, ignore_errors=True)


if __name__ == "__main__":
    main()

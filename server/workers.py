"""Several worker processes that share the class's sessions evenly.

uvicorn's own `--workers` hands every worker one listening socket: a new connection goes to
whichever worker's event loop accepts first. With the scheduler (server/scheduler.py) a worker
whose cores are busy training still accepts promptly, so connections pile onto one worker:
measured with 32 sessions on 2 workers, splits such as 29 + 3, whose 29 sessions then got
11 frames/s each (docs/deploy.md). Here each worker listens on a socket of its own, all bound to
the same address with SO_REUSEPORT, so that the kernel spreads new connections over the workers
by a hash of each connection's addresses, whatever their load. uvicorn's supervisor still
watches the workers; one that dies is started again listening on every socket, so no socket is
left without a worker to accept its connections. It builds on uvicorn's supervisor classes
(`Multiprocess`, `Process`; uvicorn 0.54, the floor pyproject.toml sets) rather than a
supervisor of its own, so health checks, restarts and signals stay uvicorn's.
"""

import socket

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess, Process


def reuse_port_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A socket listening on (host, port) with SO_REUSEPORT, that a child process inherits.

    It listens from here, before its worker has started: the kernel spreads connections only
    over the sockets of the group that listen, so a worker slow to start (seconds of imports on
    a loaded machine) would otherwise see every early connection go to the others; now they
    wait in its socket's backlog until it accepts them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class SpreadWorkers(Multiprocess):
    """uvicorn's supervisor, starting worker i on socket i (`self.sockets`: one a worker)."""

    def init_processes(self) -> None:
        for sock in self.sockets:
            process = Process(self.config, [sock])
            process.start()
            self.processes.append(process)


def run_workers(config: uvicorn.Config) -> None:
    """Serve `config.app` (an import string) with `config.workers` processes, each accepting on
    a socket of its own (see the module's docstring)."""
    sockets = [
        reuse_port_socket(config.host, config.port, config.backlog) for _ in range(config.workers)
    ]
    try:
        SpreadWorkers(config, sockets=sockets).run()
    finally:
        for sock in sockets:
            sock.close()

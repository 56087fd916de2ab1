"""Debian's nginx on loopback, in front of several playground backends, as docs/deploy.md sets
it up: an upstream of least connections, websocket upgrade headers passed on. It runs from a
directory of its own (config, logs, temporary files), as any user."""

import subprocess
import time
import urllib.request
from pathlib import Path

from tests.support.launcher import free_port

NGINX = Path("/usr/sbin/nginx")

CONFIG = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size 8m;
    # Responses larger than the buffers (plotly.min.js) stream instead of going to a temporary
    # file: run as root, nginx's workers are `nobody`, who may not write in the test's folder.
    proxy_max_temp_file_size 0;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream playground {{
        least_conn;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://playground;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


class Nginx:
    """nginx on 127.0.0.1:`port`, proxying to the backends on `backend_ports`."""

    def __init__(self, root: Path, backend_ports: list[int]):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
            for port in backend_ports
        )
        (root / "nginx.conf").write_text(CONFIG.format(root=root, servers=servers, port=self.port))
        self.process: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        command = [str(NGINX), "-p", str(self.root), "-c", str(self.root / "nginx.conf")]
        # -e: the log of nginx's own start, before it reads the config (else /var/log/nginx)
        self.process = subprocess.Popen([*command, "-e", str(self.root / "error.log")])
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / "error.log").read_text()
                    raise RuntimeError(f"nginx did not start:\n{log}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

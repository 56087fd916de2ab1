"""Behind a standard load balancer no stickiness is needed: Debian's nginx in front of two
backends (least connections); the backend serving a page dies and the page goes on through the
other, resuming its run. Real nginx, real servers, headless Chromium."""

import json
import urllib.request

import pytest
from kept_runs import (
    LINK,
    MOST_EPOCHS_LOST,
    check_goes_on_unbroken,
    forget_refused_reconnections,
    train_until_kept,
    wait_until_resumed,
)
from nginx import Nginx
from readouts import epoch

from tests.support.launcher import ServerProcess


def sessions(backend: ServerProcess) -> int:
    with urllib.request.urlopen(f"{backend.url}/api/health", timeout=5) as answer:
        return json.load(answer)["sessions"]


@pytest.fixture
def balanced(tmp_path):
    """Two backends and nginx in front of them."""
    backends = [ServerProcess(log_path=tmp_path / f"backend{i}.log") for i in range(2)]
    for backend in backends:
        backend.start()
    nginx = Nginx(tmp_path, [backend.port for backend in backends])
    try:
        yield nginx.start(), backends
    finally:
        nginx.stop()
        for backend in backends:
            backend.stop()


def test_a_lost_backend_s_page_goes_on_through_the_other(balanced, watched):
    nginx, backends = balanced
    page = watched.open(LINK, base_url=nginx.url)
    run = train_until_kept(page, 30)
    serving = [backend for backend in backends if sessions(backend) == 1]
    assert len(serving) == 1, "the page's session should be on one backend"
    [lost] = serving
    [other] = [backend for backend in backends if backend is not lost]
    lost.process.kill()  # SIGKILL: the machine or the process is gone
    lost.process.wait(timeout=10)
    shown = epoch(page)
    lost.process = None
    resumed = wait_until_resumed(page)
    assert resumed["run"] == run
    assert shown - MOST_EPOCHS_LOST <= resumed["epoch"] <= shown
    assert sessions(other) == 1
    check_goes_on_unbroken(page, resumed["epoch"])
    forget_refused_reconnections(watched)

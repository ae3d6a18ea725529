"""App fixtures: a random tiny reasoner for handler tests, and a real server for browser/API tests.

The server runs ``vqa serve`` on the shipped weights in a subprocess on a free local port, as a
user would start it; it is shared by the browser and API tests of one session.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
START_TIMEOUT_S = 300  # import torch + gradio + load the models: ~20 s idle, minutes on a loaded 2-core machine


@pytest.fixture(scope="session")
def random_weights(tmp_path_factory) -> Path:
    """A randomly initialised small reasoner (answers are arbitrary; shapes and plumbing are real)."""
    import torch

    from vqa.reason.config import ReasonerConfig
    from vqa.reason.reasoner import Reasoner

    torch.manual_seed(0)
    return Reasoner(ReasonerConfig(dim=32)).save_pretrained(tmp_path_factory.mktemp("weights") / "random")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(command: list[str], port: int, log: Path) -> subprocess.Popen:
    """Start ``command`` (which must serve on ``port``) and wait until the page answers."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    out = log.open("w")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{' '.join(command)} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    pytest.fail(f"the app did not answer on {url} within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """``vqa serve`` on the shipped weights, on a free port of 127.0.0.1."""
    from vqa.reason.reasoner import DEFAULT_WEIGHTS

    if not DEFAULT_WEIGHTS.is_file():
        pytest.fail(f"shipped weights missing at {DEFAULT_WEIGHTS}; train them with `vqa train reasoner`")
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    proc = start_server([sys.executable, "-m", "vqa.cli.main", "serve", "--port", str(port)], port, log)
    yield f"http://127.0.0.1:{port}/"
    stop_server(proc)


@pytest.fixture(scope="session")
def small_queue_server(tmp_path_factory):
    """``vqa serve`` answering one question at a time with 4 waiting at most."""
    port = free_port()
    log = tmp_path_factory.mktemp("soak") / "serve.log"
    proc = start_server([sys.executable, "-m", "vqa.cli.main", "serve", "--port", str(port), "--concurrency", "1",
                         "--queue-size", "4"], port, log)
    yield proc, f"http://127.0.0.1:{port}/"
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright  # PyPI playwright drives Debian's chromium: no download

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found; install Debian's chromium (scripts/setup.sh does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()

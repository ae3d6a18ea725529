"""The app under load and abuse, short: 4 clients x 16 requests mixing good questions, bad corpus
files, empty questions, no image and an oversized upload, then a flood past a small queue
(benchmarks/app_soak.py runs 16 x 50 against the default queue)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "app_soak.py"


@pytest.fixture(scope="module")
def soak_module():
    spec = importlib.util.spec_from_file_location("app_soak", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_soak_bad_requests_get_their_messages_and_a_full_queue_says_try_again(soak_module, small_queue_server,
                                                                             tmp_path):
    proc, url = small_queue_server
    soak = soak_module.run_soak(url, clients=4, requests=16, server_pid=proc.pid, folder=tmp_path)
    assert soak.done == 64 and soak.failures == []
    assert set(soak.messages) == {"bad file", "empty question", "oversized"}
    flooded = soak_module.flood(url, 4 + 1 + 16, timeout=120)
    assert flooded["hung"] == 0 and flooded["other"] == [] and flooded["full"] > 0 and flooded["answered"] > 0
    assert max(flooded["full_seconds"]) < 30  # answered, not left waiting
    assert soak_module.report(soak, flooded, 4, log=lambda *_: None) == []
    assert proc.poll() is None  # the server is still up

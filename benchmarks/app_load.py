"""Load test of the web app's API: 16 concurrent gradio_client clients x 20 questions each.

Starts ``vqa serve`` on a free local port (or uses ``--url``), waits for it, then each client
thread asks its questions on the shipped example images through the ``/ask`` endpoint, one
after another. Prints errors, p50/p95/max latency per question and the throughput; exits 1 on
any error. Latency includes the upload, the queue wait (at most ``--concurrency`` questions run
at once) and the answer; the page's pictures are not drawn on this path.

    python benchmarks/app_load.py [--clients 16] [--questions 20] [--weights W] [--url URL]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "vqa" / "app" / "examples"
QUESTIONS = ["How many cubes are there?", "Is there a red thing?", "What color is the large cylinder?",
             "What number of small objects are there?", "Is the metal sphere the same size as the yellow cube?"]


def start_server(weights: str | None, concurrency: int, *extra: str) -> tuple[subprocess.Popen, str]:
    """``vqa serve`` (plus ``extra`` options) on a free port, once its page answers: (process, url)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "vqa.cli.main", "serve", "--port", str(port), "--concurrency", str(concurrency)]
    if weights:
        cmd += ["--weights", weights]
    cmd += list(extra)
    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):  # up to 300 s: imports take minutes on a loaded machine
        if proc.poll() is not None:
            sys.exit(f"the server exited ({proc.returncode}); see {log.name}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    sys.exit(f"the server did not start within 300 s; see {log.name}")


def client_loop(url: str, k: int, n: int, images: list[Path], latencies: list, errors: list) -> None:
    from gradio_client import Client, handle_file

    # httpx's 5 s default would count a slow upload on a loaded machine as an error; users wait longer
    client = Client(url, verbose=False, analytics_enabled=False, httpx_kwargs={"timeout": 120})
    for i in range(n):
        image = images[(k + i) % len(images)]
        question = QUESTIONS[(k * 7 + i) % len(QUESTIONS)]
        t0 = time.perf_counter()
        try:
            result = client.predict(handle_file(str(image)), question, api_name="/ask")
            if not result.get("answers"):
                raise ValueError(f"no answers in {result}")
            latencies.append(time.perf_counter() - t0)
        except Exception as e:  # a load test counts every failure, whatever its kind
            errors.append(f"client {k} question {i}: {type(e).__name__}: {e}")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--questions", type=int, default=20, help="questions per client (default 20)")
    ap.add_argument("--weights", default=None, help="reasoner weights (default: the shipped ones)")
    ap.add_argument("--concurrency", type=int, default=2, help="the server's queue concurrency (default 2)")
    ap.add_argument("--url", default=None, help="use a running app instead of starting one")
    args = ap.parse_args()
    images = sorted(EXAMPLES.glob("*.png"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server we started
    proc, url = (None, args.url) if args.url else start_server(args.weights, args.concurrency)
    latencies: list[float] = []
    errors: list[str] = []
    try:
        threads = [threading.Thread(target=client_loop, args=(url, k, args.questions, images, latencies, errors),
                                    daemon=True)
                   for k in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    total = args.clients * args.questions
    print(f"{args.clients} clients x {args.questions} questions = {total} requests to {url}ask "
          f"(server concurrency {args.concurrency if proc else '?'})")
    print(f"errors: {len(errors)}")
    for e in errors[:5]:
        print("  " + e)
    if latencies:
        print(f"latency p50 {percentile(latencies, 50):.3f} s, p95 {percentile(latencies, 95):.3f} s, "
              f"max {max(latencies):.3f} s; throughput {len(latencies) / wall:.1f} questions/s over {wall:.1f} s")
    return 1 if errors or len(latencies) != total else 0


if __name__ == "__main__":
    sys.exit(main())

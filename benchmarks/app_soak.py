"""Soak test of the web app under load and abuse: good questions mixed with every bad image of the
corpus, empty questions and oversized uploads, then a flood that fills the queue.

Starts ``vqa serve`` (``benchmarks/app_load.py``'s ``start_server``) or uses ``--url``. Each of
``--clients`` gradio_client threads sends ``--requests`` requests to ``/ask``, one after another; request
``i`` (over all clients) is, by ``i % 8``: 0-3 a good question about a shipped example, 4 a bad file of
``tests/corpus`` (each in turn, so 800 requests send all 76 at least once), 5 an empty question, 6 a
question without an image, 7 an oversized upload (one byte over the app's limit) once in four, else
a good question.

Checks, exit 1 if one fails:
- 0 server errors: no "internal error", no answer missing, every bad request answered with its
  message (the corpus manifest's ``match``, "empty question", the upload limit);
- p50/p95 latency of the good questions (reported);
- resident memory of the server (with its children) after all requests within 10 % of after the
  first 50: no leak (measured once the server is warm: no child process left, so the ONNX export
  child and the session it leads to are not counted as growth);
- a flood of ``queue size + concurrency + 16`` requests at once: the ones beyond the queue are
  answered "Queue is full! Please try again." within seconds, and none hangs.

    python benchmarks/app_soak.py [--clients 16] [--requests 50] [--concurrency 2] [--queue-size 64] [--url URL]

``tests/app/test_soak.py`` runs a short version.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "vqa" / "app" / "examples"
CORPUS = ROOT / "tests" / "corpus"
QUESTIONS = ["How many cubes are there?", "Is there a red thing?", "What color is the large cylinder?",
             "Is there a cat?", "What number of small objects are there?"]
UPLOAD_LIMIT = 20 * 1024 * 1024  # vqa.app.uploads.MAX_UPLOAD_BYTES (not imported: no torch in the clients)
TOO_BIG = re.compile(r"exceeds the maximum file size of \d+ bytes")  # Gradio's words, before any upload


def bad_files() -> list[tuple[Path, str]]:
    """(file, the message it must be answered with) for each bad image of the corpus."""
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [(CORPUS / "files" / e["file"], e["match"]) for e in manifest
            if e["kind"] == "image" and e["expect"] == "error" and (CORPUS / "files" / e["file"]).is_file()]


def plan(total: int, oversized: Path) -> list[tuple[str, Path | None, str, str | None]]:
    """``total`` requests: (kind, upload, question, the error message expected or None)."""
    good = sorted(EXAMPLES.glob("*.png")) + sorted(EXAMPLES.glob("*.jpg"))
    bad = bad_files()
    out = []
    for i in range(total):
        slot, image, question = i % 8, good[i % len(good)], QUESTIONS[i % len(QUESTIONS)]
        if slot == 4:
            path, match = bad[(i // 8) % len(bad)]
            out.append(("bad file", path, question, match))
        elif slot == 5:
            out.append(("empty question", image, " " * (i % 3), "the question is empty"))
        elif slot == 6:
            out.append(("no image", None, question, None))
        elif slot == 7 and i % 32 == 7:
            out.append(("oversized", oversized, question, TOO_BIG.pattern))
        else:
            out.append(("good", image, question, None))
    return out


def resident_mb(pid: int) -> float:
    import psutil  # only for the memory figure

    p = psutil.Process(pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20


class Soak:
    """The shared state of the client threads: results, latencies, memory samples."""

    def __init__(self, url: str, requests: list, server_pid: int | None, first: int = 50):
        self.url, self.requests, self.pid, self.first = url, requests, server_pid, first
        self.lock = threading.Lock()
        self.done = 0
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.counts: dict[str, int] = {}
        self.messages: dict[str, str] = {}  # one message per kind of bad request, for the report
        self.rss_first = self.rss_half = self.rss_last = None

    def client(self, k: int, n: int, clients: int) -> None:
        from gradio_client import Client, handle_file

        client = Client(self.url, verbose=False, analytics_enabled=False, httpx_kwargs={"timeout": 300})
        for j in range(n):
            kind, path, question, expect = self.requests[j * clients + k]
            t0 = time.perf_counter()
            try:
                result = client.predict(handle_file(str(path)) if path else None, question, api_name="/ask")
                problem = None if expect is None and result.get("answers") else f"answered {str(result)[:200]}"
            except Exception as e:  # a soak test looks at every failure, whatever its kind
                message = str(e)
                if expect is None or "internal error" in message or not re.search(expect, message):
                    problem = f"{type(e).__name__}: {message[:300]}"
                else:
                    problem = None
                    self.messages.setdefault(kind, message.splitlines()[0][:160])
            with self.lock:
                self.counts[kind] = self.counts.get(kind, 0) + 1
                if problem:
                    self.failures.append(f"{kind} {path.name if path else '-'} {question!r}: {problem}")
                elif kind == "good":
                    self.latencies.append(time.perf_counter() - t0)
                self.done += 1
                if self.pid and self.done == self.first:
                    self.rss_first = resident_mb(self.pid)
                if self.pid and self.done == len(self.requests) // 2:
                    self.rss_half = resident_mb(self.pid)
                if self.pid and self.done == len(self.requests):
                    self.rss_last = resident_mb(self.pid)


def wait_warm(pid: int, timeout: float = 300) -> float:
    """Wait until the server has no child process left (on the CPU it exports the reasoner to ONNX
    Runtime in a child, then loads the result): memory is measured from a warm server. Seconds waited."""
    import psutil  # only for the memory figure

    t0 = time.monotonic()
    while psutil.Process(pid).children(recursive=True) and time.monotonic() - t0 < timeout:
        time.sleep(1)
    time.sleep(2)  # the session load that follows the child's exit
    return time.monotonic() - t0


def run_soak(url: str, clients: int, requests: int, server_pid: int | None, folder: Path) -> Soak:
    if server_pid:
        wait_warm(server_pid)
    oversized = folder / "oversized.png"
    with open(oversized, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * (UPLOAD_LIMIT + 1 - 8))
    soak = Soak(url, plan(clients * requests, oversized), server_pid, first=min(50, clients * requests))
    threads = [threading.Thread(target=soak.client, args=(k, requests, clients), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return soak


def flood(url: str, n: int, timeout: float = 120) -> dict:
    """``n`` good questions submitted at once: how many were answered, how many were told the queue
    is full (and how fast), and how many neither within ``timeout`` (a hang)."""
    from gradio_client import Client, handle_file

    image = str(sorted(EXAMPLES.glob("*.png"))[0])
    results = {"answered": 0, "full": 0, "other": [], "full_seconds": []}
    lock = threading.Lock()

    def one(client):
        t0 = time.perf_counter()
        try:
            client.predict(handle_file(image), QUESTIONS[0], api_name="/ask")
            key = "answered"
        except Exception as e:  # the queue-full answer arrives as an exception
            key = "full" if "try again" in str(e) else None
            if key is None:
                with lock:
                    results["other"].append(f"{type(e).__name__}: {str(e)[:200]}")
                return
        with lock:
            results[key] += 1
            if key == "full":
                results["full_seconds"].append(time.perf_counter() - t0)

    # one client (one browser session) per request: threads sharing a Client share its event stream, and
    # gradio_client then sometimes ends a request with CancelledError when that stream closes under another
    clients = [Client(url, verbose=False, analytics_enabled=False, httpx_kwargs={"timeout": 300}) for _ in range(n)]
    threads = [threading.Thread(target=one, args=(clients[k],), daemon=True) for k in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    results["hung"] = sum(t.is_alive() for t in threads)
    return results


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(soak: Soak, flooded: dict, queue: int, log=print) -> list[str]:
    """Print the figures; return the checks that failed."""
    failed = []
    log(f"{soak.done} requests: " + ", ".join(f"{v} {k}" for k, v in sorted(soak.counts.items())))
    log(f"server errors and wrong answers: {len(soak.failures)}")
    for f in soak.failures[:10]:
        log("  " + f)
    if soak.failures:
        failed.append("errors")
    for kind, message in sorted(soak.messages.items()):
        log(f"  e.g. {kind}: {message}")
    if soak.latencies:
        log(f"good questions: p50 {percentile(soak.latencies, 50):.3f} s, p95 {percentile(soak.latencies, 95):.3f} s")
    if soak.rss_first and soak.rss_last:
        growth = soak.rss_last / soak.rss_first - 1
        log(f"server resident memory (with its children): {soak.rss_first:.0f} MB after {soak.first} requests, "
            f"{soak.rss_half:.0f} MB after {soak.done // 2}, {soak.rss_last:.0f} MB after {soak.done} ({100 * growth:+.1f} %)")
        if growth > 0.10:
            failed.append("memory")
    slowest = max(flooded["full_seconds"], default=0.0)
    log(f"flood of {sum(flooded[k] for k in ('answered', 'full')) + len(flooded['other']) + flooded['hung']} at once "
        f"(queue {queue}): {flooded['answered']} answered, {flooded['full']} told 'Queue is full! Please try again.' "
        f"(slowest in {slowest:.1f} s), {len(flooded['other'])} other errors, {flooded['hung']} hung")
    if flooded["hung"] or flooded["other"] or not flooded["full"]:
        failed.append("flood")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=50, help="requests per client (default 50)")
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--queue-size", type=int, default=64)
    ap.add_argument("--weights", default=None)
    ap.add_argument("--url", default=None, help="use a running app (no memory figure)")
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("app_load", ROOT / "benchmarks" / "app_load.py")
    app_load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app_load)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server we started
    proc, url = (None, a.url) if a.url else app_load.start_server(a.weights, a.concurrency, "--queue-size",
                                                                  str(a.queue_size))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            soak = run_soak(url, a.clients, a.requests, proc.pid if proc else None, Path(tmp))
        flooded = flood(url, a.queue_size + a.concurrency + 16)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    failed = report(soak, flooded, a.queue_size)
    print("all checks hold" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Questions per second of ``vqa batch`` (models loaded once) next to ``vqa ask`` run once per question.

Ten photos (``photo_latency.PHOTOS``: scikit-image, scikit-learn and matplotlib's sample pictures)
times ten questions: ``vqa batch --images DIR --questions Q.txt`` answers the 100 in one process;
``vqa ask IMAGE QUESTION --json`` runs as a separate process for ``--asks`` of those pairs (one per
photo), and its per-question time is their mean, extrapolated to the 100. Wall time, so it
depends on what else the machine runs.

    python benchmarks/batch_throughput.py [--asks 10] [--threads 1]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from photo_latency import photo_paths  # noqa: E402

QUESTIONS = ["Is there a cat?", "How many people are there?", "What color is the cup?", "Is there a dog?",
             "Is the cat left of the cup?", "How many motorcycles are there?", "Is there a spoon?",
             "What is on the table?", "Are there any bowls?", "What color is the person?"]


def vqa(*args) -> float:
    """Seconds that ``python -m vqa ARGS`` took; fails loudly on a non-zero exit."""
    env = dict(os.environ, HF_HUB_OFFLINE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "vqa", *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                       text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"vqa {args[0]} failed ({r.returncode}): {r.stderr.strip().splitlines()[-1:]}")
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--asks", type=int, default=10, help="how many `vqa ask` processes to time (default 10)")
    p.add_argument("--threads", type=int, default=1, help="torch threads, both commands (default 1)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for k, path in enumerate(photo_paths()):
            shutil.copy(path, folder / f"{k:02d}_{path.name}")
        questions = Path(tmp) / "questions.txt"
        questions.write_text("\n".join(QUESTIONS) + "\n")
        n = len(list(folder.iterdir())) * len(QUESTIONS)
        batch_s = vqa("batch", "--images", folder, "--questions", questions, "--out", Path(tmp) / "answers.jsonl",
                      "--no-progress", "--threads", args.threads)
        pairs = [(photo, QUESTIONS[k % len(QUESTIONS)]) for k, photo in enumerate(sorted(folder.iterdir()))]
        ask_s = [vqa("ask", photo, question, "--json", "--threads", args.threads)
                 for photo, question in pairs[:args.asks]]
    per_ask = sum(ask_s) / len(ask_s)
    print(f"questions: {n} ({n // len(QUESTIONS)} photos x {len(QUESTIONS)} questions), torch threads {args.threads}")
    print(f"vqa batch (one process):        {batch_s:7.1f} s   {n / batch_s:6.2f} questions/s")
    print(f"vqa ask (one process each, {len(ask_s)}): {per_ask:7.2f} s per question   {1 / per_ask:6.2f} questions/s"
          f"   ({per_ask * n:.0f} s for {n}, extrapolated)")
    print(f"speed-up: {per_ask * n / batch_s:.1f}x")


if __name__ == "__main__":
    main()

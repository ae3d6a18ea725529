"""Questions per second of the question encoders (conv and small, trained here; frozen all-MiniLM-L6-v2).

The encoder is the wall for batch evaluation: the graph steps cost little next to it. Same
questions, same batch, same thread count for both.

    python benchmarks/encoder_speed.py [--threads 1] [--batch-size 1024] [--n 4096] [--kinds conv small minilm]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.encode.encoder import EncoderConfig, QuestionEncoder, tokenize  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--kinds", nargs="+", default=["conv", "small", "minilm"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    qs = json.loads((ROOT.parent / "shared/data/clevr/CLEVR_train_questions.json").read_text())["questions"]
    texts = sorted(q["question"] for q in qs[: args.n])
    for kind in args.kinds:
        enc = QuestionEncoder(EncoderConfig(kind=kind)).eval()
        with torch.inference_mode():
            enc(*tokenize(texts[: args.batch_size]))  # warm-up (and the conv/small eval table)
        with torch.inference_mode():
            t = time.perf_counter()
            for k in range(0, len(texts), args.batch_size):
                enc(*tokenize(texts[k: k + args.batch_size]))
            dt = time.perf_counter() - t
        print(f"{kind:>7s}: {len(texts) / dt:8,.0f} questions/s ({args.threads} threads, batch {args.batch_size})")


if __name__ == "__main__":
    main()

"""Do the attention maps point at the objects the answer depends on? (target: query top-1 >= 95 %)

On the validation questions of the shared CLEVR set (scenes with image_index % 5 == 0, never
trained on), runs the reasoner on gold scene graphs through `vqa eval`'s batched path and
compares its node attention with the objects the question's functional program selects
(the model never reads the program). See vqa/explain/faithfulness.py for the three measures.

    python benchmarks/attention_faithfulness.py [--weights W] [--limit N] [--json out.json]
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

from vqa.data.splits import is_validation  # noqa: E402
from vqa.explain.faithfulness import attention_records, faithfulness, format_faithfulness  # noqa: E402
from vqa.graph.io import load_clevr_scenes  # noqa: E402
from vqa.reason.reasoner import DEFAULT_WEIGHTS, Reasoner  # noqa: E402

TARGET = 0.95


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clevr", default=str(ROOT.parent / "shared" / "data" / "clevr"), help="shared CLEVR folder")
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="reasoner .safetensors")
    ap.add_argument("--limit", type=int, help="only the first N validation questions")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--json", help="also write the figures as JSON here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clevr = Path(args.clevr)
    scenes = {g.image_filename: g for g in load_clevr_scenes(clevr / "CLEVR_train_scenes.json")}
    questions = json.loads((clevr / "CLEVR_train_questions.json").read_text())["questions"]
    questions = [q for q in questions if is_validation(q["image_index"])][: args.limit]
    model = Reasoner.from_pretrained(args.weights)
    t = time.perf_counter()
    records = attention_records(model, questions, scenes, progress=True)
    m = faithfulness(records)
    print(f"{args.weights}: validation questions of {clevr} ({time.perf_counter() - t:.1f} s)\n")
    print(format_faithfulness(m))
    ok = m["query"]["top1"] >= TARGET
    print(f"\nquery top-1 {100 * m['query']['top1']:.1f} % vs target {100 * TARGET:.0f} %: {'met' if ok else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps(m, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

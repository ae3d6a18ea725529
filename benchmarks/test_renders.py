"""The CLEVR render splits: fresh renders no model here trained on (``vqa.data.splits``): the test split,
which no model was chosen on either, and with ``--split dev`` the development renders.

    python benchmarks/test_renders.py [--split test|dev] [--out runs/test-renders] [--workers 2] [--score]
                                      [--write-manifest]

1. Renders the split's scenes into ``--out`` with ``vqa render --seed TEST_RENDER_SEED`` (images
   already there are kept, so an interrupted run continues; about 3 s per image and core).
2. Checks every scene file against ``tests/data/clevr_test_renders.json`` (``clevr_dev_renders.json``
   for ``--split dev``), the SHA-256 of the scene
   files that were scored: the same seed draws the same scenes (Cycles' pixel noise differs between
   runs, the objects do not). ``--write-manifest`` writes that file instead (once, when the split is
   made).
3. ``--score``: runs ``benchmarks/detector_accuracy.py --renders OUT`` (the shipped detector and
   reasoner: recall, precision, attributes, answers from pixels on 10 template questions per scene).
   Score the test split once per shipped version, and report it as such in the model card.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.data.splits import RENDER_SPLITS  # noqa: E402


def manifest(split: str) -> Path:
    return ROOT / "tests" / "data" / f"clevr_{split}_renders.json"


def scene_hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "scenes").glob("*.json"))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=sorted(RENDER_SPLITS), default="test")
    ap.add_argument("--out", help="render folder (default runs/SPLIT-renders)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--score", action="store_true", help="score the shipped models on the renders")
    ap.add_argument("--write-manifest", action="store_true", help="record the scene files' SHA-256 (making the split)")
    args = ap.parse_args()
    seed, count, prefix = RENDER_SPLITS[args.split]
    out, scored = Path(args.out or ROOT / "runs" / f"{args.split}-renders"), manifest(args.split)
    cmd = [sys.executable, "-m", "vqa", "render", "--out", str(out), "--num-images", str(count),
           "--seed", str(seed), "--prefix", prefix, "--workers", str(args.workers)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    hashes = scene_hashes(out)
    if args.write_manifest:
        scored.write_text(json.dumps({"seed": seed, "count": count, "prefix": prefix,
                                      "command": " ".join(["vqa", *cmd[3:5], "OUT", *cmd[6:]]),
                                      "scene_sha256": hashes}, indent=1) + "\n")
        print(f"wrote {scored} ({len(hashes)} scenes)")
    else:
        want = json.loads(scored.read_text())["scene_sha256"]
        differ = sorted(n for n in want if hashes.get(n) != want[n])
        if differ:
            print(f"{len(differ)} of {len(want)} scenes differ from the scored {args.split} split, e.g. {differ[:3]}")
            return 1
        print(f"all {len(want)} scenes are those of the scored {args.split} split")
    if args.score:
        return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "detector_accuracy.py"), "--renders",
                               str(out)], cwd=ROOT).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())

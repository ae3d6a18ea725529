"""Cold start of each `vqa` command, as whole processes: wall time (median of --runs), peak memory,
and where the import time goes (`python -X importtime`).

The yardstick is `python -c "import torch, torchvision"`: `vqa ask IMAGE Q` has to import both, and
the ratio says what the command adds (its own imports, loading the models, the answer). The
commands, and what each must not import:

* `vqa --help`: no torch, no numpy;
* `vqa eval --benchmark vqav2|gqa --predictions ...` (scoring mode, the golden fixtures): no torch;
* `vqa ask IMAGE Q` on a CLEVR image: torch and torchvision, but not torch_geometric.

    python benchmarks/cold_start.py [--runs 5] [--image IMG] [--top 12]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT.parent / "shared" / "golden"
IMAGE = ROOT / "vqa" / "app" / "examples" / "CLEVR_train_000005.png"
VQA = [sys.executable, "-m", "vqa"]
HEAVY = ("torch", "torchvision", "torch_geometric", "numpy", "transformers", "detectron2", "gradio", "networkx")


def commands(image: Path) -> dict[str, list[str]]:
    vqav2, gqa = GOLDEN / "vqav2", GOLDEN / "gqa"
    return {
        "import torch, torchvision": [sys.executable, "-c", "import torch, torchvision"],
        "vqa --help": VQA + ["--help"],
        "vqa eval (vqav2 scoring)": VQA + ["eval", "--benchmark", "vqav2",
                                           "--questions", str(vqav2 / "v2_OpenEnded_mscoco_val_fixture_questions.json"),
                                           "--annotations", str(vqav2 / "v2_mscoco_val_fixture_annotations.json"),
                                           "--predictions", str(vqav2 / "results_a.json")],
        "vqa eval (gqa scoring)": VQA + ["eval", "--benchmark", "gqa",
                                         "--questions", str(gqa / "fixture_all_questions.json"),
                                         "--predictions", str(gqa / "predictions_mostly_right.json")],
        "vqa ask IMAGE Q": VQA + ["ask", str(image), "How many cubes are there?", "--device", "cpu"],
    }


def run_once(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one run of ``cmd``, its output thrown away."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def import_profile(cmd: list[str], env: dict) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) of every import, from ``-X importtime``."""
    r = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True, text=True, env=env, cwd=ROOT)
    rows = []
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "[us]" not in line:
            own, cumulative, name = line[len("import time:"):].split("|")
            rows.append((name.strip(), int(own), int(cumulative)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5; one warm-up first)")
    ap.add_argument("--image", type=Path, default=IMAGE, help="the CLEVR image for vqa ask")
    ap.add_argument("--top", type=int, default=12, help="how many top-level packages to list per command")
    args = ap.parse_args()
    env = os.environ | {"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start")
    medians = {}
    for name, cmd in commands(args.image).items():
        run_once(cmd, env)  # warm-up: the page cache, .pyc files
        runs = [run_once(cmd, env) for _ in range(args.runs)]
        walls, peaks = [w for w, _ in runs], [p for _, p in runs]
        medians[name] = statistics.median(walls)
        print(f"\n{name}: wall median {medians[name]:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}, "
              f"{args.runs} runs), peak RSS {statistics.median(peaks):.0f} MiB")
        rows = import_profile(cmd, env)
        tops: dict[str, int] = {}
        for module, own, _ in rows:
            tops[module.split(".")[0]] = tops.get(module.split(".")[0], 0) + own
        total = sum(tops.values())
        heavy = [m for m in HEAVY if m in tops]
        print(f"  imports: {len(rows)} modules, {total / 1e6:.2f} s under -X importtime; heavy: {', '.join(heavy) or 'none'}")
        for package, own in sorted(tops.items(), key=lambda kv: -kv[1])[: args.top]:
            print(f"    {package:28s} {own / 1000:8.1f} ms")
    base = medians["import torch, torchvision"]
    print(f"\nvqa ask IMAGE Q / import torch, torchvision: {medians['vqa ask IMAGE Q'] / base:.2f}x")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")


if __name__ == "__main__":
    main()

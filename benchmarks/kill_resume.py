"""Kill `vqa eval`, `vqa train reasoner` and `vqa train photo-reasoner` at random moments; check the outputs, resume, compare.

For each command: one uninterrupted run gives the reference outputs and its wall time T. Then, per
trial, a fresh folder: the command starts, is SIGKILLed (its whole process group) after a uniform
random delay in [0, T] (every other trial) or once a random share of its work is on disk (a
chunk count, a checkpoint step: the others), and every output it was to write is checked: absent,
or byte-identical to the reference (a half-written file would be neither). Then the same command
(with ``--resume`` for eval; train resumes by itself from its work folder) runs to the end, and
every output must be byte-identical to the reference. The model card and report hold timings, so train compares the
weights and their config, and checks that the card is whole.

    python benchmarks/kill_resume.py [--kills 20] [--what eval train photo-train] [--questions 300] [--seed 0]

Prints one line per trial (kill moment, what a resume starts from, outputs present at the kill,
outcome) and a summary; exits 1 on any corrupt output or any difference after resuming. ``tests/cli/test_kill_resume.py`` runs 3 each.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLEVR = ROOT.parent / "shared" / "data" / "clevr"


def eval_case(folder: Path, weights: Path, questions: Path) -> tuple[list[str], list[str], list[str], int]:
    """(arguments of a resumable `vqa eval`, outputs compared byte for byte, outputs only checked whole,
    the progress (``done``) of a finished run: its chunks of 4 questions)."""
    args = ["eval", "--benchmark", "clevr", "--graphs", "gold", "--questions", str(questions), "--scenes",
            str(CLEVR / "CLEVR_train_scenes.json"), "--weights", str(weights), "--batch-size", "4", "--threads", "1",
            "--no-progress", "--predictions-out", str(folder / "p.json"), "--attention-out", str(folder / "a.jsonl"),
            "--metrics-out", str(folder / "m.json"), "--resume"]
    chunks = -(-len(json.loads(questions.read_text())["questions"]) // 4)
    return args, ["p.json", "a.jsonl", "m.json"], [], chunks


def train_case(folder: Path) -> tuple[list[str], list[str], list[str], int]:
    """A tiny `vqa train reasoner` that checkpoints every 3 of its 40 steps."""
    args = ["train", "reasoner", "--out", str(folder / "r"), "--workdir", str(folder / "run"), "--shared", "",
            "--scenes", "30", "--val-scenes", "5", "--iterations", "40", "--batch-size", "8", "--dim", "16",
            "--steps", "2", "--encoder-dim", "16", "--eval-every", "1000000", "--threads", "1", "--no-progress",
            "--checkpoint-every", "3"]
    return args, ["r.safetensors", "r.json"], ["r.md", "run/report.json", "run/data.json", "run/checkpoint.safetensors"], 40


def photo_train_case(folder: Path) -> tuple[list[str], list[str], list[str], int]:
    """A tiny `vqa train photo-reasoner` that checkpoints every 3 of its 30 steps."""
    args = ["train", "photo-reasoner", "--out", str(folder / "p"), "--workdir", str(folder / "run"), "--scenes", "20",
            "--val-scenes", "4", "--iterations", "30", "--batch-size", "8", "--eval-every", "1000000", "--threads", "1",
            "--no-progress", "--checkpoint-every", "3"]
    return args, ["p.safetensors", "p.json"], ["p.md", "run/report.json", "run/checkpoint.safetensors"], 30


def run_vqa(args: list[str], kill_after: float | None = None, kill_when=None) -> int | None:
    """Run ``vqa args`` in its own process group; SIGKILL the group after ``kill_after`` seconds or
    once ``kill_when()`` is true (neither: run to the end). The exit status, or None when killed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "vqa", *args], stdout=subprocess.DEVNULL, stderr=err, env=env,
                                start_new_session=True)
        t0 = time.monotonic()
        while proc.poll() is None:
            if (kill_after is not None and time.monotonic() - t0 >= kill_after) or (kill_when and kill_when()):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: helper processes must not outlive it
                proc.wait()
                return None
            time.sleep(0.005)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"vqa {' '.join(args[:2])} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    return proc.returncode


def whole(path: Path) -> bool:
    """Is ``path`` a complete file of its kind (JSON, JSON lines, safetensors, text card)?"""
    data = path.read_bytes()
    try:
        if path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".jsonl":
            return data.endswith(b"\n") and all(json.loads(line) is not None for line in data.splitlines())
        elif path.suffix == ".safetensors":
            header = int.from_bytes(data[:8], "little")
            json.loads(data[8: 8 + header])
            return len(data) >= 8 + header
        else:
            return data.startswith(b"# ")
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def done(folder: Path) -> int:
    """Progress on disk: finished chunks in eval's partial file, or the step of train's checkpoint."""
    try:
        return max(0, len((folder / "p.json.partial").read_bytes().splitlines()) - 1)
    except OSError:
        pass
    try:
        return json.loads((folder / "run" / "checkpoint.json").read_text())["iteration"]
    except (OSError, ValueError, KeyError):
        return 0


def _progress(folder: Path) -> str:
    """What a resume starts from: finished chunks in the partial file, or the checkpoint's step."""
    partial = folder / "p.json.partial"
    if partial.exists():
        chunks = max(0, len(partial.read_bytes().splitlines()) - 1)  # less the header (and a cut line counts)
        return f"partial file with {chunks} chunks"
    checkpoint = folder / "run" / "checkpoint.json"
    if checkpoint.exists():
        return f"checkpoint about step {json.loads(checkpoint.read_text())['iteration']}"
    return "nothing to resume"


def trial(make, base: Path, reference: dict[str, bytes], delay: float | None, target: int | None = None,
          log=print) -> bool:
    """One kill, at ``delay`` seconds or once ``done`` reaches ``target``; the checks, the resume, the
    comparison. True when all hold."""
    folder = Path(tempfile.mkdtemp(dir=base))
    args, exact, checked, _ = make(folder)
    t0 = time.monotonic()
    killed = run_vqa(args, kill_after=delay, kill_when=None if target is None else lambda: done(folder) >= target) is None
    delay = time.monotonic() - t0
    present = [n for n in exact + checked if (folder / n).exists()]
    state = _progress(folder)
    bad = [n for n in present if not whole(folder / n) or (n in exact and (folder / n).read_bytes() != reference[n])]
    run_vqa(args)  # resume to the end
    differ = [n for n in exact if (folder / n).read_bytes() != reference[n]]
    differ += [n for n in checked if not whole(folder / n)]
    ok = not bad and not differ
    when = f"at {delay:5.2f}s" if target is None else f"at progress {target:2d} ({delay:5.2f}s)"
    log(f"  kill {when} ({'killed' if killed else 'had finished'}; {state}): present {present or '-'}; "
        f"{'ok' if ok else f'CORRUPT {bad}' if bad else f'RESUMED DIFFERENT {differ}'}")
    return ok


def kill_trials(make, kills: int, base: Path, seed: int = 0, log=print) -> dict:
    """The reference run, then ``kills`` trials; ``{"seconds", "kills", "failures"}``. Every other kill
    comes at a random moment of the run (most fall on start-up: imports, data), the others at a random
    point of its progress (a chunk or a checkpoint done), so that resuming is tried from many states."""
    folder = base / "reference"
    folder.mkdir(parents=True)
    args, exact, _, last = make(folder)
    t0 = time.perf_counter()
    run_vqa(args)
    seconds = time.perf_counter() - t0
    reference = {n: (folder / n).read_bytes() for n in exact}
    rng = random.Random(seed)
    failures = 0
    for k in range(kills):
        if k % 2 == 0:
            ok = trial(make, base, reference, rng.uniform(0, seconds), log=log)
        else:
            ok = trial(make, base, reference, None, target=rng.randint(1, last), log=log)
        failures += not ok
    return {"seconds": seconds, "kills": kills, "failures": failures}


def tiny_weights(folder: Path) -> Path:
    """A small random reasoner (the tests' `tiny_weights`): plumbing, not accuracy."""
    import torch  # only here: the harness itself runs the commands as processes

    from vqa.reason.config import ReasonerConfig  # imports torch
    from vqa.reason.reasoner import Reasoner  # imports torch

    torch.manual_seed(0)
    cfg = ReasonerConfig(dim=32, steps=2, edge_hidden=16)
    cfg.encoder.dim = 32
    return Reasoner(cfg).save_pretrained(folder / "tiny.safetensors")


def questions_file(folder: Path, n: int) -> Path:
    qs = json.loads((CLEVR / "CLEVR_train_questions.json").read_text())["questions"][:n]
    path = folder / "questions.json"
    path.write_text(json.dumps({"questions": qs}))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--what", nargs="+", default=["eval", "train", "photo-train"], choices=["eval", "train", "photo-train"])
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights, questions = tiny_weights(tmp), questions_file(tmp, a.questions)
        cases = {"eval": lambda f: eval_case(f, weights, questions), "train": train_case,
                 "photo-train": photo_train_case}
        for what in a.what:
            print(f"vqa {what}: {a.kills} kills at random moments")
            (tmp / what).mkdir()
            r = kill_trials(cases[what], a.kills, tmp / what, seed=a.seed)
            print(f"vqa {what}: uninterrupted run {r['seconds']:.1f}s; {r['kills'] - r['failures']} of {r['kills']} "
                  "kills left no corrupt output and resumed to the uninterrupted result")
            failed += r["failures"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""`vqa` itself: every command keeps its options, `--help` stays light, a closed stdout ends quietly."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vqa.cli.main import build_parser

# Every option of every command, recorded from `--help` before vqa/cli was split into modules.
# A command may gain options; none may lose one.
OPTIONS = {
    "": ["-h", "--help"],
    "ask": ["--detector", "--detector-weights", "--device", "--draw", "--help", "--image-filename", "--json", "--no-closer-look",
            "--scene", "--threads", "--top-k", "--weights", "-h"],
    "eval": ["--allow-missing", "--annotations", "--attention-out", "--attentions", "--batch-size", "--benchmark",
             "--choices", "--detector-weights", "--graphs", "--help", "--images", "--limit", "--metrics-out",
             "--no-progress", "--nproc", "--predictions", "--predictions-out", "--questions", "--resume", "--scene-graphs",
             "--scenes", "--threads", "--weights", "-h"],
    "eval merge": ["--allow-missing", "--annotations", "--attentions", "--benchmark", "--choices", "--help",
                   "--metrics-out", "--predictions-out", "--questions", "--scene-graphs", "-h"],
    "train": ["--help", "-h"],
    "train reasoner": ["--augment", "--batch-size", "--device", "--dim", "--encoder", "--encoder-dim", "--encoder-ffn",
                       "--encoder-heads", "--encoder-kernel", "--encoder-layers", "--eval-every", "--fresh", "--fusion",
                       "--help", "--iterations", "--loader-workers", "--lr", "--no-progress", "--out", "--scenes",
                       "--seed", "--shared", "--steps", "--threads", "--val-scenes", "--workdir", "-h"],
    "train detector": ["--batch-size", "--crop-centre-weight", "--crop-epochs", "--crop-occluders", "--crop-renders",
                       "--dev-holdout", "--dist-url", "--fresh", "--help", "--init", "--iterations", "--lr",
                       "--machine-rank", "--no-progress", "--num-gpus", "--num-machines", "--out", "--real-boxes",
                       "--real-repeat", "--renders", "--roi-fg-iou", "--roi-positive-fraction", "--score-threshold",
                       "--second-stages", "--seed", "--shared", "--threads", "--warmup", "--workdir", "-h"],
    "train photo-reasoner": ["--batch-size", "--eval-every", "--help", "--iterations", "--lr", "--max-minutes",
                             "--no-progress", "--out", "--scenes", "--seed", "--threads", "--val-scenes", "--workdir",
                             "-h"],
    "graph": ["--detector", "--detector-weights", "--draw", "--help", "--json", "--out", "-h"],
    "render": ["--assets", "--blender", "--denoise", "--height", "--help", "--max-objects", "--min-objects",
               "--no-progress", "--num-images", "--occlude", "--out", "--prefix", "--samples", "--seed", "--start-idx", "--threads",
               "--width", "--workers", "-h"],
    "serve": ["--concurrency", "--device", "--help", "--host", "--port", "--weights", "-h"],
    "attention": ["--detector", "--detector-weights", "--device", "--help", "--image-filename", "--out", "--scene", "--threads",
                  "--top-k", "--weights", "-h"],
}


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "vqa", *args], capture_output=True, text=True, **kwargs)


def help_options(text: str) -> set[str]:
    """The option strings of a `--help` text: the lines "  -h, --help  ..." or "  --top-k TOP_K  ..."."""
    options = set()
    for line in text.splitlines():
        if line.startswith("  -"):
            options.update(part.split()[0] for part in line[2:].split("  ")[0].split(", "))
    return options


@pytest.mark.parametrize("command", list(OPTIONS))
def test_main_every_command_keeps_its_options(command):
    r = run(*command.split(), "--help")
    assert r.returncode == 0, r.stderr
    assert help_options(r.stdout) >= set(OPTIONS[command])


def imported_by(*args: str, cwd=None) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `vqa ARGS` under `python -X importtime`: the process and every module it imported."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "vqa", *args], capture_output=True, text=True, cwd=cwd)
    return r, {line.rsplit("|", 1)[1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}


def test_main_help_imports_no_torch():
    r, imported = imported_by("--help")
    assert r.returncode == 0 and "vqa.cli.eval" in imported
    assert not {"torch", "torch_geometric", "gradio", "detectron2", "numpy", "PIL", "networkx"} & imported


GOLDEN = Path(__file__).resolve().parents[2].parent / "shared" / "golden"
SCORING = {  # scoring mode: predictions in, official metrics out
    "vqav2": ["--questions", "vqav2/v2_OpenEnded_mscoco_val_fixture_questions.json",
              "--annotations", "vqav2/v2_mscoco_val_fixture_annotations.json", "--predictions", "vqav2/results_a.json"],
    "gqa": ["--questions", "gqa/fixture_all_questions.json", "--predictions", "gqa/predictions_mostly_right.json"],
}


@pytest.mark.parametrize("name", sorted(SCORING))
def test_main_eval_scoring_imports_no_torch(name):
    r, imported = imported_by("eval", "--benchmark", name, *SCORING[name], cwd=GOLDEN)
    assert r.returncode == 0 and "accuracy" in r.stdout.lower(), r.stderr[-2000:]
    assert "vqa.eval.score" in imported
    assert not {"torch", "torchvision", "torch_geometric", "numpy", "detectron2"} & imported


def test_main_default_weights_are_the_reasoners():
    from vqa.cli.common import DEFAULT_WEIGHTS
    from vqa.reason.reasoner import DEFAULT_WEIGHTS as REASONER_WEIGHTS

    assert DEFAULT_WEIGHTS == str(REASONER_WEIGHTS)


@pytest.mark.parametrize("command", [["ask", "img.png", "q?"], ["graph", "img.png"],
                                     ["attention", "img.png", "q?", "--out", "o"]])
def test_main_every_detector_option_defaults_to_auto(command):
    assert build_parser().parse_args(command).detector == "auto"
    assert build_parser().parse_args(command + ["--detector", "coco"]).detector == "coco"


def test_main_closed_stdout_exits_quietly(tmp_path):
    """`vqa eval ... | head`: the reader leaves; no BrokenPipeError traceback, exit status 141 (0 for --help,
    whose failed write argparse ignores)."""
    question = {"question_index": 0, "answer": "yes", "template_filename": "a.json"}
    (tmp_path / "q.json").write_text(json.dumps({"questions": [question]}))
    (tmp_path / "p.json").write_text(json.dumps([{"question_index": 0, "answer": "yes"}]))
    scoring = ["eval", "--benchmark", "clevr", "--questions", "q.json", "--predictions", "p.json"]
    for args in (["eval", "--help"], scoring):
        read, write = os.pipe()
        os.close(read)  # gone before the first line: every write fails
        try:
            r = subprocess.run([sys.executable, "-m", "vqa", *args], stdout=write, stderr=subprocess.PIPE, text=True,
                               cwd=tmp_path)
        finally:
            os.close(write)
        assert r.returncode in (0, 141) and r.stderr == "", (args, r.stderr)
    assert r.returncode == 141

"""`vqa eval`: one-line errors naming the CLI's flags, merge's usage line, --skip-missing-images."""
import json
import shutil
import subprocess
import sys

import pytest

from vqa.cli.main import main


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vqa", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("command", [["eval"], ["eval", "merge", "s.json"]])
def test_eval_unknown_benchmark_is_one_line(tmp_path, command):
    r = run(*command, "--benchmark", "okvqa", "--questions", "q.json", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "vqa eval: error: unknown --benchmark 'okvqa'; choose clevr, gqa or vqav2\n"


@pytest.mark.parametrize("name, questions, predictions", [
    ("clevr", {"questions": [{"question_index": 0, "answer": "yes", "template_filename": "a.json"},
                             {"question_index": 1, "answer": "no", "template_filename": "a.json"}]},
     [{"question_index": 0, "answer": "yes"}]),
    ("gqa", {"a": {"question": "Is it red?", "answer": "yes", "isBalanced": True, "entailed": [], "semantic": [],
                   "types": {"structural": "verify", "semantic": "attr", "detailed": "verifyAttr"},
                   "groups": {"global": None}}},
     []),
])
def test_eval_missing_predictions_error_names_the_flag(tmp_path, capsys, name, questions, predictions):
    (tmp_path / "q.json").write_text(json.dumps(questions))
    (tmp_path / "p.json").write_text(json.dumps(predictions))
    code = main(["eval", "--benchmark", name, "--questions", str(tmp_path / "q.json"),
                 "--predictions", str(tmp_path / "p.json")])
    err = capsys.readouterr().err
    assert code == 2 and "--allow-missing" in err and len(err.strip().splitlines()) == 1


def test_eval_merge_usage_line():
    r = run("eval", "merge", "--help")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: vqa eval merge [-h] --benchmark {clevr,gqa,vqav2}")
    usage = r.stdout.split("\n\n")[0]
    assert "[options]" not in usage and usage.count("SHARD [SHARD ...]") == 1


def test_eval_skip_missing_images(tmp_path, clevr_dir, clevr_questions, tiny_weights, capsys):
    names = ["CLEVR_train_000005.png", "CLEVR_train_000006.png", "CLEVR_train_000008.png"]
    images = tmp_path / "images"
    images.mkdir()
    for name in names[:2]:  # the third image is missing
        shutil.copy(clevr_dir / "images" / name, images / name)
    questions = []
    for name in names:
        questions += [q for q in clevr_questions if q["image_filename"] == name][:3]
    (tmp_path / "q.json").write_text(json.dumps({"questions": questions}))
    args = ["eval", "--benchmark", "clevr", "--graphs", "predicted", "--images", str(images), "--questions",
            str(tmp_path / "q.json"), "--weights", str(tiny_weights), "--no-progress"]

    assert main(args) == 2
    assert "--skip-missing-images" in capsys.readouterr().err

    m, p = tmp_path / "m.json", tmp_path / "p.json"
    assert main(args + ["--skip-missing-images", "--metrics-out", str(m), "--predictions-out", str(p)]) == 0
    kept = [q for q in questions if q["image_filename"] != names[2]]
    skipped = len(questions) - len(kept)
    assert 0 < skipped < len(questions)
    err = capsys.readouterr().err
    assert err.count("skipped") == 1 and f"{skipped} of {len(questions)} questions skipped" in err
    metrics = json.loads(m.read_text())
    assert metrics["skipped_missing_images"] == skipped and metrics["count"] == len(kept)
    assert [x["question_index"] for x in json.loads(p.read_text())] == [q["question_index"] for q in kept]


def test_eval_skip_missing_images_only_with_predicted_graphs(tmp_path, capsys):
    code = main(["eval", "--benchmark", "clevr", "--graphs", "gold", "--questions", "q.json", "--scenes", "s.json",
                 "--skip-missing-images"])
    assert code == 2 and "--skip-missing-images is for --graphs predicted" in capsys.readouterr().err

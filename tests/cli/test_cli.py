"""The `vqa` command line: help texts, error paths (exit 2, one line, no traceback), model mode."""
import json
import subprocess
import sys

import pytest

from vqa.cli.main import build_parser, main


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vqa.cli.main", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_help_documents_every_option():
    parser = build_parser()
    for action in parser._subparsers._group_actions[0].choices["eval"]._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, action.option_strings
    out = run("eval", "--help").stdout
    for opt in ["--benchmark", "--questions", "--scenes", "--graphs", "--metrics-out", "--predictions-out",
                "--attention-out", "--limit", "--annotations", "--predictions", "--allow-missing"]:
        assert opt in out
    assert "ask" in run("--help").stdout and "train" in run("--help").stdout


@pytest.mark.parametrize("args, message", [
    (["eval", "--benchmark", "clevr", "--questions", "missing.json", "--scenes", "x.json", "--graphs", "gold"], "not found"),
    (["eval", "--benchmark", "vqav2", "--questions", "q.json"], "needs"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, args, message):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cli_unknown_benchmark_exits_2(tmp_path):
    r = run("eval", "--benchmark", "okvqa", "--questions", "q.json", cwd=tmp_path)
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_cli_malformed_json_exits_2(tmp_path, capsys):
    (tmp_path / "q.json").write_text('{"questions": [')
    (tmp_path / "s.json").write_text('{"scenes": []}')
    code = main(["eval", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json"), "--scenes", str(tmp_path / "s.json"),
                 "--graphs", "gold"])
    assert code == 2 and "not valid JSON" in capsys.readouterr().err


def test_cli_question_without_scene_exits_2(tmp_path, capsys, clevr_dir):
    (tmp_path / "q.json").write_text(json.dumps({"questions": [{"question": "How many cubes?", "image_filename": "nope.png"}]}))
    code = main(["eval", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json"),
                 "--scenes", str(clevr_dir / "CLEVR_train_scenes.json"), "--graphs", "gold", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "no scene for image 'nope.png'" in err


def test_cli_ask_empty_question_exits_2(capsys, clevr_dir):
    code = main(["ask", "  ", "--scene", str(clevr_dir / "CLEVR_train_scenes.json"), "--image-filename", "CLEVR_train_000000.png"])
    assert code == 2 and "empty question" in capsys.readouterr().err


def test_cli_eval_gold_writes_outputs_and_is_accurate(tmp_path, clevr_dir):
    """Shipped weights on held-out (validation-split) shared questions."""
    qs = json.loads((clevr_dir / "CLEVR_train_questions.json").read_text())["questions"]
    val = [q for q in qs if q["image_index"] % 5 == 0][:300]
    for q in val[:5]:
        del q["question_index"]  # the position in the file stands in
    (tmp_path / "q.json").write_text(json.dumps({"questions": val}))
    m, p, a = tmp_path / "m.json", tmp_path / "p.json", tmp_path / "a.jsonl"
    code = main(["eval", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json"), "--scenes",
                 str(clevr_dir / "CLEVR_train_scenes.json"), "--graphs", "gold", "--metrics-out", str(m),
                 "--predictions-out", str(p), "--attention-out", str(a), "--no-progress"])
    assert code == 0
    metrics = json.loads(m.read_text())
    assert metrics["benchmark"] == "clevr" and metrics["count"] == 300
    assert metrics["accuracy"] >= 0.97
    assert set(metrics["per_family"]) <= {q["template_filename"] for q in val}
    preds = json.loads(p.read_text())
    assert [x["question_index"] for x in preds[:5]] == [0, 1, 2, 3, 4]
    assert preds[5]["question_index"] == val[5]["question_index"]
    lines = [json.loads(x) for x in a.read_text().splitlines()]
    assert len(lines) == 300
    first = lines[0]
    assert set(first) == {"question_index", "image_filename", "node_attn", "word_attn", "tokens"}
    assert all(abs(sum(row) - 1) < 1e-3 for row in first["word_attn"])
    assert len(first["word_attn"][0]) == len(first["tokens"])


def test_cli_eval_without_answers_only_writes_predictions(tmp_path, clevr_dir):
    qs = json.loads((clevr_dir / "CLEVR_train_questions.json").read_text())["questions"][:20]
    for q in qs:
        q.pop("answer"), q.pop("program")
    (tmp_path / "q.json").write_text(json.dumps({"questions": qs}))
    code = main(["eval", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json"), "--scenes",
                 str(clevr_dir / "CLEVR_train_scenes.json"), "--graphs", "gold", "--predictions-out",
                 str(tmp_path / "p.json"), "--metrics-out", str(tmp_path / "m.json"), "--no-progress"])
    assert code == 0
    assert len(json.loads((tmp_path / "p.json").read_text())) == 20
    assert not (tmp_path / "m.json").exists()


def test_cli_scoring_mode_clevr(tmp_path, capsys):
    qs = [{"question_index": 0, "answer": "yes", "template_filename": "a.json"},
          {"question_index": 1, "answer": "2", "template_filename": "b.json"}]
    (tmp_path / "q.json").write_text(json.dumps({"questions": qs}))
    (tmp_path / "p.json").write_text(json.dumps([{"question_index": 0, "answer": "yes"}]))
    args = ["eval", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json"), "--predictions", str(tmp_path / "p.json")]
    assert main(args) == 2 and "missing" in capsys.readouterr().err.lower()
    assert main(args + ["--allow-missing", "--metrics-out", str(tmp_path / "m.json")]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["accuracy"] == 0.5

"""The `vqa` command line: help texts, error paths (exit 2, one line, no traceback), model mode."""
import json
import os
import subprocess
import sys

import pytest

from vqa.cli.main import build_parser, main


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vqa", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_help_documents_every_option():
    parser = build_parser()
    for action in parser._subparsers._group_actions[0].choices["eval"]._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, action.option_strings
    out = run("eval", "--help").stdout
    for opt in ["--benchmark", "--questions", "--scenes", "--graphs", "--metrics-out", "--predictions-out",
                "--attention-out", "--limit", "--annotations", "--predictions", "--allow-missing", "--resume",
                "--nproc", "vqa eval merge"]:
        assert opt in out
    merge = parser._subparsers._group_actions[0].choices["eval"]._subparsers._group_actions[0].choices["merge"]
    for action in merge._actions:
        if action.dest != "help":
            assert action.help, action.option_strings or action.dest
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


def test_cli_eval_without_answers_only_writes_predictions(tmp_path, clevr_dir, tiny_weights):
    qs = json.loads((clevr_dir / "CLEVR_train_questions.json").read_text())["questions"][:20]
    for q in qs:
        q.pop("answer"), q.pop("program")
    (tmp_path / "q.json").write_text(json.dumps({"questions": qs}))
    code = main(["eval", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json"), "--scenes",
                 str(clevr_dir / "CLEVR_train_scenes.json"), "--graphs", "gold", "--predictions-out",
                 str(tmp_path / "p.json"), "--metrics-out", str(tmp_path / "m.json"), "--no-progress",
                 "--weights", str(tiny_weights), "--threads", "1"])
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


# ------------------------------------------------------------------ eval: long runs, merge, scoring
# Model-mode tests use a tiny random reasoner: they test the plumbing, not the shipped weights.

def _gold_args(tmp_path, clevr_dir, clevr_questions, weights, n, *extra):
    q = tmp_path / "q.json"
    if not q.exists():
        q.write_text(json.dumps({"questions": clevr_questions[:n]}))
    return ["eval", "--benchmark", "clevr", "--graphs", "gold", "--questions", str(q), "--scenes",
            str(clevr_dir / "CLEVR_train_scenes.json"), "--weights", str(weights), "--batch-size", "4",
            "--threads", "1", "--no-progress", *extra]


def test_cli_eval_killed_then_resumed_is_byte_identical(tmp_path, clevr_dir, clevr_questions, tiny_weights):
    import signal
    import time

    out, partial = tmp_path / "p.json", tmp_path / "p.json.partial"
    args = _gold_args(tmp_path, clevr_dir, clevr_questions, tiny_weights, 400, "--predictions-out", str(out))
    # its own process group, so that the kill takes its helper processes too (they outlived it)
    proc = subprocess.Popen([sys.executable, "-m", "vqa.cli.main", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 600
        # Kill it once two of its 100 batches are on disk.
        while time.time() < deadline and proc.poll() is None:
            if partial.exists() and len(partial.read_bytes().splitlines()) >= 3:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert partial.exists() and not out.exists(), "the run was not interrupted"
    assert main(args + ["--resume"]) == 0
    assert not partial.exists()
    whole = tmp_path / "whole.json"
    assert main(_gold_args(tmp_path, clevr_dir, clevr_questions, tiny_weights, 400, "--predictions-out", str(whole))) == 0
    assert out.read_bytes() == whole.read_bytes()


def test_cli_eval_merge_of_split_prediction_files_is_one_process(tmp_path, clevr_dir, clevr_questions, tiny_weights, capsys):
    base = _gold_args(tmp_path, clevr_dir, clevr_questions, tiny_weights, 30)
    assert main(base + ["--predictions-out", str(tmp_path / "one.json"), "--metrics-out", str(tmp_path / "one_m.json")]) == 0
    one = json.loads((tmp_path / "one.json").read_text())
    for i in (1, 2):  # prediction files made elsewhere, e.g. on two machines
        (tmp_path / f"s{i}.json").write_text(json.dumps(one[i - 1::2]))
    assert main(["eval", "merge", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json"),
                 str(tmp_path / "s2.json"), str(tmp_path / "s1.json"), "--predictions-out", str(tmp_path / "merged.json"),
                 "--metrics-out", str(tmp_path / "merged_m.json")]) == 0
    assert json.loads((tmp_path / "merged_m.json").read_text()) == json.loads((tmp_path / "one_m.json").read_text())
    assert (tmp_path / "merged.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    # The same shard twice overlaps; one shard alone misses questions.
    merge = ["eval", "merge", "--benchmark", "clevr", "--questions", str(tmp_path / "q.json")]
    capsys.readouterr()
    assert main(merge + [str(tmp_path / "s1.json"), str(tmp_path / "s1.json"), str(tmp_path / "s2.json")]) == 2
    assert "another shard file answers too" in capsys.readouterr().err
    assert main(merge + [str(tmp_path / "s1.json")]) == 2
    assert "have no prediction" in capsys.readouterr().err


def test_cli_eval_stale_partial_and_bad_nproc_exit_2(tmp_path, clevr_dir, clevr_questions, tiny_weights, capsys):
    args = _gold_args(tmp_path, clevr_dir, clevr_questions, tiny_weights, 8, "--predictions-out", str(tmp_path / "p.json"))
    (tmp_path / "p.json.partial").write_text("{}\n")
    assert main(args) == 2 and "unfinished run; pass --resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 2 and "not a partial predictions file" in capsys.readouterr().err
    assert main(args + ["--nproc", "0"]) == 2 and "--nproc must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--benchmark", "gqa", "--graphs", "gold", "--questions", "q.json"], "needs GQA training data"),
    (["--benchmark", "vqav2", "--graphs", "gold"], "--graphs gold is not available"),
    (["--benchmark", "vqav2", "--graphs", "predicted", "--questions", "q.json"], "needs --images"),
    (["--benchmark", "gqa", "--graphs", "predicted", "--questions", "q.json", "--images", "d", "--nproc", "2"],
     "--nproc do not apply to --benchmark gqa"),
    (["--benchmark", "clevr", "--questions", "q.json", "--predictions", "p.json", "--resume"], "--resume only apply to model mode"),
    (["--questions", "q.json", "--predictions", "p.json"], "--benchmark is required"),
])
def test_cli_eval_mode_errors_exit_2(tmp_path, capsys, args, message):
    assert main(["eval", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def _vqa_files(tmp_path):
    anns = [{"question_id": i, "image_id": 1, "question_type": t, "answer_type": a, "multiple_choice_answer": "x",
             "answers": [{"answer": ans, "answer_confidence": "yes", "answer_id": j + 1} for j, ans in enumerate(answers)]}
            for i, t, a, answers in [(1, "is the", "yes/no", ["yes"] * 10),
                                     (2, "how many", "number", ["2"] * 2 + ["3"] * 8)]]
    (tmp_path / "a.json").write_text(json.dumps({"annotations": anns}))
    (tmp_path / "q.json").write_text(json.dumps({"questions": [{"question_id": i, "image_id": 1, "question": "?"} for i in (1, 2)]}))
    return ["eval", "--benchmark", "vqav2", "--annotations", str(tmp_path / "a.json"), "--questions", str(tmp_path / "q.json")]


def test_cli_scoring_mode_vqav2_table_json_and_duplicate_note(tmp_path, capsys):
    # q2 answered twice: the last ("two" -> "2", 2 matches -> 0.6) counts, as in the official code.
    (tmp_path / "r.json").write_text(json.dumps([{"question_id": 1, "answer": "yes"}, {"question_id": 2, "answer": "3"},
                                                 {"question_id": 2, "answer": "two"}]))
    assert main(_vqa_files(tmp_path) + ["--predictions", str(tmp_path / "r.json"), "--metrics-out", str(tmp_path / "m.json")]) == 0
    out, err = capsys.readouterr()
    assert "80.00" in out and "Answer type" in out and "Question type" in out
    assert "1 question ids are predicted more than once; the last prediction counts" in err
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["overall"] == pytest.approx(80.0) and m["perAnswerType"] == pytest.approx({"yes/no": 100.0, "number": 60.0})
    assert m["count"] == 2 and m["duplicate_results"] == 1


def test_cli_scoring_mode_vqav2_missing_exit_2_unless_allowed(tmp_path, capsys):
    (tmp_path / "r.json").write_text(json.dumps([{"question_id": 1, "answer": "yes"}]))
    args = _vqa_files(tmp_path) + ["--predictions", str(tmp_path / "r.json")]
    assert main(args) == 2 and "1 of 2 annotated questions have no result (e.g. 2)" in capsys.readouterr().err
    assert main(args + ["--allow-missing"]) == 0
    out, err = capsys.readouterr()
    assert "50.00" in out and "1 questions have no prediction and count as wrong" in err


def test_cli_scoring_mode_gqa_metrics_json(tmp_path, capsys):
    q = {"question": "Is it red?", "answer": "yes", "isBalanced": True, "entailed": [], "semantic": [],
         "types": {"structural": "verify", "semantic": "attr", "detailed": "verifyAttr"}, "groups": {"global": None}}
    (tmp_path / "q.json").write_text(json.dumps({"a": q, "b": dict(q, answer="no")}))
    (tmp_path / "p.json").write_text(json.dumps([{"questionId": "a", "prediction": "yes"}, {"questionId": "b", "prediction": "yes"}]))
    assert main(["eval", "--benchmark", "gqa", "--questions", str(tmp_path / "q.json"), "--predictions",
                 str(tmp_path / "p.json"), "--metrics-out", str(tmp_path / "m.json")]) == 0
    assert "Structural type" in capsys.readouterr().out
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["accuracy"] == 50.0 and m["binary"] == 50.0 and "validity" not in m and "grounding" not in m
    assert m["breakdowns"]["length"] == {"3": [50.0, 2]}

"""`vqa eval` against the golden outputs of the official evaluators (../shared/golden, see its READMEs):
every figure vqaEval.py (2021) and GQA eval.py v1.4 print for each predictions file, unrounded, at
the stated tolerance (VQA v2 1e-6, GQA 1e-9), and the inputs they refuse exit 2."""
import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vqa.cli.main import main

GOLDEN = Path(__file__).resolve().parents[3] / "shared" / "golden"
VQAV2, GQA = GOLDEN / "vqav2", GOLDEN / "gqa"
VQAV2_INPUTS = ["--annotations", VQAV2 / "v2_mscoco_val_fixture_annotations.json",
                "--questions", VQAV2 / "v2_OpenEnded_mscoco_val_fixture_questions.json"]
GQA_INPUTS = ["--questions", GQA / "fixture_all_questions.json", "--choices", GQA / "fixture_choices.json"]
GQA_GROUNDING = ["--scene-graphs", GQA / "fixture_sceneGraphs.json", "--attentions", GQA / "fixture_attentions.json"]
# GQA eval.py's names for the breakdowns `vqa eval` reports under "breakdowns"
GQA_BREAKDOWNS = {"accuracyPerStructuralType": "structural", "accuracyPerSemanticType": "semantic",
                  "accuracyPerSteps": "steps", "accuracyPerLength": "length"}


def _expected(folder: Path) -> dict:
    if not (folder / "expected_scores.json").is_file():
        pytest.fail(f"golden fixtures missing at {folder}")
    return json.loads((folder / "expected_scores.json").read_text())


def _eval(tmp_path, benchmark: str, predictions: Path, inputs: list) -> tuple[int, str, dict | None]:
    """`vqa eval --predictions P --metrics-out M` in-process: exit status, stderr, the unrounded metrics."""
    out = tmp_path / f"{predictions.stem}.metrics.json"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["eval", "--benchmark", benchmark, "--predictions", str(predictions), *map(str, inputs),
                     "--metrics-out", str(out)])
    return code, err.getvalue(), json.loads(out.read_text()) if code == 0 else None


def _close(expected: dict, got: dict, tol: float, where: str = "") -> list[str]:
    """Every number of ``expected`` (nested dicts and [percent, count] lists) compared with ``got``."""
    wrong = []
    for key, want in expected.items():
        if key not in got:
            wrong.append(f"{where}{key}: missing")
        elif isinstance(want, dict):
            wrong += _close(want, got[key], tol, f"{where}{key}.")
        elif isinstance(want, list):
            if len(want) != 2 or abs(want[0] - got[key][0]) > tol or want[1] != got[key][1]:
                wrong.append(f"{where}{key}: {got[key]} != {want}")
        elif abs(want - got[key]) > tol:
            wrong.append(f"{where}{key}: {got[key]!r} != {want!r}")
    return wrong


def _vqav2_cases():
    e = _expected(VQAV2)
    return [(name, want) for name, want in {**e["results"], **e["optional"]}.items()]


@pytest.mark.parametrize("name, want", _vqav2_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_golden_vqav2_every_figure_matches_the_official_evaluator(tmp_path, name, want):
    code, err, got = _eval(tmp_path, "vqav2", VQAV2 / name, VQAV2_INPUTS)
    assert code == 0, err
    expected = {"overall": want["overall_unrounded"], "perAnswerType": want["perAnswerType_unrounded"],
                "perQuestionType": want["perQuestionType_unrounded"]}
    assert not _close(expected, got, 1e-6)
    rounded = {"overall": round(got["overall"], 2), **{k: round(v, 2) for k, v in got["perQuestionType"].items()}}
    assert rounded == {"overall": want["overall"], **want["perQuestionType"]}  # what the official prints, exactly
    assert {k: round(v, 2) for k, v in got["perAnswerType"].items()} == want["perAnswerType"]
    assert set(got["perQuestionType"]) == set(want["perQuestionType"])


def test_golden_vqav2_every_question_matches_the_official_evaluator():
    from vqa.eval.vqav2 import question_accuracy  # the per-question score under the metrics above

    per_question = json.loads((VQAV2 / "expected_per_question.json").read_text())["results"]
    answers = {a["question_id"]: [x["answer"] for x in a["answers"]]
               for a in json.loads((VQAV2 / "v2_mscoco_val_fixture_annotations.json").read_text())["annotations"]}
    for name, want in per_question.items():
        predicted = {r["question_id"]: r["answer"] for r in json.loads((VQAV2 / name).read_text())}
        wrong = [qid for qid, acc in want.items() if abs(question_accuracy(predicted[int(qid)], answers[int(qid)]) - acc) > 1e-6]
        assert not wrong, (name, wrong[:5])


def _gqa_cases():
    e = _expected(GQA)
    return list({**e["results"], **e["optional"]}.items())


@pytest.mark.parametrize("name, want", _gqa_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_golden_gqa_every_figure_matches_the_official_evaluator(tmp_path, name, want):
    grounded = name == _expected(GQA)["grounding"]["predictions"]
    code, err, got = _eval(tmp_path, "gqa", GQA / name, GQA_INPUTS + (GQA_GROUNDING if grounded else []))
    assert code == 0, err
    for official, ours in GQA_BREAKDOWNS.items():
        got[official] = {str(k): v for k, v in got["breakdowns"][ours].items()}
    expected = {k: v for k, v in want.items() if k not in ("printed", "note")}
    assert not _close(expected, got, 1e-9)
    for official in GQA_BREAKDOWNS:
        assert set(got[official]) == set(want[official])
    if grounded:
        assert abs(got["grounding"] - _expected(GQA)["grounding"]["grounding"]) <= 1e-9


def test_golden_gqa_balanced_questions_file_matches_except_consistency(tmp_path):
    """eval.py v1.4 ends in a KeyError on the balanced file (entailed ids it lacks); `vqa eval` refuses it
    with exit 2, and with --allow-missing scores every other metric as on the all-questions file."""
    want = _expected(GQA)["results"]["predictions_mostly_right.json"]
    inputs = ["--questions", GQA / "fixture_balanced_questions.json", "--choices", GQA / "fixture_choices.json"]
    code, err, _ = _eval(tmp_path, "gqa", GQA / "predictions_mostly_right.json", inputs)
    assert code == 2 and "fixture_balanced_questions.json" in err and "is not in the questions file" in err
    code, err, got = _eval(tmp_path, "gqa", GQA / "predictions_mostly_right.json", inputs + ["--allow-missing"])
    assert code == 0, err
    same = ("accuracy", "binary", "open", "validity", "plausibility", "distribution")
    assert not _close({k: want[k] for k in same}, got, 1e-9)


@pytest.mark.parametrize("folder, name, inputs, message", [
    (VQAV2, "invalid_results_missing_ids.json", VQAV2_INPUTS, "1 of 300 annotated questions have no result"),
    (VQAV2, "invalid_results_extra_ids.json", VQAV2_INPUTS, "1 result question ids are not in the annotations"),
    (GQA, "predictions_missing_id.json", GQA_INPUTS, "missing predictions: 1 of 223 balanced questions have none (e.g. '03766571')"),
])
def test_golden_inputs_the_official_evaluators_refuse_exit_2(tmp_path, folder, name, inputs, message):
    code, err, _ = _eval(tmp_path, "vqav2" if folder == VQAV2 else "gqa", folder / name, inputs)
    assert code == 2 and err.startswith(f"vqa eval: error: {folder / name}: ") and message in err, err
    assert len(err.strip().splitlines()) == 1


def test_golden_one_real_process_per_benchmark(tmp_path):
    """The same numbers from `vqa eval` as a process (the in-process runs above share its code)."""
    for benchmark, folder, name, inputs, figure, want in [
        ("vqav2", VQAV2, "results_b.json", VQAV2_INPUTS, "overall", _expected(VQAV2)["results"]["results_b.json"]["overall_unrounded"]),
        ("gqa", GQA, "predictions_mixed.json", GQA_INPUTS, "consistency", _expected(GQA)["results"]["predictions_mixed.json"]["consistency"]),
    ]:
        out = tmp_path / f"{benchmark}.json"
        run = subprocess.run([sys.executable, "-m", "vqa", "eval", "--benchmark", benchmark, "--predictions", str(folder / name),
                              *map(str, inputs), "--metrics-out", str(out)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert abs(json.loads(out.read_text())[figure] - want) <= 1e-9
    run = subprocess.run([sys.executable, "-m", "vqa", "eval", "--benchmark", "vqav2", "--predictions",
                          str(VQAV2 / "invalid_results_extra_ids.json"), *map(str, VQAV2_INPUTS)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr

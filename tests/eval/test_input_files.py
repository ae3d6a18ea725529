"""Every file `vqa eval` scores from, property-tested: questions, predictions, annotations, choices,
scene graphs and attention maps, with any edit (wrong types, missing keys, NaN, repeats) and any
damage to their bytes (cut, BOM, UTF-16, Latin-1, 100,000 levels of nesting), give scores or exit 2
with one line that names the file; never a traceback."""
import contextlib
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vqa.cli.main import main


def _vqa_answers(answer: str) -> list[dict]:
    return [{"answer": answer if k < 7 else "other", "answer_confidence": "yes", "answer_id": k + 1} for k in range(10)]


CLEVR = {
    "questions": {"questions": [{"question_index": k, "image_filename": f"CLEVR_val_00000{k}.png", "question": "How many?",
                                 "answer": a, "template_filename": "count.json"} for k, a in enumerate(["2", "yes", "red"])]},
    "predictions": [{"question_index": 0, "answer": "2"}, {"question_index": 1, "answer": "no"},
                    {"question_index": 2, "answer": "red"}],
}
VQAV2 = {
    "annotations": {"annotations": [{"question_id": 1000 + k, "image_id": 1, "question_type": "what color",
                                     "answer_type": t, "multiple_choice_answer": a, "answers": _vqa_answers(a)}
                                    for k, (a, t) in enumerate([("red", "other"), ("2", "number"), ("yes", "yes/no")])]},
    "questions": {"questions": [{"question_id": 1000 + k, "image_id": 1, "question": "What?"} for k in range(3)]},
    "predictions": [{"question_id": 1000, "answer": "Red"}, {"question_id": 1001, "answer": "two"},
                    {"question_id": 1002, "answer": "no"}],
}


def _gqa_question(answer: str, entailed: list[str], structural: str) -> dict:
    return {"imageId": "img1", "question": "Is the cat brown?", "answer": answer, "fullAnswer": "Yes.", "isBalanced": True,
            "groups": {"global": None, "local": "13-cat"}, "entailed": entailed, "equivalent": [],
            "types": {"structural": structural, "semantic": "attr", "detailed": "verifyAttr"},
            "annotations": {"question": {"3": "1"}, "answer": {}, "fullAnswer": {"1": "1"}},
            "semantic": [{"operation": "select", "argument": "cat (1)", "dependencies": []}]}


GQA = {
    "questions": {"01": _gqa_question("yes", ["02"], "verify"), "02": _gqa_question("brown", [], "query")},
    "predictions": [{"questionId": "01", "prediction": "yes"}, {"questionId": "02", "prediction": "black"}],
    "choices": {"01": {"valid": ["yes", "no"], "plausible": ["yes", "no"]}, "02": {"valid": ["brown"], "plausible": ["brown"]}},
    "scene_graphs": {"img1": {"width": 100, "height": 80, "objects": {"1": {"name": "cat", "x": 10, "y": 10, "w": 40,
                                                                            "h": 30, "attributes": ["brown"], "relations": []}}}},
    "attentions": [{"questionId": "01", "attention": [[1 / 49] * 7] * 7}],
}
BENCHMARKS = {"clevr": CLEVR, "vqav2": VQAV2, "gqa": GQA}


def _eval(folder, benchmark: str, role: str, raw: bytes | None) -> tuple[int, str, dict]:
    """Write the benchmark's files (``role``'s as ``raw`` when given) and run `vqa eval` on them in-process."""
    paths = {}
    for name, doc in BENCHMARKS[benchmark].items():
        paths[name] = folder / f"{benchmark}_{name}.json"
        paths[name].write_bytes(raw if name == role and raw is not None else json.dumps(doc).encode())
    argv = ["eval", "--benchmark", benchmark]
    for name, path in paths.items():
        argv += [f"--{name.replace('_', '-')}", str(path)]
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue(), paths


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("eval_inputs")


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_eval_inputs_as_given_are_scored(folder, name):
    code, err, _ = _eval(folder, name, "", None)
    assert code == 0, err


@given(st.sampled_from([(b, r) for b in sorted(BENCHMARKS) for r in BENCHMARKS[b]]), st.data())
def test_eval_any_edit_of_any_input_file_scores_or_exits_2_naming_a_file(folder, json_fuzz, choice, data):
    benchmark, role = choice
    doc = json_fuzz.mutate(data, BENCHMARKS[benchmark][role])
    raw, how = json_fuzz.encode(data, doc)
    code, err, paths = _eval(folder, benchmark, role, raw)
    assert code in (0, 2)
    if code == 2:
        assert err.startswith("vqa eval: error: ") and err.count("\n") == 1, err
        assert any(str(p) in err for p in paths.values()) or "grounding needs both" in err, err
        if how in ("utf-16", "latin-1", "deep"):  # the damage is in that file's bytes: that file is named
            assert str(paths[role]) in err, err


@pytest.mark.parametrize("name, role, edit, field", [
    ("clevr", "questions", lambda d: d["questions"][1].update(question_index=0), "question_index 0 appears twice"),
    ("clevr", "questions", lambda d: d["questions"][1].update(question_index="1"), "questions[1]: 'question_index' must be an int"),
    ("clevr", "predictions", lambda d: d[0].update(answer=None), "predictions[0] (question 0): 'answer' must be a string"),
    ("vqav2", "annotations", lambda d: d["annotations"][0].pop("answers"), "annotations['annotations'][0] (question 1000): 'answers'"),
    ("vqav2", "predictions", lambda d: d[1].update(question_id=True), "results[1]: 'question_id' must be an int"),
    ("vqav2", "questions", lambda d: d.pop("questions"), "questions must be an object with a 'questions' list"),
    ("gqa", "choices", lambda d: d["02"].update(valid="brown"), "choices['02'] must be"),
    ("gqa", "questions", lambda d: d["01"].pop("types"), "questions['01'] lacks 'types'"),
    ("gqa", "attentions", lambda d: d[0].update(attention=[[1.0], [1.0, 2.0]]), "attentions['01'] must be a non-empty rectangular"),
    ("gqa", "scene_graphs", lambda d: d.pop("img1"), "grounding: image 'img1' of question '01' is not in the scene graphs"),
    ("gqa", "predictions", lambda d: d.pop(), "missing predictions: 1 of 2 balanced questions"),
])
def test_eval_bad_field_names_the_file_and_the_field(folder, name, role, edit, field):
    doc = json.loads(json.dumps(BENCHMARKS[name][role]))
    edit(doc)
    code, err, paths = _eval(folder, name, role, json.dumps(doc).encode())
    assert code == 2 and err.startswith(f"vqa eval: error: {paths[role]}: ") and field in err, err


@pytest.mark.parametrize("raw, message", [
    (b"\xef\xbb\xbf" + json.dumps(VQAV2["predictions"]).encode(), None),
    (json.dumps(VQAV2["predictions"]).encode("utf-16"), "is not UTF-8 text"),
    (b'[{"question_id": 1000, "answer": NaN}]', "holds NaN"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_eval_predictions_bytes_bom_encoding_nan_and_depth(folder, raw, message):
    code, err, paths = _eval(folder, "vqav2", "predictions", raw)
    if message is None:
        assert code == 0, err
    else:
        assert code == 2 and err.startswith(f"vqa eval: error: {paths['predictions']} ") and message in err, err

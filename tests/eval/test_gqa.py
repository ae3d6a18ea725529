"""GQA metric (official eval.py v1.4 semantics) on a small hand-written question file."""

import pytest

from vqa.errors import DataError
from vqa.eval.gqa import chi_square, evaluate, grounding_score, steps_number


def _op(operation: str, argument: str, deps=()) -> dict:
    return {"operation": operation, "argument": argument, "dependencies": list(deps)}


def _q(text, answer, balanced, structural, semantic, detailed, group, ops, entailed=(), qann=None, fann=None):
    return {
        "imageId": "img1",
        "question": text,
        "answer": answer,
        "fullAnswer": answer,
        "isBalanced": balanced,
        "types": {"structural": structural, "semantic": semantic, "detailed": detailed},
        "groups": {"global": group, "local": None},
        "entailed": list(entailed),
        "equivalent": [],
        "semantic": ops,
        "annotations": {"question": qann or {}, "answer": {}, "fullAnswer": fann or {}},
    }


def _questions() -> dict:
    return {
        # steps: select, filter color (exist is not a step) -> 2; words 5
        "q1": _q("Is there a red car?", "yes", True, "verify", "obj", "existAttrC", None,
                 [_op("select", "car (o1)"), _op("filter color", "red", [0]), _op("exist", "?", [1])],
                 entailed=["q1", "q2", "q3"], qann={"4": "o1"}, fann={"4": "o1"}),
        # unbalanced: never scored itself, only as an entailed question
        "q2": _q("Is the car red?", "yes", False, "verify", "attr", "verifyAttr", None,
                 [_op("select", "car (o1)"), _op("verify color", "red", [0])]),
        # steps 2 ("query: color" is a step); words 5
        "q3": _q("What color is the car?", "red", True, "query", "attr", "carColor", "color",
                 [_op("select", "car (o2)"), _op("query", "color", [0])], qann={"3": "o2"}),
        # steps 1 ("query: name" is not a step); words 4
        "q4": _q("What is the animal?", "dog", True, "query", "cat", "categoryThat", "animal",
                 [_op("select", "animal (o3)"), _op("query", "name", [0])], entailed=["q2"]),
        # "Common" question: validity/plausibility lists become color/material/shape; steps 3; words 10
        "q5": _q("What do the cup and the plate have in common?", "material", True, "compare", "obj",
                 "materialCommon", None,
                 [_op("select", "cup"), _op("select", "plate"), _op("common", "", [0, 1])]),
        # steps 2; words 5
        "q6": _q("What color is the sky?", "blue", True, "query", "attr", "skyColor", "color",
                 [_op("select", "sky"), _op("query", "color", [0])]),
        # steps 2; words 6
        "q7": _q("Is the cup made of metal?", "no", True, "verify", "attr", "verifyMaterial", None,
                 [_op("select", "cup"), _op("verify material", "metal", [0])], entailed=["q3"]),
    }


def _predictions() -> list:
    return [
        {"questionId": "q1", "prediction": "yes"},  # correct
        {"questionId": "q2", "prediction": "no"},  # wrong (unbalanced, only for consistency)
        {"questionId": "q3", "prediction": "red"},  # correct
        {"questionId": "q4", "prediction": "cat"},  # wrong, invalid, implausible
        {"questionId": "q5", "prediction": "color"},  # wrong, valid+plausible via "Common"
        {"questionId": "q6", "prediction": "blue"},  # overridden below
        {"questionId": "q7", "prediction": "no"},  # correct
        {"questionId": "q6", "prediction": "red"},  # duplicate: last wins -> wrong, valid, implausible
        {"questionId": "q999", "prediction": "yes"},  # unknown: ignored
    ]


def _choices() -> dict:
    return {
        "q1": {"valid": ["yes", "no"], "plausible": ["yes", "no"]},
        "q2": {"valid": ["yes", "no"], "plausible": ["yes", "no"]},
        "q3": {"valid": ["red", "blue", "green"], "plausible": ["red", "blue"]},
        "q4": {"valid": ["dog", "horse"], "plausible": ["dog", "horse"]},
        "q5": {"valid": ["yes", "no"], "plausible": ["yes"]},
        "q6": {"valid": ["red", "blue"], "plausible": ["blue", "white"]},
        "q7": {"valid": ["yes", "no"], "plausible": ["yes", "no"]},
    }


def _scenes() -> dict:
    return {"img1": {"width": 100, "height": 100, "objects": {
        "o1": {"name": "car", "x": 0, "y": 0, "w": 50, "h": 50},  # exactly cell (x0, y0) of a 2x2 grid
        "o2": {"name": "car", "x": 25, "y": 50, "w": 50, "h": 50},  # half of cells (x0, y1) and (x1, y1)
    }}}


def test_evaluate_accuracy_binary_open():
    m = evaluate(_questions(), _predictions())
    # balanced: q1 q3 q4 q5 q6 q7; correct: q1 q3 q7
    assert m["accuracy"] == pytest.approx(50.0)
    assert m["binary"] == pytest.approx(200 / 3)  # q1 q5 q7 -> 2/3
    assert m["open"] == pytest.approx(100 / 3)  # q3 q4 q6 -> 1/3
    assert (m["count"], m["missing"], m["missing_entailed"]) == (6, 0, 0)


def test_evaluate_unbalanced_question_not_scored():
    preds = [p for p in _predictions() if p["questionId"] != "q2"] + [{"questionId": "q2", "prediction": "yes"}]
    a = evaluate(_questions(), _predictions())
    b = evaluate(_questions(), preds)
    assert a["accuracy"] == b["accuracy"] and a["count"] == b["count"] == 6


def test_evaluate_validity_plausibility_with_common_override():
    m = evaluate(_questions(), _predictions(), choices=_choices())
    assert m["validity"] == pytest.approx(500 / 6)  # all but q4
    assert m["plausibility"] == pytest.approx(400 / 6)  # q1 q3 q5 q7


def test_evaluate_validity_absent_without_choices():
    m = evaluate(_questions(), _predictions())
    assert "validity" not in m and "plausibility" not in m and "grounding" not in m


def test_evaluate_consistency_over_entailed():
    m = evaluate(_questions(), _predictions())
    # q1 correct, entailed minus itself = q2 (wrong) q3 (right) -> 0.5; q7 correct, q3 right -> 1.0;
    # q4 entails q2 but is wrong, so it does not count.
    assert m["consistency"] == pytest.approx(75.0)


def test_evaluate_distribution_chi_square():
    m = evaluate(_questions(), _predictions())
    # color: gold {red 1, blue 1}, pred {red 2} -> 1 + 1 = 2 (n=2); animal: gold {dog 1}, pred {cat 1} -> 1 (n=1)
    assert m["distribution"] == pytest.approx((2 * 2 + 1 * 1) / 3 / 100)


def test_chi_square_ignores_non_gold_predictions_and_weights_by_size():
    gold = {"g1": {"a": 2, "b": 2}, "g2": {"c": 1}}
    pred = {"g1": {"a": 4, "z": 7}, "g2": {"c": 1}}
    # g1: (4-2)^2/2 + (0-2)^2/2 = 4 (n=4); g2: 0 (n=1)
    assert chi_square(gold, pred) == pytest.approx(16 / 5)
    assert chi_square({}, {}) == 0.0


def _flat(table: dict) -> dict:
    """{k: [pct, n]} -> {(k, 0): pct, (k, 1): n} so pytest.approx can compare it."""
    return {(k, i): v for k, pair in table.items() for i, v in enumerate(pair)}


def test_evaluate_breakdowns():
    b = {name: _flat(t) for name, t in evaluate(_questions(), _predictions())["breakdowns"].items()}
    assert b["structural"] == pytest.approx(_flat({"verify": [100.0, 2], "query": [100 / 3, 3], "compare": [0.0, 1]}))
    assert b["semantic"] == pytest.approx(_flat({"obj": [50.0, 2], "attr": [200 / 3, 3], "cat": [0.0, 1]}))
    assert b["length"] == pytest.approx(_flat({4: [0.0, 1], 5: [200 / 3, 3], 6: [100.0, 1], 10: [0.0, 1]}))
    assert b["steps"] == pytest.approx(_flat({1: [0.0, 1], 2: [75.0, 4], 3: [0.0, 1]}))


def test_steps_number_excludes_exist_query_name_choose_name():
    q = {"semantic": [_op("select", "dog"), _op("exist", "?"), _op("query", "name"),
                      _op("choose name", "cat|dog"), _op("relate", "existing, on"), _op("query", "color")]}
    # "relate: existing, on" contains "exist" -> excluded too (substring test, as official)
    assert steps_number(q) == 2


def test_evaluate_grounding_two_by_two():
    atts = {
        # attention[x][y]: q1's object is cell (0, 0), counted twice (question + full answer)
        "q1": [[0.4, 0.1], [0.3, 0.2]],
        # q3's object covers half of (x0, y1) and half of (x1, y1): 0.5*0.2 + 0.5*0.4
        "q3": [[0.1, 0.2], [0.3, 0.4]],
    }
    m = evaluate(_questions(), _predictions(), scene_graphs=_scenes(), attentions=atts)
    assert m["grounding"] == pytest.approx((0.8 + 0.3) / 2 * 100)


def test_grounding_score_non_square_image_and_official_list_layout():
    scene = {"width": 200, "height": 100, "objects": {"o": {"x": 0, "y": 0, "w": 100, "h": 100}}}
    q = {"annotations": {"question": {"1": "o"}, "fullAnswer": {}}, "semantic": [_op("select", "o")]}
    # the box is the left half: cells (x0, y0) and (x0, y1)
    assert grounding_score(q, scene, [[0.1, 0.2], [0.3, 0.4]]) == pytest.approx(0.3)
    qs = {"q": dict(_questions()["q3"], annotations={"question": {"1": "o"}, "fullAnswer": {}}, imageId="i")}
    m = evaluate(qs, [{"questionId": "q", "prediction": "red"}], scene_graphs={"i": scene},
                 attentions=[{"questionId": "q", "attention": [[0.1, 0.2], [0.3, 0.4]]}])
    assert m["grounding"] == pytest.approx(30.0)


def test_evaluate_missing_balanced_prediction_raise():
    preds = [p for p in _predictions() if p["questionId"] != "q4"]
    with pytest.raises(DataError, match="missing predictions: 1 of 6 .*'q4'"):
        evaluate(_questions(), preds)


def test_evaluate_missing_balanced_prediction_allowed_counts_wrong():
    preds = [p for p in _predictions() if p["questionId"] != "q1"]
    m = evaluate(_questions(), preds, choices=_choices(), allow_missing=True)
    assert m["accuracy"] == pytest.approx(200 / 6)
    assert m["validity"] == pytest.approx(400 / 6)
    assert m["consistency"] == pytest.approx(100.0)  # only q7 left
    assert m["missing"] == 1


def test_evaluate_missing_entailed_prediction_raise():
    preds = [p for p in _predictions() if p["questionId"] != "q2"]
    with pytest.raises(DataError, match="entailed question 'q2' .*has no prediction"):
        evaluate(_questions(), preds)


def test_evaluate_missing_entailed_prediction_allowed_counts_wrong():
    preds = [p for p in _predictions() if p["questionId"] != "q2"]
    m = evaluate(_questions(), preds, allow_missing=True)
    assert m["consistency"] == pytest.approx(75.0)
    assert (m["missing"], m["missing_entailed"]) == (0, 1)


def test_evaluate_entailed_not_in_questions_raise():
    qs = _questions()
    del qs["q2"]
    with pytest.raises(DataError, match="'q2' .*not in the questions file"):
        evaluate(qs, _predictions())


def test_evaluate_non_string_prediction_raise():
    preds = _predictions() + [{"questionId": "q1", "prediction": 1}]
    with pytest.raises(DataError, match=r"predictions\[9\].*'prediction' must be a string, got 1"):
        evaluate(_questions(), preds)


def test_evaluate_non_string_question_id_raise():
    with pytest.raises(DataError, match=r"predictions\[0\].*'questionId' must be a string"):
        evaluate(_questions(), [{"questionId": 1, "prediction": "yes"}])


def test_evaluate_malformed_question_raise():
    qs = _questions()
    del qs["q3"]["types"]
    with pytest.raises(DataError, match=r"questions\['q3'\] lacks 'types'"):
        evaluate(qs, _predictions())


def test_evaluate_choices_missing_question_raise():
    ch = _choices()
    del ch["q5"]
    with pytest.raises(DataError, match=r"choices\['q5'\]"):
        evaluate(_questions(), _predictions(), choices=ch)


def test_evaluate_grounding_needs_both_inputs():
    with pytest.raises(DataError, match="both scene_graphs and attentions"):
        evaluate(_questions(), _predictions(), attentions={"q1": [[1.0]]})


def test_evaluate_counts_repeated_predictions():
    assert evaluate(_questions(), _predictions())["duplicate_predictions"] == 1  # q6, last wins


def test_evaluate_empty_choices_scores_zero_like_official():
    # The official tests `if choices`: an empty file makes every prediction invalid, implausible.
    m = evaluate(_questions(), _predictions(), choices={})
    assert m["validity"] == 0.0 and m["plausibility"] == 0.0


def test_evaluate_unbalanced_question_needs_only_answer():
    qs = _questions()
    qs["q2"] = {"isBalanced": False, "answer": "yes"}  # all the official reads of it (as entailed)
    qs["q8"] = {"isBalanced": 0}
    assert evaluate(qs, _predictions())["consistency"] == pytest.approx(75.0)
    qs["q9"] = {"question": "Is it?"}
    with pytest.raises(DataError, match=r"questions\['q9'\] must be an object with 'isBalanced'"):
        evaluate(qs, _predictions())

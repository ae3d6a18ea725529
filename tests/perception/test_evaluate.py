"""Matching and scoring of predicted graphs against annotations."""
import copy

import numpy as np

from vqa.train.detector_eval import match_centres, score_graphs


def test_evaluate_match_is_one_to_one_and_within_radius():
    pred = np.array([[0, 0], [1, 0], [50, 50]])
    gold = np.array([[0.5, 0], [100, 100]])
    pairs = match_centres(pred, gold, radius=10)
    assert len(pairs) == 1 and pairs[0][1] == 0
    assert match_centres(np.zeros((0, 2)), gold) == []


def test_evaluate_gold_against_itself_is_perfect(clevr_scenes):
    gold = clevr_scenes[:20]
    fig = score_graphs(copy.deepcopy(gold), gold)
    assert fig["recall"] == fig["precision"] == fig["all_attributes_accuracy"] == fig["relation_agreement"] == 1.0


def test_evaluate_wrong_attribute_and_missing_object_count(clevr_scenes):
    gold = [clevr_scenes[0]]
    pred = copy.deepcopy(gold)
    pred[0].objects[0].attributes["color"] = "not-a-colour"
    del pred[0].objects[-1]
    pred[0].relations = [r for r in pred[0].relations if max(r.subject, r.object) < len(pred[0].objects)]
    fig = score_graphs(pred, gold)
    n = len(gold[0].objects)
    assert fig["recall"] == (n - 1) / n and fig["precision"] == 1.0
    assert fig["attribute_accuracy"]["color"] == (n - 2) / (n - 1)
    # each error is listed: the changed colour as an attribute error, the deleted object as a miss
    kinds = sorted(e["kind"] for e in fig["errors"])
    assert kinds == ["attributes", "miss"]
    wrong = next(e for e in fig["errors"] if e["kind"] == "attributes")
    assert "not-a-colour" in wrong["predicted"]["object"] and wrong["gold"]["pixel"] == gold[0].objects[0].pixel[:2]
    miss = next(e for e in fig["errors"] if e["kind"] == "miss")
    assert "predicted" not in miss and miss["image"] == gold[0].image_filename


def test_evaluate_lists_a_false_detection(clevr_scenes):
    gold = [clevr_scenes[1]]
    pred = copy.deepcopy(gold)
    extra = copy.deepcopy(pred[0].objects[0])
    extra.pixel = [extra.pixel[0] + 40, extra.pixel[1], extra.pixel[2]]
    extra.score = 0.6
    pred[0].objects.append(extra)
    fig = score_graphs(pred, gold)
    assert [e["kind"] for e in fig["errors"]] == ["false"] and fig["errors"][0]["predicted"]["score"] == 0.6
    assert fig["errors"][0]["predicted"]["pixel"][0] == round(float(extra.pixel[0]), 1)

"""Matching and scoring of predicted graphs against annotations."""
import copy

import numpy as np

from vqa.perception.evaluate import match_centres, score_graphs


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

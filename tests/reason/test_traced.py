"""The traced single-question path gives the eager reasoner's outputs, and steps aside for inputs
its trace did not see (batches, more objects than the model's width)."""
import copy

import torch

from vqa.encode.encoder import tokenize
from vqa.graph.scene_graph import SceneGraph
from vqa.graph.tensors import collate_graphs, scene_to_pyg
from vqa.pipeline.ask import GraphQA
from vqa.reason.inference import TracedReasoner

QUESTIONS = ["How many cubes are there?", "What color is the large sphere?",
             "Is there a red thing left of the small metal cylinder?",
             "Are there more rubber things than cyan blocks behind the big ball?"]


def _same(a, b):
    assert a.prediction.answers == b.prediction.answers
    for name in ("word_attn", "node_attn", "node_select", "coattn", "edge_attn", "slot_attn"):
        torch.testing.assert_close(getattr(a, name), getattr(b, name), rtol=1e-5, atol=1e-6)
    assert torch.equal(a.edge_index, b.edge_index)


def test_traced_answers_match_eager_on_graphs_of_every_size(tiny_weights, clevr_scenes):
    traced, eager = GraphQA(tiny_weights, trace=True), GraphQA(tiny_weights)
    graphs = list(clevr_scenes[:6])
    for n in (0, 1, 2):  # fewer objects and edges than the example the trace was made on
        g = copy.deepcopy(clevr_scenes[0])
        g.objects = g.objects[:n]
        g.relations = [r for r in g.relations if max(r.subject, r.object) < n]
        graphs.append(g)
    for g in graphs:
        for q in QUESTIONS:
            _same(traced.explain(q, g), eager.explain(q, g))
    _same(traced.explain(QUESTIONS[0], None), eager.explain(QUESTIONS[0], None))  # no image


def test_traced_steps_aside_for_batches_and_wide_graphs(tiny_weights, clevr_scenes):
    qa = GraphQA(tiny_weights, trace=True)
    ids, mask = tokenize(QUESTIONS[:2])
    two = collate_graphs([scene_to_pyg(g) for g in clevr_scenes[:2]])
    assert qa.traced(ids, mask, two) is None
    wide = SceneGraph(list(clevr_scenes[0].objects) * 7)  # more objects than the tiny model's width (32)
    ids, mask = tokenize(QUESTIONS[:1])
    assert qa.traced(ids, mask, collate_graphs([scene_to_pyg(wide)])) is None
    assert qa.explain(QUESTIONS[0], wide).node_attn.shape[1] == len(wide.objects)  # eager answered


def test_traced_shipped_reasoner_answers_as_eager(clevr_scenes, clevr_questions):
    traced, eager = GraphQA(trace=True), GraphQA()
    scenes = {g.image_filename: g for g in clevr_scenes}
    for q in clevr_questions[:150]:
        g = scenes[q["image_filename"]]
        _same(traced.explain(q["question"], g), eager.explain(q["question"], g))
    assert isinstance(traced.traced, TracedReasoner)

"""The exported single-question path (ONNX Runtime, exported from the safetensors weights at start-up)
gives the eager reasoner's outputs within float tolerance, and steps aside for inputs its export
does not cover (batches, graphs wider than it, tiny graphs) and while it is not ready."""
import copy
import tempfile
from pathlib import Path

import pytest
import torch

from vqa.encode.encoder import tokenize
from vqa.graph.scene_graph import SceneGraph
from vqa.graph.tensors import collate_graphs, scene_to_tensors
from vqa.pipeline.ask import GraphQA
from vqa.reason import exported
from vqa.reason.exported import ExportedReasoner, max_objects

pytest.importorskip("onnxruntime", reason="the fast path's runtime is a dependency: pip install -e .")

QUESTIONS = ["How many cubes are there?", "What color is the large sphere?",
             "Is there a red thing left of the small metal cylinder?",
             "Are there more rubber things than cyan blocks behind the big ball?"]
EXPORT_SECONDS = 600  # the export takes 10-20 s alone; much longer on a busy machine


def _same(a, b):
    assert [x for x, _ in a.prediction.answers] == [x for x, _ in b.prediction.answers]
    torch.testing.assert_close([p for _, p in a.prediction.answers], [p for _, p in b.prediction.answers],
                               rtol=1e-4, atol=1e-5)
    for name in ("word_attn", "node_select", "coattn", "edge_attn", "slot_attn"):
        torch.testing.assert_close(getattr(a, name), getattr(b, name), rtol=1e-4, atol=1e-5)
    # node_attn is node_select over its sum: a step that selects almost nothing (a sum near 1e-5) turns
    # float noise of 1e-9 into 1e-4 (measured up to 6e-4 over 300 shipped questions; node_select to 1e-6)
    torch.testing.assert_close(a.node_attn, b.node_attn, rtol=1e-3, atol=2e-3)
    assert torch.equal(a.edge_index, b.edge_index)


@pytest.fixture(scope="module")
def tiny_fast(tiny_weights):
    qa = GraphQA(tiny_weights, fast=True)
    assert qa.fast.wait(EXPORT_SECONDS), qa.fast.failed
    yield qa
    qa.fast.close()


def test_exported_answers_match_eager_on_graphs_of_every_size(tiny_fast, tiny_weights, clevr_scenes):
    eager = GraphQA(tiny_weights)
    graphs = list(clevr_scenes[:6])
    for n in (0, 1, 2, 3):  # 0 and 1: the eager model answers; 2 and 3: fewer than the export's example
        g = copy.deepcopy(clevr_scenes[0])
        g.objects = g.objects[:n]
        g.relations = [r for r in g.relations if max(r.subject, r.object) < n]
        graphs.append(g)
    for g in graphs:
        for q in QUESTIONS:
            _same(tiny_fast.explain(q, g), eager.explain(q, g))
    _same(tiny_fast.explain(QUESTIONS[0], None), eager.explain(QUESTIONS[0], None))  # no image
    ids, mask = tokenize(QUESTIONS[3:])
    assert tiny_fast.fast(ids, mask, collate_graphs([scene_to_tensors(clevr_scenes[0])])) is not None  # it answered


def test_exported_steps_aside_for_batches_and_wide_graphs(tiny_fast, clevr_scenes):
    ids, mask = tokenize(QUESTIONS[:2])
    two = collate_graphs([scene_to_tensors(g) for g in clevr_scenes[:2]])
    assert tiny_fast.fast(ids, mask, two) is None
    wide = SceneGraph(list(clevr_scenes[0].objects) * 7)  # more objects than the tiny model's width (32)
    assert len(wide.objects) > max_objects(tiny_fast.config)
    ids, mask = tokenize(QUESTIONS[:1])
    assert tiny_fast.fast(ids, mask, collate_graphs([scene_to_tensors(wide)])) is None
    assert tiny_fast.explain(QUESTIONS[0], wide).node_attn.shape[1] == len(wide.objects)  # eager answered


def test_exported_covers_the_reasoners_one_branch():
    from vqa.reason.config import ReasonerConfig

    assert max_objects(ReasonerConfig(dim=128)) == 64  # 64 * 63 = 4032 edges, under DISTINCT_EDGES_FROM (4096)
    assert max_objects(ReasonerConfig(dim=32)) == 32  # CoAttention.keys_product_first from 33 objects


def test_exported_without_its_packages_leaves_the_eager_model(tiny_weights, clevr_scenes, monkeypatch):
    monkeypatch.setattr(exported, "runtime_available", lambda: False)
    qa = GraphQA(tiny_weights, fast=True)
    assert not qa.fast.wait(0) and "not installed" in qa.fast.failed
    ids, mask = tokenize(QUESTIONS[:1])
    assert qa.fast(ids, mask, collate_graphs([scene_to_tensors(clevr_scenes[0])])) is None
    assert qa.ask(QUESTIONS[0], clevr_scenes[0]).answers  # answered eagerly


def test_exported_failed_export_says_why(tiny_weights, tmp_path):
    before = set(Path(tempfile.gettempdir()).glob("vqa-reasoner-*"))
    fast = ExportedReasoner.start(tmp_path / "missing.safetensors", GraphQA(tiny_weights).config)
    assert not fast.wait(EXPORT_SECONDS) and fast.failed.startswith("the ONNX export failed")
    assert "missing.safetensors" in fast.failed  # the child's last line: the WeightsError
    assert set(Path(tempfile.gettempdir()).glob("vqa-reasoner-*")) <= before  # its files are gone


def test_exported_shipped_reasoner_answers_as_eager(clevr_scenes, clevr_questions):
    fast, eager = GraphQA(fast=True), GraphQA()
    assert fast.fast.wait(EXPORT_SECONDS), fast.fast.failed
    scenes = {g.image_filename: g for g in clevr_scenes}
    for q in clevr_questions[:150]:
        g = scenes[q["image_filename"]]
        _same(fast.explain(q["question"], g), eager.explain(q["question"], g))
    fast.fast.close()

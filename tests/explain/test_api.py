"""``vqa.explain.explain``: shapes, attention sums, JSON, the files it writes, missing inputs."""
import json

import pytest
import torch
from PIL import Image

from vqa.errors import DataError, ImageError
from vqa.explain import ATTENTION_FILES, ExplainResult, explain

QUESTION = "What color is the large cube left of the sphere?"


@pytest.fixture(scope="module")
def result(qa, scene, image_path) -> ExplainResult:
    return explain(QUESTION, image_path, scene, qa=qa)


def test_api_explain_shapes(result, scene, qa):
    T, N = qa.config.steps, len(scene.objects)
    L = len(result.tokens)
    assert result.tokens[1:4] == ["what", "color", "is"]
    assert result.word_attn.shape == (T, L) and result.node_attn.shape == (T, N)
    assert result.node_select.shape == (T, N) and result.coattn.shape == (L, N)
    assert result.edge_index.shape == (2, N * (N - 1)) and result.edge_attn.shape == (T, N * (N - 1))
    assert result.slot_attn.shape == (2, T)
    assert result.object_ids == [str(k) for k in range(N)] and len(result.object_labels) == N
    assert result.edge_flow().shape == (N * (N - 1),)
    assert 0 <= result.top_object() < N


def test_api_explain_attention_rows_sum_to_one(result):
    for name in ("word_attn", "node_attn", "coattn", "slot_attn"):
        sums = getattr(result, name).sum(-1)
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-4), name
    assert (result.node_select >= 0).all() and (result.node_select <= 1).all()
    probs = [p for _, p in result.answers]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6


def test_api_explain_matches_the_pipeline(result, qa, scene):
    e = qa.explain(QUESTION, scene)
    assert torch.equal(e.node_attn, result.node_attn) and torch.equal(e.word_attn, result.word_attn)
    assert e.prediction.answers == result.answers


def test_api_save_writes_every_file(result, tmp_path):
    written = result.save(tmp_path / "out")
    names = {p.name for p in written}
    T = result.steps
    expected = {f.format(t=t) for f in ATTENTION_FILES for t in range(T)}
    assert names == expected
    for p in written:
        assert p.stat().st_size > 1000, p
    for t in range(T):
        assert Image.open(tmp_path / "out" / f"overlay_step{t}.png").size == (480, 320)
        w, h = Image.open(tmp_path / "out" / f"words_step{t}.png").size
        assert w >= 300 and h >= 150
    for name in ("coattention.png", "graph.png", "words.png"):
        w, h = Image.open(tmp_path / "out" / name).size
        assert w >= 300 and h >= 150
    data = json.loads((tmp_path / "out" / "attention.json").read_text())
    assert data["answer"] == result.answer and data["tokens"] == result.tokens
    assert data["object_ids"] == result.object_ids and data["steps"] == T
    assert torch.allclose(torch.tensor(data["node_attn"]), result.node_attn)
    for key in ("word_attn", "node_select", "coattn", "edge_index", "edge_attn", "slot_attn", "answers", "object_labels"):
        assert key in data


def test_api_explain_without_image_or_graph_is_flagged(qa, tmp_path):
    r = explain("How many cubes are there?", qa=qa)
    assert r.prediction.flags == ["no_image"] and r.node_attn.shape[1] == 0
    assert (tmp_path / "o" / "graph.png").exists() is False
    r.save(tmp_path / "o")
    assert Image.open(tmp_path / "o" / "overlay_step0.png").size == (480, 320)


def test_api_explain_gold_graph_without_image_draws_blank_canvas(qa, scene):
    r = explain(QUESTION, graph=scene, qa=qa)
    assert r.image is None and r.overlay(0).size == (480, 320)


def test_api_explain_image_only_needs_a_registered_detector(qa, image_path):
    with pytest.raises(DataError, match="detector is not available"):
        explain(QUESTION, image_path, qa=qa, detector="no-such-detector")


def test_api_explain_bad_image(qa, tmp_path, scene):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ImageError):
        explain(QUESTION, bad, scene, qa=qa)
    with pytest.raises(ImageError, match="not found"):
        explain(QUESTION, tmp_path / "missing.png", scene, qa=qa)

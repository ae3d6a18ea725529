"""Routing: photos get box graphs and the photo answerer, never the CLEVR reasoner's answers."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from vqa.perception.base import DetectedObject, Detections
from vqa.pipeline.scenes import SceneBuilder, graph_from_detections


def _graph_and_timings(scene):
    return scene.graph, scene.timings


def _skimage(name: str) -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None:
        pytest.fail("scikit-image (a dev extra) is needed for the packaged photos")
    return Path(spec.origin).parent / "data" / name


class Fake:
    """A detector that reports itself as ``name`` and finds one cat."""

    def __init__(self, name):
        self.name = name

    def detect(self, image):
        cat = DetectedObject(box=[10, 10, 200, 150], name="cat", score=0.9,
                             attributes={"class": {"cat": 1.0}, "color": {"brown": 1.0}, "size": {"large": 1.0}})
        return Detections([cat], image.width, image.height, detector=self.name)


def test_routing_coco_detections_get_box_graph():
    d = Fake("coco").detect(type("I", (), {"width": 300, "height": 200})())
    g = graph_from_detections(d)
    assert g.extra["relations"] == "boxes" and g.objects[0].name == "cat"


def test_routing_builder_uses_box_graph_for_coco(tmp_path):
    from PIL import Image

    path = tmp_path / "p.png"
    Image.new("RGB", (300, 200), (200, 10, 10)).save(path)
    g, _ = _graph_and_timings(SceneBuilder(Fake("coco")).build(path))
    assert g.extra.get("relations") == "boxes"


def test_routing_auto_picks_box_graph_for_a_photo():
    """The real ``auto`` detector on scikit-image's chelsea: the coco delegate and a photo graph with a cat."""
    g, _ = _graph_and_timings(SceneBuilder("auto").build(_skimage("chelsea.png")))
    assert g.extra["detector"] == "coco" and g.extra["relations"] == "boxes"
    assert "cat" in [o.name for o in g.objects]


def test_routing_pipeline_answers_photo_without_reasoner(tiny_weights):
    """Chelsea, "Is there a cat?" -> yes, from the photo answerer (the tiny random reasoner is never asked)."""
    from vqa.pipeline.ask import PHOTO_GRAPH, GraphQA

    qa = GraphQA(tiny_weights, threads=1)
    g, _ = _graph_and_timings(SceneBuilder("auto").build(_skimage("chelsea.png")))
    p = qa.ask("Is there a cat?", g)
    assert p.answer == "yes" and PHOTO_GRAPH in p.flags and p.answer_type == "exist"
    oov = qa.ask("Is there a giraffe-necked flag?", g)
    assert oov.answer == "unknown" and "out_of_vocabulary" in oov.flags and "can't see things like" in oov.message
    e = qa.explain("How many cats are there?", g)
    assert e.prediction.answer == "1" and e.node_attn.shape == (1, len(g.objects)) and e.word_attn.shape[0] == 1


def test_routing_cli_ask_photo(capsys, tiny_weights):
    import json

    from vqa.cli.main import main

    rc = main(["ask", str(_skimage("chelsea.png")), "Is there a kitty?", "--weights", str(tiny_weights), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["answers"][0]["answer"] == "yes" and out["detector"] == "coco"
    assert out["status"] == "answered" and "photo_graph" in out["flags"]


def test_builder_detects_with_its_own_thread_count_and_restores_the_process_setting(tmp_path):
    import torch
    from PIL import Image

    seen = []

    class Counting(Fake):
        def detect(self, image):
            seen.append(torch.get_num_threads())
            return super().detect(image)

    path = tmp_path / "p.png"
    Image.new("RGB", (300, 200), (200, 10, 10)).save(path)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        SceneBuilder(Counting("coco"), detect_threads=2, cache_size=0).build(path)
        SceneBuilder(Counting("coco"), cache_size=0).build(path)
        assert seen == [2, 1] and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)

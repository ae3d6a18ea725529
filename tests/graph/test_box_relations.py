"""Box relations on hand-made boxes, and the photo scene graph built from detections."""
import numpy as np
import pytest

from vqa.graph.box_relations import (BOX_PREDICATES, BoxRelationConfig, box_predicate_matrices, box_relations,
                                     detections_to_box_graph)
from vqa.graph.scene_graph import Relation
from vqa.perception.base import DetectedObject, Detections


def _rels(boxes, **kw) -> set[tuple[int, str, int]]:
    cfg = BoxRelationConfig(**kw) if kw else None
    return {(r.subject, r.predicate, r.object) for r in box_relations(boxes, cfg)}


def test_box_relations_left_right_side_by_side():
    r = _rels([[0, 0, 10, 10], [20, 0, 30, 10]])
    assert (0, "left", 1) in r and (1, "right", 0) in r
    assert (1, "left", 0) not in r and (0, "right", 1) not in r
    assert not {p for _, p, _ in r} & {"above", "below", "inside", "on", "overlapping", "bigger", "smaller"}


def test_box_relations_margin_leaves_nearly_aligned_centres_alone():
    # centres 0.5 px apart, mean width 10: under the 10 % margin (1 px)
    r = _rels([[0, 0, 10, 10], [0.5, 30, 10.5, 40]])
    assert not {p for _, p, _ in r} & {"left", "right"}
    assert (0, "above", 1) in r and (1, "below", 0) in r
    # with no margin the 0.5 px decide it
    assert (0, "left", 1) in _rels([[0, 0, 10, 10], [0.5, 30, 10.5, 40]], margin=0.0)


def test_box_relations_inside_and_overlapping():
    table, cup = [0, 0, 100, 100], [40, 40, 60, 60]
    r = _rels([table, cup])
    assert (1, "inside", 0) in r and (0, "inside", 1) not in r
    assert (0, "overlapping", 1) in r and (1, "overlapping", 0) in r
    assert (0, "bigger", 1) in r and (1, "smaller", 0) in r
    assert (0, "next to", 1) not in r  # nested boxes are not side by side


def test_box_relations_partial_overlap_is_not_inside():
    r = _rels([[0, 0, 10, 10], [5, 0, 15, 10]])  # half of each overlaps
    assert (0, "overlapping", 1) in r and (1, "overlapping", 0) in r
    assert not {p for _, p, _ in r} & {"inside"}
    # a sliver (1 % of the smaller box) is not overlapping
    assert (0, "overlapping", 1) not in _rels([[0, 0, 10, 10], [9.9, 0, 20, 10]])


def test_box_relations_on_cup_on_table_not_person_in_front_of_car():
    table, cup = [0, 50, 200, 150], [80, 20, 120, 60]  # the cup's base is in the table top
    r = _rels([table, cup])
    assert (1, "on", 0) in r and (0, "on", 1) not in r
    car, person = [0, 40, 200, 120], [90, 0, 130, 160]  # feet below the car's bottom: in front, not on
    assert (1, "on", 0) not in _rels([car, person])
    rider, bike = [60, 0, 120, 90], [20, 50, 180, 140]  # a rider's box ends inside the bike's
    assert (0, "on", 1) in _rels([rider, bike])
    beside = [300, 20, 340, 60]  # same height as the cup, not over the table
    assert (1, "on", 0) not in _rels([table, beside])


def test_box_relations_next_to_is_symmetric_and_needs_side_by_side():
    a, b, far, below = [0, 0, 10, 10], [13, 2, 23, 12], [100, 0, 110, 10], [0, 30, 10, 40]
    r = _rels([a, b, far, below])
    assert (0, "next to", 1) in r and (1, "next to", 0) in r
    assert (0, "next to", 2) not in r  # 90 px apart, 10 px wide
    assert (0, "next to", 3) not in r  # stacked, not side by side
    m = box_predicate_matrices([a, b, far, below])["next to"]
    assert (m == m.T).all()


def test_box_relations_bigger_needs_the_ratio():
    r = _rels([[0, 0, 10, 10], [20, 0, 31, 11]])  # 121 vs 100: 1.21 < 1.5
    assert not {p for _, p, _ in r} & {"bigger", "smaller"}
    r = _rels([[0, 0, 10, 10], [20, 0, 35, 10]])  # 150 vs 100
    assert (1, "bigger", 0) in r and (0, "smaller", 1) in r


def test_box_relations_matrices_shape_diagonal_and_degenerate_boxes():
    boxes = np.array([[0, 0, 10, 10], [5, 5, 5, 5], [20, 20, 40, 40]], dtype=float)  # box 1 has no area
    m = box_predicate_matrices(boxes)
    assert list(m) == list(BOX_PREDICATES)
    for mat in m.values():
        assert mat.shape == (3, 3) and mat.dtype == bool and not mat.diagonal().any()
    assert not m["inside"][1].any() and not m["bigger"][:, 1].any()  # zero area: no inside / bigger than it
    assert box_relations(np.zeros((0, 4))) == []
    assert box_relations([[0, 0, 1, 1]]) == []
    assert all(isinstance(r, Relation) for r in box_relations(boxes))


def _obj(box, name, color="red", size="small", score=0.9):
    return DetectedObject(box=box, name=name, score=score,
                          attributes={"class": {name: 0.8, "other": 0.2}, "color": {color: 0.7, "blue": 0.3},
                                      "size": {size: 0.6, "medium": 0.4}})


def test_box_relations_detections_to_box_graph():
    dets = Detections([_obj([0, 50, 200, 150], "dining table", "brown", "large"),
                       _obj([80, 20, 120, 60], "cup")], width=200, height=150, detector="coco")
    g = detections_to_box_graph(dets, "coffee.png")
    assert [o.name for o in g.objects] == ["dining table", "cup"]
    assert g.objects[1].attributes == {"class": "cup", "color": "red", "size": "small"}
    assert g.objects[0].extra["attribute_probs"]["color"] == {"brown": 0.7, "blue": 0.3}
    assert g.objects[1].pixel == [100.0, 40.0, 0.0]  # box centre when the detector gave no pixel
    assert g.related(0, "on") == [1]  # the cup is on the table
    assert g.image_filename == "coffee.png" and (g.width, g.height) == (200, 150)
    assert g.extra["detector"] == "coco" and g.objects[0].position is None
    empty = detections_to_box_graph(Detections([], width=10, height=10, detector="coco"))
    assert len(empty) == 0 and empty.relations == []
    assert empty.to_networkx().number_of_nodes() == 0


@pytest.mark.parametrize("pred", BOX_PREDICATES)
def test_box_relations_every_predicate_occurs_somewhere(pred):
    # a small scene where each rule fires at least once
    boxes = [[0, 50, 200, 150], [80, 20, 120, 60], [210, 60, 240, 140], [90, 90, 110, 110]]
    assert pred in {p for _, p, _ in _rels(boxes)}


def test_box_relations_supports_and_contains_are_the_converses_of_on_and_inside():
    boxes = [[0, 50, 200, 150], [80, 20, 120, 60], [90, 90, 110, 110], [300, 0, 320, 20]]
    m = box_predicate_matrices(boxes)
    assert (m["supports"] == m["on"].T).all() and (m["contains"] == m["inside"].T).all()
    r = _rels(boxes)
    assert (1, "on", 0) in r and (0, "supports", 1) in r  # the cup on the table; the table supports it
    assert (2, "inside", 0) in r and (0, "contains", 2) in r

"""``for_display``: photo labels do not repeat the class."""
from __future__ import annotations

from vqa.explain.figures import object_labels
from vqa.graph.box_relations import detections_to_box_graph, for_display
from vqa.graph.scene_graph import SceneGraph, SceneObject
from vqa.perception.base import DetectedObject, Detections


def test_for_display_drops_repeated_class():
    d = DetectedObject(box=[0, 0, 10, 10], name="cat", score=0.9,
                       attributes={"class": {"cat": 1.0}, "color": {"brown": 1.0}, "size": {"small": 1.0}})
    g = detections_to_box_graph(Detections([d], 100, 100, detector="coco"))
    assert object_labels(for_display(g)) == ["0 small brown cat"]
    assert g.objects[0].attributes["class"] == "cat"  # the graph itself is untouched
    clevr = SceneGraph([SceneObject("cube", {"color": "red"})])
    assert for_display(clevr) is clevr

"""Scene graphs from detections: attributes, distributions and relations as for gold graphs."""
from vqa.data.splits import is_validation
from vqa.graph.from_detections import detections_to_graph
from vqa.graph.tensors import CLEVR_VOCAB, scene_to_tensors
from vqa.perception.base import DetectedObject, Detections
from vqa.perception.clevr.config import CLEVR_ATTRIBUTE_VALUES


def _detections_of(graph, confidence=0.9):
    objs = []
    for o in graph.objects:
        probs = {}
        for a, values in CLEVR_ATTRIBUTE_VALUES.items():
            rest = (1 - confidence) / (len(values) - 1)
            probs[a] = {v: confidence if v == o.attributes[a] else rest for v in values}
        x, y = o.pixel[:2]
        objs.append(DetectedObject(box=[x - 10, y - 10, x + 10, y + 10], name=o.name, score=0.99, attributes=probs,
                                   pixel=list(o.pixel)))
    return Detections(objs, width=480, height=320, detector="test")


def test_from_detections_relations_match_annotation(clevr_scenes):
    val = [g for g in clevr_scenes if is_validation(g.image_index)][:40]
    agree = total = 0
    for g in val:
        pred = detections_to_graph(_detections_of(g), g.image_filename)
        assert [o.attributes for o in pred.objects] == [o.attributes for o in g.objects]
        ps, gs = set(pred.relations), set(g.relations)
        n = len(g.objects)
        total += 4 * n * (n - 1)
        agree += 4 * n * (n - 1) - len(ps ^ gs)
    assert agree / total >= 0.99


def test_from_detections_keeps_distributions_for_the_reasoner(clevr_scenes):
    g = clevr_scenes[0]
    pred = detections_to_graph(_detections_of(g, confidence=0.7))
    o = pred.objects[0]
    assert o.extra["attribute_probs"]["color"][g.objects[0].attributes["color"]] == 0.7
    assert o.box is not None and o.score == 0.99 and len(o.position) == 3
    data = scene_to_tensors(pred, CLEVR_VOCAB)
    assert abs(float(data.x[0].max()) - 0.7) < 1e-6  # probabilities, not one-hot


def test_from_detections_empty_image_gives_empty_graph():
    g = detections_to_graph(Detections([], width=480, height=320))
    assert g.objects == [] and g.relations == []

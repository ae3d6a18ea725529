"""Multi-step photo answers: relation chains, their steps, and how the views receive them."""
from __future__ import annotations

import pytest

from vqa.graph.box_relations import detections_to_box_graph
from vqa.perception.base import DetectedObject, Detections
from vqa.pipeline.ask import GraphQA
from vqa.reason.photo_rules import PhotoAnswerer


def _obj(box, name, color="red", score=0.9):
    return DetectedObject(box=box, name=name, score=score,
                          attributes={"class": {name: 1.0}, "color": {color: 0.8, "gray": 0.2}, "size": {"small": 1.0}})


@pytest.fixture(scope="module")
def living_room():
    """A couch (0) with a dog on it (1); a person (2) standing right of them, a red car (3) beside the
    person and a blue car (4) far right."""
    return detections_to_box_graph(Detections([
        _obj([0, 100, 300, 200], "couch", "brown"), _obj([100, 60, 160, 120], "dog", "black"),
        _obj([400, 50, 450, 200], "person", "blue"), _obj([470, 120, 560, 200], "car", "red"),
        _obj([600, 120, 640, 200], "car", "blue")], width=640, height=240, detector="coco"))


@pytest.mark.parametrize("question, answer", [
    ("Is there a dog on the couch?", "yes"),
    ("Is there a dog on the car?", "no"),
    ("What color is the car next to the person?", "red"),
    ("How many cars are right of the couch?", "2"),
    ("How many dogs are right of the couch?", "0"),
    ("Is the dog on the couch?", "yes"),
    ("Is the person on the couch?", "no"),
    ("What colour is the car on the right?", "blue"),     # a position picks the rightmost car
    ("What colour is the leftmost car?", "red"),
    ("Is there an animal on the couch?", "yes"),          # a category: any animal class
    ("any cars?", "yes"),                                 # casual wording
    ("How many giraffes are there?", "0"),                # "giraffes", not "girafves"
    ("Is the dog on the left side of the picture?", "yes"),  # the picture is not a second object
    ("Is the car in the picture?", "yes"),
])
def test_photo_rules_answer_relation_chains(living_room, question, answer):
    assert PhotoAnswerer()(question, living_room).answer == answer


def test_photo_rules_indefinite_anchor_means_any_of_them():
    # two people; only the second has someone next to them... both are next to each other
    g = detections_to_box_graph(Detections([_obj([0, 0, 40, 100], "person"), _obj([45, 0, 85, 100], "person"),
                                            _obj([300, 0, 340, 100], "person")], width=400, height=100,
                                           detector="coco"))
    a = PhotoAnswerer()
    assert a("Is there a person next to another person?", g).answer == "yes"
    assert a("How many people are next to a person?", g).answer == "2"


def test_photo_steps_follow_the_chain(living_room):
    ans = PhotoAnswerer()("What color is the car next to the person?", living_room)
    first, second = ans.steps
    assert first.label == "find: person" and max(range(5), key=first.objects.__getitem__) == 2
    assert second.objects == pytest.approx([0, 0, 0, 1, 0]) and second.edges == [(3, "next to", 2, pytest.approx(0.81))]
    words = dict(zip(ans.tokens, second.words))
    assert words["car"] > 0 and words["next"] > 0 and words["What"] == 0  # the step reads its own words
    assert sum(first.words) == pytest.approx(1) and sum(second.words) == pytest.approx(1)


def test_photo_steps_of_a_pair_question_end_with_the_relation_asked(living_room):
    ans = PhotoAnswerer()("Is the dog on the couch?", living_room)
    assert [s.label for s in ans.steps] == ["find: dog", "find: couch", "is the dog (1) on the couch (0)?"]
    assert ans.steps[-1].edges == [(1, "on", 0, 1.0)]


def test_photo_explanation_carries_every_step_and_the_relation_edge(living_room):
    qa = GraphQA(photo=PhotoAnswerer())
    e = qa.explain("Is there a dog on the couch?", living_room)
    assert e.prediction.answer == "yes" and e.node_attn.shape == (2, 5) and e.word_attn.shape == (2, len(e.tokens))
    assert e.step_labels == ["find: couch", "dog on the couch"]
    assert e.edge_index.tolist() == [[1], [0]] and e.edge_labels == ["on"]
    assert float(e.edge_attn[0, 0]) == 0 and float(e.edge_attn[1, 0]) > 0.5  # the edge belongs to step 2
    declined = qa.explain("Is there a flag?", living_room)  # out of vocabulary: no steps, one placeholder
    assert declined.node_attn.shape == (1, 5) and declined.step_labels == ["the objects the answer used"]


def test_photo_rules_answer_every_hand_written_question_without_failing(living_room):
    """Every question of the photo question sets gets an answer or an honest refusal, on a graph with
    objects and on an empty one (no exception, whatever form it matches)."""
    import json
    from pathlib import Path

    from vqa.graph.scene_graph import SceneGraph

    data = Path(__file__).resolve().parents[1] / "data"
    empty = SceneGraph([], [], width=640, height=480, extra={"detector": "coco", "relations": "boxes"})
    a = PhotoAnswerer()
    for name in ("photo_questions_dev.json", "photo_questions_test.json"):
        for q in json.loads((data / name).read_text())["questions"]:
            for graph in (living_room, empty):
                assert a(q["question"], graph).status, q["question"]
    assert a("Is the picture in colour?", living_room).status == "unsupported"

"""The photo answerer on hand-built box graphs (no detector): honest answers, routing, probabilities."""
from __future__ import annotations

import pytest

from vqa.graph.box_relations import is_photo_graph
from vqa.encode.photo_phrases import question_classes
from vqa.reason.photo_rules import (ANSWERED, NOT_FOUND, NOT_SURE, OUT_OF_VOCABULARY, UNSUPPORTED, PhotoAnswerer,
                                    PhotoAnswererConfig, poisson_binomial)
from vqa.vocab.coco import ANY, object_class, plural
from vqa.graph.box_relations import detections_to_box_graph
from vqa.perception.base import DetectedObject, Detections


def _obj(name, box, score=0.95, color="brown", classes=None):
    colors = {c: 0.01 for c in ("black", "white", "gray", "red", "orange", "brown", "blue")}
    colors[color] = 0.9
    return DetectedObject(box=box, name=name, score=score,
                          attributes={"class": classes or {name: 1.0}, "color": colors,
                                      "size": {"small": 0.1, "medium": 0.3, "large": 0.6}})


def _graph(*objects, w=600, h=400):
    return detections_to_box_graph(Detections(list(objects), w, h, detector="coco"), "photo.jpg")


@pytest.fixture
def street():
    """A person left of a red motorcycle, a bench far left, a cup on a table."""
    return _graph(_obj("bench", [10, 150, 150, 300], 0.8), _obj("person", [160, 50, 260, 380], 0.97, "black"),
                  _obj("motorcycle", [300, 150, 560, 390], 0.93, "red"))


def test_photo_exist_yes_and_no(street):
    a = PhotoAnswerer()
    yes = a("Is there a motorcycle?", street)
    assert (yes.answer, yes.status, yes.question_type) == ("yes", ANSWERED, "exist") and yes.probability > 0.9
    assert a("Is there a dog?", street).answer == "no"


def test_photo_synonyms_map_to_coco_classes(street):
    a = PhotoAnswerer()
    assert a("Is there a motorbike in the picture?", street).answer == "yes"
    assert a("Are there any people?", street).answer == "yes"
    assert a("How many men are there?", street).answer == "1"
    assert object_class(["kitty"]) == "cat" and object_class(["women"]) == "person"
    assert object_class(["red", "objects"]) == ANY and object_class(["glasses"]) is None
    assert plural("bus") == "buses" and plural("knife") == "knives" and plural("cell phone") == "cell phones"


def test_photo_out_of_vocabulary_gets_honest_answer(street):
    ans = PhotoAnswerer()("Is there a flag?", street)
    assert ans.status == OUT_OF_VOCABULARY and ans.answer == "unknown"
    assert "can't see things like 'flag'" in ans.text and "person" in ans.text and "motorcycle" in ans.text
    # also inside a relation, and for colour / count questions
    assert PhotoAnswerer()("Is the bench left of the tree?", street).status == OUT_OF_VOCABULARY
    assert PhotoAnswerer()("What color is the sky?", street).status == OUT_OF_VOCABULARY
    assert PhotoAnswerer()("How many towers are there?", street).status == OUT_OF_VOCABULARY
    # the head noun decides: "the person's suit" is about a suit
    assert PhotoAnswerer()("What color is the person's suit?", street).status == OUT_OF_VOCABULARY


def test_photo_never_answers_clevr_words_about_photos(street):
    for q in ("How many cylinders are there?", "Is there a shiny cube?", "What material is the motorcycle?"):
        ans = PhotoAnswerer()(q, street)
        assert ans.status in (OUT_OF_VOCABULARY, UNSUPPORTED) and ans.answer == "unknown", q


def test_photo_count_color_and_sides(street):
    a = PhotoAnswerer()
    assert a("How many motorcycles are there?", street).answer == "1"
    assert a("How many dogs are there?", street).answer == "0"
    assert a("What color is the motorcycle?", street).answer == "red"
    assert a("Is the motorcycle red?", street).answer == "yes" and a("Is the motorcycle blue?", street).answer == "no"
    assert a("Is the bench to the left of the motorcycle?", street).answer == "yes"
    assert a("Is the motorcycle on the left or right of the bench?", street).answer == "right"
    assert a("Is the bench on the left or the right side of the picture?", street).answer == "left"
    assert a("What is to the left of the motorcycle?", street).answer == "person, bench"
    assert a("Is the motorcycle bigger than the bench?", street).answer == "yes"
    assert a("Are there more people than motorcycles?", street).answer == "no"
    assert a("How many red objects are there?", street).answer == "1"
    assert a("How many motorcycles do you count?", street).answer == "1"


def test_photo_low_probability_says_not_sure():
    # seven people each as likely real as not: no count has 30 % (the mode, 3 or 4, about 27 %)
    g = _graph(*(_obj("person", [60 * k, 10, 60 * k + 50, 200], 0.5) for k in range(7)))
    ans = PhotoAnswerer()("How many people are there?", g)
    assert ans.status == NOT_SURE and ans.answer == "not sure" and ans.text.startswith("Not sure: maybe")
    assert {a for a, _ in ans.answers[:2]} == {"3", "4"}


def test_photo_likely_count_is_answered():
    g = _graph(_obj("person", [10, 10, 100, 200], 0.55), _obj("person", [300, 10, 400, 200], 0.6))
    ans = PhotoAnswerer()("How many people are there?", g)
    assert ans.status == ANSWERED and ans.answer in ("1", "2")


def test_photo_level_pair_is_not_sure():
    g = _graph(_obj("dog", [10, 10, 100, 100], 0.9), _obj("cat", [10, 200, 100, 300], 0.9))  # one above the other
    ans = PhotoAnswerer()("Is the dog on the left or right of the cat?", g)
    assert ans.status == NOT_SURE


def test_photo_missing_object_is_not_found(street):
    ans = PhotoAnswerer()("What color is the dog?", street)
    assert ans.status == NOT_FOUND and "don't see" in ans.text


def test_photo_unsupported_question_lists_forms(street):
    ans = PhotoAnswerer()("Why is the person happy?", street)
    assert ans.status == UNSUPPORTED and "Is there a cat?" in ans.text


def test_photo_empty_graph_answers_no():
    g = _graph()
    assert PhotoAnswerer()("Is there a cat?", g).answer == "no"
    assert PhotoAnswerer()("How many cats are there?", g).answer == "0"


def test_photo_poisson_binomial_sums_to_one():
    d = poisson_binomial([0.5, 0.9, 0.1])
    assert len(d) == 4 and abs(sum(d) - 1) < 1e-12 and abs(d[0] - 0.5 * 0.1 * 0.9) < 1e-12


def test_photo_graph_is_recognised(street):
    assert is_photo_graph(street) and not is_photo_graph(None)


def test_photo_question_classes_name_what_a_closer_look_would_seek():
    assert question_classes("Is there a spoon?") == ["spoon"]
    assert question_classes("Is the cup on the left or right of the spoon?") == ["cup", "spoon"]
    assert question_classes("What is the colour of the kitty?") == ["cat"]
    assert question_classes("What is left of the bench?") == ["bench"]
    assert question_classes("Are there more people than motorcycles?") == ["person", "motorcycle"]
    assert question_classes("Is there a red car next to the bus?") == ["car", "bus"]
    # the graph cannot change these answers: no class, a generic noun, or a word outside the vocabulary
    for q in ("What is in the picture?", "How many objects are there?", "Is there a flag?",
              "Is the flag on the left of the person?", "Is she wearing glasses?", "What is the weather like?"):
        assert question_classes(q) == [], q
    # questions the rules cannot parse (the photo reasoner may answer them): every class they name
    assert question_classes("Can you spot a cell phone in this photo?") == ["cell phone"]


@pytest.mark.parametrize("question, want", [
    ("Is the taller giraffe on the left or on the right?", ("_which_side", "giraffe", None)),
    ("Is there a horse lying below the other horses?", ("_exist", "horse", "horse")),
    ("Is there a person next to the woman in purple?", ("_exist", "person", "person")),
    ("How many plants in pots are there?", ("_count", "potted plant", None)),
    ("Is there a bunch of bananas?", ("_exist", "banana", None)),
    ("Is there a cup on top of the table?", ("_exist", "cup", "dining table")),
    ("What color is the car on the left of the picture?", ("_color", "car", None)),
    ("Is there a big swan on the left?", ("_on_side", "bird", None)),
])
def test_photo_phrase_forms(question, want):
    from vqa.encode.photo_phrases import parse_question
    _, _, phrases, method = parse_question(question)
    a = phrases["a"]
    assert (method, a.cls, a.anchor.cls if a.anchor else None) == want


def test_photo_phrase_modifiers():
    from vqa.encode.photo_phrases import parse_phrase
    assert parse_phrase("the woman in purple").color == "purple"
    assert parse_phrase("the tallest giraffe").extreme == "tallest"
    assert parse_phrase("the combs of the hens").cls is None  # a part of a bird is not a bird
    assert parse_phrase("glasses").cls is None and parse_phrase("a glass").cls == "glass"


def test_photo_extreme_picks_the_biggest_box():
    g = _graph(_obj("dog", [0, 0, 50, 50], 0.9), _obj("dog", [400, 0, 600, 200], 0.9))
    ans = PhotoAnswerer()("Is the biggest dog on the left or right?", g)
    assert ans.answer == "right"


def test_photo_unknown_anchor_with_no_head_is_no():
    g = _graph(_obj("person", [0, 0, 50, 50], 0.9))
    assert PhotoAnswerer()("any chairs on stage?", g).answer == "no"
    g = _graph(_obj("chair", [0, 0, 50, 50], 0.9))
    assert PhotoAnswerer()("any chairs on stage?", g).status == OUT_OF_VOCABULARY


def test_photo_scene_context_reads_an_odd_one_out_as_its_herd():
    """A box the detector calls "cow" (0.67, horse 0.31) among four horses is a horse; one other object of a
    class is no herd; with ``context=0`` the box's own classes decide."""
    horses = [_obj("horse", [x, 100, x + 90, 300], 0.95) for x in (0, 100, 200, 300)]
    odd = _obj("cow", [420, 150, 520, 300], 0.79, classes={"cow": 0.67, "horse": 0.31, "sheep": 0.02})
    graph = _graph(*horses, odd)
    a = PhotoAnswerer()
    assert a("Is there a cow?", graph).answer == "no"
    assert a("How many horses are there?", graph).answer == "5"
    plain = PhotoAnswerer(PhotoAnswererConfig(context=0.0))
    assert plain("Is there a cow?", graph).answer == "yes"
    assert plain("How many horses are there?", graph).answer == "4"
    pair = _graph(horses[0], odd)  # one horse beside it: no herd, the box stays a cow
    assert a("Is there a cow?", pair).answer == "yes"

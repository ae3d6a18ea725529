"""Whole CLEVR questions read into programs (vqa.encode.clevr_questions): one test per form, with questions
written for these tests (none is copied from the hand-written dev or test sets)."""
import json
import random
from pathlib import Path

import pytest

from vqa.encode.clevr_questions import NotExpressible, ParsedQuestion, may_be_extended, read_question
from vqa.encode.clevr_words import normalise, strip_fillers


def nodes(question: str) -> list[tuple]:
    parsed = read_question(question)
    assert parsed is not None and not isinstance(parsed, NotExpressible), question
    return [(n["type"], *n["inputs"], *n["value_inputs"]) for n in parsed.program]


def test_negation_is_the_union_of_the_other_values():
    assert nodes("How many objects aren't balls?") == [
        ("scene",), ("filter_shape", 0, "cube"), ("filter_shape", 0, "cylinder"), ("union", 1, 2), ("count", 3)]
    # "not metal" is rubber; "neither ... nor" is the complement of the union
    assert nodes("how many cylinders are not made of metal") == [
        ("scene",), ("filter_shape", 0, "cylinder"), ("filter_material", 1, "rubber"), ("count", 2)]
    assert nodes("What number of things are neither spheres nor cylinders?") == [
        ("scene",), ("filter_shape", 0, "cube"), ("count", 1)]


def test_negated_phrases_inside_a_query():
    assert nodes("What size is the sphere that isn't purple?")[-3:] == [("filter_shape", 13, "sphere"), ("unique", 14),
                                                                   ("query_size", 15)]  # 7 colours: 7 filters, 6 unions
    assert nodes("what colour is the non-metallic cube") == [
        ("scene",), ("filter_material", 0, "rubber"), ("filter_shape", 1, "cube"), ("unique", 2), ("query_color", 3)]
    assert read_question("What colour is the non-metallic cube").forms == {"negation"}


def test_values_joined_by_or_are_one_filter_per_value():
    assert nodes("How many red or yellow spheres are there?") == [
        ("scene",), ("filter_color", 0, "red"), ("filter_color", 0, "yellow"), ("union", 1, 2),
        ("filter_shape", 3, "sphere"), ("count", 4)]
    # values of two attributes: two terms and their union
    assert nodes("how many cubes are rubber or green")[-2:] == [("union", 2, 3), ("count", 4)]


@pytest.mark.parametrize("question, form, last", [
    ("Are all of the cubes rubber?", "all", "equal_integer"),
    ("Is every ball tiny?", "all", "equal_integer"),
    ("Are both of the cylinders shiny?", "all", "equal_integer"),
    ("Are the big blue cube and the small ball both matte?", "all_of", "equal_integer"),
    ("Are the majority of the cylinders red?", "most", "greater_than"),
    ("Are any of the balls gold?", "any", "exist"),
    ("Are none of the blocks grey?", "none", "exist"),
    ("Is the small cylinder purple?", "is", "equal_integer"),
    ("Is the red thing behind the blue ball?", "is", "equal_integer"),
])
def test_quantifiers_compare_counts(question, form, last):
    parsed = read_question(question)
    assert parsed.form == form and parsed.program[-1]["type"] == last and parsed.answer_type == "bool"
    assert parsed.extended


def test_most_compares_with_the_complement():
    assert nodes("Are most cubes metallic?") == [
        ("scene",), ("filter_shape", 0, "cube"), ("filter_material", 1, "metal"), ("count", 2),
        ("filter_material", 1, "rubber"), ("count", 4), ("greater_than", 3, 5)]


@pytest.mark.parametrize("question, compare", [
    ("Do the red things outnumber the blue things?", "greater_than"),
    ("Are the cubes outnumbered by the spheres?", "less_than"),
    ("Are there just as many cylinders as there are cubes?", "equal_integer"),
    ("Is the number of balls larger than the number of blocks?", "greater_than"),
    ("Are there fewer cubes than there are balls?", "less_than"),
    ("fewer spheres than cylinders?", "less_than"),
    ("Are metal things more common than rubber things?", "greater_than"),
])
def test_free_comparisons(question, compare):
    parsed = read_question(question)
    assert parsed.program[-1]["type"] == compare and parsed.forms == {"comparison"}


def test_which_is_there_more_of_names_an_option_and_together_is_a_union():
    parsed = read_question("Which are there fewer of: rubber objects or metal objects?")
    assert (parsed.finish, parsed.options, parsed.answer_type) == ("option", ("rubber", "metal"), "material")
    assert parsed.program[-1]["type"] == "less_than"
    assert nodes("Are there fewer cylinders than cubes and balls combined?")[-4:] == [
        ("filter_shape", 3, "sphere"), ("union", 4, 5), ("count", 6), ("less_than", 2, 7)]
    assert read_question("Are there more spheres than red things and cubes together?") is None  # not disjoint


def test_choice_and_object_comparisons():
    parsed = read_question("Is the tiny sphere a cube or a cylinder?")
    assert (parsed.form, parsed.finish, parsed.options) == ("choice", "choice", ("cube", "cylinder"))
    parsed = read_question("Is the blue sphere smaller than the red cube?")
    assert parsed.form == "bigger" and ("filter_size", "small") in {(n["type"], *n["value_inputs"]) for n in
                                                                     parsed.program}
    assert len(parsed.definite) == 2
    parsed = read_question("Do the cube and the sphere have different colors?")
    assert parsed.form == "different" and parsed.program[-1]["type"] == "less_than"


def test_template_wording_is_read_but_not_extended():
    for question in ("How many big cubes are there?", "What color is the sphere left of the small cube?",
                     "Are there more cubes than spheres?", "Is the number of cubes greater than the number of balls?",
                     "How many things are either red cubes or small spheres?"):
        parsed = read_question(question)
        assert parsed is not None and not parsed.extended, question
        assert read_question(question, extended_only=True) is None


def test_unreadable_and_ambiguous_questions_give_none():
    assert read_question("Why is the cube red?") is None
    assert read_question("How many things are not left of the ball?") is None  # a negated relation
    # "that is small" could be the thing's or the cylinder's: two programs
    assert read_question("What colour is the thing that is not a cube and is behind the cylinder that is small?") is None


def test_not_expressible():
    parsed = read_question("Which cube is farthest from the camera?")
    assert isinstance(parsed, NotExpressible) and parsed.words == ("farthest", "camera")
    assert "farthest" in parsed.message


@pytest.mark.parametrize("question", [
    "How many objects aren't balls?", "how many red or yellow spheres are there", "Is the small cylinder purple?",
    "Are the big blue cube and the small ball both matte?", "Do the red things outnumber the blue things?",
    "Is the tiny sphere a cube or a cylinder?", "How many cubes and spheres are there?", "Is everything metal?",
    "Does the red cube have the same color as any of the spheres?", "how many things other than cubes are there",
    "are there no red spheres", "How many balls are shiny?", "Are the cubes all small?"])
def test_may_be_extended_holds_for_every_extended_question(question):
    parsed = read_question(question)
    assert parsed.extended and may_be_extended(strip_fillers(normalise(question)))


def test_may_be_extended_holds_on_the_hand_written_dev_sets():
    """The cheap test never turns away a question the rules would take (the dev sets; the template questions
    are in tests/reason/test_clevr_rules.py). A rephrased question (vqa.encode.clevr_rephrase) skips it."""
    data = Path(__file__).resolve().parents[1] / "data"
    extended = 0
    for name in ("human_questions_dev.json", "human_questions_v2_dev.json", "human_questions_v3_dev.json",
                 "human_questions_v4_dev.json"):
        for q in json.loads((data / name).read_text())["questions"]:
            parsed = read_question(q["question"])
            if isinstance(parsed, ParsedQuestion) and parsed.extended and "rephrased" not in parsed.forms:
                extended += 1
                assert may_be_extended(strip_fillers(normalise(q["question"]))), q["question"]
    assert extended > 80


def test_may_be_extended_holds_for_composed_questions():
    """Questions composed at random from template and extended wordings (comparisons, same-attribute, joined
    values, predicates after "is the"): whenever the parser reads one with an extended form, the cheap test
    lets it through (it may not turn one away to save time)."""
    rng = random.Random(0)
    opening = ["Is", "Are", "How many things are", "What number of objects are", "Is the number of", "Are there",
               "Are there more", "Are all", "Do", "What color is", "Is the color of", "Is the size of"]
    phrases = ["the cube", "the red cube", "the big shiny ball", "the small cylinder that is left of the cube",
               "a sphere", "cubes", "red things", "the metal thing", "the blue block", "the cylinders", "objects",
               "red", "big and shiny", "the same size as the ball", "left of the red cube", "a cube",
               "made of metal", "not red", "red or blue", "a cube or a sphere", "in front of the cube and red",
               "either red or blue", "big red", "small things", "both red", "mostly red", "the same size as",
               "greater than the number of", "the same as the number of", "than", "and", "or", "that are",
               "made of the same material as", "bigger than", "the same as", "the same color"]
    extended = 0
    for _ in range(4000):
        question = " ".join([rng.choice(opening)] + rng.choices(phrases, k=rng.randint(1, 4))) + "?"
        parsed = read_question(question)
        if isinstance(parsed, ParsedQuestion) and parsed.extended:
            extended += 1
            assert may_be_extended(strip_fillers(normalise(question))), question
    assert extended > 50


@pytest.mark.parametrize("question", ["Is the?", "are the", "is the color", "Is the number of?", "is only"])
def test_questions_cut_short_after_is_the_give_none(question):
    """The cheap test reads a word after "is the" only when there is one (an IndexError before)."""
    assert may_be_extended(strip_fillers(normalise(question))) in (True, False)
    assert read_question(question, extended_only=True) is None

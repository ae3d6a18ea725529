"""Free wordings rewritten before parsing (vqa.encode.clevr_rephrase), checked through read_question: each
rewritten question reads as the program of its plain wording, and is marked "rephrased" so the rules answer
it. The questions are written for these tests (none is copied from the hand-written sets)."""
from functools import lru_cache
from pathlib import Path

import pytest

from vqa.data.executor import ProgramError, SceneIndex, answer_to_str, execute_program
from vqa.encode.clevr_questions import NotExpressible, ParsedQuestion, read_question
from vqa.encode.clevr_rephrase import last_sentence
from vqa.encode.clevr_words import normalise


SCENES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "clevr" / "CLEVR_train_scenes.json"


@lru_cache(maxsize=1)
def scenes() -> list:
    from vqa.graph.io import load_clevr_scenes

    return [SceneIndex.of(g) for g in load_clevr_scenes(SCENES)[:60]]


def program(question: str) -> list:
    """The answers of the question's program on 60 shared scenes ("?" where it fails, as for "the X" when
    a scene has none or several): two wordings mean the same when these agree."""
    parsed = read_question(question)
    assert isinstance(parsed, ParsedQuestion), question
    out = []
    for index in scenes():
        try:
            out.append(answer_to_str(execute_program(parsed.program, index)[-1]))
        except ProgramError:  # "the X" in a scene with none or several
            out.append("?")
    assert out.count("?") < len(out) - 5, question  # the wordings are compared on enough scenes
    return out


@pytest.mark.parametrize("asked, plain", [
    ("Do you see the tiny cylinder? What material is it?", "What material is the tiny cylinder?"),
    ("There is a green cube. What is its size?", "What size is the green cube?"),
    ("How many spheres in this picture are red?", "How many spheres are red?"),
    ("Other than the rubber ones, how many cubes are there?", "How many cubes are not rubber?"),
    ("how many things are there except the yellow ones", "how many things are not yellow"),
    ("How many balls are there other than the metal ones?", "How many balls are not metal?"),
    ("Is there something purple here", "Is there a purple thing?"),
    ("Can you please count the big things for me?", "How many big things are there?"),
    ("How many cubes have a material other than metal?", "How many cubes are not metal?"),
    ("Is the red thing a cylinder, a sphere or a cube?", "What shape is the red thing?"),
    ("Left of the brown sphere, how many cubes are there?", "How many cubes are left of the brown sphere?"),
    ("Behind the big cylinder, is there a metal ball?", "Is there a metal ball behind the big cylinder?"),
    ("Count the things in front of the gray cube.", "How many things are in front of the gray cube?"),
    ("Does the small cube have a shiny surface?", "Is the small cube shiny?"),
    ("Is the big cylinder made of a rubbery material?", "Is the big cylinder made of rubber?"),
    ("How many cubes are some colour other than green?", "How many cubes are not green?"),
    ("Out of all the things, how many are small?", "How many things are small?"),
    ("Find the purple cube. Is the big sphere to its right?", "Is the big sphere right of the purple cube?"),
    # the longest opening matches: "take a look at", not "take"; "i am curious to know", not "i am curious"
    ("Take a look at the red sphere. What size is it?", "What size is the red sphere?"),
    ("I am curious to know: how many cubes are there?", "How many cubes are there?"),
    ("Are there fewer spheres left of the red cylinder than right of it?",
     "Are there fewer spheres left of the red cylinder than spheres right of the red cylinder?"),
])
def test_free_wording_reads_as_its_plain_wording(asked, plain):
    assert program(asked) == program(plain)
    assert "rephrased" in read_question(asked).forms and read_question(asked, extended_only=True) is not None


def test_template_wording_is_not_rephrased():
    for question in ("How many big red cubes are there?", "What color is the sphere left of the small cube?", "Is the sphere a cube or a cylinder?", "Are there more cubes than spheres?"):
        parsed = read_question(question)
        assert parsed is not None and "rephrased" not in parsed.forms, question


def test_a_pronoun_needs_an_object_named_before_it():
    # the first sentence names no object: the question is left as it was (and not read)
    tokens = normalise("Why? What color is it?")
    assert last_sentence(tokens, "Why? What color is it?") == (tokens, False)
    assert read_question("What color is it? The ball.") is None


def test_counting_values_and_lying_objects_are_not_expressible():
    for question in ("How many different colors are there?", "how many kinds of shapes do you see",
                     "How many materials are there?", "Is any cylinder lying on its side?",
                     "Are all the spheres different colors?", "Is the cube the shiniest thing?"):
        assert isinstance(read_question(question), NotExpressible), question
    assert isinstance(read_question("How many shapes are there?"), ParsedQuestion)  # shapes: the objects


def test_fillers_send_a_template_form_to_the_rules():
    """No template has fillers, so a question that needed them stripped is answered by the rules."""
    assert "rephrased" in read_question("I was wondering, how many cylinders can you see?").forms
    assert read_question("How many cylinders are there?").forms == frozenset()


def test_share_is_not_a_typo_of_shape():
    assert [t.text for t in normalise("do they share a color")][2] == "share"

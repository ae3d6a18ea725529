"""The answer type a question asks for (vqa.answer.expected) and the mask it puts on the logits."""
import random

import pytest
import torch

from vqa.answer.expected import ExpectedAnswer, answer_mask, expected_answer, restrict_logits, value_of
from vqa.encode.augment import augment_question
from vqa.vocab.clevr import CLEVR_ANSWERS


@pytest.mark.parametrize("question, answer_type", [
    ("How many cubes are there?", "count"),
    ("Could you tell me how many cylinders are on the left side of the sphere?", "count"),
    ("count the green things", "count"),
    ("number of cubes?", "count"),
    ("What is the total number of cylinders?", "count"),
    ("whhat number of other objects are the same shape as the cyan item?", "count"),
    ("Is the number of cubes greater than the number of balls?", "bool"),
    ("Are there as many cylinders as cubes", "bool"),
    ("Hey, is the big cylinder made out of rubber?", "bool"),
    ("Just checking: is the grey block made of rubber?", "bool"),
    ("More green things than grey ones?", "bool"),
    ("the red ball and the red cube same material??", "bool"),
    ("There is a red cylinder; does it have the same material as the sphere?", "bool"),
    ("Is there a red or blue cube?", "bool"),
    ("whats the colour of the shiny ball", "color"),
    ("What is the shiny object's colur?", "color"),
    ("the cylinder is which colour", "color"),
    ("colour of the cylinder?", "color"),
    ("I was wondering what colour the shiny cylinder is", "color"),
    ("The tiny rubber thing that is the same size as the cube is what color?", "color"),
    ("There is a cube that is the same size as the sphere; what is its material?", "material"),
    ("the cyan thing that is not a ball, what is it made of", "material"),
    ("the green cylinder is made of what", "material"),
    ("What is the thing made of rubber?", "shape"),
    ("what is the purple thing", "shape"),
    ("The red thing - what shape is it?", "shape"),
    ("the matte cylinder, how big is it?", "size"),
    ("What size is the cylinder that is green", "size"),
    ("What is the thing on the left side of the cube?", "shape"),
])
def test_expected_answer_reads_the_asked_type(question, answer_type):
    assert expected_answer(question).answer_type == answer_type


@pytest.mark.parametrize("question, options", [
    ("Is the cylinder metal or rubber?", ("metal", "rubber")),
    ("Is the cube shiny or matte", ("metal", "rubber")),
    ("The brown thing, is it a ball or a cube?", ("sphere", "cube")),
    ("The cylinder: metal or rubber?", ("metal", "rubber")),
    ("Is the sphere grey or blue", ("gray", "blue")),
    ("Which is there more of: big objects or small objects?", ("large", "small")),
    ("Are there more cylinders or cubes?", ("cylinder", "cube")),
])
def test_expected_answer_offers_named_options(question, options):
    e = expected_answer(question)
    assert e.options == options and e.allows(options[1]) and not e.allows("yes")


@pytest.mark.parametrize("question", ["Is there anything red or blue?", "How many things are red or purple?",
                                      "Are there more cylinders than red or blue cubes?", "Is it red or metal?"])
def test_expected_answer_no_options_for_existence_counts_and_mixed_values(question):
    assert expected_answer(question).options == ()


def test_expected_answer_unknown_wording_allows_everything():
    e = expected_answer("cube-shaped, left of the purple cylinder")
    assert e == ExpectedAnswer() and all(e.allows(a) for a in CLEVR_ANSWERS)


def test_value_of_maps_synonyms_plurals_and_typos():
    assert [value_of(w) for w in ("balls", "shiny", "grey", "purpel", "tiny", "block", "cat")] == \
           ["sphere", "metal", "gray", "purple", "small", "cube", None]


def test_expected_answer_keeps_every_shared_template_answer(clevr_questions):
    # the mask must never rule out a template question's answer (9,320 shared questions, 90 families)
    wrong = [q["question"] for q in clevr_questions
             if expected_answer(q["question"]).answer_type is None or not expected_answer(q["question"]).allows(q["answer"])]
    assert wrong == []


def test_expected_answer_keeps_reworded_template_answers(clevr_questions):
    # the rewordings training uses (synonyms, phrase rewrites, typos, casing) keep the type readable
    rng = random.Random(0)
    wrong = []
    for q in clevr_questions:
        text = augment_question(q["question"], rng, p_phrase=0.8, p_synonym=0.5, p_typo=0.06)
        if not expected_answer(text).allows(q["answer"]):
            wrong.append(text)
    assert len(wrong) <= 2, wrong[:5]


def test_answer_mask_shape_and_rows():
    m = answer_mask(["How many cubes?", "Is it red or blue?", "hmm"], CLEVR_ANSWERS)
    assert m.shape == (3, len(CLEVR_ANSWERS)) and m.dtype == torch.bool
    assert [CLEVR_ANSWERS[i] for i in m[0].nonzero().flatten()] == [str(k) for k in range(11)]
    assert [CLEVR_ANSWERS[i] for i in m[1].nonzero().flatten()] == ["red", "blue"]
    assert m[2].all()
    assert answer_mask([], CLEVR_ANSWERS).shape == (0, len(CLEVR_ANSWERS))


def test_answer_mask_allowing_nothing_allows_everything():
    assert answer_mask(["How many cubes?"], ["yes", "no"]).all()


def test_restrict_logits_zeroes_ruled_out_answers_after_softmax():
    logits = torch.tensor([[5.0, 1.0, 0.0], [0.0, 2.0, 1.0]])
    mask = torch.tensor([[False, True, True], [True, True, True]])
    p = restrict_logits(logits, mask).softmax(-1)
    assert p[0, 0] == 0 and torch.allclose(p.sum(-1), torch.ones(2))
    assert torch.equal(restrict_logits(logits, mask)[1], logits[1])

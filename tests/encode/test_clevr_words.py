"""The CLEVR question parser's words and object sets (vqa.encode.clevr_words, clevr_sets): normalising, the
words CLEVR cannot express, fillers, "one", and sets (negation, unions)."""
import pytest

from vqa.encode.clevr_sets import EVERYTHING, Constraint, Term, join, meet, negate
from vqa.encode.clevr_words import DOMAIN, normalise, not_expressible, resolve_ones, strip_fillers


def texts(question: str) -> list[str]:
    return [t.text for t in normalise(question)]


@pytest.mark.parametrize("question, expected", [
    ("Aren't the cubes shiny?", "are not the cubes shiny"),
    ("arent the cubes shiny", "are not the cubes shiny"),
    ("What's the colour of the ball's neighbour", "what is the color of the ball neighbour"),
    ("the thing thats not non-metal", "the thing that is not non metal"),
    ("r there red/blue blocks", "are there red blue blocks"),
    ("Is the cube to the left of the ball?", "is the cube @left the ball"),
    ("on the right side of it", "@right it"),
    ("is it closer to the camera than the cube", "is it @front the cube"),
    ("farther away than the cube, in back of it", "@behind the cube @behind it"),
])
def test_normalise_expands_contractions_and_reads_relations_as_one_token(question, expected):
    assert " ".join(texts(question)) == expected


def test_normalise_keeps_the_positions_of_the_words():
    tokens = normalise("How many things aren't to the left of it?")
    assert [(t.text, sorted(t.words)) for t in tokens] == [
        ("how", [0]), ("many", [1]), ("things", [2]), ("are", [3]), ("not", [3]), ("@left", [4, 5, 6, 7]),
        ("it", [8])]


@pytest.mark.parametrize("typo, word", [("cyllinder", "cylinder"), ("purlpe", "purple"), ("spehres", "spheres"),
                                        ("then", "than"), ("materail", "material")])
def test_normalise_corrects_one_typo(typo, word):
    assert texts(typo) == [word]


def test_normalise_leaves_real_words_and_never_corrects_into_a_word_clevr_cannot_express():
    assert texts("this with those") == ["this", "with", "those"]
    assert texts("touchng") == ["touchng"]  # one typo from "touching": left alone, so the parse just fails


@pytest.mark.parametrize("question, words", [
    ("Is the cyan cylinder the biggest object?", ("biggest",)),
    ("What is the colour of the object nearest to the cube?", ("nearest",)),
    ("How many spheres are touching each other?", ("touching", "each other")),
    ("Is the ball closer to the cube than to the cylinder?", ("closer",)),
    ("Are the two objects about the same distance from the camera?", ("distance", "camera")),
    ("Which object is partly hidden?", ("partly", "hidden")),
])
def test_not_expressible_words(question, words):
    assert not_expressible(normalise(question))[0] == words


@pytest.mark.parametrize("question", ["Is the big cube behind the sphere?", "Is the cube bigger than the ball?",
                                      "Is the ball closer to the camera than the cube?",
                                      "Is the cube farther away than the sphere?", "How many large things are there?"])
def test_expressible_questions_have_no_such_word(question):
    assert not_expressible(normalise(question))[0] == ()


def test_fillers_and_one_anaphora():
    tokens = resolve_ones(strip_fillers(normalise("Hey, is the red cylinder bigger than the blue one in the picture?")))
    assert [t.text for t in tokens] == ["is", "the", "red", "cylinder", "bigger", "than", "the", "blue", "cylinder"]
    tokens = resolve_ones(normalise("more metal balls than rubber ones"))
    assert [t.text for t in tokens][-2:] == ["rubber", "spheres"]  # the shape, as a plural noun


def term(**values) -> Term:
    return Term(tuple(Constraint(a, frozenset(v)) for a, v in values.items()))


def test_negation_is_the_complement_of_the_values():
    (other,) = negate((term(color={"brown"}),), frozenset())
    assert other.values("color") == DOMAIN["color"] - {"brown"}
    # not (cube or cylinder) = sphere; not (red cube) = not red or not cube
    assert negate((term(shape={"cube"}), term(shape={"cylinder"})), frozenset()) == (term(shape={"sphere"}),)
    assert {t.values("color") == DOMAIN["color"] for t in negate((term(color={"red"}, shape={"cube"}),),
                                                                 frozenset())} == {True, False}
    assert negate(EVERYTHING, frozenset()) == ()


def test_join_merges_terms_of_one_attribute_and_meet_drops_impossible_ones():
    assert join((term(color={"red"}),), (term(color={"purple"}),)) == (term(color={"purple", "red"}),)
    assert join((term(color={"red"}),), (term(material={"metal"}),)) == (term(color={"red"}), term(material={"metal"}))
    assert meet((term(color={"blue"}),), (term(color={"red"}),)) == ()
    assert meet((term(color={"blue", "red"}),), (term(shape={"cube"}),)) == (term(color={"blue", "red"}, shape={"cube"}),)

"""Tests for the CLEVR question generator."""
import collections
import json
import re

import pytest

from vqa.data.executor import answer_to_str, execute_program
from vqa.data.generator import QuestionGenerator, generate_questions
from vqa.data.templates import TEMPLATES_DIR, drop_other
from vqa.data.scenes import sample_scenes

OFFICIAL_KEYS = {"split", "image_filename", "image_index", "image", "question", "program", "answer",
                 "template_filename", "question_family_index", "question_index"}


@pytest.fixture(scope="module")
def scenes():
    return sample_scenes(300, seed=0)


@pytest.fixture(scope="module")
def questions(scenes):
    return generate_questions(scenes, questions_per_scene=10, seed=0, progress=False)


def test_generator_loads_templates_from_package():
    gen = QuestionGenerator()
    assert TEMPLATES_DIR.parent.name == "data" and (TEMPLATES_DIR / "LICENSE-clevr-dataset-gen-BSD.txt").is_file()
    assert len(gen.families) == 90
    assert len({f.filename for f in gen.families}) == 9


def test_generator_ten_questions_per_scene(questions, scenes):
    per_scene = collections.Counter(q["image_index"] for q in questions)
    assert len(per_scene) == len(scenes) and set(per_scene.values()) == {10}
    assert [q["question_index"] for q in questions] == list(range(len(questions)))


def test_generator_answers_match_executor(questions, scenes):
    for q in questions:
        assert answer_to_str(execute_program(q["program"], scenes[q["image_index"]])[-1]) == q["answer"]


def test_generator_official_question_format(questions):
    for q in questions:
        assert set(q) == OFFICIAL_KEYS
        assert q["image"] + ".png" == q["image_filename"]
        for k, node in enumerate(q["program"]):
            assert set(node) == {"type", "inputs", "value_inputs"}
            assert all(0 <= i < k for i in node["inputs"])


def test_generator_filter_chains_in_clevr_order(questions):
    rank = {"filter_size": 0, "filter_color": 1, "filter_material": 2, "filter_shape": 3}
    for q in questions:
        prog = q["program"]
        for node in prog:
            if node["type"] in rank and prog[node["inputs"][0]]["type"] in rank:
                assert rank[prog[node["inputs"][0]]["type"]] < rank[node["type"]], q["question"]


def test_generator_no_placeholders_left(questions):
    for q in questions:
        text = q["question"]
        assert not re.search(r"[<>\[\]]|  | [?;,]", text), text
        assert not re.search(r"\ba [aeiou]", text), text
        assert text[0].isupper() and text[-1] == "?"


def test_generator_all_template_files_and_families_produce_questions(questions):
    files = {p.name for p in TEMPLATES_DIR.glob("*.json")} - {"metadata.json", "synonyms.json"}
    assert {q["template_filename"] for q in questions} == files
    assert len({(q["template_filename"], q["question_family_index"]) for q in questions}) == 90


def test_generator_yes_no_balanced(questions):
    binary = [q["answer"] for q in questions if q["answer"] in ("yes", "no")]
    share = binary.count("yes") / len(binary)
    assert 0.35 <= share <= 0.65
    by_file = collections.defaultdict(list)
    for q in questions:
        if q["answer"] in ("yes", "no"):
            by_file[q["template_filename"]].append(q["answer"] == "yes")
    for name, ys in by_file.items():
        assert 0.35 <= sum(ys) / len(ys) <= 0.65, name


def test_generator_count_and_attribute_answers_spread(questions):
    counts = collections.Counter(q["answer"] for q in questions if q["answer"].isdigit())
    assert len(counts) >= 6 and max(counts.values()) < 0.35 * sum(counts.values())
    colors = collections.Counter(q["answer"] for q in questions
                                 if q["answer"] in ("gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"))
    assert len(colors) == 8 and min(colors.values()) > 0.5 * sum(colors.values()) / 8


def test_generator_null_constraint_keeps_query_attribute_unmentioned(questions):
    # "What color is the red cube?" must not occur: the queried attribute is never filtered on
    # just before the unique that feeds the query.
    for q in questions:
        prog = q["program"]
        for node in prog:
            if node["type"].startswith("query_"):
                attr = node["type"][len("query_"):]
                k = prog[node["inputs"][0]]["inputs"][0]  # input of the unique
                while prog[k]["type"].startswith("filter_"):
                    assert prog[k]["type"] != f"filter_{attr}", q["question"]
                    k = prog[k]["inputs"][0]


def test_generator_out_neq_compared_objects_differ(questions, scenes):
    for q in questions:
        if q["template_filename"] != "comparison.json":
            continue
        outs = execute_program(q["program"], scenes[q["image_index"]])
        prog = q["program"]
        a, b = prog[-1]["inputs"]
        assert outs[prog[a]["inputs"][0]] != outs[prog[b]["inputs"][0]], q["question"]


def test_generator_deterministic_with_seed(scenes):
    a = generate_questions(scenes[:30], 5, seed=7, progress=False)
    b = generate_questions(scenes[:30], 5, seed=7, progress=False)
    c = generate_questions(scenes[:30], 5, seed=8, progress=False)
    assert json.dumps(a) == json.dumps(b)
    assert json.dumps(a) != json.dumps(c)


def test_generator_instantiate_one_family(scenes):
    gen = QuestionGenerator(seed=1)
    q = next(q for s in scenes[:20] if (q := gen.instantiate(s, "three_hop.json", 2)) is not None)
    assert q["template_filename"] == "three_hop.json" and q["question_family_index"] == 2
    assert q["answer"] in ("large", "small")


def test_generator_drop_other_when_descriptions_differ():
    text = "How many other red things have the same shape as the blue cube?"
    vals = {"<C>": "blue", "<S>": "cube", "<C2>": "red", "<S2>": None}
    assert drop_other(text, vals) == "How many red things have the same shape as the blue cube?"
    same = {"<C>": "red", "<C2>": "red"}
    assert drop_other(text, same) == text

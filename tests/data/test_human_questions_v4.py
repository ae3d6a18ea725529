"""Checks for the hand-written human-style CLEVR questions, version 4 (dev).

Re-runs every gold program with the executor, checks the fields and the answer vocabulary, and
checks that the set's scenes are disjoint from every other human question set.
"""
import json
from collections import Counter
from pathlib import Path

import pytest

from vqa.data.executor import SceneIndex, answer_to_str, execute_program

HERE = Path(__file__).resolve().parent
PATH = HERE / "human_questions_v4_dev.json"
FIELDS = {"question_index", "image_index", "image_filename", "question", "program", "answer", "answer_type",
          "expressible", "style"}
STYLES = {"plain", "synonym", "count", "comparison", "relative_clause", "negation", "joined_attributes", "casual",
          "typo", "extra_words", "imperative", "fronted", "two_sentences", "not_expressible"}
VOCAB = {
    "bool": {"yes", "no"},
    "count": {str(i) for i in range(11)},
    "color": {"gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"},
    "shape": {"cube", "sphere", "cylinder"},
    "material": {"rubber", "metal"},
    "size": {"small", "large"},
}
QUESTIONS_PER_SCENE = 5
NUM_SCENES = 29


@pytest.fixture(scope="module")
def v4():
    return json.loads(PATH.read_text())


@pytest.fixture(scope="module")
def scene_index(clevr_scenes):
    return {g.image_index: g for g in clevr_scenes}


def _answer_type_of(program):
    last = program[-1].get("type", program[-1].get("function"))
    if last == "count":
        return "count"
    if last.startswith("query_"):
        return last[len("query_"):]
    return "bool"


def test_info_matches_questions(v4):
    info, qs = v4["info"], v4["questions"]
    assert info["split"] == "dev"
    assert info["version"] == 4
    assert info["scenes_file"] == "CLEVR_train_scenes.json"
    assert info["written_blind"]
    assert info["num_questions"] == len(qs) == QUESTIONS_PER_SCENE * NUM_SCENES
    assert info["num_expressible"] == sum(q["expressible"] for q in qs)
    assert info["image_indices"] == sorted({q["image_index"] for q in qs})
    assert [q["question_index"] for q in qs] == list(range(len(qs)))
    per_scene = Counter(q["image_index"] for q in qs)
    assert len(per_scene) == NUM_SCENES
    assert set(per_scene.values()) == {QUESTIONS_PER_SCENE}
    texts = [q["question"].strip().lower() for q in qs]
    assert len(set(texts)) == len(texts), "a question is repeated"


def test_fields_and_vocabulary(v4, scene_index):
    for q in v4["questions"]:
        assert set(q) == FIELDS, q["question_index"]
        assert isinstance(q["question"], str) and q["question"].strip()
        assert q["style"] in STYLES
        assert q["answer_type"] in VOCAB
        assert q["image_index"] in scene_index
        assert q["image_filename"] == scene_index[q["image_index"]].image_filename
        assert q["image_filename"] == f"CLEVR_train_{q['image_index']:06d}.png"
        if q["expressible"]:
            assert q["expressible"] is True
            assert q["style"] != "not_expressible"
            assert isinstance(q["program"], list) and q["program"]
            assert q["answer"] in VOCAB[q["answer_type"]], q
            assert _answer_type_of(q["program"]) == q["answer_type"], q
            for k, node in enumerate(q["program"]):
                assert set(node) == {"type", "inputs", "value_inputs"}
                assert all(isinstance(i, int) and 0 <= i < k for i in node["inputs"]), q
        else:
            assert q["expressible"] is False
            assert q["style"] == "not_expressible"
            assert q["program"] is None
            assert q["answer"] == "not sure"


def test_scenes_have_images_and_four_or_more_objects(v4, scene_index, clevr_dir):
    for i in v4["info"]["image_indices"]:
        assert (clevr_dir / "images" / f"CLEVR_train_{i:06d}.png").exists(), i
        assert len(scene_index[i].objects) >= 4, i


def test_programs_reproduce_answers(v4, scene_index):
    wrong = []
    for q in v4["questions"]:
        if not q["expressible"]:
            continue
        out = execute_program(q["program"], SceneIndex.of(scene_index[q["image_index"]]))
        if answer_to_str(out[-1]) != q["answer"]:
            wrong.append((q["question_index"], q["question"], q["answer"], answer_to_str(out[-1])))
    assert wrong == []


def test_mix_of_styles_and_answers(v4):
    qs = v4["questions"]
    styles = Counter(q["style"] for q in qs)
    assert set(styles) == STYLES
    assert 0.10 <= styles["not_expressible"] / len(qs) <= 0.20
    assert min(styles.values()) >= 8
    bools = Counter(q["answer"] for q in qs if q["expressible"] and q["answer_type"] == "bool")
    assert abs(bools["yes"] - bools["no"]) <= 5


def test_scenes_disjoint_from_every_other_set(v4):
    mine = {q["image_index"] for q in v4["questions"]}
    others = set()
    for path in HERE.glob("human_questions*.json"):
        if path.name == PATH.name:
            continue
        others |= {q["image_index"] for q in json.loads(path.read_text())["questions"]}
    assert others, "earlier human question sets not found"
    assert not mine & others

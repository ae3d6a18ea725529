"""Checks for the hand-written human-style CLEVR questions, version 3 (dev and test).

Re-runs every gold program with the executor, checks the fields and the answer vocabulary, and
checks that the two halves use disjoint scenes that no earlier human question set used.
"""
import json
from collections import Counter
from pathlib import Path

import pytest

from vqa.data.executor import SceneIndex, answer_to_str, execute_program

HERE = Path(__file__).resolve().parent
SPLITS = ("dev", "test")
FIELDS = {"question_index", "image_index", "image_filename", "question", "program", "answer", "answer_type",
          "expressible", "style"}
STYLES = {"plain", "synonym", "count", "comparison", "relative_clause", "negation", "joined_attributes", "casual",
          "typo", "extra_words", "not_expressible"}
VOCAB = {
    "bool": {"yes", "no"},
    "count": {str(i) for i in range(11)},
    "color": {"gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"},
    "shape": {"cube", "sphere", "cylinder"},
    "material": {"rubber", "metal"},
    "size": {"small", "large"},
}
QUESTIONS_PER_SCENE = 6
SCENES_PER_SPLIT = 25


def _load(split):
    return json.loads((HERE / f"human_questions_v3_{split}.json").read_text())


@pytest.fixture(scope="module")
def v3():
    return {split: _load(split) for split in SPLITS}


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


@pytest.mark.parametrize("split", SPLITS)
def test_info_matches_questions(v3, split):
    data = v3[split]
    info, qs = data["info"], data["questions"]
    assert info["split"] == split
    assert info["version"] == 3
    assert info["scenes_file"] == "CLEVR_train_scenes.json"
    assert info["written_blind"]
    assert info["num_questions"] == len(qs) == QUESTIONS_PER_SCENE * SCENES_PER_SPLIT
    assert info["num_expressible"] == sum(q["expressible"] for q in qs)
    assert info["image_indices"] == sorted({q["image_index"] for q in qs})
    assert [q["question_index"] for q in qs] == list(range(len(qs)))
    per_scene = Counter(q["image_index"] for q in qs)
    assert len(per_scene) == SCENES_PER_SPLIT
    assert set(per_scene.values()) == {QUESTIONS_PER_SCENE}
    texts = [q["question"].strip().lower() for q in qs]
    assert len(set(texts)) == len(texts), "a question is repeated"


@pytest.mark.parametrize("split", SPLITS)
def test_fields_and_vocabulary(v3, split, scene_index):
    for q in v3[split]["questions"]:
        assert set(q) == FIELDS, q["question_index"]
        assert isinstance(q["question"], str) and q["question"].strip()
        assert q["style"] in STYLES
        assert q["answer_type"] in VOCAB
        assert q["image_index"] in scene_index
        assert q["image_filename"] == scene_index[q["image_index"]].image_filename
        assert q["image_filename"] == f"CLEVR_train_{q['image_index']:06d}.png"
        if q["expressible"]:
            assert q["style"] != "not_expressible"
            assert isinstance(q["program"], list) and q["program"]
            assert q["answer"] in VOCAB[q["answer_type"]], q
            assert _answer_type_of(q["program"]) == q["answer_type"], q
            for node in q["program"]:
                assert set(node) == {"type", "inputs", "value_inputs"}
        else:
            assert q["expressible"] is False
            assert q["style"] == "not_expressible"
            assert q["program"] is None
            assert q["answer"] == "not sure"


@pytest.mark.parametrize("split", SPLITS)
def test_programs_reproduce_answers(v3, split, scene_index):
    wrong = []
    for q in v3[split]["questions"]:
        if not q["expressible"]:
            continue
        out = execute_program(q["program"], SceneIndex.of(scene_index[q["image_index"]]))
        if answer_to_str(out[-1]) != q["answer"]:
            wrong.append((q["question_index"], q["question"], q["answer"], answer_to_str(out[-1])))
    assert wrong == []


@pytest.mark.parametrize("split", SPLITS)
def test_mix_of_styles_and_answers(v3, split):
    qs = v3[split]["questions"]
    styles = Counter(q["style"] for q in qs)
    assert set(styles) == STYLES
    assert 0.10 <= styles["not_expressible"] / len(qs) <= 0.20
    assert min(styles.values()) >= 8
    bools = Counter(q["answer"] for q in qs if q["expressible"] and q["answer_type"] == "bool")
    assert abs(bools["yes"] - bools["no"]) <= 5


def test_scenes_disjoint_from_each_other_and_earlier_sets(v3):
    dev = {q["image_index"] for q in v3["dev"]["questions"]}
    test = {q["image_index"] for q in v3["test"]["questions"]}
    assert not dev & test
    earlier = set()
    for path in HERE.glob("human_questions*.json"):
        if "_v3_" in path.name:
            continue
        earlier |= {q["image_index"] for q in json.loads(path.read_text())["questions"]}
    assert earlier, "earlier human question sets not found"
    assert not (dev | test) & earlier

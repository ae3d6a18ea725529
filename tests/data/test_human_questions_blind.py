"""Checks for the human-style CLEVR questions written blind: version 3 (dev and test) and version 4 (dev).

Re-runs every gold program with the executor, checks the fields, the answer vocabulary and the mix of
styles, and checks that each file's scenes are disjoint from those of every other human question set.
"""
import json
from collections import Counter
from pathlib import Path

import pytest

from vqa.data.executor import SceneIndex, answer_to_str, execute_program

HERE = Path(__file__).resolve().parent
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
# file -> (version, split, questions per scene, scenes, styles)
SETS = {
    "human_questions_v3_dev.json": (3, "dev", 6, 25, STYLES),
    "human_questions_v3_test.json": (3, "test", 6, 25, STYLES),
    "human_questions_v4_dev.json": (4, "dev", 5, 29, STYLES | {"imperative", "fronted", "two_sentences"}),
}


@pytest.fixture(scope="module")
def data():
    return {name: json.loads((HERE / name).read_text()) for name in SETS}


@pytest.fixture(scope="module")
def scene_index(clevr_scenes):
    return {g.image_index: g for g in clevr_scenes}


def _answer_type_of(program):
    last = program[-1]["type"]
    if last == "count":
        return "count"
    return last[len("query_"):] if last.startswith("query_") else "bool"


@pytest.mark.parametrize("name", SETS)
def test_info_matches_questions(data, name):
    version, split, per_scene, scenes, _ = SETS[name]
    info, qs = data[name]["info"], data[name]["questions"]
    assert (info["version"], info["split"], info["scenes_file"]) == (version, split, "CLEVR_train_scenes.json")
    assert info["written_blind"]
    assert info["num_questions"] == len(qs) == per_scene * scenes
    assert info["num_expressible"] == sum(q["expressible"] for q in qs)
    assert info["image_indices"] == sorted({q["image_index"] for q in qs})
    assert [q["question_index"] for q in qs] == list(range(len(qs)))
    per = Counter(q["image_index"] for q in qs)
    assert len(per) == scenes and set(per.values()) == {per_scene}
    texts = [q["question"].strip().lower() for q in qs]
    assert len(set(texts)) == len(texts), "a question is repeated"


@pytest.mark.parametrize("name", SETS)
def test_fields_and_vocabulary(data, name, scene_index, clevr_dir):
    styles = SETS[name][4]
    for q in data[name]["questions"]:
        assert set(q) == FIELDS, q["question_index"]
        assert q["question"].strip() and q["style"] in styles and q["answer_type"] in VOCAB
        assert q["image_filename"] == scene_index[q["image_index"]].image_filename == \
            f"CLEVR_train_{q['image_index']:06d}.png"
        assert (clevr_dir / "images" / q["image_filename"]).exists()
        if q["expressible"] is True:
            assert q["style"] != "not_expressible" and q["answer"] in VOCAB[q["answer_type"]], q
            assert _answer_type_of(q["program"]) == q["answer_type"], q
            for k, node in enumerate(q["program"]):
                assert set(node) == {"type", "inputs", "value_inputs"}
                assert all(isinstance(i, int) and 0 <= i < k for i in node["inputs"]), q
        else:
            assert q["expressible"] is False and q["style"] == "not_expressible"
            assert q["program"] is None and q["answer"] == "not sure"


@pytest.mark.parametrize("name", SETS)
def test_programs_reproduce_answers(data, name, scene_index):
    wrong = []
    for q in data[name]["questions"]:
        if q["expressible"]:
            out = answer_to_str(execute_program(q["program"], SceneIndex.of(scene_index[q["image_index"]]))[-1])
            if out != q["answer"]:
                wrong.append((q["question_index"], q["question"], q["answer"], out))
    assert wrong == []


@pytest.mark.parametrize("name", SETS)
def test_mix_of_styles_and_answers(data, name):
    qs = data[name]["questions"]
    styles = Counter(q["style"] for q in qs)
    assert set(styles) == SETS[name][4]
    assert 0.10 <= styles["not_expressible"] / len(qs) <= 0.20
    assert min(styles.values()) >= 8
    bools = Counter(q["answer"] for q in qs if q["expressible"] and q["answer_type"] == "bool")
    assert abs(bools["yes"] - bools["no"]) <= 5


def test_scenes_disjoint_from_every_other_set(data):
    scenes = {path.name: {q["image_index"] for q in json.loads(path.read_text())["questions"]}
              for path in HERE.glob("human_questions*.json")}
    assert len(scenes) >= 7
    for name in SETS:
        others = set().union(*(s for other, s in scenes.items() if other != name))
        assert not scenes[name] & others, name

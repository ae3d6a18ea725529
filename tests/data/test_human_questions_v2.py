"""The second human-style question sets (tests/data/README.md): well formed, answers the executor agrees with."""
import json
from pathlib import Path

import pytest

from vqa.data.executor import SceneIndex, answer_to_str, execute_program
from vqa.vocab.clevr import CLEVR_ANSWERS, clevr_answer_type

DATA = Path(__file__).resolve().parent
STYLES = {"synonym", "typo", "casual", "extra_words", "word_order", "free_comparison", "relative_clause", "negation",
          "joined_attributes", "quantifier", "options", "not_expressible"}


def _load(split: str) -> dict:
    return json.loads((DATA / f"human_questions_v2_{split}.json").read_text())


@pytest.mark.parametrize("split", ["dev", "test"])
def test_human_questions_v2_answers_come_from_the_programs(split, clevr_scenes):
    data = _load(split)
    scenes = {g.image_index: g for g in clevr_scenes}
    qs = data["questions"]
    assert len(qs) >= 150 and data["info"]["num_questions"] == len(qs)
    assert [q["question_index"] for q in qs] == list(range(len(qs)))
    assert sorted({q["image_index"] for q in qs}) == data["info"]["image_indices"]
    for q in qs:
        assert q["style"] in STYLES and q["image_filename"] == scenes[q["image_index"]].image_filename
        if not q["expressible"]:
            assert q["program"] is None and q["answer"] == "not sure" and q["style"] == "not_expressible"
            assert q["answer_type"] in ("bool", "count", "color", "shape", "material", "size")
            continue
        value = execute_program(q["program"], SceneIndex.of(scenes[q["image_index"]]))[-1]
        if q["program"][-1]["type"] == "greater_than" and "options" in q:
            # "more X or Y?": the program compares the counts; the answer names the larger group
            assert q["answer"] == q["options"][0 if value else 1]
        else:
            assert q["answer"] == answer_to_str(value)
            assert q["answer"] in q.get("options", [q["answer"]])
        assert q["answer"] in CLEVR_ANSWERS and q["answer_type"] == clevr_answer_type(q["answer"])


def test_human_questions_v2_splits_use_their_own_scenes():
    dev, test = _load("dev")["info"]["image_indices"], _load("test")["info"]["image_indices"]
    assert not set(dev) & set(test)
    old = {q["image_index"] for s in ("dev", "test")
           for q in json.loads((DATA / f"human_questions_{s}.json").read_text())["questions"]}
    assert not (set(dev) | set(test)) & old


def test_human_questions_v2_images_exist(clevr_dir):
    for split in ("dev", "test"):
        for q in _load(split)["questions"]:
            assert (clevr_dir / "images" / q["image_filename"]).is_file()

"""The hand-written photo question set is well formed and its photos are installed."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "photo_questions.json"
TYPES = {"exist", "count", "color", "left_right", "yes_no"}


def test_photo_questions_file_fields_and_coverage():
    qs = json.loads(DATA.read_text())["questions"]
    assert len(qs) >= 60
    for q in qs:
        assert set(q) == {"image", "question", "answer", "type", "covered"}, q
        assert q["type"] in TYPES and isinstance(q["covered"], bool) and q["answer"], q
        spec = importlib.util.find_spec(q["image"]["package"])
        assert spec is not None and (Path(spec.origin).parent / q["image"]["path"]).is_file(), q["image"]
    assert {q["type"] for q in qs if q["covered"]} == TYPES

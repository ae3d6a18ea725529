"""Schema checks of the hand-written photo question sets (issue 28): photo_questions_dev.json,
photo_questions_test.json, photo_objects.json and the photos in tests/data/photos/."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from vqa.vocab.coco import COCO_CLASSES, COLOR_NAMES

DATA = Path(__file__).resolve().parent
ROOT = DATA.parents[1]
PHOTOS = DATA / "photos"
HALVES = ("dev", "test")
TYPES = {"exist", "count", "color", "yes_no", "left_right", "relation"}
STYLES = {"plain", "casual", "synonym", "paraphrase"}


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _file(image: dict) -> str:
    """The photo's path relative to the repo root: ``file`` for the 10 old photos, ``path`` for the new ones."""
    return image["file"] if "package" in image else image["path"]


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict]]:
    return {h: _load(f"photo_questions_{h}.json")["questions"] for h in HALVES}


@pytest.fixture(scope="module")
def objects() -> dict:
    return _load("photo_objects.json")


def _answer_ok(q: dict) -> bool:
    a, t = q["answer"], q["type"]
    if t in ("exist", "yes_no"):
        return a in ("yes", "no")
    if t == "count":
        return re.fullmatch(r"\d+", a) is not None
    if t == "color":
        return a in COLOR_NAMES
    if t == "left_right":
        return a in ("left", "right", "yes", "no")
    # relation: yes/no, a count, a colour or an object class
    return a in ("yes", "no") or a.isdigit() or a in COLOR_NAMES or a in COCO_CLASSES


@pytest.mark.parametrize("half", HALVES)
def test_questions_schema(sets, half):
    qs = sets[half]
    assert qs
    for q in qs:
        assert set(q) >= {"image", "question", "answer", "type", "covered", "style"}, q
        assert q["type"] in TYPES, q
        assert q["style"] in STYLES, q
        assert isinstance(q["covered"], bool), q
        assert q["question"].strip() and q["question"] == q["question"].strip(), q
        assert _answer_ok(q), q
        if "package" in q["image"]:  # one of the 10 old photos: the package path plus a copy in tests/data/photos/
            assert set(q["image"]) == {"package", "path", "file"}, q
        else:
            assert set(q["image"]) == {"path"}, q
        f = _file(q["image"])
        assert f.startswith("tests/data/photos/") and (ROOT / f).is_file(), q
    assert len({(_file(q["image"]), q["question"]) for q in qs}) == len(qs), "a question repeated on a photo"


@pytest.mark.parametrize("half", HALVES)
def test_questions_size_and_mix(sets, half):
    qs = sets[half]
    assert len({_file(q["image"]) for q in qs}) >= 28
    covered = [q for q in qs if q["covered"]]
    assert len(covered) >= 170
    assert 0.08 <= 1 - len(covered) / len(qs) <= 0.25, "about 15% of the questions should be outside the classes"
    types = Counter(q["type"] for q in covered)
    assert types.keys() == TYPES, types
    assert types["relation"] >= 20 and types["left_right"] >= 5, types
    exist = [q["answer"] for q in covered if q["type"] == "exist"]
    assert 0.3 <= exist.count("no") / len(exist) <= 0.7, "exist answers should be about half no"


def test_halves_are_disjoint_by_photo(sets):
    dev, test = ({_file(q["image"]) for q in sets[h]} for h in HALVES)
    assert not dev & test


def test_old_questions_are_all_in_dev(sets):
    old = _load("photo_questions.json")["questions"]
    dev = {(q["image"].get("package"), q["image"]["path"], q["question"], q["answer"]) for q in sets["dev"]}
    for q in old:
        assert (q["image"]["package"], q["image"]["path"], q["question"], q["answer"]) in dev, q


def test_photo_objects(objects, sets):
    photos = objects["photos"]
    on_disk = {p.name for p in PHOTOS.glob("*.jpg")}
    assert set(photos) == on_disk
    for name, p in photos.items():
        assert p["split"] in HALVES, name
        for cls, n in p["objects"].items():
            assert cls in COCO_CLASSES, (name, cls)
            assert isinstance(n, int) and n > 0, (name, cls)
    for half in HALVES:  # the objects file splits the photos as the question files do
        in_set = {Path(_file(q["image"])).name for q in sets[half]}
        assert in_set == {n for n, p in photos.items() if p["split"] == half}, half
    assert sum(p["split"] == "test" for p in photos.values()) >= 28


def test_photos_small_and_credited():
    files = sorted(PHOTOS.glob("*.jpg"))
    assert len(files) >= 66
    assert sum(f.stat().st_size for f in files) < 6 * 1024 * 1024
    sources = (PHOTOS / "SOURCES.md").read_text(encoding="utf-8")
    for f in files:
        assert f"| {f.name} |" in sources, f.name
    from PIL import Image

    for f in files:
        with Image.open(f) as im:
            assert im.format == "JPEG" and max(im.size) <= 640, f.name

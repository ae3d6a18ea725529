"""`vqa batch`, run as a process: many answers with the models loaded once, bad rows as error lines,
bad input files as one-line errors, and the same answers as `vqa ask --json`."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
QUESTIONS = ["Is there a cat?", "How many people are there?", "What color is the cup?", "Is there a dog?",
             "Is the cat left of the cup?", "How many motorcycles are there?", "Is there a spoon?",
             "What is on the table?", "Are there any bowls?", "What color is the person?"]


def vqa(*args, cwd=None):
    env = dict(os.environ, HF_HUB_OFFLINE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "vqa", *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def photos(folder: Path) -> Path:
    """Ten distinct photos from installed packages and the repository, copied into ``folder``."""
    skimage = pytest.importorskip("skimage")
    data = Path(skimage.__file__).parent / "data"
    names = ["chelsea.png", "coffee.png", "astronaut.png", "motorcycle_left.png", "motorcycle_right.png",
             "rocket.jpg", "hubble_deep_field.jpg", "retina.jpg"]
    folder.mkdir()
    for name in names:
        shutil.copy(data / name, folder / name)
    for name in ("chelsea.jpg", "coffee.jpg"):
        shutil.copy(EXAMPLES / name, folder / f"example_{name}")
    return folder


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_batch_answers_ten_photos_by_ten_questions_in_one_process(tmp_path):
    folder = photos(tmp_path / "photos")
    questions = tmp_path / "questions.txt"
    questions.write_text("\n".join(QUESTIONS) + "\n")
    out = tmp_path / "answers.jsonl"
    r = vqa("batch", "--images", folder, "--questions", questions, "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    rows = lines(out.read_text())
    assert len(rows) == 100
    assert [(Path(row["image"]).name, row["question"]) for row in rows] == \
        [(p.name, q) for p in sorted(folder.iterdir()) for q in QUESTIONS]
    assert all(row["answers"] and "error" not in row for row in rows)
    # the models load once: load_models appears on the first line, and later only where a detector
    # was used for the first time (auto may send a photo to the CLEVR detector)
    assert "load_models" in rows[0]["timings_ms"]
    seen = {rows[0]["detector"]}
    for row in rows[1:]:
        assert ("load_models" in row["timings_ms"]) == (row["detector"] not in seen), row["image"]
        seen.add(row["detector"])
    # the builder's cache: only an image's first question detects
    for k, row in enumerate(rows):
        assert (row["timings_ms"]["detect"] > 0) == (k % len(QUESTIONS) == 0), (row["image"], row["question"])


def test_batch_bad_rows_become_error_lines_and_exit_2(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        {"image": str(EXAMPLES / "chelsea.jpg"), "question": "Is there a cat?"},
        {"image": "missing.png", "question": "Is there a cat?"},
        {"image": str(EXAMPLES / "coffee.jpg"), "question": "  "},
        {"image": str(tmp_path / "rows.jsonl"), "question": "Is there a cat?"},  # not an image
        {"image": str(EXAMPLES / "coffee.jpg"), "question": "Is there a cup?"},
    ]) + "\n")
    r = vqa("batch", "--input", rows)
    assert r.returncode == 2
    assert "3 of 5 rows failed" in r.stderr
    out = lines(r.stdout)
    assert [row["image"] for row in out][:2] == [str(EXAMPLES / "chelsea.jpg"), "missing.png"]
    assert [("error" in row) for row in out] == [False, True, True, True, False]
    for row in out:
        if "error" in row:
            assert set(row) == {"image", "question", "error"} and "\n" not in row["error"]
        else:
            assert row["answers"][0]["answer"] == "yes"
    assert "missing.png" in out[1]["error"] and "empty question" in out[2]["error"]


@pytest.mark.parametrize("name, text", [
    ("rows.csv", "picture,question\nchelsea.jpg,Is there a cat?\n"),  # wrong header
    ("rows.csv", "image,question\nchelsea.jpg,Is there a cat?,extra\n"),
    ("rows.jsonl", '{"image": "chelsea.jpg", "question": "Is there a cat?"}\n{"image": \n'),
    ("rows.jsonl", '["chelsea.jpg", "Is there a cat?"]\n'),
    ("rows.jsonl", ""),
    ("absent.csv", None),
])
def test_batch_malformed_input_file_is_one_line_exit_2(tmp_path, name, text):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    r = vqa("batch", "--input", path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("vqa batch: error: "), r.stderr


def test_batch_csv_and_jsonl_answer_as_vqa_ask(tmp_path):
    csv_rows = EXAMPLES / "batch.csv"  # shipped; image paths relative to its folder
    from_csv = vqa("batch", "--input", csv_rows, "--no-progress")
    assert from_csv.returncode == 0, from_csv.stderr
    jsonl = tmp_path / "rows.jsonl"
    pairs = [row.split(",", 1) for row in csv_rows.read_text().splitlines()[1:]]
    jsonl.write_text("".join(json.dumps({"image": str((EXAMPLES / image).resolve()), "question": q}) + "\n"
                             for image, q in pairs))
    from_jsonl = vqa("batch", "--input", jsonl, "--no-progress")
    assert from_jsonl.returncode == 0, from_jsonl.stderr
    a, b = lines(from_csv.stdout), lines(from_jsonl.stdout)
    assert [row["image"] for row in a] == [image for image, _ in pairs]
    assert [row["answers"] for row in a] == [row["answers"] for row in b]
    for k in (1, 3):  # a photo with a closer look, and a CLEVR render
        image, question = pairs[k]
        r = vqa("ask", EXAMPLES / image, question, "--json")
        assert r.returncode == 0, r.stderr
        asked = json.loads(r.stdout)
        assert set(asked) | {"image"} == set(a[k])
        assert [x["answer"] for x in a[k]["answers"]] == [x["answer"] for x in asked["answers"]]
        assert [x["probability"] for x in a[k]["answers"]] == \
            pytest.approx([x["probability"] for x in asked["answers"]], abs=1e-4)
        assert (a[k]["flags"], a[k]["detector"]) == (asked["flags"], asked["detector"])

        def objects(row):  # detection ran on 1 torch thread here, on all in `vqa ask`: the last digits differ
            return [(o.get("class"), o["color"], o["shape"], o["size"]) for o in row["scene_graph"]["objects"]]

        assert objects(a[k]) == objects(asked)


def test_batch_out_is_renamed_into_place_whole_and_a_stale_partial_is_started_afresh(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"image": str(EXAMPLES / "chelsea.jpg"), "question": "Is there a cat?"}) + "\n")
    out, partial = tmp_path / "answers.jsonl", tmp_path / "answers.jsonl.partial"
    out.write_text('{"old": 1}\n')
    partial.write_text('{"image": "cut li')  # what a killed run leaves
    r = vqa("batch", "--input", rows, "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert not partial.exists()
    assert [row["answers"][0]["answer"] for row in lines(out.read_text())] == ["yes"]

"""`vqa eval --benchmark vqav2|gqa --graphs predicted`, run as a process on tiny official-layout sets
of three photos: official predictions files, the answers of `vqa ask IMAGE Q --json` (declined ones
as their best guess), metrics with `declined`, one-line errors for missing images."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
# (question id, image id, question, the ten human answers)
VQA = [(1001, 1, "Is there a cat?", ["yes"] * 10),
       (1002, 1, "How many cats are there?", ["1"] * 9 + ["2"]),
       (2001, 2, "What color is the cup?", ["white"] * 6 + ["black"] * 4),
       (2002, 2, "What is on the table?", ["cup"] * 10),
       (3001, 3, "How many people are there?", ["1"] * 10),
       (3002, 3, "Is there a dog?", ["no"] * 10)]


def vqa(*args):
    env = dict(os.environ, HF_HUB_OFFLINE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "vqa", *map(str, args)], capture_output=True, text=True, env=env, check=False,
                          timeout=600)


def three_photos(folder: Path, names: list[str]) -> list[Path]:
    """chelsea, coffee and scikit-image's astronaut (as JPEG) under ``names``."""
    skimage = pytest.importorskip("skimage")
    from PIL import Image

    folder.mkdir(exist_ok=True)
    paths = [folder / n for n in names]
    shutil.copy(EXAMPLES / "chelsea.jpg", paths[0])
    shutil.copy(EXAMPLES / "coffee.jpg", paths[1])
    Image.open(Path(skimage.__file__).parent / "data" / "astronaut.png").convert("RGB").save(paths[2], quality=90)
    return paths


def ask(image: Path, question: str) -> dict:
    r = vqa("ask", image, question, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def best_guess(answer: dict) -> str:
    """The rule of the docs: declined ("not sure", "unknown") -> the top guess with probability > 0."""
    if answer.get("status", "answered") == "answered":
        return answer["answers"][0]["answer"]
    guesses = [a["answer"] for a in answer["answers"] if a["probability"] > 0]
    return guesses[0] if guesses else answer["answers"][0]["answer"]


@pytest.fixture(scope="module")
def vqav2(tmp_path_factory):
    """The set, and one `vqa eval` run over it with --predictions-out and --metrics-out."""
    tmp = tmp_path_factory.mktemp("vqav2")
    images = three_photos(tmp / "val2014", [f"COCO_val2014_{i:012d}.jpg" for i in (1, 2, 3)])
    questions = {"data_subtype": "val2014", "task_type": "Open-Ended", "data_type": "mscoco",
                 "questions": [{"image_id": i, "question": q, "question_id": qid} for qid, i, q, _ in VQA]}
    annotations = {"data_subtype": "val2014", "annotations": [
        {"question_id": qid, "image_id": i, "question_type": q.split()[0].lower(),
         "answer_type": "yes/no" if a[0] in ("yes", "no") else "number" if a[0].isdigit() else "other",
         "multiple_choice_answer": a[0],
         "answers": [{"answer": x, "answer_confidence": "yes", "answer_id": j + 1} for j, x in enumerate(a)]}
        for qid, i, q, a in VQA]}
    (tmp / "q.json").write_text(json.dumps(questions))
    (tmp / "a.json").write_text(json.dumps(annotations))
    r = vqa("eval", "--benchmark", "vqav2", "--questions", tmp / "q.json", "--annotations", tmp / "a.json",
            "--images", tmp / "val2014", "--graphs", "predicted", "--predictions-out", tmp / "p.json",
            "--metrics-out", tmp / "m.json", "--no-progress")
    assert r.returncode == 0, r.stderr
    return tmp, images, r


def test_eval_pixels_vqav2_writes_official_predictions_and_metrics(vqav2):
    tmp, _, r = vqav2
    predictions = json.loads((tmp / "p.json").read_text())
    assert [p["question_id"] for p in predictions] == [qid for qid, *_ in VQA]
    assert all(set(p) == {"question_id", "answer"} and isinstance(p["answer"], str) and p["answer"] for p in predictions)
    assert not (tmp / "p.json.partial").exists()
    metrics = json.loads((tmp / "m.json").read_text())
    assert metrics["count"] == len(VQA) and 0 <= metrics["overall"] <= 100
    assert isinstance(metrics["declined"], int) and 0 <= metrics["declined"] <= len(VQA)
    assert f"{metrics['declined']} of {len(VQA)} questions declined" in r.stderr  # a note: stdout is the table


def test_eval_pixels_vqav2_answers_as_vqa_ask(vqav2):
    tmp, images, _ = vqav2
    predicted = {p["question_id"]: p["answer"] for p in json.loads((tmp / "p.json").read_text())}
    # a question the photo answerer answers, and one it declines ("What is on the table?": unsupported)
    for qid, image_id, question, _ in (VQA[0], VQA[3]):
        assert predicted[qid] == best_guess(ask(images[image_id - 1], question)), question


def test_eval_pixels_gqa_official_layout_and_skip_missing_images(tmp_path):
    images = three_photos(tmp_path / "images", ["2370001.jpg", "2370002.jpg", "2370003.jpg"])
    base = {"isBalanced": True, "entailed": [], "semantic": [], "groups": {"global": None, "local": "l"},
            "types": {"structural": "verify", "semantic": "obj", "detailed": "exist"}}
    questions = {"q1": {**base, "imageId": "2370001", "question": "Is there a cat?", "answer": "yes"},
                 "q2": {**base, "imageId": "2370003", "question": "Is there a dog?", "answer": "no"},
                 "q3": {**base, "imageId": "2379999", "question": "Is there a cat?", "answer": "no"}}
    (tmp_path / "q.json").write_text(json.dumps(questions))
    args = ["eval", "--benchmark", "gqa", "--questions", tmp_path / "q.json", "--images", tmp_path / "images",
            "--graphs", "predicted", "--no-progress"]
    r = vqa(*args)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert "1 of 3 questions have no image" in r.stderr and "2379999.jpg" in r.stderr and "--skip-missing-images" in r.stderr
    r = vqa(*args, "--skip-missing-images", "--predictions-out", tmp_path / "p.json", "--metrics-out", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    predictions = json.loads((tmp_path / "p.json").read_text())
    assert [set(p) for p in predictions] == [{"questionId", "prediction"}] * 2
    assert [p["questionId"] for p in predictions] == ["q1", "q2"]
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["skipped_missing_images"] == 1 and metrics["count"] == 2 and "declined" in metrics
    assert 0 <= metrics["accuracy"] <= 100
    assert predictions[0]["prediction"] == best_guess(ask(images[0], "Is there a cat?"))


def test_eval_pixels_missing_folder_and_gold_graphs_are_one_line_errors(tmp_path):
    (tmp_path / "q.json").write_text(json.dumps({"questions": []}))
    r = vqa("eval", "--benchmark", "vqav2", "--questions", tmp_path / "q.json", "--images", tmp_path / "nope",
            "--graphs", "predicted")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "is not a folder" in r.stderr
    r = vqa("eval", "--benchmark", "gqa", "--questions", tmp_path / "q.json", "--graphs", "gold")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "GQA training data" in r.stderr


def test_eval_pixels_resume_continues_an_interrupted_run(vqav2, tmp_path, monkeypatch):
    from vqa.pipeline import photo_eval

    tmp, _, _ = vqav2
    args = ("vqav2", tmp / "q.json", tmp / "val2014")
    kw = {"annotations_path": tmp / "a.json", "predictions_out": tmp_path / "p.json", "progress": False}
    real, calls = photo_eval.PixelQA.ask, []

    def ask_then_stop(self, *a, **k):
        calls.append(a)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(photo_eval.PixelQA, "ask", ask_then_stop)
    with pytest.raises(KeyboardInterrupt):
        photo_eval.run_photo_benchmark(*args, **kw)
    assert (tmp_path / "p.json.partial").exists() and not (tmp_path / "p.json").exists()
    monkeypatch.setattr(photo_eval.PixelQA, "ask", real)
    with pytest.raises(photo_eval.DataError, match="pass --resume"):
        photo_eval.run_photo_benchmark(*args, **kw)
    run = photo_eval.run_photo_benchmark(*args, resume=True, **kw)
    assert run.resumed == 2 and not (tmp_path / "p.json.partial").exists()
    assert json.loads((tmp_path / "p.json").read_text()) == json.loads((tmp / "p.json").read_text())
    assert run.metrics == json.loads((tmp / "m.json").read_text())

"""The checked-in corpus of input files (tests/corpus, made by its make_corpus.py): every file through
the loader `vqa` reads it with, in-process, with the outcome its manifest states; a representative
few through `vqa ask`, `vqa graph`, `vqa batch` and `vqa eval` as processes. (benchmarks/fuzz_corpus.py
runs every file through its own process.)"""
import contextlib
import importlib.util
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vqa.cli.batch import read_rows
from vqa.cli.main import main
from vqa.errors import InputError
from vqa.graph.io import load_clevr_scenes, load_json
from vqa.perception.image import load_image
from vqa.pipeline.batch import load_clevr_questions
from vqa.pipeline.photo_eval import load_photo_questions

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FILES = CORPUS / "files"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())
ROOT = CORPUS.parents[1]


def _fuzz_corpus():
    """benchmarks/fuzz_corpus.py, which runs every corpus file as a process: its `vqa eval` arguments serve here too."""
    spec = importlib.util.spec_from_file_location("fuzz_corpus", ROOT / "benchmarks" / "fuzz_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


eval_argv = _fuzz_corpus().eval_argv


def read(entry: dict):
    """Read the entry's file as `vqa` does; return what was read, or raise the InputError."""
    path, kind = FILES / entry["file"], entry["kind"]
    if kind == "image":
        return load_image(path)
    if kind == "scenes":
        return load_clevr_scenes(path)
    if kind == "clevr_questions":
        return load_clevr_questions(path)
    if kind.startswith("photo_questions:"):
        return load_photo_questions(kind.split(":")[1], load_json(path), path)
    if kind == "batch_rows":
        return read_rows(path)
    if kind.startswith("eval:"):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(eval_argv(entry))
        if code == 2:
            raise InputError(err.getvalue().removeprefix("vqa eval: error: ").rstrip("\n"))
        assert code == 0, err.getvalue()
        return code
    raise AssertionError(f"unknown kind {kind}")


def test_corpus_has_at_least_200_files_of_every_surface():
    assert len(MANIFEST) >= 200
    kinds = {e["kind"].split(":")[0] for e in MANIFEST}
    assert {"image", "scenes", "clevr_questions", "photo_questions", "eval", "batch_rows"} <= kinds
    assert {e["kind"] for e in MANIFEST if e["kind"].startswith("eval:")} >= {
        f"eval:{b}:{r}" for b, roles in {"clevr": ["questions", "predictions"], "vqav2": ["questions", "predictions", "annotations"],
                                         "gqa": ["questions", "predictions", "choices", "scene_graphs", "attentions"]}.items()
        for r in roles}
    for e in MANIFEST:
        assert (FILES / e["file"]).is_file(), e["file"]


def test_corpus_every_file_through_its_loader_in_process():
    wrong = []
    for entry in MANIFEST:
        path = FILES / entry["file"]
        try:
            out = read(entry)
        except InputError as e:
            message = str(e)
            if entry["expect"] != "error":
                wrong.append(f"{entry['file']}: refused: {message}")
            elif str(path) not in message or "\n" in message:
                wrong.append(f"{entry['file']}: the message does not name the file on one line: {message}")
            elif entry["match"] and not re.search(entry["match"], message):
                wrong.append(f"{entry['file']}: {message!r} lacks /{entry['match']}/")
            continue
        if entry["expect"] == "error":
            wrong.append(f"{entry['file']}: accepted, expected an error /{entry['match']}/")
        elif entry["kind"] == "image":
            if out.mode != "RGB" or list(out.size) != entry["size"]:
                wrong.append(f"{entry['file']}: read as {out.mode} {out.size}, expected RGB {entry['size']}")
            elif entry.get("first_frame") == "red" and not np.asarray(out)[..., 0].mean() > 200:
                wrong.append(f"{entry['file']}: not the first (red) frame")
    assert not wrong, "\n".join(wrong)


def _entry(name: str) -> dict:
    return next(e for e in MANIFEST if e["file"] == name)


def _vqa(*args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vqa", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def _one_error_line(run: subprocess.CompletedProcess, command: str, *needles: str) -> None:
    lines = [line for line in run.stderr.splitlines() if line.startswith(f"vqa {command}: error: ")]
    assert run.returncode == 2 and len(lines) == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0], lines[0]


# images for the `vqa batch` process: what each kind of file becomes through the whole photo/CLEVR pipeline
BATCH_IMAGES = ["images/size_1x1.png", "images/exif_orientation_6.jpg", "images/animated_or_pages.gif",
                "images/cut_jpg_12.jpg", "images/garbage_after_bmp_signature_0.bmp", "images/bomb_png_20000x20000.png",
                "images/not_an_image_eps.png"]


def test_corpus_images_through_one_vqa_batch_process(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"image": str(FILES / name), "question": "How many things are there?"}) + "\n"
                            for name in BATCH_IMAGES))
    run = _vqa("batch", "--input", rows, "--no-progress", "--no-closer-look")
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr[-2000:]  # 2: some rows failed, as stated
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["image"] for line in lines] == [str(FILES / n) for n in BATCH_IMAGES]
    for name, line in zip(BATCH_IMAGES, lines):
        entry = _entry(name)
        if entry["expect"] == "ok":
            assert "error" not in line and line["answers"], (name, line)
        else:
            assert re.search(entry["match"], line["error"]) and str(FILES / name) in line["error"], (name, line)


def test_corpus_vqa_graph_and_vqa_ask_processes(tmp_path):  # (the batch above is vqa ask's pipeline, row by row)
    out = tmp_path / "scenes.json"
    run = _vqa("graph", FILES / "images/size_2x2.png", FILES / "images/exif_orientation_8.jpg", "--out", out)
    assert run.returncode == 0, run.stderr[-2000:]
    assert [s["image_filename"] for s in json.loads(out.read_text())["scenes"]] == ["size_2x2.png", "exif_orientation_8.jpg"]
    scene = _entry("json/scenes_relation_past_objects.json")
    _one_error_line(_vqa("ask", "--scene", FILES / scene["file"], "--image-filename", "CLEVR_corpus_0.png", "How many cubes?"),
                    "ask", str(FILES / scene["file"]), "relationships['left'][0] must list indices of objects")


def test_corpus_vqa_eval_processes():
    for name in ("json/eval_vqav2_predictions_string_id.json", "json/eval_gqa_scene_graphs_width_zero.json"):
        entry = _entry(name)
        run = _vqa(*eval_argv(entry))
        _one_error_line(run, "eval", str(FILES / name))
        assert re.search(entry["match"], run.stderr)
    run = _vqa(*eval_argv(_entry("json/eval_base/gqa_predictions.json")))
    assert run.returncode == 0 and "Accuracy" in run.stdout, run.stderr

"""`vqa ask` as a process: timings, warnings, the CLEVR rules, and a count on a photo."""
import json
import subprocess
import sys
from pathlib import Path


def test_ask_json_timings_count_model_loading(clevr_dir):
    image = clevr_dir / "images" / "CLEVR_train_000005.png"
    r = subprocess.run([sys.executable, "-m", "vqa", "ask", str(image), "How many cubes are there?", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    timings = json.loads(r.stdout)["timings_ms"]
    assert list(timings) == ["load_models", "decode", "detect", "graph", "answer"]
    # loading: the detector, the reasoner and the graph library; answering: one forward pass
    assert timings["load_models"] > timings["answer"] and timings["answer"] < 1000


def test_ask_prints_no_warnings(clevr_dir):
    """Every warning on the way shows (no blanket filters), and the image path gives none: detectron2's
    notices are silenced by name (vqa.perception.clevr.compat) or avoided."""
    image = clevr_dir / "images" / "CLEVR_train_000005.png"
    r = subprocess.run([sys.executable, "-W", "default", "-m", "vqa", "ask", str(image), "How many cubes are there?"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_ask_answers_a_negation_with_the_questions_program(clevr_dir):
    """A question the templates never ask ("aren't"), about a shared gold scene: the CLEVR rules answer it
    with its program, and say so; its steps are the program's object sets."""
    scenes = str(clevr_dir / "CLEVR_train_scenes.json")
    question = "How many things aren't cylinders?"
    r = subprocess.run([sys.executable, "-m", "vqa", "ask", "CLEVR_train_000005.png", question, "--scene", scenes],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "7 (computed from the scene graph by the question's program)"
    assert lines[2].startswith("step 2: not cylinder: 7 objects, cube (0), sphere (1)")
    assert lines[-1].startswith("note: computed from the scene graph by the question's CLEVR program")
    r = subprocess.run([sys.executable, "-m", "vqa", "ask", "CLEVR_train_000005.png", question, "--scene", scenes,
                        "--json"], capture_output=True, text=True)
    out = json.loads(r.stdout)
    assert out["answers"] == [{"answer": "7", "probability": 1.0}] and out["flags"] == ["parsed"]
    assert [n["type"] for n in out["program"]][-2:] == ["union", "count"] and len(out["steps"]) == 2


def test_ask_counts_the_people_the_first_look_missed_on_a_street_photo():
    """Four people beside a bus, one of them small behind the others: the whole-image pass finds three;
    a count question looks again over the tiles for the class it counts, and says so."""
    photo = Path(__file__).resolve().parents[1] / "data" / "photos" / "ul_bus.jpg"
    r = subprocess.run([sys.executable, "-m", "vqa", "ask", str(photo), "How many people are there?"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("4 ("), r.stdout
    assert lines[1].startswith("step 1: find: people: 4 objects, person ("), r.stdout  # every person it counted
    assert lines[-1].startswith("note: closer look for person") and lines[-1].endswith("found 1 more than the first look")
    r = subprocess.run([sys.executable, "-m", "vqa", "ask", str(photo), "How many people are there?", "--no-closer-look"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.startswith("4 ("), r.stdout


def test_ask_reads_free_wordings_of_forms_it_knows(clevr_dir):
    """An exclusion put first, and two sentences with "it" (vqa.encode.clevr_rephrase): both are read into
    their program, and the steps point at the question's own words."""
    scenes = str(clevr_dir / "CLEVR_train_scenes.json")
    ask = [sys.executable, "-m", "vqa", "ask", "CLEVR_train_000005.png"]
    r = subprocess.run(ask + ["Besides the yellow ones, how many rubber things are there?", "--scene", scenes],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "4 (computed from the scene graph by the question's program)", r.stdout
    r = subprocess.run(ask + ["Do you see the big sphere? What material is it?", "--scene", scenes, "--json"],
                       capture_output=True, text=True)
    out = json.loads(r.stdout)
    assert out["answers"] == [{"answer": "metal", "probability": 1.0}] and out["flags"] == ["parsed"]
    assert [n["type"] for n in out["program"]][-2:] == ["unique", "query_material"]

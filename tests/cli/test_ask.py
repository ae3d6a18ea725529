"""`vqa ask --json`: timings_ms counts model loading apart from detecting and answering."""
import json
import subprocess
import sys


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

"""`vqa graph`: photo objects keep their class; --json with --out writes the file and prints the JSON."""
import importlib.util
import json
from pathlib import Path

from vqa.cli.main import main


def _chelsea() -> Path:
    return Path(importlib.util.find_spec("skimage").origin).parent / "data" / "chelsea.png"


def test_graph_photo_objects_carry_their_class(tmp_path, capsys):
    out = tmp_path / "g.json"
    assert main(["graph", str(_chelsea()), "--json", "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert json.loads(printed) == json.loads(out.read_text())  # the file, and stdout the JSON alone
    assert f"wrote 1 scenes to {out}" in err
    objects = json.loads(printed)["scenes"][0]["objects"]
    assert objects and all(o["class"] for o in objects) and "cat" in {o["class"] for o in objects}
    assert all(o["color"] and o["size"] for o in objects)

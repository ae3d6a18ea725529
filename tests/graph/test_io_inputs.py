"""JSON files and scene files, property-tested: any bytes and any JSON value give the data or one
DataError that names the file (and, for scenes, the field); a scene that loads can be turned into
the reasoner's tensors."""
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vqa.errors import DataError, InputError
from vqa.graph.io import load_clevr_scenes, load_gqa_scene_graphs, load_json, scene_to_clevr
from vqa.graph.tensors import scene_to_pyg

SCENE = {"image_filename": "CLEVR_x.png", "image_index": 0,
         "objects": [{"color": "red", "shape": "cube", "material": "metal", "size": "large",
                      "3d_coords": [1.0, 2.0, 0.7], "pixel_coords": [200, 150, 9.5]},
                     {"color": "cyan", "shape": "sphere", "material": "rubber", "size": "small",
                      "3d_coords": [-1.0, 0.5, 0.35], "pixel_coords": [120, 170, 11.0]}],
         "relationships": {"left": [[1], []], "right": [[], [0]], "front": [[], [0]], "behind": [[1], []]}}
PHOTO_SCENE = {"image_filename": "cat.jpg", "detector": "coco", "relations": "boxes",
               "objects": [{"color": "brown", "shape": None, "material": None, "size": "large", "class": "cat",
                            "box": [9.4, 0.8, 402.0, 297.4], "pixel_coords": [205.7, 149.1, 0.01], "score": 0.87}],
               "relationships": {"left": [[]], "right": [[]]}}
GQA = {"2370799": {"width": 500, "height": 333, "objects": {
    "1": {"name": "cat", "x": 10, "y": 20, "w": 100, "h": 50, "attributes": ["brown"], "relations": [{"name": "on", "object": "2"}]},
    "2": {"name": "table", "x": 0, "y": 60, "w": 400, "h": 200, "attributes": [], "relations": []}}}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("json")


def _refused_naming(path, call):
    with pytest.raises(DataError) as e:
        call(path)
    message = str(e.value)
    assert str(path) in message and "\n" not in message
    return message


@given(st.binary(max_size=300))
def test_load_json_any_bytes_give_a_value_or_data_error_naming_the_file(folder, raw):
    path = folder / "any.json"
    path.write_bytes(raw)
    try:
        load_json(path)
    except DataError as e:
        assert str(path) in str(e)


@given(st.data())
def test_load_json_damaged_files_are_refused_naming_the_file(folder, json_fuzz, data):
    doc = data.draw(json_fuzz.values, label="document")
    raw, how = json_fuzz.encode(data, doc)
    path = folder / "doc.json"
    path.write_bytes(raw)
    if how in ("utf-8", "bom"):
        assert load_json(path) == doc
    elif how in ("utf-16", "latin-1", "deep"):
        _refused_naming(path, load_json)
    else:
        try:
            load_json(path)
        except DataError as e:
            assert str(path) in str(e)


@pytest.mark.parametrize("text, message", [
    ("[NaN]", "holds NaN"), ('{"a": Infinity}', "holds Infinity"), ("[-Infinity]", "holds -Infinity"),
    ("[1e999]", "holds 1e999"), ("[" + "1" * 5000 + "]", "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"), ('{"a": [1, 2}', "not valid JSON"), ("", "not valid JSON"),
])
def test_load_json_refuses_what_json_load_lets_through_or_crashes_on(folder, text, message):
    path = folder / "bad.json"
    path.write_text(text)
    assert message in _refused_naming(path, load_json)


def test_load_json_reads_a_byte_order_mark_and_refuses_other_encodings(folder):
    path = folder / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"scenes": [SCENE]}).encode())
    assert load_clevr_scenes(path)[0].image_filename == "CLEVR_x.png"
    path.write_bytes(json.dumps({"a": "caf\u00e9"}).encode("utf-16"))
    assert "not UTF-8" in _refused_naming(path, load_json)
    assert "is a folder" in _refused_naming(folder, load_json)


def _scene_file(folder, scenes, name="scenes.json"):
    path = folder / name
    path.write_text(json.dumps({"scenes": scenes}))
    return path


@pytest.mark.parametrize("edit, field", [
    (lambda s: s["objects"][0].update(color="ultraviolet"), "objects[0].color is 'ultraviolet', not a CLEVR color"),
    (lambda s: s["relationships"]["left"].__setitem__(0, [5]), "relationships['left'][0] must list indices of objects"),
    (lambda s: s["relationships"]["left"].__setitem__(0, [-1]), "relationships['left'][0]"),
    (lambda s: s["relationships"]["left"].__setitem__(0, [True]), "relationships['left'][0]"),
    (lambda s: s["relationships"].__setitem__("left", [[1]]), "relationships['left'] must hold one list per object (2)"),
    (lambda s: s["objects"][1].pop("shape"), "objects[1] has no 'shape'"),
    (lambda s: s["objects"][1].update(pixel_coords=["a", 1]), "objects[1].pixel_coords must be a list of 2 or 3"),
    (lambda s: s["objects"][0].update(score=float("nan")), "holds NaN"),
    (lambda s: s.update(image_index="0"), "'image_index' must be an integer"),
    (lambda s: s.update(objects={"0": {}}), "'objects' must be a list"),
])
def test_scenes_bad_fields_are_refused_naming_file_scene_and_field(folder, edit, field):
    scene = json.loads(json.dumps(SCENE))
    edit(scene)
    message = _refused_naming(_scene_file(folder, [SCENE, scene]), load_clevr_scenes)
    assert field in message
    assert "scenes[1] (CLEVR_x.png)" in message or "holds NaN" in message


def test_scenes_photo_scene_written_by_vqa_graph_loads(folder):
    graph = load_clevr_scenes(_scene_file(folder, [PHOTO_SCENE]))[0]
    assert graph.extra["detector"] == "coco" and graph.objects[0].name == "cat"
    assert graph.objects[0].attributes == {"class": "cat", "color": "brown", "size": "large"}
    assert scene_to_clevr(graph)["objects"] == PHOTO_SCENE["objects"]  # what `vqa graph` wrote, read back as it was
    bad = json.loads(json.dumps(PHOTO_SCENE))
    bad["objects"][0]["class"] = "unicorn"
    assert "objects[0].class is 'unicorn', not a photo class" in _refused_naming(_scene_file(folder, [bad]), load_clevr_scenes)


@given(st.data())
def test_scenes_any_edit_loads_into_tensors_or_is_refused(folder, json_fuzz, data):
    doc = json_fuzz.mutate(data, {"scenes": [SCENE, PHOTO_SCENE]})
    path = folder / "edited_scenes.json"
    path.write_text(json.dumps(doc))
    try:
        graphs = load_clevr_scenes(path)
    except DataError as e:
        assert str(path) in str(e) and "\n" not in str(e)
        return
    for g in graphs:  # accepted means usable: the reasoner's tensors build (the IndexError of issue 31 is gone)
        data_ = scene_to_pyg(g)
        assert data_.x.shape[0] == len(g.objects)
        assert all(math.isfinite(v) for o in g.objects for v in (o.position or []) + (o.pixel or []) + (o.box or []))


@given(st.data())
def test_gqa_scene_graphs_any_edit_loads_or_is_refused(folder, json_fuzz, data):
    doc = json_fuzz.mutate(data, GQA)
    path = folder / "edited_gqa.json"
    path.write_text(json.dumps(doc))
    try:
        graphs = load_gqa_scene_graphs(path)
    except DataError as e:
        assert str(path) in str(e) and "\n" not in str(e)
        return
    for g in graphs.values():
        assert all(len(o.box) == 4 for o in g.objects)


def test_data_errors_are_input_errors():
    assert issubclass(DataError, InputError)

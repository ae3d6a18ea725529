"""Visible boxes drawn from a scene's 3-D annotation (``vqa.perception.clevr.silhouettes``): checked
against the true visible boxes of the shared renders, and against the whole-object boxes of the
``BoxModel`` they replace for real images."""
import json

import numpy as np
import pytest

from vqa.train.clevr_data import BoxModel, _camera_azimuth, real_records
from vqa.perception.clevr.geometry import CAMERA_LOCATION
from vqa.perception.clevr.silhouettes import fit_scene_camera, project, visible_boxes


@pytest.fixture(scope="module")
def renders(clevr_dir):
    return json.loads((clevr_dir.parent / "clevr_renders" / "scenes.json").read_text())["scenes"][:120]


def _iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_camera_fitted_from_annotation_matches_the_renderers(renders):
    err = [np.linalg.norm(fit_scene_camera(s["objects"]) - s["camera_location"]) for s in renders]
    assert max(err) < 0.15  # scene units; the camera stands about 11 from the origin


def test_camera_fitted_on_real_scenes_reprojects_their_centres(clevr_dir):
    scenes = json.loads((clevr_dir / "CLEVR_train_scenes.json").read_text())["scenes"][:200]
    for s in scenes:
        P = np.array([o["3d_coords"] for o in s["objects"]])
        px = np.array([o["pixel_coords"][:2] for o in s["objects"]])
        assert np.abs(project(P, fit_scene_camera(s["objects"])) - px).max() < 1.0  # pixel_coords are rounded


def test_visible_boxes_match_the_renders_and_beat_the_box_model_on_hidden_objects(renders):
    model = BoxModel.fit(renders)
    ious, hidden_drawn, hidden_model = {}, [], []
    for s in renders:
        for o, b in zip(s["objects"], visible_boxes(s["objects"])):
            if o["bbox"][2] <= o["bbox"][0]:
                continue
            assert b is not None, "a visible object was drawn as hidden"
            ious.setdefault(o["shape"], []).append(_iou(b, o["bbox"]))
            m = _iou(model.box(o, _camera_azimuth(s)), o["bbox"])
            if m < 0.8:  # mostly objects partly behind nearer ones
                hidden_drawn.append(ious[o["shape"]][-1])
                hidden_model.append(m)
    assert set(ious) == {"cube", "sphere", "cylinder"}
    for shape, v in ious.items():
        assert np.median(v) > 0.95, shape
    assert len(hidden_drawn) > 20
    assert np.median(hidden_drawn) > 0.9 > 0.7 > np.median(hidden_model)


def test_an_object_wholly_behind_a_nearer_one_has_no_box():
    C = np.array(CAMERA_LOCATION)
    front = {"shape": "cube", "size": "large", "rotation": 0.0, "3d_coords": [0.0, 0.0, 0.7]}
    # a small sphere on the camera's ray through the cube's centre, further away
    t = (C[2] - 0.35) / (C[2] - 0.7)
    x, y, _ = C + t * (np.array([0.0, 0.0, 0.7]) - C)
    behind = {"shape": "sphere", "size": "small", "rotation": 0.0, "3d_coords": [float(x), float(y), 0.35]}
    boxes = visible_boxes([behind, front], camera=C)
    assert boxes[0] is None and boxes[1] is not None
    assert visible_boxes([behind], camera=C)[0] is not None


def test_real_records_use_visible_boxes_unless_given_a_box_model(clevr_dir, renders):
    scenes, images = clevr_dir / "CLEVR_train_scenes.json", clevr_dir / "images"
    drawn = real_records(scenes, images, split="val")
    whole = real_records(scenes, images, BoxModel.fit(renders), split="val")
    assert [r["image_index"] for r in drawn] == [r["image_index"] for r in whole] and len(drawn) == 52
    a = np.array([x["bbox"] for r in drawn for x in r["annotations"]])
    b = np.array([x["bbox"] for r in whole for x in r["annotations"]])
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    # the same objects; hidden parts make visible boxes smaller, never much larger
    assert a.shape == b.shape and np.median(area(a) / area(b)) == pytest.approx(1.0, abs=0.1)
    assert (area(a) / area(b)).min() < 0.5 and (area(a) / area(b)).max() < 1.3


def test_painted_index_matches_the_renders_object_masks(clevr_dir, renders):
    """``paint_index`` is the drawn counterpart of a render's object-index mask: each object's
    painted pixels overlap its true visible mask (IoU over 40 renders, camera as rendered)."""
    from PIL import Image

    from vqa.perception.clevr.silhouettes import paint_index

    ious = []
    for s in renders[:40]:
        truth = np.asarray(Image.open(clevr_dir.parent / "clevr_renders" / "masks" / s["mask_filename"]))
        painted = paint_index(s["objects"], camera=np.array(s["camera_location"]))
        assert painted.shape == truth.shape and painted.dtype == np.uint8
        for k in range(len(s["objects"])):
            a, b = painted == k + 1, truth == k + 1
            if b.sum() > 50:
                ious.append((a & b).sum() / (a | b).sum())
    assert np.median(ious) > 0.95 and np.percentile(ious, 10) > 0.9 and len(ious) > 200  # measured 0.98, 0.95
